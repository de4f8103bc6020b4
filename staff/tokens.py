"""API tokens: create, rotate, revoke (django-rest-knox tokens, stored as digests; `staff.models.ApiToken`).

Owners create, rotate and revoke their own tokens; head office lists and revokes anyone's, but rotates
only its own (a rotation hands out the new secret, which only the owner may hold). A token of another
user answers like one that does not exist. Every change is audited in the same transaction.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

import audit
from audit.models import AuditEventKind
from staff.models import ApiToken
from staff.network import client_ip
from staff.scope import scope_for

ADDRESSES_KEPT = 20  # seen_addresses keeps the latest few


def max_days() -> int:
    return int(getattr(settings, "API_TOKEN_MAX_DAYS", 365))


def default_days() -> int:
    return min(int(getattr(settings, "API_TOKEN_DEFAULT_DAYS", 90)), max_days())


def lifetime_choices() -> list[int]:
    """The lifetimes offered on the page, up to the maximum head office allows."""
    return sorted({d for d in (7, 30, 90, 180, 365) if d <= max_days()} | {default_days()})


def tokens_visible_to(user):
    """Head office sees every token, anyone else their own."""
    tokens = ApiToken.objects.select_related("user", "user__profile").order_by("-created", "token_key")
    return tokens if scope_for(user).sees_all else tokens.filter(user=user)


def _check_name_and_days(name: str, days: int) -> tuple[str, int]:
    name = (name or "").strip()
    errors = {}
    if not name:
        errors["name"] = _("Give the token a name (what or who uses it).")
    elif len(name) > 100:
        errors["name"] = _("At most 100 characters.")
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= max_days():
        errors["expires_in_days"] = _("A token lives from 1 to %(max)d days.") % {"max": max_days()}
    if errors:
        raise ValidationError(errors)
    return name, days


def _new_token(*, owner, name: str, days: int, request=None) -> tuple[ApiToken, str]:
    address = client_ip(request) if request is not None else None
    token, secret = ApiToken.objects.create(owner, expiry=timedelta(days=days), name=name,
                                            seen_addresses=[address] if address else [])
    return token, secret


@transaction.atomic
def token_create(*, user, name: str, days: int | None = None, request=None) -> tuple[ApiToken, str]:
    """A new token for `user` (always the acting user's own). Returns the token and its secret, which is
    shown once and never stored."""
    name, days = _check_name_and_days(name, default_days() if days is None else days)
    limit = int(getattr(settings, "API_TOKEN_LIMIT_PER_USER", 20))
    if ApiToken.objects.filter(user=user).count() >= limit:
        raise ValidationError({"name": _("You have %(n)d tokens, the most allowed: revoke one first.") % {"n": limit}})
    token, secret = _new_token(owner=user, name=name, days=days, request=request)
    audit.record(AuditEventKind.TOKEN_CREATED, user=user, request=request,
                 detail={"token": token.token_key, "name": name, "owner": user.get_username(),
                         "expiry": token.expiry})
    return token, secret


def _lookup(user, key: str) -> ApiToken:
    token = tokens_visible_to(user).select_for_update(of=("self",)).filter(token_key=str(key)[:25]).first()
    if token is None:
        raise ApiToken.DoesNotExist
    return token


@transaction.atomic
def token_rotate(*, user, key: str, request=None) -> tuple[ApiToken, str]:
    """Replace one of the user's own tokens by a new secret with the same name and lifetime (counted from
    now, at most the maximum); the old secret stops working at once."""
    old = _lookup(user, key)
    if old.user_id != user.pk:
        raise PermissionDenied(_("Only its owner rotates a token: revoke it instead."))
    lifetime = (old.expiry - old.created) if old.expiry else timedelta(days=default_days())
    days = max(1, min(max_days(), round(lifetime.total_seconds() / 86400)))
    new, secret = _new_token(owner=user, name=old.name, days=days, request=request)
    new.seen_addresses = list(dict.fromkeys([*old.seen_addresses, *new.seen_addresses]))[-ADDRESSES_KEPT:]
    new.save(update_fields=["seen_addresses"])
    old.delete()
    audit.record(AuditEventKind.TOKEN_ROTATED, user=user, request=request,
                 detail={"token": new.token_key, "replaces": old.token_key, "name": new.name,
                         "owner": user.get_username(), "expiry": new.expiry})
    return new, secret


@transaction.atomic
def token_revoke(*, user, key: str, request=None) -> ApiToken:
    """Delete a token: its owner's or, for head office, anyone's."""
    token = _lookup(user, key)
    token.delete()
    audit.record(AuditEventKind.TOKEN_REVOKED, user=user, request=request,
                 detail={"token": token.token_key, "name": token.name, "owner": token.user.get_username()})
    return token


@transaction.atomic
def tokens_revoke_all(*, owner, reason: str, actor=None) -> int:
    """Delete every token of `owner` (a deactivated user), each one audited."""
    tokens = list(ApiToken.objects.select_for_update().filter(user=owner))
    for token in tokens:
        audit.record(AuditEventKind.TOKEN_REVOKED, user=actor, username="" if actor else owner.get_username(),
                     detail={"token": token.token_key, "name": token.name, "owner": owner.get_username(),
                             "reason": reason})
    ApiToken.objects.filter(pk__in=[t.pk for t in tokens]).delete()
    return len(tokens)


def issue_token(*, user, name: str = "issued", days: int | None = None) -> str:
    """A new token for `user`, returning only its secret (scripts and benches: bench/load.py)."""
    _token, secret = token_create(user=user, name=name, days=days)
    return secret
