"""Shared pieces of the session, token, rate-limit, lock-out and audit tests."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from rest_framework.test import APIClient

from tests.conftest import PASSWORD

API = "/api/v1"


@pytest.fixture
def clock():
    """A stopped clock that tests move forward (`clock.shift(timedelta(...))`): no sleeping."""
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield traveller


def login(client, username, *, password=PASSWORD, address="127.0.0.1", **extra):
    """A login through the login page, from `address` (the peer, REMOTE_ADDR)."""
    return client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR=address, **extra)


def token_client(secret: str, **defaults) -> APIClient:
    api = APIClient(**defaults)
    api.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    return api


def new_token(user, *, days=30, name="script"):
    """A token made through the service, as the page and the API make them: (token, secret)."""
    from staff.tokens import token_create

    return token_create(user=user, name=name, days=days)


__all__ = ["API", "PASSWORD", "clock", "login", "new_token", "timedelta", "token_client"]
