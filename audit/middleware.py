"""Remembers the request being served, so `audit.record` called deep inside a service (an export, a token
rotation) still knows the client address and user agent without every caller passing the request."""

from contextvars import ContextVar

current_request: ContextVar = ContextVar("audit_current_request", default=None)


class AuditRequestMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = current_request.set(request)
        try:
            return self.get_response(request)
        finally:
            current_request.reset(token)
