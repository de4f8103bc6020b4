"""Writing audit events (`audit.record`)."""

from __future__ import annotations

from audit.middleware import current_request
from audit.models import AuditEvent, AuditEventKind
from staff.network import client_ip, user_agent


def clean_text(value, limit: int | None = None) -> str:
    """Text PostgreSQL can store: no NUL, no lone surrogate (a typed username may hold anything)."""
    text = str(value).replace("\x00", "\ufffd").encode("utf-8", "replace").decode("utf-8")
    return text[:limit] if limit else text


def _clean(value):
    if isinstance(value, dict):
        return {clean_text(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_clean(v) for v in value]
    if isinstance(value, str):
        return clean_text(value, 1000)
    return value


def record(event: str, *, user=None, username: str | None = None, request=None, detail: dict | None = None
           ) -> AuditEvent:
    """Write one event in the current transaction.

    `user`: who acted (a user object, or None for an unknown or anonymous one); `username`: the name as
    given when there is no user (a failed login); `request`: the request that did it (default: the one
    being served); `detail`: what the event is about (JSON: a token's key, an export's kind and rows...).
    """
    if event not in AuditEventKind.values:
        raise ValueError(f"Unknown audit event {event!r}: add it to audit.models.AuditEventKind")
    request = request if request is not None else current_request.get()
    if user is not None and not getattr(user, "is_authenticated", False):
        user = None
    name = user.get_username() if user is not None else (username or "")
    return AuditEvent.objects.create(
        event=event,
        user=user,
        username=clean_text(name, 150),
        ip=client_ip(request) if request is not None else None,
        user_agent=clean_text(user_agent(request), 300) if request is not None else "",
        detail=_clean(detail or {}),
    )
