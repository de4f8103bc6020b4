"""Helpers of the needs engine's tests: a fixed run date, flows written in bulk (the summary's
triggers keep chains.FlowSummary in step), accounts with balances, holdings."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pytest

from chains.models import Flow
from circles.models import CircleMember
from clients.models import AccountBalance, BankAccount
from services.models import Holding, Product
from tests.factories import EnterpriseFactory

AS_OF = dt.date(2026, 6, 15)
_refs = itertools.count(1)
_accounts = itertools.count(1)


def flow(payer, payee, amount, day, *, kind="payment", channel="this_bank", currency="CNY"):
    return Flow(payer=payer, payee=payee, amount=Decimal(str(amount)), currency=currency, value_date=day, kind=kind,
                channel=channel, source_system="test", external_ref=f"NEEDS-{next(_refs):07d}")


def flows(rows):
    Flow.objects.bulk_create(rows)


def member_of_circle(group, role, **kwargs):
    enterprise = EnterpriseFactory(**kwargs)
    CircleMember.objects.create(group=group, enterprise=enterprise, role=role)
    return enterprise


def account(enterprise, balances: dict, *, kind="demand", currency="CNY"):
    acc = BankAccount.objects.create(enterprise=enterprise, account_no=f"NEEDS{next(_accounts):010d}", kind=kind,
                                     currency=currency)
    AccountBalance.objects.bulk_create(AccountBalance(account=acc, date=d, balance=Decimal(str(b)))
                                       for d, b in balances.items())
    return acc


def hold(enterprise, code, *, since=dt.date(2025, 1, 1), until=None):
    return Holding.objects.create(enterprise=enterprise, product=Product.objects.get(code=code), since=since,
                                  until=until, balance=Decimal("1"), source_system="test",
                                  external_ref=f"H-{next(_refs):07d}")


def month_day(year, month, day=10):
    return dt.date(year, month, day)


@pytest.fixture
def as_of():
    return AS_OF


@pytest.fixture
def catalogue(transactional_db):
    """The seed catalogue again: a transactional test's flush empties every table, the products loaded
    by the data migration too, and a later transactional test would find none."""
    from django.apps import apps as django_apps
    from django.db import connection

    from services.models import Product

    if not Product.objects.exists():
        import importlib

        importlib.import_module("services.migrations.0002_catalogue").load(django_apps, connection.schema_editor())
