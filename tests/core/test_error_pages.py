"""The error pages of the web UI (core.error_pages, templates/4xx.html, 500.html): the right status, in
the user's language, inside the layout, with no trace of the error's internals. The API keeps its
JSON error shape (tests/api/test_contract.py has the rest)."""

import socket
from contextlib import contextmanager

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import translation

SECRET = "internal-detail-4711"  # what a failing view's exception says: never shown
LANGUAGES = ["en", "zh-hans"]


def in_language(language: str, msgid: str) -> str:
    with translation.override(language):
        return translation.gettext(msgid)


def assert_error_page(response, status: int, language: str, *, title: str, with_menu: bool):
    html = response.content.decode()
    assert response.status_code == status
    assert response["Content-Type"].startswith("text/html")
    assert f'<html lang="{language}">' in html
    assert '<header class="topbar">' in html and "css/app.css" in html  # the layout, its style sheet
    assert f'data-status="{status}"' in html
    assert in_language(language, title) in html
    assert ('<nav class="mainnav"' in html) is with_menu
    for leak in ("Traceback", SECRET, "File \"", "django.", "Exception Value"):
        assert leak not in html, leak
    return html


def lang(language: str) -> dict:
    return {"HTTP_ACCEPT_LANGUAGE": language}


@pytest.fixture
def boom(monkeypatch):
    """Make the enterprise list raise, as a bug would."""
    from clients import views

    def fail(*args, **kwargs):
        raise RuntimeError(SECRET)

    monkeypatch.setattr(views.EnterpriseListView, "get", fail)


@pytest.mark.parametrize("language", LANGUAGES)
def test_404_is_a_page_inside_the_layout(bank, client_as, language):
    html = assert_error_page(client_as(bank.rm_gy1).get("/no-such-page/", **lang(language)), 404, language,
                             title="Page not found", with_menu=True)
    assert ('集团客户' in html) is (language == "zh-hans")  # the menu speaks the page's language


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_object_out_of_reach_answers_the_same_404_page(bank, client_as, language):
    url = reverse("clients:group_detail", args=[bank.group_gy.pk])
    html = assert_error_page(client_as(bank.rm_zy1).get(url, **lang(language)), 404, language,
                             title="Page not found", with_menu=True)
    assert bank.group_gy.name not in html


@pytest.mark.parametrize("language", LANGUAGES)
def test_403_names_the_rule_that_refused(bank, client_as, language):
    response = client_as(bank.risk_gy).get(reverse("imports:upload"), **lang(language))
    html = assert_error_page(response, 403, language, title="Access refused", with_menu=True)
    assert in_language(language, "Your role may not change client data.") in html


@pytest.mark.parametrize("language", LANGUAGES)
def test_500_is_a_page_without_internals(bank, boom, settings, language):
    settings.DEBUG = False
    client = Client(raise_request_exception=False)
    client.force_login(bank.rm_gy1)
    response = client.get(reverse("clients:enterprise_list"), **lang(language))
    html = assert_error_page(response, 500, language, title="Something went wrong", with_menu=False)
    reference = response["X-Request-ID"]
    assert reference and reference in html  # the reference a user can quote is the logged request id


def test_the_api_keeps_its_json_shapes(bank, api_as, client_as):
    api = api_as(bank.rm_gy1)
    assert api.get("/api/v1/no-such-thing/").json() == {"detail": "Not found."}
    refused = api_as(bank.risk_gy).post("/api/v1/enterprises/", {}, format="json")
    assert refused.status_code == 403 and refused["Content-Type"] == "application/json"


@contextmanager
def database_down():
    """Point the default connection at a port where nothing listens (the shared server keeps running)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        unused = s.getsockname()[1]
    port = connection.settings_dict["PORT"]
    connection.close()
    connection.settings_dict["PORT"] = str(unused)
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict["PORT"] = port


@pytest.mark.parametrize("language", LANGUAGES)
def test_500_renders_when_the_database_is_down(transactional_db, bank, settings, language):
    settings.DEBUG = False
    client = Client(raise_request_exception=False)
    client.force_login(bank.rm_gy1)
    with database_down():
        response = client.get(reverse("clients:group_list"), **lang(language))
        anonymous = Client(raise_request_exception=False).get("/login/", **lang(language))
    assert_error_page(response, 500, language, title="Something went wrong", with_menu=False)
    assert anonymous.status_code in (200, 500)  # the login page needs no database to show its form
    if anonymous.status_code == 500:
        assert_error_page(anonymous, 500, language, title="Something went wrong", with_menu=False)


@pytest.mark.parametrize("language", LANGUAGES)
def test_400_is_a_page_for_a_bad_host(db, language):
    response = Client().get("/login/", HTTP_HOST="bad host.example", **lang(language))
    assert_error_page(response, 400, language, title="Bad request", with_menu=False)


@pytest.mark.parametrize("language", LANGUAGES)
def test_405_is_a_page_and_keeps_the_allow_header(bank, client_as, language):
    response = client_as(bank.rm_gy1).get(reverse("clients:enterprise_claim"), **lang(language))
    assert_error_page(response, 405, language, title="Not available this way", with_menu=False)
    assert "POST" in response["Allow"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_stale_form_answers_the_expired_page(bank, language):
    client = Client(enforce_csrf_checks=True)
    client.force_login(bank.rm_gy1)
    response = client.post(reverse("clients:registry_lookup"), {"uscc": "x"}, **lang(language))
    html = assert_error_page(response, 403, language, title="This page has expired", with_menu=True)
    assert in_language(language, "Reload the page and try again.") in html
    # Logging in with a stale token: the same page, for an anonymous visitor.
    anonymous = Client(enforce_csrf_checks=True).post(reverse("login"), {"username": "rm_gy1", "password": "x"},
                                                      **lang(language))
    assert_error_page(anonymous, 403, language, title="This page has expired", with_menu=False)


def test_hostile_paths_are_plain_404s(bank, client_as):
    """Markup, very long and non-ASCII paths: a 404 page, the path never echoed as markup."""
    client = client_as(bank.rm_gy1)
    for path in ("/<script>alert(1)</script>/", "/" + "x" * 5000 + "/", "/%E4%B8%AD%E6%96%87/", "/a%00b/"):
        response = client.get(path)
        assert response.status_code in (400, 404), path[:30]
        assert "<script>alert(1)" not in response.content.decode()


@pytest.mark.parametrize("language", LANGUAGES)
def test_refused_text_is_the_400_page_naming_the_field(bank, client_as, language):
    """core.middleware's text guard (NUL, bad bytes) answers the same 400 page, with its reason."""
    response = client_as(bank.rm_gy1).get(reverse("clients:enterprise_list") + "?q=a%00<b>", **lang(language))
    html = assert_error_page(response, 400, language, title="Bad request", with_menu=False)
    reason = in_language(language, "The query parameter %(name)s was refused: %(message)s")
    assert reason.split("%(name)s")[0] + "q" in html and "<b>" not in html


def test_500_renders_even_when_static_files_were_not_collected(bank, boom, settings, tmp_path):
    settings.DEBUG = False
    settings.STATIC_ROOT = tmp_path  # no manifest there: {% static %} would raise inside the 500 page
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"}}
    client = Client(raise_request_exception=False)
    client.force_login(bank.rm_gy1)
    response = client.get(reverse("clients:enterprise_list"))
    html = assert_error_page(response, 500, "en", title="Something went wrong", with_menu=False)
    assert f'href="{settings.STATIC_URL}css/app.css"' in html
