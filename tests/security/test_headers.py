"""Browser-facing headers on every answer the app renders (pages and API, 200 and 4xx), and static
files that stay cacheable. The policy itself: django-csp (settings); the rest: core/security.py."""

import pytest
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse

from core.security import SecurityHeadersMiddleware

pytestmark = pytest.mark.django_db

STRICT_POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "frame-ancestors": ["'none'"],
    "form-action": ["'self'"],
}
DENIED_FEATURES = ["camera", "microphone", "geolocation", "payment", "usb"]


def policy(response) -> dict[str, list[str]]:
    directives = {}
    for part in response["Content-Security-Policy"].split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def assert_browser_headers(response, *, csp: bool = True):
    if csp:
        assert policy(response) == STRICT_POLICY
    features = dict(item.strip().split("=", 1) for item in response["Permissions-Policy"].split(","))
    assert all(features[name] == "()" for name in DENIED_FEATURES), features
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["Cross-Origin-Resource-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"


def assert_no_store(response):
    assert "no-store" in response["Cache-Control"], response.get("Cache-Control")


def page_urls(bank):
    group = bank.group_gy
    return [
        reverse("home"),
        reverse("clients:group_list"),
        reverse("clients:group_detail", args=[group.pk]),
        reverse("circles:group_circle", args=[group.pk]),
        reverse("chains:group_chain", args=[group.pk]),
        reverse("clients:enterprise_list"),
        reverse("clients:enterprise_detail", args=[group.core_enterprise_id]),
        reverse("clients:registry_lookup") + f"?uscc={bank.group_zy.core_enterprise.uscc}",
        reverse("clients:request_list"),
        reverse("imports:upload"),
        reverse("core:job_runs"),
        reverse("api-docs"),
    ]


def test_every_page_carries_the_strict_policy_and_is_not_stored(bank, client_as):
    client = client_as(bank.hq)
    for url in page_urls(bank):
        response = client.get(url, follow=True)
        assert response.status_code == 200, url
        assert_browser_headers(response)
        assert_no_store(response)


def test_no_inline_script_or_style_in_what_the_pages_send(bank, client_as):
    """json_script data is the only <script> without src; no style attribute, no <style> block."""
    import re

    client = client_as(bank.hq)
    for url in page_urls(bank):
        html = client.get(url, follow=True).content.decode()
        for tag in re.findall(r"<script\b[^>]*>", html):
            assert "src=" in tag or 'type="application/json"' in tag, (url, tag)
        assert not re.search(r"<style\b", html), url
        assert not re.search(r"""\sstyle\s*=\s*["']""", html), url
        assert not re.search(r"""\son[a-z]+\s*=\s*["']""", html), url


def test_the_api_docs_script_is_a_file_of_our_origin(bank, client_as):
    client = client_as(bank.hq)  # the API documentation is head office's (core.api_docs)
    script = client.get(reverse("api-docs") + "?script=")
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()
    assert_no_store(script)  # it carries the user's CSRF token


def test_error_pages_and_the_login_page_carry_the_headers_and_are_not_stored(bank, client, client_as):
    login = client.get(reverse("login"))
    assert login.status_code == 200
    assert_browser_headers(login)
    assert_no_store(login)  # it holds a CSRF token bound to this browser's cookie
    redirect = client.get(reverse("clients:group_list"))
    assert redirect.status_code == 302
    assert_browser_headers(redirect)
    missing = client_as(bank.rm_zy1).get(reverse("clients:group_detail", args=[bank.group_gy.pk]))
    assert missing.status_code == 404
    assert_browser_headers(missing)
    assert_no_store(missing)
    admin_login = client.get("/admin/login/")
    assert admin_login.status_code == 200
    assert_browser_headers(admin_login)


def test_api_answers_carry_the_headers_and_are_not_stored_whatever_their_status(bank, api_as, client):
    api = api_as(bank.rm_gy1)
    answers = {
        200: api.get("/api/v1/group-clients/"),
        400: api.post("/api/v1/enterprises/", {"name": "", "uscc": "not-a-code"}, format="json"),
        404: api.get("/api/v1/group-clients/999999/"),
        405: api.put("/api/v1/registry/91520000000000000X/", {}, format="json"),
        401: client.get("/api/v1/group-clients/"),
    }
    for status, response in answers.items():
        assert response.status_code == status, (status, response.content[:200])
        assert_browser_headers(response)
        assert_no_store(response)


def test_static_files_stay_cacheable(client):
    for path in ("/static/js/safe.js", "/static/css/app.css", "/static/vendor/htmx/htmx.min.js"):
        response = client.get(path)
        assert response.status_code == 200, path
        cache = response["Cache-Control"]
        assert "no-store" not in cache and "max-age=" in cache, (path, cache)


def test_the_csrf_cookie_is_not_readable_by_script(client):
    response = client.get(reverse("login"))
    cookie = response.cookies["csrftoken"]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"


# --- the cache rule itself, on the middleware -----------------------------------------------------


def _through_middleware(request, *, cache_control=None):
    def view(_request):
        response = HttpResponse("ok")
        if cache_control:
            response["Cache-Control"] = cache_control
        return response

    return SecurityHeadersMiddleware(view)(request)


def test_a_logged_in_answer_is_never_stored_even_if_the_view_chose_caching(bank):
    request = RequestFactory().get("/anything/")
    request.user = bank.rm_gy1
    response = _through_middleware(request, cache_control="public, max-age=3600")
    directives = {d.strip() for d in response["Cache-Control"].split(",")}
    assert "no-store" in directives and "public" not in directives


def test_an_anonymous_answer_keeps_caching_its_view_chose_and_is_otherwise_not_stored():
    from django.contrib.auth.models import AnonymousUser

    request = RequestFactory().get("/public/")
    request.user = AnonymousUser()
    assert _through_middleware(request, cache_control="public, max-age=60")["Cache-Control"] == "public, max-age=60"
    assert "no-store" in _through_middleware(request)["Cache-Control"]


def test_a_view_may_set_its_own_permissions_policy(bank):
    def view(_request):
        response = HttpResponse("ok")
        response["Permissions-Policy"] = "fullscreen=(self)"
        return response

    request = RequestFactory().get("/")
    request.user = bank.hq
    assert SecurityHeadersMiddleware(view)(request)["Permissions-Policy"] == "fullscreen=(self)"
