"""Audit events: logins, failed logins, lock-outs, logouts, session expiries, API token events, exports."""

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditEventKind(models.TextChoices):
    LOGIN = "login", _("Login")
    LOGIN_FAILED = "login_failed", _("Failed login")
    LOCKOUT = "lockout", _("Lock-out")
    LOGOUT = "logout", _("Logout")
    SESSION_EXPIRED = "session_expired", _("Session expired")
    TOKEN_CREATED = "token_created", _("API token created")
    TOKEN_ROTATED = "token_rotated", _("API token rotated")
    TOKEN_REVOKED = "token_revoked", _("API token revoked")
    TOKEN_NEW_ADDRESS = "token_new_address", _("API token used from a new address")
    EXPORT = "export", _("Export")


class AuditEvent(models.Model):
    """One event. Rows are only ever added (`audit.record`); nothing edits or deletes them."""

    at = models.DateTimeField(_("when"), default=timezone.now)
    event = models.CharField(_("event"), max_length=32, choices=AuditEventKind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="audit_events",
    )
    # The username as given: the user's for known users (kept if the user is deleted), the one typed for
    # failed logins (which may name nobody).
    username = models.CharField(_("username"), max_length=150, blank=True)
    ip = models.GenericIPAddressField(_("client address"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=300, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True, encoder=DjangoJSONEncoder)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-at", "-pk"]
        indexes = [
            models.Index(fields=["-at", "-id"], name="audit_at"),
            models.Index(fields=["event", "-at"], name="audit_event_at"),
            models.Index(fields=["username", "-at"], name="audit_username_at"),
            models.Index(fields=["ip", "-at"], name="audit_ip_at"),
        ]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.event} {self.username}"
