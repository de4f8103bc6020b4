"""API rate limits per user and per token (DRF throttles on the shared cache: Redis when REDIS_URL is set).

- `user`: every request of one user, whatever token or session it comes with;
- `token`: every request made with one token (a leaked or runaway client cannot use its owner's whole
  budget, and its owner's other tokens keep working).

Rates are settings (`REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`, from THROTTLE_USER / THROTTLE_TOKEN),
read on each request. Over the rate the API answers 429 with `Retry-After`. The scoped throttles of some
endpoints (`persons`, `registry`) keep their own, lower rates. If the cache cannot be reached the
request is let through (and logged): rate limits must not take the API down with Redis.
"""

from __future__ import annotations

import logging

from redis.exceptions import RedisError
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from staff.models import ApiToken
from staff.network import client_ip

log = logging.getLogger(__name__)


class _SettingsRateMixin:
    """Read the rate from the current settings (DRF reads it once, when the class is defined)."""

    scope: str

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def get_ident(self, request):
        return client_ip(request) or ""

    def allow_request(self, request, view):
        try:
            return super().allow_request(request, view)
        except (RedisError, OSError) as exc:  # the cache is down: serve, and say so in the log
            log.warning("API throttle %s skipped: the cache is unreachable (%s)", self.scope, exc)
            return True


class UserThrottle(_SettingsRateMixin, SimpleRateThrottle):
    scope = "user"

    def get_cache_key(self, request, view):
        if not request.user or not request.user.is_authenticated:
            return None  # anonymous requests are refused (401) before throttles run
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


class TokenThrottle(_SettingsRateMixin, SimpleRateThrottle):
    scope = "token"

    def get_cache_key(self, request, view):
        token = request.auth
        if not isinstance(token, ApiToken):
            return None  # session requests: the user throttle applies
        return self.cache_format % {"scope": self.scope, "ident": token.token_key}
