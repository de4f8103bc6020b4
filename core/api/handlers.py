"""Error answers outside DRF's views, in the API's shape on /api/ paths and Django's pages elsewhere.

DRF answers its own errors in JSON (core.api.base.exception_handler), but some never reach a DRF view:
an unknown URL under /api/ (Django's 404), a body over Django's DATA_UPLOAD_MAX_MEMORY_SIZE read by
a form parser (Django's 400), an exception DRF does not handle (Django's 500), and the database going
away. config/urls.py names these handlers; `DatabaseUnavailableMiddleware` also answers the database
case while DEBUG is on (Django's debug page would replace handler500 there).

Every JSON answer is `{"detail": "..."}`, the documented error shape (core.api.base.ErrorSerializer).
"""

from __future__ import annotations

import logging
import sys

from django.core.exceptions import RequestDataTooBig
from django.db import InterfaceError, OperationalError
from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults

logger = logging.getLogger("core.api")

API_PREFIX = "/api/"
DATABASE_ERRORS = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 5


def is_api(request) -> bool:
    return request.path_info.startswith(API_PREFIX)


def error_response(detail: str, status: int, **headers: str) -> JsonResponse:
    response = JsonResponse({"detail": detail}, status=status)
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def database_unavailable() -> JsonResponse:
    return error_response(_("The database is unavailable; try again shortly."), 503,
                          Retry_After=str(RETRY_AFTER_SECONDS))


def bad_request(request, exception, template_name=defaults.ERROR_400_TEMPLATE_NAME):
    if not is_api(request):
        return defaults.bad_request(request, exception, template_name)
    if isinstance(exception, RequestDataTooBig):
        return error_response(_("The request body is too large."), 413)
    return error_response(_("Bad request."), 400)


def permission_denied(request, exception, template_name=defaults.ERROR_403_TEMPLATE_NAME):
    if not is_api(request):
        return defaults.permission_denied(request, exception, template_name)
    return error_response(_("You do not have permission to perform this action."), 403)


def page_not_found(request, exception, template_name=defaults.ERROR_404_TEMPLATE_NAME):
    if not is_api(request):
        return defaults.page_not_found(request, exception, template_name)
    return error_response(_("Not found."), 404)


def server_error(request, template_name=defaults.ERROR_500_TEMPLATE_NAME):
    """Called inside Django's `except` block, so the exception is still `sys.exc_info()`: a database
    that went away answers 503 (retry later), anything else 500. Django has logged it already."""
    if not is_api(request):
        return defaults.server_error(request, template_name)
    if isinstance(sys.exc_info()[1], DATABASE_ERRORS):
        return database_unavailable()
    return error_response(_("A server error occurred."), 500)


class DatabaseUnavailableMiddleware:
    """On /api/ paths, a view that fails because the database is unreachable (OperationalError,
    InterfaceError: refused, closed or dropped connections) answers a JSON 503 with Retry-After,
    whatever DEBUG says. Failures in middleware before the view reach `server_error` above."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if is_api(request) and isinstance(exception, DATABASE_ERRORS):
            logger.error("Database unavailable on %s %s", request.method, request.path, exc_info=exception)
            return database_unavailable()
        return None
