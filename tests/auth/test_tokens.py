"""API tokens: stored hashed, expire, rotate, revoked by their owner or head office (nobody else),
managed on /account/tokens/ and over /api/v1/tokens/; deactivation and the login lock-out stop them."""

from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.db import connection

from audit.models import AuditEvent
from staff.models import ApiToken
from tests.auth.conftest import API, login, new_token, token_client

ENTERPRISES = f"{API}/enterprises/"


def test_the_secret_is_not_stored_only_its_digest(bank, client_as):
    response = client_as(bank.rm_gy1).post(f"{API}/tokens/", {"name": "ERP", "expires_in_days": 30},
                                           content_type="application/json")
    assert response.status_code == 201, response.content
    body = response.json()
    secret = body["token"]
    assert len(secret) == 64 and body["key"] == secret[:15] and body["name"] == "ERP"
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM staff_apitoken")
        stored = repr(cursor.fetchall())
    assert secret not in stored and secret[15:] not in stored  # only the key (its first characters) is kept
    token = ApiToken.objects.get()
    from knox.crypto import hash_token

    assert token.digest == hash_token(secret)
    assert token_client(secret).get(ENTERPRISES).status_code == 200
    assert token_client(secret[:-1] + ("0" if secret[-1] != "0" else "1")).get(ENTERPRISES).status_code == 401
    # The secret is in the creation answer only.
    assert "token" not in client_as(bank.rm_gy1).get(f"{API}/tokens/{token.token_key}/").json()


@pytest.mark.django_db
def test_drf_plain_text_tokens_are_gone():
    assert "rest_framework.authtoken" not in django_settings.INSTALLED_APPS
    assert "authtoken_token" not in connection.introspection.table_names()


def test_a_token_expires(bank, clock):
    _token, secret = new_token(bank.rm_gy1, days=7)
    api = token_client(secret)
    clock.shift(timedelta(days=7) - timedelta(seconds=1))
    assert api.get(ENTERPRISES).status_code == 200
    clock.shift(timedelta(seconds=1))
    response = api.get(ENTERPRISES)
    assert response.status_code == 401
    assert response.json() == {"detail": "This token has expired: rotate it or create a new one."}


def test_every_token_has_an_expiry_within_the_maximum(bank, client_as, settings):
    settings.API_TOKEN_MAX_DAYS = 90
    client = client_as(bank.rm_gy1)
    for days in (0, 91, "soon"):
        response = client.post(f"{API}/tokens/", {"name": "x", "expires_in_days": days},
                               content_type="application/json")
        assert response.status_code == 400 and "expires_in_days" in response.json(), (days, response.content)
    blank = client.post(f"{API}/tokens/", {"name": "  "}, content_type="application/json")
    assert blank.status_code == 400 and "name" in blank.json()
    default = client.post(f"{API}/tokens/", {"name": "default"}, content_type="application/json").json()
    assert ApiToken.objects.get(token_key=default["key"]).expiry is not None
    assert ApiToken.objects.count() == 1


def test_a_user_holds_at_most_the_token_limit(bank, client_as, settings):
    settings.API_TOKEN_LIMIT_PER_USER = 2
    client = client_as(bank.rm_gy1)
    codes = [client.post(f"{API}/tokens/", {"name": f"t{i}"}, content_type="application/json").status_code
             for i in range(3)]
    assert codes == [201, 201, 400]
    assert ApiToken.objects.filter(user=bank.rm_gy1).count() == 2


def test_rotation_gives_a_new_secret_and_stops_the_old_one(bank, client_as):
    token, old_secret = new_token(bank.rm_gy1, days=30, name="ERP")
    response = client_as(bank.rm_gy1).post(f"{API}/tokens/{token.token_key}/rotate/")
    assert response.status_code == 201
    new = response.json()
    assert new["name"] == "ERP" and new["token"] != old_secret and new["key"] != token.token_key
    assert token_client(old_secret).get(ENTERPRISES).status_code == 401
    assert token_client(new["token"]).get(ENTERPRISES).status_code == 200
    rotated = ApiToken.objects.get(token_key=new["key"])
    assert timedelta(days=29) < rotated.expiry - rotated.created <= timedelta(days=30)
    event = AuditEvent.objects.get(event="token_rotated")
    assert event.detail["replaces"] == token.token_key and event.detail["token"] == new["key"]


def test_only_the_owner_rotates_even_head_office(bank, client_as):
    token, secret = new_token(bank.rm_gy1)
    assert client_as(bank.hq).post(f"{API}/tokens/{token.token_key}/rotate/").status_code == 403
    assert client_as(bank.rm_gy2).post(f"{API}/tokens/{token.token_key}/rotate/").status_code == 404
    assert token_client(secret).get(ENTERPRISES).status_code == 200


def test_the_owner_revokes_over_the_api(bank):
    token, secret = new_token(bank.rm_gy1)
    api = token_client(secret)
    assert api.delete(f"{API}/tokens/{token.token_key}/").status_code == 204  # a token may revoke itself
    assert api.get(ENTERPRISES).status_code == 401
    assert not ApiToken.objects.exists()
    event = AuditEvent.objects.get(event="token_revoked")
    assert (event.username, event.detail["owner"], event.detail["token"]) == ("rm_gy1", "rm_gy1", token.token_key)


