"""The audit log: logins, failed logins, lock-outs, logouts, session expiries (test_sessions), token
events (test_tokens) and exports, with who, when, client address and user agent; written in the same
transaction as what it records; searched by head office on /audit/ (403 for everyone else)."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.test import Client, RequestFactory
from django.utils import timezone

import audit
from audit.models import AuditEvent
from tests.auth.conftest import login
from tests.querycount import count_queries

UA = "Mozilla/5.0 (audit test)"


def test_a_login_is_recorded_with_address_and_user_agent(bank):
    response = login(Client(), "rm_gy1", address="10.5.0.1", HTTP_USER_AGENT=UA)
    assert response.status_code == 302
    event = AuditEvent.objects.get(event="login")
    assert (event.user, event.username, event.ip, event.user_agent) == (bank.rm_gy1, "rm_gy1", "10.5.0.1", UA)
    assert abs(event.at - timezone.now()) < timedelta(minutes=1)


def test_a_failed_login_records_the_name_typed_even_when_nobody_has_it(bank):
    login(Client(), "rm_gy1", password="wrong", address="10.5.0.2", HTTP_USER_AGENT=UA)
    login(Client(), "no-such-user", password="wrong", address="10.5.0.2")
    rows = AuditEvent.objects.filter(event="login_failed").order_by("pk")
    assert [(e.username, e.user, e.ip) for e in rows] == [("rm_gy1", None, "10.5.0.2"),
                                                          ("no-such-user", None, "10.5.0.2")]
    assert not AuditEvent.objects.filter(event="login").exists()


def test_a_lock_out_is_recorded_once_however_often_it_refuses(bank, settings):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT + 3):
        login(client, "rm_gy1", password="wrong", address="10.5.0.3")
    login(client, "rm_gy1", address="10.5.0.3")  # the right password, refused while locked
    lockouts = AuditEvent.objects.filter(event="lockout")
    assert [(e.username, e.ip) for e in lockouts] == [("rm_gy1", "10.5.0.3")]
    failed = AuditEvent.objects.filter(event="login_failed", username="rm_gy1")
    assert failed.count() == settings.AXES_FAILURE_LIMIT + 4
    assert failed.filter(detail__locked_out=True).count() >= 4


def test_a_logout_is_recorded(bank):
    client = Client()
    login(client, "rm_gy2", address="10.5.0.4")
    client.post("/logout/", REMOTE_ADDR="10.5.0.4")
    event = AuditEvent.objects.get(event="logout")
    assert (event.username, event.ip) == ("rm_gy2", "10.5.0.4")


def test_a_username_with_nul_bad_bytes_or_surrogates_is_never_a_500(bank):
    form = "application/x-www-form-urlencoded"
    for url in ("/login/", "/admin/login/"):
        for raw in ("a%00b", "%ED%A0%80x", "%FF%FE", "x" * 5000):  # NUL, encoded surrogate, bad UTF-8, long
            response = Client().post(url, f"username={raw}&password=wrong", content_type=form)
            assert response.status_code in (200, 400), (url, raw[:10], response.status_code)
    stored = list(AuditEvent.objects.values_list("username", flat=True))
    assert all("\x00" not in s and len(s) <= 150 for s in stored)


def test_exports_are_recorded_through_audit_record_with_the_request_s_address(bank):
    request = RequestFactory().get("/clients/enterprises/export/", REMOTE_ADDR="10.5.0.9", HTTP_USER_AGENT=UA)
    request.user = bank.rm_gy1
    event = audit.record("export", user=bank.rm_gy1, request=request,
                         detail={"what": "enterprises", "format": "xlsx", "rows": 120})
    assert (event.event, event.username, event.ip, event.user_agent) == ("export", "rm_gy1", "10.5.0.9", UA)
    assert event.detail == {"what": "enterprises", "format": "xlsx", "rows": 120}


def test_an_event_inside_a_request_knows_the_request_without_being_told(bank, client_as):
    """The token page records through the service, which is not handed the address: the middleware
    remembers the request being served."""
    from audit.middleware import current_request

    seen = {}

    def probe(get_response):
        def middleware(request):
            seen["request"] = current_request.get()
            return get_response(request)
        return middleware

    from audit.middleware import AuditRequestMiddleware

    request = RequestFactory().get("/", REMOTE_ADDR="10.5.0.10")
    AuditRequestMiddleware(probe(lambda r: None))(request)
    assert seen["request"] is request
    assert current_request.get() is None  # forgotten after the request


def test_an_unknown_event_name_is_a_programming_error():
    with pytest.raises(ValueError, match="Unknown audit event"):
        audit.record("exprot", detail={})


def test_an_event_is_kept_only_if_what_it_records_is(bank):
    from staff.models import ApiToken
    from staff.tokens import token_create

    with pytest.raises(RuntimeError), transaction.atomic():
        token_create(user=bank.rm_gy1, name="rolled back", days=7)
        raise RuntimeError("the surrounding work fails")
    assert not ApiToken.objects.exists()
    assert not AuditEvent.objects.filter(event="token_created").exists()


# --- the page ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["rm_gy1", "head_gy", "risk_gy", "outsider"])
def test_only_head_office_reads_the_audit_log(bank, client_as, persona):
    audit.record("export", user=bank.rm_gy1, detail={"what": "secret-export-name"})
    response = client_as(getattr(bank, persona)).get("/audit/")
    assert response.status_code == 403
    assert "secret-export-name" not in response.content.decode()


def test_head_office_searches_by_user_event_dates_and_address(bank, client_as):
    now = timezone.now()
    rows = [
        ("login", "rm_gy1", "10.6.0.1", now - timedelta(days=10)),
        ("login_failed", "rm_gy1", "10.6.0.2", now - timedelta(days=3)),
        ("login", "rm_zy1", "10.7.0.1", now - timedelta(days=1)),
        ("export", "hq", "10.6.0.3", now),
    ]
    for event, username, ip, at in rows:
        AuditEvent.objects.create(event=event, username=username, ip=ip, at=at)
    client = client_as(bank.hq)
    AuditEvent.objects.filter(event="login", username="hq").delete()  # client_as's own login

    def found(**query):
        response = client.get("/audit/", query)
        assert response.status_code == 200
        return [(e.event, e.username) for e in response.context["events"]]

    assert found(user="RM_GY1") == [("login_failed", "rm_gy1"), ("login", "rm_gy1")]
    assert found(event="login") == [("login", "rm_zy1"), ("login", "rm_gy1")]
    assert found(address="10.6.") == [("export", "hq"), ("login_failed", "rm_gy1"), ("login", "rm_gy1")]
    day = timezone.localdate(now - timedelta(days=3)).isoformat()
    assert found(date_from=day, date_to=day) == [("login_failed", "rm_gy1")]
    assert found(date_from=timezone.localdate(now - timedelta(days=2)).isoformat()) == [
        ("export", "hq"), ("login", "rm_zy1")]
    bad = client.get("/audit/", {"date_from": "0001-13-01", "event": "nope"})
    assert bad.status_code == 200 and list(bad.context["events"]) == []
    assert set(bad.context["filter_form"].errors) == {"date_from", "event"}


def test_the_page_is_paginated_and_its_query_count_does_not_grow(bank, client_as):
    client = client_as(bank.hq)
    AuditEvent.objects.bulk_create(AuditEvent(event="login", username=f"u{i}", ip="10.8.0.1") for i in range(3))
    small = count_queries(client, "/audit/", label="audit small")
    AuditEvent.objects.bulk_create(AuditEvent(event="export", username=f"v{i}", ip="10.8.0.2", detail={"rows": i})
                                   for i in range(120))
    large = count_queries(client, "/audit/", label="audit large")
    assert small == large == AUDIT_PAGE_QUERIES
    page = client.get("/audit/", {"page": 3})
    assert len(page.context["events"]) == AuditEvent.objects.count() - 100
    fragment = client.get("/audit/", {"event": "export"}, HTTP_HX_REQUEST="true")
    assert b"<html" not in fragment.content and b"audit-events" in fragment.content


# session, user, staff profile (scope), count, page of events, base.html's user.profile in the top bar
AUDIT_PAGE_QUERIES = 6
