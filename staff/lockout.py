"""The login lock-out: per username AND real client address, plus a much higher limit per address.

django-axes records every failed login (`axes.AccessAttempt`: username, address, user agent, count)
and refuses a login while the failures inside the cool-off window reach a limit. Two limits apply:

- `AXES_FAILURE_LIMIT` (5) failures for one username from one address lock that pair: nobody can lock
  `hq` out of their own desk by failing as `hq` from another one;
- `AXES_ADDRESS_FAILURE_LIMIT` (50) failures from one address, whatever the usernames, lock the address:
  guessing many usernames from one machine is stopped too.

The address is the real client's, behind the proxy (`staff.network.client_ip`, axes'
`AXES_CLIENT_IP_CALLABLE`). axes compares one number with one limit, so `LockoutHandler.get_failures`
expresses the address count in units of the pair limit: floor(address * limit / address_limit) reaches
`limit` exactly when the address count reaches `address_limit`.

API tokens obey the same lock-out (`staff.authentication`): `lockout_annotations` lets the token lookup
read both counts in the same query that finds the token.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_cool_off, get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import IntegerField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

USERNAME_KEPT = 150  # the longest username there can be (auth.User)


def client_username(request, credentials: dict | None = None) -> str | None:
    """The username a login attempt gave, as axes records it (`AXES_USERNAME_CALLABLE`): cut to the
    longest username that can exist and without NUL, so no typed name can break the record (a 5,000
    character name reached axes' 255-character column and answered 500)."""
    field = getattr(settings, "AXES_USERNAME_FORM_FIELD", "username")
    if credentials:
        name = credentials.get(field)
    else:
        name = getattr(request, "data", request.POST).get(field)
    if name is None:
        return None
    return str(name).replace("\x00", "\ufffd")[:USERNAME_KEPT]


def address_failure_limit() -> int:
    return int(getattr(settings, "AXES_ADDRESS_FAILURE_LIMIT", 50))


def window_start(request=None) -> datetime:
    """Failures before this moment no longer count (axes' cool-off)."""
    cool_off = get_cool_off(request) or timedelta(0)
    at = getattr(request, "axes_attempt_time", None) or timezone.now()
    return at - cool_off


def failure_counts(address: str | None, username: str | None, request=None) -> tuple[int, int]:
    """(failures of this username from this address, failures from this address) in the window: one query."""
    totals = AccessAttempt.objects.filter(ip_address=address, attempt_time__gte=window_start(request)).aggregate(
        pair=Sum("failures_since_start", filter=Q(username=username)),
        address=Sum("failures_since_start"),
    )
    return totals["pair"] or 0, totals["address"] or 0


def combined_failures(pair: int, address: int, limit: int) -> int:
    """One number for axes to compare with `limit`: locked when either limit is reached."""
    return max(pair, address * limit // max(address_failure_limit(), 1))


def is_locked(pair: int, address: int, limit: int | None = None) -> bool:
    if not getattr(settings, "AXES_ENABLED", True):
        return False
    limit = int(settings.AXES_FAILURE_LIMIT) if limit is None else limit
    return combined_failures(pair, address, limit) >= limit


def lockout_annotations(address: str | None, username_ref: str = "user__username") -> dict:
    """Annotations giving `lockout_pair` and `lockout_address` (see `failure_counts`) for rows whose user
    is at `username_ref`: the token lookup reads the lock-out in the query that finds the token."""
    recent = AccessAttempt.objects.filter(ip_address=address, attempt_time__gte=window_start()).order_by()

    def total(qs):
        summed = qs.values("ip_address").annotate(total=Sum("failures_since_start")).values("total")[:1]
        return Coalesce(Subquery(summed, output_field=IntegerField()), Value(0))

    if address is None:  # no address, no counts (axes stores none for such requests either)
        return {"lockout_pair": Value(0), "lockout_address": Value(0)}
    return {
        "lockout_pair": total(recent.filter(username=OuterRef(username_ref))),
        "lockout_address": total(recent),
    }


class LockoutHandler(AxesDatabaseHandler):
    """axes' database handler with the two limits above (`AXES_HANDLER`)."""

    def get_failures(self, request, credentials: dict | None = None) -> int:
        username = get_client_username(request, credentials)
        pair, address = failure_counts(request.axes_ip_address, username, request)
        return combined_failures(pair, address, get_failure_limit(request, credentials))