def test_another_user_cannot_see_rotate_or_revoke_a_token(bank, client_as, api_as):
    token, secret = new_token(bank.rm_gy1)
    for other in (bank.rm_gy2, bank.head_gy, bank.risk_gy):
        api = api_as(other)
        assert token.token_key not in str(api.get(f"{API}/tokens/").json())
        assert api.get(f"{API}/tokens/{token.token_key}/").status_code == 404
        assert api.delete(f"{API}/tokens/{token.token_key}/").status_code == 404
        page = client_as(other).post("/account/tokens/revoke/", {"key": token.token_key})
        assert page.status_code == 404
    assert ApiToken.objects.filter(pk=token.pk).exists()
    assert token_client(secret).get(ENTERPRISES).status_code == 200
    assert not AuditEvent.objects.filter(event="token_revoked").exists()


def test_head_office_lists_and_revokes_anyones_token(bank, api_as, client_as):
    token, secret = new_token(bank.rm_gy1, name="ERP")
    other, other_secret = new_token(bank.rm_zy1, name="DW")
    hq = api_as(bank.hq)
    listed = hq.get(f"{API}/tokens/", {"user": "rm_gy1"}).json()
    assert [(t["key"], t["user"], t["name"]) for t in listed["results"]] == [(token.token_key, "rm_gy1", "ERP")]
    assert "token" not in listed["results"][0]
    assert hq.delete(f"{API}/tokens/{token.token_key}/").status_code == 204
    assert token_client(secret).get(ENTERPRISES).status_code == 401
    # On the page too.
    page = client_as(bank.hq)
    body = page.get("/account/tokens/").content.decode()
    assert other.token_key in body and "DW" in body
    assert page.post("/account/tokens/revoke/", {"key": other.token_key}).status_code == 302
    assert token_client(other_secret).get(ENTERPRISES).status_code == 401
    revoked = AuditEvent.objects.filter(event="token_revoked").order_by("pk")
    assert [(e.username, e.detail["owner"]) for e in revoked] == [("hq", "rm_gy1"), ("hq", "rm_zy1")]


def test_the_page_lists_creates_shows_the_secret_once_rotates_and_revokes(bank, client_as):
    client = client_as(bank.rm_gy1)
    page = client.get("/account/tokens/")
    assert page.status_code == 200 and "No tokens." in page.content.decode()
    created = client.post("/account/tokens/", {"name": "Data warehouse", "expires_in_days": "30"})
    assert created.status_code == 200
    secret = created.context["secret"]
    token = ApiToken.objects.get(name="Data warehouse")
    assert secret in created.content.decode() and token.token_key == secret[:15]
    listing = client.get("/account/tokens/").content.decode()
    assert token.token_key in listing and secret not in listing
    assert token.seen_addresses == ["127.0.0.1"]  # where it was created: uses from elsewhere are audited
    rotated = client.post("/account/tokens/rotate/", {"key": token.token_key})
    assert rotated.status_code == 200
    new_secret = rotated.context["secret"]
    assert new_secret != secret and new_secret in rotated.content.decode()
    assert token_client(secret).get(ENTERPRISES).status_code == 401
    new_key = new_secret[:15]
    assert client.post("/account/tokens/revoke/", {"key": new_key}).status_code == 302
    assert token_client(new_secret).get(ENTERPRISES).status_code == 401
    assert list(AuditEvent.objects.filter(event__startswith="token").order_by("pk")
                .values_list("event", flat=True)) == ["token_created", "token_rotated", "token_revoked"]


def test_the_page_refuses_a_bad_lifetime_and_stores_nothing(bank, client_as):
    client = client_as(bank.rm_gy1)
    for data in ({"name": "x", "expires_in_days": "9999"}, {"name": "", "expires_in_days": "30"}):
        response = client.post("/account/tokens/", data)
        assert response.status_code == 400 and response.context["form"].errors
    assert not ApiToken.objects.exists() and not AuditEvent.objects.filter(event="token_created").exists()


def test_deactivating_a_user_revokes_their_tokens(bank):
    _t1, secret1 = new_token(bank.rm_gy1, name="a")
    _t2, _secret2 = new_token(bank.rm_gy1, name="b")
    kept, kept_secret = new_token(bank.rm_gy2, name="c")
    bank.rm_gy1.is_active = False
    bank.rm_gy1.save()
    assert list(ApiToken.objects.values_list("token_key", flat=True)) == [kept.token_key]
    assert token_client(secret1).get(ENTERPRISES).status_code == 401
    assert token_client(kept_secret).get(ENTERPRISES).status_code == 200
    revoked = AuditEvent.objects.filter(event="token_revoked")
    assert sorted(e.detail["name"] for e in revoked) == ["a", "b"]
    assert {e.detail["reason"] for e in revoked} == {"deactivated"}


