"""Every list endpoint of the clients API costs the same number of queries for 3 rows and for 30."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clients.models import (
    AccountBalance,
    BankAccount,
    ControlLink,
    FinancialStatement,
    Interaction,
    KeyPerson,
)
from tests.conftest import make_group
from tests.factories import EnterpriseFactory, PersonFactory

API = "/api/v1"


def add_rows(bank, endpoint: str, n: int) -> None:
    """Add n rows behind one endpoint, each with its related objects (so N+1 would show)."""
    for i in range(n):
        enterprise = EnterpriseFactory(branch=bank.gy1, rm=bank.rm_gy1)
        if endpoint == "enterprises":
            continue
        if endpoint == "group-clients":
            make_group(
                name=f"查询集团{enterprise.pk}",
                branch=bank.gy1,
                lead_rm=bank.rm_gy1,
                members=1,
                team=[bank.rm_gy2],
            )
        elif endpoint == "control-links":
            ControlLink.objects.create(
                parent_enterprise=bank.group_gy.core_enterprise, child=enterprise, share_pct=Decimal("10")
            )
        elif endpoint == "financial-statements":
            FinancialStatement.objects.create(
                enterprise=enterprise,
                period_end=dt.date(2025, 12, 31),
                period_type="annual",
                revenue=Decimal("1"),
            )
        elif endpoint == "accounts":
            account = BankAccount.objects.create(
                enterprise=enterprise, account_no=f"Q{enterprise.pk}", kind="demand"
            )
            AccountBalance.objects.create(account=account, date=dt.date(2026, 1, 1), balance=Decimal("5"))
        elif endpoint == "persons":
            KeyPerson.objects.create(enterprise=enterprise, person=PersonFactory(), role="chairman")
        elif endpoint == "interactions":
            Interaction.objects.create(
                enterprise=enterprise,
                staff=bank.rm_gy1,
                kind="visit",
                occurred_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
                subject=f"访{i}",
            )


def count_queries(api, url) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as ctx:
        response = api.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), response.json()["count"]


@pytest.mark.parametrize(
    "endpoint",
    [
        "enterprises",
        "group-clients",
        "control-links",
        "financial-statements",
        "accounts",
        "persons",
        "interactions",
    ],
)
def test_list_query_count_does_not_grow_with_rows(bank, api_as, endpoint):
    api = api_as(bank.hq)
    url = f"{API}/{endpoint}/"
    add_rows(bank, endpoint, 3)
    small, small_count = count_queries(api, url)
    add_rows(bank, endpoint, 27)
    large, large_count = count_queries(api, url)
    assert large_count >= small_count + 27
    assert large == small, f"{endpoint}: {small} queries for {small_count} rows, {large} for {large_count}"
    assert small <= 6


def test_account_balances_query_count_does_not_grow(bank, api_as):
    account = BankAccount.objects.create(
        enterprise=bank.group_gy.core_enterprise, account_no="B1", kind="loan"
    )
    api = api_as(bank.rm_gy1)
    url = f"{API}/accounts/{account.pk}/balances/"
    for day in range(1, 4):
        AccountBalance.objects.create(account=account, date=dt.date(2026, 1, day), balance=Decimal(day))
    small, _ = count_queries(api, url)
    for day in range(4, 31):
        AccountBalance.objects.create(account=account, date=dt.date(2026, 1, day), balance=Decimal(day))
    large, count = count_queries(api, url)
    assert count == 30 and large == small


def test_group_detail_query_count_does_not_grow_with_members(bank, api_as):
    api = api_as(bank.rm_gy1)
    small = make_group(name="小集团", branch=bank.gy1, lead_rm=bank.rm_gy1, members=3)
    big = make_group(name="大集团", branch=bank.gy1, lead_rm=bank.rm_gy1, members=30)
    with CaptureQueriesContext(connection) as few:
        assert api.get(f"{API}/group-clients/{small.pk}/").status_code == 200
    with CaptureQueriesContext(connection) as many:
        body = api.get(f"{API}/group-clients/{big.pk}/").json()
    assert len(body["members"]) == 31
    assert len(many.captured_queries) == len(few.captured_queries)
