"""Session lifetime: an idle timeout and an absolute lifetime (settings SESSION_IDLE_TIMEOUT and
SESSION_ABSOLUTE_LIFETIME, in seconds).

At login the session notes when it started; each request notes the last activity (written at most
once a minute, so most requests do not write the session). A session idle for longer than the idle
timeout, or older than the absolute lifetime however active, is logged out: pages redirect to the login
page with a message (htmx requests get `HX-Redirect`, so the whole page goes there, not a fragment),
the API answers as for any anonymous request (401/403). Each expiry is audited.
"""

from __future__ import annotations

import time
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

import audit
from audit.models import AuditEventKind

STARTED = "_crm_session_started"  # epoch seconds of the login
SEEN = "_crm_session_seen"  # epoch seconds of the last activity (to the minute)
ACTIVITY_RESOLUTION = 60  # seconds: the last activity is written at most this often


def idle_timeout() -> int:
    return int(settings.SESSION_IDLE_TIMEOUT)


def absolute_lifetime() -> int:
    return int(settings.SESSION_ABSOLUTE_LIFETIME)


def start_session_clock(sender, request, user, **kwargs) -> None:
    """`user_logged_in` receiver: the session's lifetime starts at the login."""
    session = getattr(request, "session", None)
    if session is not None:
        now = int(time.time())
        session[STARTED] = now
        session[SEEN] = now


def expiry_reason(session, now: int) -> str | None:
    started, seen = session.get(STARTED), session.get(SEEN)
    if not isinstance(started, int) or not isinstance(seen, int):
        return None
    if now - started >= absolute_lifetime():
        return "absolute"
    if now - seen >= idle_timeout():
        return "idle"
    return None


class SessionTimeoutMiddleware:
    """After the session, authentication and messages middlewares."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            now = int(time.time())
            session = request.session
            reason = expiry_reason(session, now)
            if reason is not None:
                return self.expire(request, user, reason)
            if not isinstance(session.get(STARTED), int):  # a session from before these rules: starts now
                session[STARTED] = now
                session[SEEN] = now
            elif now - session[SEEN] >= ACTIVITY_RESOLUTION:
                session[SEEN] = now
        return self.get_response(request)

    def expire(self, request, user, reason: str):
        audit.record(AuditEventKind.SESSION_EXPIRED, user=user, request=request, detail={"reason": reason})
        request._crm_session_expired = True  # the logout receiver does not record it as a logout
        logout(request)
        if request.path_info.startswith("/api/"):
            return self.get_response(request)  # now anonymous: DRF answers 401/403 in JSON
        if request.path == resolve_url(settings.LOGIN_URL):
            return self.get_response(request)  # logging in again: the login goes ahead
        messages.warning(request, _("Your session has expired. Please log in again.") if reason == "idle"
                         else _("Your session has reached its maximum length. Please log in again."))
        login_url = resolve_url(settings.LOGIN_URL)
        target = self.return_to(request)
        url = f"{login_url}?{urlencode({'next': target})}" if target else login_url
        if request.headers.get("HX-Request") == "true":
            response = HttpResponse(status=200)
            response["HX-Redirect"] = url
            return response
        return HttpResponseRedirect(url)

    @staticmethod
    def return_to(request) -> str:
        """Where to go after logging in again: the page (for htmx, the page the fragment belongs to)."""
        if request.headers.get("HX-Request") == "true":
            current = request.headers.get("HX-Current-URL", "")
            if current and url_has_allowed_host_and_scheme(current, allowed_hosts={request.get_host()}):
                parts = urlsplit(current)
                return parts.path + (f"?{parts.query}" if parts.query else "")
            return ""
        if request.method != "GET" or request.path == resolve_url(settings.LOGIN_URL):
            return ""
        return request.get_full_path()
