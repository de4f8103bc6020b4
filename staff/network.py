"""The client's address: one definition for the login lock-out (django-axes), API tokens and the audit log.

Behind the compose file's proxy every request reaches the app from the proxy's address; the proxy alone
says who the client is (DESIGN.md section 6). Each trusted proxy appends the address it received the
request from to `X-Forwarded-For` (Caddy, the compose file's proxy, replaces whatever the client sent
with that one address). So with `TRUSTED_PROXY_COUNT = n` the client is the n-th address from the right:
anything further left was written by the client itself and is ignored.

- `TRUSTED_PROXY_COUNT = 0` (runserver, tests, a port reached directly): the header is ignored
  altogether, the peer address (`REMOTE_ADDR`) is the client.
- `TRUSTED_PROXY_IPS` (addresses or networks, optional): the header is read only on requests whose peer
  is one of them, so a request that reaches the web service without passing the proxy cannot choose its
  own address.
- A header with fewer addresses than trusted hops, or a malformed address, falls back to the peer.
  An address that is not an IP address at all (a Unix socket peer) is None.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries if entry.strip())


def _valid(address: str) -> str | None:
    """The address in canonical form, or None when it is not an IP address."""
    try:
        return str(ipaddress.ip_address(address.strip()))
    except ValueError:
        return None


def peer_is_trusted(peer: str | None) -> bool:
    trusted = _networks(tuple(getattr(settings, "TRUSTED_PROXY_IPS", ()) or ()))
    if not trusted:
        return True  # trusted by topology: only the proxy can reach the web service (docker-compose.yml)
    address = _valid(peer or "")
    if address is None:
        return False
    ip = ipaddress.ip_address(address)
    return any(ip.version == net.version and ip in net for net in trusted)


def resolve_client_ip(meta) -> str | None:
    """The client address from a request's META (see the module docstring)."""
    peer = _valid(str(meta.get("REMOTE_ADDR") or ""))
    hops = int(getattr(settings, "TRUSTED_PROXY_COUNT", 0) or 0)
    if hops <= 0 or not peer_is_trusted(peer):
        return peer
    forwarded = [part.strip() for part in str(meta.get("HTTP_X_FORWARDED_FOR", "")).split(",") if part.strip()]
    if len(forwarded) < hops:
        return peer  # no header from the proxy: not a request that came through it
    return _valid(forwarded[-hops]) or peer


def client_ip(request) -> str | None:
    """The client address of a Django or DRF request (cached on the request). Also django-axes'
    `AXES_CLIENT_IP_CALLABLE`, so the lock-out counts failures per real address."""
    request = getattr(request, "_request", request)  # a DRF Request wraps the HttpRequest
    if hasattr(request, "_crm_client_ip"):
        return request._crm_client_ip
    address = resolve_client_ip(request.META)
    try:
        request._crm_client_ip = address
    except AttributeError:  # pragma: no cover - exotic request objects
        pass
    return address


def user_agent(request) -> str:
    request = getattr(request, "_request", request)
    return str(request.META.get("HTTP_USER_AGENT", ""))[:300]
