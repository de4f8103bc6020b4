"""API token authentication: django-rest-knox's scheme (`Authorization: Token <secret>`, SHA-512 digests)
with expiry, the login lock-out and the audit of new addresses, in ONE query per request.

knox's own `TokenAuthentication` also reads every other token of the user on each request to delete the
expired ones; here an expired token is simply refused (its owner sees it as expired and revokes or
rotates it), and the lock-out counts of django-axes are read in the query that finds the token
(`staff.lockout.lockout_annotations`). The last use is written at most once a minute, or at once from a
new address (which is audited)."""

from __future__ import annotations

import binascii
from datetime import timedelta
from hmac import compare_digest

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from knox.auth import TokenAuthentication
from knox.crypto import hash_token
from knox.settings import CONSTANTS
from rest_framework import exceptions

import audit
from audit.models import AuditEventKind
from staff import lockout
from staff.models import ApiToken
from staff.network import client_ip

USE_RESOLUTION = timedelta(seconds=60)  # last use is written at most this often (same address)
ADDRESSES_KEPT = 20


class ApiTokenAuthentication(TokenAuthentication):
    def authenticate(self, request):
        self._request = request
        return super().authenticate(request)

    def authenticate_credentials(self, token):
        invalid = _("Invalid token.")
        try:
            secret = token.decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(invalid) from None
        request = self._request
        address = client_ip(request)
        candidates = (
            ApiToken.objects.filter(token_key=secret[: CONSTANTS.TOKEN_KEY_LENGTH])
            .select_related("user")
            .annotate(**lockout.lockout_annotations(address))
        )
        try:
            digest = hash_token(secret)
        except (TypeError, ValueError, binascii.Error):
            raise exceptions.AuthenticationFailed(invalid) from None
        found = next((t for t in candidates if compare_digest(digest, t.digest)), None)
        if found is None:
            raise exceptions.AuthenticationFailed(invalid)
        if found.is_expired:
            raise exceptions.AuthenticationFailed(_("This token has expired: rotate it or create a new one."))
        if not found.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        if lockout.is_locked(found.lockout_pair, found.lockout_address):
            raise exceptions.AuthenticationFailed(
                _("Too many failed logins for this user from this address: its tokens are refused here "
                  "until the lock-out ends."))
        note_use(found, address, request)
        return found.user, found


def note_use(token: ApiToken, address: str | None, request) -> None:
    """Record when and where a token was last used: at most once a minute from a known address; at once,
    and audited, from an address the token has not been created or used from."""
    now = timezone.now()
    seen = list(token.seen_addresses or [])
    new_address = address is not None and address not in seen
    recent = token.last_used_at is not None and now - token.last_used_at < USE_RESOLUTION
    if not new_address and recent and token.last_used_ip == address:
        return
    token.last_used_at, token.last_used_ip = now, address
    fields = ["last_used_at", "last_used_ip"]
    if new_address:
        token.seen_addresses = [*seen, address][-ADDRESSES_KEPT:]
        fields.append("seen_addresses")
        audit.record(AuditEventKind.TOKEN_NEW_ADDRESS, user=token.user, request=request,
                     detail={"token": token.token_key, "name": token.name, "address": address,
                             "known": seen})
    ApiToken.objects.filter(pk=token.pk).update(**{f: getattr(token, f) for f in fields})
