"""Data helpers of the flow, financial and past-due rules' tests (helper bravo): a fixed run date,
flows in bulk (the summary's triggers keep chains.FlowSummary in step), accounts, statements,
guarantees, facilities, and the engine's alerts of one rule."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

from circles.models import Guarantee
from clients.models import FinancialStatement
from risk.engine import refresh
from risk.models import Facility, RiskAlert
from services.models import Product
from tests.factories import EnterpriseFactory
from tests.services.needs.conftest import account, flow, flows  # noqa: F401 (re-exported)

AS_OF = dt.date(2026, 6, 15)
_refs = itertools.count(1)


def days_ago(n: int) -> dt.date:
    return AS_OF - dt.timedelta(days=n)


def stranger(**kwargs):
    """An enterprise in no group and no circle."""
    return EnterpriseFactory(**kwargs)


def members(group):
    """The group's members other than the core, by id."""
    return list(group.memberships.exclude(enterprise_id=group.core_enterprise_id)
                .order_by("enterprise_id").values_list("enterprise", flat=True))


def statement(enterprise, year, *, revenue=None, profit=None, assets=None, liabilities=None, current_assets=None,
              current_liabilities=None, period_type="annual", end=None):
    def money(v):
        return None if v is None else Decimal(str(v))

    return FinancialStatement.objects.create(
        enterprise=enterprise, period_end=end or dt.date(year, 12, 31), period_type=period_type,
        revenue=money(revenue), net_profit=money(profit), total_assets=money(assets),
        total_liabilities=money(liabilities), current_assets=money(current_assets),
        current_liabilities=money(current_liabilities))


def guarantee(guarantor, borrower, amount, *, currency="CNY", start=dt.date(2026, 1, 1), end=dt.date(2027, 12, 31)):
    return Guarantee.objects.create(guarantor=guarantor, borrower=borrower, amount=Decimal(str(amount)),
                                    currency=currency, start_date=start, end_date=end)


def product():
    """A catalogue product (the catalogue loaded again if a transactional test's flush emptied it)."""
    if not Product.objects.exists():
        import importlib

        from django.apps import apps as django_apps
        from django.db import connection

        importlib.import_module("services.migrations.0002_catalogue").load(django_apps, connection.schema_editor())
    return Product.objects.order_by("pk").first()


def facility(enterprise, limit, *, drawn=0, currency="CNY", past_due=0, since=None, status="active"):
    return Facility.objects.create(
        reference=f"FAC-T-{next(_refs):06d}", enterprise=enterprise,
        product=product(), limit_amount=Decimal(str(limit)),
        drawn=Decimal(str(drawn)), currency=currency, start_date=dt.date(2025, 1, 1), end_date=dt.date(2027, 12, 31),
        status=status, past_due_amount=Decimal(str(past_due)), past_due_since=since)


def run(ids=None):
    return refresh(ids, as_of=AS_OF)


def alerts(rule, **filters):
    """The rule's open alerts by enterprise id."""
    return {a.enterprise_id: a for a in RiskAlert.objects.filter(rule=rule, status__in=["open", "acknowledged"],
                                                                  **filters)}
