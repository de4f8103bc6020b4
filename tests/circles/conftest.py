"""Helpers for circle tests: circle members and flows built in bulk."""

import datetime
import itertools
from decimal import Decimal

import pytest

from chains.models import Flow

_refs = itertools.count(1)


def payment(payer, payee, amount, *, days_ago=10, kind="payment"):
    """An unsaved flow `days_ago` days back (for bulk_create)."""
    return Flow(
        payer_id=payer.pk if hasattr(payer, "pk") else payer,
        payee_id=payee.pk if hasattr(payee, "pk") else payee,
        amount=Decimal(amount), currency="CNY", kind=kind, channel="this_bank",
        value_date=datetime.date.today() - datetime.timedelta(days=days_ago),
        source_system="test", external_ref=f"T{next(_refs)}",
    )


@pytest.fixture
def flows():
    def _make(rows):
        return Flow.objects.bulk_create(rows, batch_size=2000)

    return _make
