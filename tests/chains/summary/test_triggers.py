"""The flow summary kept by triggers equals a rebuild from the flows, whatever wrote the flows: the
file import (CSV COPY path, XLSX pandas path), the API push, the ORM (create, bulk_create), updates of
amount / currency / date, deletes; with foreign currencies with and without rates, and rates that arrive
later (reconvert)."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection

from chains import summary
from chains.models import Flow, FlowSummary
from core.models import FxRate
from imports.services import import_file
from tests.chains.summary.conftest import assert_matches_rebuild, summary_rows
from tests.imports.helpers import csv_bytes, flow_row, members, xlsx_bytes


@pytest.fixture
def codes(bank):
    return members(bank.group_gy)


def run(content, *, name="flows.csv"):
    result = import_file(user=None, kind="flows", fh=io.BytesIO(content), filename=name, commit=True,
                         source_system="erp")
    assert not result.errors.items, result.errors.sorted()
    return result


def test_triggers_are_installed():
    with connection.cursor() as cursor:
        cursor.execute("SELECT tgname FROM pg_trigger WHERE tgrelid = 'chains_flow'::regclass AND NOT tgisinternal "
                       "ORDER BY tgname")
        assert [r[0] for r in cursor.fetchall()] == [
            "chains_flowsummary_del", "chains_flowsummary_ins", "chains_flowsummary_trunc", "chains_flowsummary_upd"]


def test_every_writer_keeps_the_summary_equal_to_a_rebuild(bank, codes, api_as):
    a, b, c = codes[:3]
    FxRate.objects.create(currency="USD", date=dt.date(2025, 3, 1), rate=Decimal("7.1000"), source="test")
    # CSV through COPY: CNY and USD (with a rate) and EUR (without), two months, same keys repeated.
    run(csv_bytes([
        flow_row(a, b, "C1", amount="100.00", value_date="2025-03-04"),
        flow_row(a, b, "C2", amount="50.50", value_date="2025-03-20"),
        flow_row(a, b, "C3", amount="10.00", currency="USD", value_date="2025-03-05"),
        flow_row(a, b, "C4", amount="3.00", currency="EUR", value_date="2025-03-06"),
        flow_row(b, a, "C5", amount="7.00", value_date="2025-04-01", kind="invoice", channel="other_bank"),
    ]))
    rows = assert_matches_rebuild()
    usd = FlowSummary.objects.get(payer__uscc=a, currency="USD")
    assert (usd.count, usd.amount, usd.amount_cny, usd.unconverted) == (1, Decimal("10.00"), Decimal("71.00"), 0)
    eur = FlowSummary.objects.get(payer__uscc=a, currency="EUR")
    assert (eur.count, eur.amount_cny, eur.unconverted) == (1, Decimal("0"), 1)
    cny = FlowSummary.objects.get(payer__uscc=a, currency="CNY", month=dt.date(2025, 3, 1))
    assert (cny.count, cny.amount, cny.amount_cny, cny.first_date, cny.last_date) == (
        2, Decimal("150.50"), Decimal("150.50"), dt.date(2025, 3, 4), dt.date(2025, 3, 20))
    assert cny.day_sum == (dt.date(2025, 3, 4) - summary.EPOCH).days + (dt.date(2025, 3, 20) - summary.EPOCH).days
    assert len(rows) == 4

    # Importing the same file again changes nothing.
    run(csv_bytes([flow_row(a, b, "C1", amount="100.00", value_date="2025-03-04")]))
    assert summary_rows() == rows

    # XLSX through the pandas path, into existing and new keys.
    run(xlsx_bytes([
        flow_row(a, b, "X1", amount="1.25", value_date="2025-03-31"),
        flow_row(a, c, "X2", amount="2.00", currency="USD", value_date="2025-02-27"),  # before the first rate
    ]), name="flows.xlsx")
    assert_matches_rebuild()
    early = FlowSummary.objects.get(payee__uscc=c)
    assert (early.amount_cny, early.unconverted) == (Decimal("0"), 1)

    # The API push (same importer).
    body = [{"payer": c, "payee": a, "amount": "99.99", "currency": "USD", "value_date": "2025-05-02",
             "kind": "payment", "channel": "this_bank", "source_system": "core_banking", "external_ref": "API1"}]
    assert api_as(bank.hq).post("/api/v1/flows/", body, format="json").status_code == 201
    assert_matches_rebuild()

    # The ORM: create and bulk_create (the factories' and the demo seed's way in).
    pa, pb = Flow.objects.get(external_ref="C1").payer, Flow.objects.get(external_ref="C1").payee
    Flow.objects.create(payer=pa, payee=pb, amount=Decimal("5.00"), currency="CNY", value_date=dt.date(2025, 3, 9),
                        kind="payment", channel="this_bank", source_system="test", external_ref="O1")
    Flow.objects.bulk_create([
        Flow(payer=pb, payee=pa, amount=Decimal(i + 1), currency="JPY", value_date=dt.date(2025, 6, i + 1),
             kind="order", channel="this_bank", source_system="test", external_ref=f"B{i}")
        for i in range(20)
    ])
    assert_matches_rebuild()

    # Updates: amount, currency, date (moves the flow to another key), and a bulk update.
    Flow.objects.filter(external_ref="C2").update(amount=Decimal("60.00"))
    Flow.objects.filter(external_ref="C4").update(currency="USD")
    Flow.objects.filter(external_ref="C1").update(value_date=dt.date(2025, 7, 1))
    Flow.objects.filter(currency="JPY").update(channel="other_bank")
    assert_matches_rebuild()
    cny = FlowSummary.objects.get(payer__uscc=a, payee__uscc=b, currency="CNY", month=dt.date(2025, 3, 1))
    assert cny.amount == Decimal("60.00") + Decimal("1.25") + Decimal("5.00")
    assert not FlowSummary.objects.filter(currency="EUR").exists()

    # Deletes: one flow, then a whole key (its row goes away), then everything.
    Flow.objects.filter(external_ref="C2").delete()
    assert_matches_rebuild()
    Flow.objects.filter(currency="JPY").delete()
    assert not FlowSummary.objects.filter(currency="JPY").exists()
    assert_matches_rebuild()
    Flow.objects.all().delete()
    assert FlowSummary.objects.count() == 0


def test_rates_arriving_later_are_applied_by_reconvert(bank, codes):
    a, b = codes[:2]
    run(csv_bytes([
        flow_row(a, b, "R1", amount="10.00", currency="USD", value_date="2025-03-05"),
        flow_row(a, b, "R2", amount="20.00", currency="USD", value_date="2025-04-15"),
        flow_row(a, b, "R3", amount="5.00", currency="EUR", value_date="2025-04-15"),
        flow_row(a, b, "R4", amount="1.00", value_date="2025-04-15"),
    ]))
    assert sorted(FlowSummary.objects.filter(currency="USD").values_list("unconverted", flat=True)) == [1, 1]

    # A rate from 2025-04-01 arrives: only April's USD row converts; March's still has no rate.
    FxRate.objects.create(currency="USD", date=dt.date(2025, 4, 1), rate=Decimal("7.2000"), source="test")
    assert summary.reconvert(["usd", "CNY"], dt.date(2025, 4, 1)) == 1
    april = FlowSummary.objects.get(currency="USD", month=dt.date(2025, 4, 1))
    assert (april.amount_cny, april.unconverted) == (Decimal("144.00"), 0)
    assert FlowSummary.objects.get(currency="USD", month=dt.date(2025, 3, 1)).unconverted == 1
    assert_matches_rebuild()

    # An earlier rate: reconvert from its date touches March (and April, unchanged, is not counted).
    FxRate.objects.create(currency="USD", date=dt.date(2025, 3, 1), rate=Decimal("7.0000"), source="test")
    assert summary.reconvert(["USD"], dt.date(2025, 3, 1)) == 1
    assert FlowSummary.objects.get(currency="USD", month=dt.date(2025, 3, 1)).amount_cny == Decimal("70.00")
    assert_matches_rebuild()
    assert summary.reconvert([], dt.date(2025, 3, 1)) == 0
    assert summary.reconvert(["EUR"], dt.date(2025, 1, 1)) == 0  # no rate yet: nothing changes


def test_rebuild_command_prints_rows_and_time(bank, codes):
    a, b = codes[:2]
    run(csv_bytes([flow_row(a, b, "M1"), flow_row(b, a, "M2")]))
    FlowSummary.objects.all().delete()
    out = io.StringIO()
    call_command("flows_summary_rebuild", stdout=out)
    assert "2 rows" in out.getvalue()
    assert FlowSummary.objects.count() == 2
    call_command("flows_summary_rebuild", "--triggers", stdout=out)
    assert "triggers reinstalled" in out.getvalue()
    test_triggers_are_installed()
    run(csv_bytes([flow_row(a, b, "M3")]))
    assert_matches_rebuild()


@pytest.mark.django_db(transaction=True)
def test_parallel_imports_on_the_same_keys_both_land(bank, codes):
    """Two imports in two threads (two connections, two transactions) add to the same summary rows;
    a third thread deletes flows of those keys meanwhile. The table ends equal to a rebuild."""
    import threading

    from django.db import connections

    a, b = codes[:2]
    run(csv_bytes([flow_row(a, b, f"D{i}", amount="3.00", value_date=f"2025-03-{i % 28 + 1:02d}")
                   for i in range(50)]))
    barrier = threading.Barrier(3)
    failures = []

    def importer(prefix):
        try:
            barrier.wait()
            rows = [flow_row(a, b, f"{prefix}{i}", amount=f"{i + 1}.00", value_date=f"2025-03-{i % 28 + 1:02d}",
                             channel="this_bank" if i % 2 else "other_bank") for i in range(300)]
            run(csv_bytes(rows))
        except Exception as exc:  # noqa: BLE001 - reported below
            failures.append(exc)
        finally:
            connections.close_all()

    def deleter():
        try:
            barrier.wait()
            Flow.objects.filter(external_ref__startswith="D", external_ref__lt="D3").delete()
        except Exception as exc:  # noqa: BLE001
            failures.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=importer, args=(p,)) for p in ("P", "Q")] + [threading.Thread(target=deleter)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not failures
    # D0, D1, D2, D10..D19 and D20..D29 sort below "D3": 23 flows deleted.
    assert Flow.objects.count() == 50 - 23 + 600
    rows = assert_matches_rebuild()
    assert sum(r[6] for r in rows) == 627
