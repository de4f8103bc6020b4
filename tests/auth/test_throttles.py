"""API rate limits: per user and per token, on the Redis cache, 429 with Retry-After, then recovery;
the scoped throttles keep working; a dead Redis does not take the API down."""

import shutil
import socket
import subprocess
import time
from datetime import timedelta

import pytest
from django.core.cache import cache, caches

from tests.auth.conftest import API, new_token, token_client

URL = f"{API}/group-clients/"


@pytest.fixture
def rates(settings):
    """Set the per-user and per-token rates for one test (the settings are read on every request)."""

    def _set(user="1000/minute", token="1000/minute"):
        rest = dict(settings.REST_FRAMEWORK)
        rest["DEFAULT_THROTTLE_RATES"] = {**rest["DEFAULT_THROTTLE_RATES"], "user": user, "token": token}
        settings.REST_FRAMEWORK = rest

    return _set


def test_the_rates_are_settings_and_the_cache_is_redis(settings):
    from core.cache import FailSoftRedisCache

    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    assert {"user", "token", "persons", "registry"} <= set(rates)
    assert settings.REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"] == [
        "staff.throttling.UserThrottle", "staff.throttling.TokenThrottle"]
    assert isinstance(caches["default"], FailSoftRedisCache)  # REDIS_URL is set under pytest


def test_a_user_over_the_rate_gets_429_with_retry_after_then_recovers(bank, clock, rates, client_as):
    rates(user="3/minute")
    api = client_as(bank.rm_gy1)  # a session: the per-user limit applies without a token
    assert [api.get(URL).status_code for _ in range(3)] == [200, 200, 200]
    refused = api.get(URL)
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert "detail" in refused.json()
    assert client_as(bank.rm_gy2).get(URL).status_code == 200  # other users are not affected
    clock.shift(timedelta(seconds=61))
    assert api.get(URL).status_code == 200


def test_the_per_user_limit_counts_every_token_of_the_user(bank, clock, rates):
    rates(user="4/minute", token="100/minute")
    _t1, first = new_token(bank.rm_gy1, name="a")
    _t2, second = new_token(bank.rm_gy1, name="b")
    codes = [token_client(secret).get(URL).status_code for secret in (first, second, first, second, first)]
    assert codes == [200, 200, 200, 200, 429]


def test_a_token_over_its_rate_is_refused_while_its_owners_other_tokens_work(bank, clock, rates):
    rates(user="100/minute", token="2/minute")
    _t1, busy = new_token(bank.rm_gy1, name="runaway")
    _t2, other = new_token(bank.rm_gy1, name="erp")
    api = token_client(busy)
    assert [api.get(URL).status_code for _ in range(3)] == [200, 200, 429]
    assert token_client(other).get(URL).status_code == 200
    clock.shift(timedelta(seconds=61))
    assert api.get(URL).status_code == 200


def test_the_counters_are_in_redis_under_this_run_s_prefix(bank, rates, client_as):
    rates(user="50/minute")
    client_as(bank.rm_gy1).get(URL)
    key = f"throttle_user_{bank.rm_gy1.pk}"
    assert cache.get(key)  # the history of request times
    raw = caches["default"]._cache.get_client(key)
    assert raw.exists(caches["default"].make_key(key))


def test_the_scoped_registry_throttle_still_applies(bank, api_as, monkeypatch):
    from rest_framework.throttling import ScopedRateThrottle

    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"registry": "2/hour", "persons": "60/hour"})
    api = api_as(bank.rm_gy1)
    uscc = bank.group_gy.core_enterprise.uscc
    assert [api.get(f"{API}/registry/{uscc}/").status_code for _ in range(3)] == [200, 200, 429]


def test_clearing_the_cache_leaves_the_broker_s_keys_alone(settings):
    client = caches["default"]._cache.get_client("x", write=True)
    client.set("_kombu.binding.h8-test", "kept")
    cache.set("h8-test", 1)
    try:
        cache.clear()
        assert cache.get("h8-test") is None
        assert client.get("_kombu.binding.h8-test") == b"kept"
    finally:
        client.delete("_kombu.binding.h8-test")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def private_redis(tmp_path):
    """A Redis server of our own, so the test may stop it (the shared one serves other tests)."""
    if not shutil.which("redis-server"):
        pytest.fail("redis-server is not installed (scripts/services installs it)")
    port = _free_port()
    proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", str(tmp_path)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    yield proc, f"redis://127.0.0.1:{port}/0"
    if proc.poll() is None:
        proc.kill()
        proc.wait()


def test_with_redis_stopped_the_api_still_answers(bank, settings, rates, client_as, private_redis):
    proc, url = private_redis
    settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": url}}
    rates(user="2/minute")
    api = client_as(bank.rm_gy1)
    assert [api.get(URL).status_code for _ in range(3)] == [200, 200, 429]  # enforced while Redis is up
    proc.kill()
    proc.wait()
    codes = [api.get(URL).status_code for _ in range(3)]
    assert codes == [200, 200, 200]  # not 500: counters are skipped (and logged) while Redis is down
