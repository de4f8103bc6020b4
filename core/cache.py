"""The shared cache: Django's RedisCache that behaves like an empty cache while Redis is unreachable.

The cache holds only what can be lost (API rate-limit counters): with Redis down, pages and the API
keep answering (rate limits are then not enforced, and each failure is logged) instead of answering
500 or waiting on the broker. Connection timeouts are short (settings `CACHES` OPTIONS). `clear()`
deletes this cache's keys, never the whole Redis database (which the Celery broker may share)."""

from __future__ import annotations

import logging

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

log = logging.getLogger(__name__)


def _down(operation: str, exc: Exception) -> None:
    log.warning("cache %s skipped: Redis is unreachable (%s)", operation, exc)


class FailSoftRedisCache(RedisCache):
    def get(self, key, default=None, version=None):
        try:
            return super().get(key, default, version)
        except RedisError as exc:
            _down("get", exc)
            return default

    def get_many(self, keys, version=None):
        try:
            return super().get_many(keys, version)
        except RedisError as exc:
            _down("get_many", exc)
            return {}

    def has_key(self, key, version=None):
        try:
            return super().has_key(key, version)
        except RedisError as exc:
            _down("has_key", exc)
            return False

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            return super().add(key, value, timeout, version)
        except RedisError as exc:
            _down("add", exc)
            return False

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            super().set(key, value, timeout, version)
        except RedisError as exc:
            _down("set", exc)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            return super().set_many(data, timeout, version)
        except RedisError as exc:
            _down("set_many", exc)
            return list(data)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            return super().touch(key, timeout, version)
        except RedisError as exc:
            _down("touch", exc)
            return False

    def delete(self, key, version=None):
        try:
            return super().delete(key, version)
        except RedisError as exc:
            _down("delete", exc)
            return False

    def delete_many(self, keys, version=None):
        try:
            super().delete_many(keys, version)
        except RedisError as exc:
            _down("delete_many", exc)

    def clear(self):
        """Delete this cache's keys only: the Redis database may be shared with the Celery broker,
        whose queues and bindings a FLUSHDB (Django's `clear`) would wipe."""
        try:
            client = self._cache.get_client(None, write=True)
            batch = []
            for key in client.scan_iter(match=f"{self.key_prefix}:*", count=1000):
                batch.append(key)
                if len(batch) >= 1000:
                    client.delete(*batch)
                    batch = []
            if batch:
                client.delete(*batch)
            return True
        except RedisError as exc:
            _down("clear", exc)
            return False
