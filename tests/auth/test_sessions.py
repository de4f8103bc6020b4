"""Sessions end after an idle timeout and after an absolute lifetime (settings), whatever the activity;
the user lands on the login page with a message (htmx: HX-Redirect), the API answers 401."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.test import Client

from audit.models import AuditEvent
from tests.auth.conftest import login

PAGE = "/account/tokens/"  # any page: answers 200 to a logged-in user


@pytest.fixture
def short_sessions(settings):
    settings.SESSION_IDLE_TIMEOUT = 30 * 60
    settings.SESSION_ABSOLUTE_LIFETIME = 2 * 60 * 60
    return settings


def test_the_defaults_are_thirty_minutes_idle_and_ten_hours_in_all(settings):
    assert settings.SESSION_IDLE_TIMEOUT == 30 * 60
    assert settings.SESSION_ABSOLUTE_LIFETIME == 10 * 60 * 60
    assert settings.SESSION_COOKIE_AGE > settings.SESSION_ABSOLUTE_LIFETIME  # the middleware decides, and says why


def test_an_idle_session_is_logged_out_with_a_message(bank, clock, short_sessions):
    client = Client()
    assert login(client, "rm_gy1").status_code == 302
    clock.shift(timedelta(minutes=29))
    assert client.get(PAGE).status_code == 200  # activity within the timeout keeps it
    clock.shift(timedelta(minutes=29))
    assert client.get(PAGE).status_code == 200  # 58 minutes after the login, 29 idle: still on
    clock.shift(timedelta(minutes=30, seconds=1))
    response = client.get(PAGE + "?x=1")
    assert response.status_code == 302
    assert response.url == "/login/?next=%2Faccount%2Ftokens%2F%3Fx%3D1"
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Your session has expired. Please log in again."]
    again = client.get(PAGE)  # the session is gone, not merely refused once
    assert again.status_code == 302 and again.url.startswith("/login/")
    assert not again.wsgi_request.user.is_authenticated
    expiry = AuditEvent.objects.get(event="session_expired")
    assert (expiry.username, expiry.detail) == ("rm_gy1", {"reason": "idle"})
    assert not AuditEvent.objects.filter(event="logout").exists()  # an expiry, not a logout


def test_activity_does_not_stretch_a_session_past_its_absolute_lifetime(bank, clock, short_sessions):
    client = Client()
    login(client, "rm_gy1")
    for _ in range(7):  # a request every 17 minutes: never idle
        clock.shift(timedelta(minutes=17))
        assert client.get(PAGE).status_code == 200
    clock.shift(timedelta(minutes=2 * 60 - 7 * 17))  # exactly two hours after the login
    response = client.get(PAGE)
    assert response.status_code == 302 and response.url.startswith("/login/?next=")
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Your session has reached its maximum length. Please log in again."]
    assert AuditEvent.objects.get(event="session_expired").detail == {"reason": "absolute"}


def test_the_lifetimes_are_settings(bank, clock, settings):
    settings.SESSION_IDLE_TIMEOUT = 5 * 60
    client = Client()
    login(client, "rm_gy1")
    clock.shift(timedelta(minutes=5))
    assert client.get(PAGE).status_code == 302


def test_an_htmx_request_gets_hx_redirect_to_the_login_page_for_its_page(bank, clock, short_sessions):
    client = Client()
    login(client, "rm_gy1")
    clock.shift(timedelta(hours=1))
    response = client.get("/audit/?page=2", HTTP_HX_REQUEST="true",
                          HTTP_HX_CURRENT_URL="http://testserver/clients/groups/?q=a")
    assert response.status_code == 200
    assert response["HX-Redirect"] == "/login/?next=%2Fclients%2Fgroups%2F%3Fq%3Da"
    assert response.content == b""


def test_the_api_with_an_expired_session_answers_401(bank, clock, short_sessions):
    client = Client()
    login(client, "rm_gy1")
    assert client.get("/api/v1/group-clients/").status_code == 200
    clock.shift(timedelta(minutes=31))
    response = client.get("/api/v1/group-clients/")
    assert response.status_code == 401
    assert AuditEvent.objects.filter(event="session_expired", username="rm_gy1").count() == 1


def test_a_fresh_login_after_expiry_starts_a_new_clock(bank, clock, short_sessions):
    client = Client()
    login(client, "rm_gy1")
    clock.shift(timedelta(minutes=31))
    assert client.get(PAGE).status_code == 302
    login(client, "rm_gy1")
    assert client.get(PAGE).status_code == 200


def test_logging_in_again_over_an_expired_session_goes_ahead(bank, clock, short_sessions):
    client = Client()
    login(client, "rm_gy1")
    clock.shift(timedelta(hours=3))
    response = login(client, "rm_gy2")  # the old session expired; this login is not thrown away
    assert response.status_code == 302 and not response.url.startswith("/login/")
    assert client.get(PAGE).wsgi_request.user.username == "rm_gy2"
    assert AuditEvent.objects.filter(event="session_expired", username="rm_gy1").count() == 1
