"""Logins, failed logins, lock-outs and logouts, from Django's and django-axes' signals.

The page login, the admin login and the API's session all go through `django.contrib.auth`, so one set
of receivers sees them all. A logout caused by an expired session is recorded as `session_expired` by
`staff.sessions`, not as a logout."""

from __future__ import annotations

from datetime import timedelta

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.utils import timezone

from audit.models import AuditEvent, AuditEventKind
from audit.services import clean_text, record
from staff.lockout import window_start
from staff.network import client_ip


@receiver(user_logged_in, dispatch_uid="audit_login")
def on_login(sender, request, user, **kwargs):
    record(AuditEventKind.LOGIN, user=user, request=request)


@receiver(user_logged_out, dispatch_uid="audit_logout")
def on_logout(sender, request, user, **kwargs):
    if request is not None and getattr(request, "_crm_session_expired", False):
        return
    if user is not None:
        record(AuditEventKind.LOGOUT, user=user, request=request)


@receiver(user_login_failed, dispatch_uid="audit_login_failed")
def on_login_failed(sender, credentials, request=None, **kwargs):
    username = (credentials or {}).get("username") or ""
    record(AuditEventKind.LOGIN_FAILED, username=username, request=request,
           detail={"locked_out": bool(getattr(request, "axes_locked_out", False))})


@receiver(user_locked_out, dispatch_uid="audit_lockout")
def on_locked_out(sender, request, username, ip_address, **kwargs):
    """axes signals the lock-out at the failure that reaches the limit and again at every refused attempt
    while it lasts: one event per lock-out (username and address) and cool-off window."""
    address = client_ip(request) if request is not None else ip_address
    since = max(window_start(request), timezone.now() - timedelta(days=1))
    if AuditEvent.objects.filter(event=AuditEventKind.LOCKOUT, username=clean_text(username or "", 150), ip=address,
                                 at__gte=since).exists():
        return
    record(AuditEventKind.LOCKOUT, username=username or "", request=request,
           detail={"failures": getattr(request, "axes_failures_since_start", None)})
