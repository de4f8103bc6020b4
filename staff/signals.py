"""Receivers of the staff app: the session clock at login, and deactivation revoking a user's tokens."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_save

from staff.sessions import start_session_clock


def revoke_tokens_of_deactivated_user(sender, instance, created, **kwargs) -> None:
    """A user saved inactive (the admin, a service, a script) loses every API token, each audited."""
    if created or instance.is_active:
        return
    from audit.middleware import current_request
    from staff.models import ApiToken
    from staff.tokens import tokens_revoke_all

    if not ApiToken.objects.filter(user=instance).exists():
        return
    request = current_request.get()
    actor = getattr(request, "user", None) if request is not None else None
    tokens_revoke_all(owner=instance, reason="deactivated",
                      actor=actor if actor is not None and actor.is_authenticated else None)


def connect() -> None:
    user_logged_in.connect(start_session_clock, dispatch_uid="staff_session_clock")
    post_save.connect(revoke_tokens_of_deactivated_user, sender=get_user_model(),
                      dispatch_uid="staff_revoke_tokens_on_deactivation")
