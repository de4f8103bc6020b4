"""The login lock-out counts failures per username AND real client address behind the proxy, plus a much
higher limit per address. The address comes from the proxy's X-Forwarded-For only as far as it is trusted
(TRUSTED_PROXY_COUNT hops, optionally only from TRUSTED_PROXY_IPS): a client cannot choose it."""

import pytest
from django.test import Client

from audit.models import AuditEvent
from staff.network import resolve_client_ip
from tests.auth.conftest import login

PROXY = "172.30.0.2"  # the proxy container, the peer of every request behind it
HQ_DESK, ATTACKER = "10.1.1.10", "10.1.1.66"


def via_proxy(client, username, *, client_address, password="wrong", forwarded=None):
    """A login that came through the proxy: the peer is the proxy, the client in X-Forwarded-For."""
    return login(client, username, password=password, address=PROXY,
                 HTTP_X_FORWARDED_FOR=forwarded or client_address)


@pytest.fixture
def behind_proxy(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.TRUSTED_PROXY_IPS = []
    return settings


@pytest.mark.parametrize(("count", "trusted", "peer", "header", "expected"), [
    (0, [], "10.0.0.5", "1.2.3.4", "10.0.0.5"),  # no proxy configured: the header is ignored
    (1, [], PROXY, "1.2.3.4", "1.2.3.4"),  # one proxy: it says who the client is
    (1, [], PROXY, "6.6.6.6, 1.2.3.4", "1.2.3.4"),  # what the client wrote itself (left) is ignored
    (1, [], PROXY, "", PROXY),  # no header: not a request that came through the proxy
    (1, [], PROXY, "not-an-address", PROXY),
    (2, [], PROXY, "6.6.6.6, 1.2.3.4, 10.9.9.9", "1.2.3.4"),  # two hops: the second from the right
    (1, ["172.30.0.0/16"], PROXY, "1.2.3.4", "1.2.3.4"),  # the peer is a trusted proxy
    (1, ["172.30.0.0/16"], "203.0.113.5", "1.2.3.4", "203.0.113.5"),  # the peer is not: header ignored
    (1, [], "2001:db8::1", "2001:DB8::0:7", "2001:db8::7"),
    (0, [], "/run/gunicorn.sock", "", None),  # a peer that is not an address: none
])
def test_the_client_address(settings, count, trusted, peer, header, expected):
    settings.TRUSTED_PROXY_COUNT = count
    settings.TRUSTED_PROXY_IPS = trusted
    meta = {"REMOTE_ADDR": peer}
    if header:
        meta["HTTP_X_FORWARDED_FOR"] = header
    assert resolve_client_ip(meta) == expected


def test_failing_as_hq_from_another_desk_does_not_lock_hq_out_of_theirs(bank, behind_proxy, settings):
    attacker = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        via_proxy(attacker, "hq", client_address=ATTACKER)
    # The attacker's address is locked for hq, even with the right password...
    locked = via_proxy(attacker, "hq", client_address=ATTACKER, password="pw-test-2026")
    assert locked.status_code == 429
    # ...hq at their own desk, behind the same proxy, is not.
    desk = via_proxy(Client(), "hq", client_address=HQ_DESK, password="pw-test-2026")
    assert desk.status_code == 302 and desk.wsgi_request.user.username == "hq"
    failures = AuditEvent.objects.filter(event="login_failed", username="hq")
    assert set(failures.values_list("ip", flat=True)) == {ATTACKER}
    assert AuditEvent.objects.get(event="lockout").ip == ATTACKER


def test_a_spoofed_header_sent_through_the_proxy_picks_no_victim(bank, behind_proxy, settings):
    """The client writes hq's desk into its own X-Forwarded-For; the proxy appends the real address."""
    attacker = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        via_proxy(attacker, "hq", client_address=ATTACKER, forwarded=f"{HQ_DESK}, {ATTACKER}")
    assert via_proxy(Client(), "hq", client_address=HQ_DESK, password="pw-test-2026").status_code == 302
    assert via_proxy(attacker, "hq", client_address=ATTACKER, password="pw-test-2026").status_code == 429


def test_without_the_proxy_the_header_is_not_believed(bank, settings):
    """TRUSTED_PROXY_COUNT = 0 (no proxy in front): a header naming hq's desk changes nothing."""
    settings.TRUSTED_PROXY_COUNT = 0
    attacker = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(attacker, "hq", password="wrong", address=ATTACKER, HTTP_X_FORWARDED_FOR=HQ_DESK)
    assert login(Client(), "hq", address=HQ_DESK).status_code == 302
    assert login(attacker, "hq", address=ATTACKER).status_code == 429
    assert set(AuditEvent.objects.filter(event="login_failed").values_list("ip", flat=True)) == {ATTACKER}


def test_a_peer_that_is_not_a_trusted_proxy_cannot_choose_its_address(bank, behind_proxy):
    """The web service reached directly, past the proxy, with a forged header (TRUSTED_PROXY_IPS set)."""
    behind_proxy.TRUSTED_PROXY_IPS = ["172.30.0.0/16"]
    direct = Client()
    for _ in range(behind_proxy.AXES_FAILURE_LIMIT):
        login(direct, "hq", password="wrong", address=ATTACKER, HTTP_X_FORWARDED_FOR=HQ_DESK)
    assert via_proxy(Client(), "hq", client_address=HQ_DESK, password="pw-test-2026").status_code == 302


def test_behind_the_proxy_users_do_not_share_one_address(bank, behind_proxy, settings):
    """rm_gy1's failures at their desk leave rm_gy2's login at another desk alone, and vice versa."""
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        via_proxy(client, "rm_gy1", client_address="10.2.0.1")
    assert via_proxy(Client(), "rm_gy1", client_address="10.2.0.2", password="pw-test-2026").status_code == 302


def test_an_address_failing_as_many_users_is_locked_at_the_higher_limit(bank, behind_proxy, settings):
    settings.AXES_ADDRESS_FAILURE_LIMIT = 12
    scanner = Client()
    for i in range(11):  # 11 usernames, never 5 failures for one: below both limits
        via_proxy(scanner, f"guess{i}", client_address=ATTACKER)
    assert via_proxy(Client(), "rm_gy1", client_address=ATTACKER, password="pw-test-2026").status_code == 302
    via_proxy(scanner, "guess11", client_address=ATTACKER)  # the 12th failure from this address
    refused = via_proxy(Client(), "rm_gy2", client_address=ATTACKER, password="pw-test-2026")
    assert refused.status_code == 429
    # Other addresses are not affected.
    assert via_proxy(Client(), "rm_gy2", client_address=HQ_DESK, password="pw-test-2026").status_code == 302


def test_the_default_address_limit_is_much_higher_than_the_pair_limit(settings):
    assert settings.AXES_ADDRESS_FAILURE_LIMIT >= 10 * settings.AXES_FAILURE_LIMIT
    assert settings.AXES_CLIENT_IP_CALLABLE == "staff.network.client_ip"
    assert settings.AXES_HANDLER == "staff.lockout.LockoutHandler"