def test_a_locked_out_user_s_tokens_are_refused_from_that_address_while_locked(bank, clock, settings):
    from django.test import Client

    _token, secret = new_token(bank.rm_gy1)
    desk, elsewhere = "10.20.0.7", "10.20.0.8"
    assert token_client(secret, REMOTE_ADDR=desk).get(ENTERPRISES).status_code == 200
    attacker = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(attacker, "rm_gy1", password="wrong", address=desk)
    locked = token_client(secret, REMOTE_ADDR=desk).get(ENTERPRISES)
    assert locked.status_code == 401
    assert "Too many failed logins" in locked.json()["detail"]
    # The pair (user, address) is locked, not the user everywhere: nobody can stop hq's systems from
    # their own desk by failing as hq.
    assert token_client(secret, REMOTE_ADDR=elsewhere).get(ENTERPRISES).status_code == 200
    clock.shift(timedelta(minutes=16))  # the cool-off (15 minutes) is over
    assert token_client(secret, REMOTE_ADDR=desk).get(ENTERPRISES).status_code == 200


def test_a_use_from_a_new_address_is_audited_once(bank):
    token, secret = new_token(bank.rm_gy1)  # made without a request: no address known yet
    token_client(secret, REMOTE_ADDR="10.30.0.1").get(ENTERPRISES)
    token_client(secret, REMOTE_ADDR="10.30.0.1").get(ENTERPRISES)
    token_client(secret, REMOTE_ADDR="10.30.0.2").get(ENTERPRISES)
    events = AuditEvent.objects.filter(event="token_new_address").order_by("pk")
    assert [(e.ip, e.detail["address"], e.detail["token"]) for e in events] == [
        ("10.30.0.1", "10.30.0.1", token.token_key), ("10.30.0.2", "10.30.0.2", token.token_key)]
    token.refresh_from_db()
    assert token.last_used_ip == "10.30.0.2" and token.last_used_at is not None
    assert token.seen_addresses == ["10.30.0.1", "10.30.0.2"]


def test_a_token_costs_one_query_and_writes_its_last_use_once_a_minute(bank, clock, django_assert_num_queries):
    token, secret = new_token(bank.rm_gy1)
    api = token_client(secret)
    api.get(f"{API}/tokens/")  # first use: noted (and audited)
    with django_assert_num_queries(4):  # the token with its user and lock-out counts; scope; count; page
        api.get(f"{API}/tokens/")
    clock.shift(timedelta(seconds=61))
    with django_assert_num_queries(5):  # plus the last use, once a minute
        api.get(f"{API}/tokens/")
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_a_malformed_authorization_header_is_a_401_not_a_500(bank):
    from rest_framework.test import APIClient

    for header in ("Token", "Token a b", "Token \u00e9\u00e9", "Token " + "f" * 5000):
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=header)
        assert api.get(ENTERPRISES).status_code == 401, header


@pytest.mark.django_db
def test_old_drf_tokens_become_hashed_tokens_and_the_plain_text_table_goes(bank):
    """The migration (staff 0003) on a database that still has DRF's table."""
    import importlib

    from django.apps import apps

    migration = importlib.import_module("staff.migrations.0003_hash_drf_tokens")
    old_key = "0123456789abcdef0123456789abcdef01234567"
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, created timestamptz, "
                       "user_id integer)")
        cursor.execute("INSERT INTO authtoken_token VALUES (%s, now(), %s)", [old_key, bank.rm_gy1.pk])
    with connection.schema_editor() as editor:
        migration.hash_old_tokens(apps, editor)
    assert "authtoken_token" not in connection.introspection.table_names()
    token = ApiToken.objects.get()
    assert token.token_key == old_key[:15] and old_key not in token.digest and token.expiry is not None
    assert token_client(old_key).get(ENTERPRISES).status_code == 200


def test_the_command_prints_a_working_secret_once(bank, capsys):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    call_command("create_api_token", "rm_gy1", "--name", "ERP", "--days", "30")
    secret = capsys.readouterr().out.strip()
    token = ApiToken.objects.get()
    assert token.name == "ERP" and token.token_key == secret[:15] and secret not in token.digest
    assert token_client(secret).get(ENTERPRISES).status_code == 200
    with pytest.raises(CommandError, match="No active user"):
        call_command("create_api_token", "nobody")
    with pytest.raises(CommandError, match="1 to"):
        call_command("create_api_token", "rm_gy1", "--days", "0")


def test_issue_token_gives_a_working_secret(bank):
    from staff.tokens import issue_token

    secret = issue_token(user=bank.hq, name="load bench")
    assert token_client(secret).get(ENTERPRISES).status_code == 200
    assert ApiToken.objects.get().name == "load bench"


def test_a_token_name_must_be_text_as_documented(bank, api_as):
    """Found by the long fuzzing run: a JSON number as the name was stored as its text."""
    from staff.models import ApiToken

    api = api_as(bank.rm_gy1)
    before = ApiToken.objects.count()
    response = api.post("/api/v1/tokens/", {"name": 0, "expires_in_days": 30}, format="json")
    assert response.status_code == 400 and "name" in response.json()
    assert ApiToken.objects.count() == before
