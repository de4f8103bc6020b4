"""The error pages of the web UI (the API keeps its JSON shape: core.api.handlers, core.api.base).

- 403 and 404 render inside the layout (base.html), with the user's menu and language: Django's
  handlers (config/urls.py -> core.api.handlers) render templates/403.html and 404.html with the
  request. `forbidden` renders the same 403 page for refusals decided outside a PermissionDenied
  (the admin site, the API documentation).
- 400, 405 and 500 use templates/errors/layout.html, which needs nothing but static files and the
  active language: Django renders 400.html and 500.html without a request, and a 500 may come from a
  database that is down or a broken request.
- A CSRF failure (CSRF_FAILURE_VIEW) is a 403 page that says the form expired and asks for a reload.
"""

from __future__ import annotations

from django.http import JsonResponse
from django.shortcuts import render
from django.template import loader
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _

API_PREFIX = "/api/"
TEMPLATE_405 = "405.html"


def _is_api(request) -> bool:
    return request.path_info.startswith(API_PREFIX)


def forbidden(request, message: str):
    """The 403 page inside the layout, with `message` as the reason."""
    response = render(request, "403.html", {"exception": message}, status=403)
    add_never_cache_headers(response)
    return response


def csrf_failure(request, reason: str = "", template_name: str = "403_csrf.html"):
    """CSRF_FAILURE_VIEW: the form's token is missing or stale (often a page left open past the
    session, or a login in another tab). The reason stays in the log (django.security.csrf)."""
    if _is_api(request):
        return JsonResponse({"detail": _("CSRF check failed: reload the page and try again.")}, status=403)
    response = render(request, template_name, status=403)
    add_never_cache_headers(response)
    return response


class MethodNotAllowedPageMiddleware:
    """Django's 405 (View.http_method_not_allowed, require_POST) has an empty body: pages get the 405
    page (no database work, like 500); the API's 405 answers are DRF's JSON and stay as they are."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (response.status_code == 405 and not getattr(response, "streaming", False) and not response.content
                and not _is_api(request)):
            response.content = loader.get_template(TEMPLATE_405).render()
            response["Content-Type"] = "text/html; charset=utf-8"
        return response
