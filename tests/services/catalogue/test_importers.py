"""The holdings and exchange-rate imports: good files, bad rows named by row and column, rejected files
change nothing, idempotent re-imports, updates of a holding's balance, head office only for rates."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from core.models import FxRate
from imports.services import import_file, import_records
from services.models import Holding
from tests.factories import EnterpriseFactory
from tests.services.catalogue.helpers import (
    FX_HEADER,
    csv_bytes,
    holding_record,
    holding_row,
    members,
    xlsx_bytes,
)

pytestmark = pytest.mark.django_db


def run(user, content, *, kind="holdings", name="holdings.csv", commit=True, source="core_banking"):
    return import_file(user=user, kind=kind, fh=io.BytesIO(content), filename=name, commit=commit,
                       source_system=source if kind == "holdings" else None)


def errors_of(result):
    return [(e.row, e.column, e.message) for e in result.errors.sorted()]


def test_good_file_creates_holdings_with_history(bank):
    core, sub = members(bank.group_gy)[:2]
    rows = [holding_row(core, "H-1", amount="5000000", balance="1,250,000.00"),
            holding_row(sub, "H-2", product="现金池", balance="125万", currency="美元"),
            holding_row(sub, "H-3", product="Legal consulting", balance="0", partner="partner-law-1",
                        since="2024年3月1日", until="2026-12-31")]
    result = run(bank.rm_gy1, csv_bytes(rows))
    assert result.ok, errors_of(result)
    assert (result.created, result.already_present) == (3, 0)
    h1 = Holding.objects.get(external_ref="H-1")
    assert (h1.product.code, h1.amount, h1.balance, h1.currency, h1.source_system) == (
        "settlement", Decimal("5000000.00"), Decimal("1250000.00"), "CNY", "core_banking")
    h2 = Holding.objects.get(external_ref="H-2")
    assert (h2.product.code, h2.balance, h2.currency, h2.amount) == ("cash_pool", Decimal("1250000.00"), "USD", None)
    h3 = Holding.objects.get(external_ref="H-3")
    assert (h3.partner.code, h3.since, h3.until, h3.balance) == (
        "partner-law-1", dt.date(2024, 3, 1), dt.date(2026, 12, 31), Decimal("0"))
    assert h1.history.count() == 1 and h1.history.first().history_user == bank.rm_gy1


def test_xlsx_file_imports_too(bank):
    core = members(bank.group_gy)[0]
    result = run(bank.rm_gy1, xlsx_bytes([holding_row(core, "X-1")]), name="holdings.xlsx")
    assert result.ok, errors_of(result)
    assert Holding.objects.filter(external_ref="X-1").exists()


def test_reimport_is_idempotent_and_a_new_balance_updates(bank):
    core = members(bank.group_gy)[0]
    content = csv_bytes([holding_row(core, "H-1", balance="100.00")])
    assert run(bank.rm_gy1, content).created == 1
    again = run(bank.rm_gy1, content)
    assert (again.ok, again.created, again.already_present, again.updated) == (True, 0, 1, 0)
    moved = run(bank.rm_gy1, csv_bytes([holding_row(core, "H-1", balance="250.00", amount="900",
                                                    until="2027-01-31")]))
    assert moved.ok, errors_of(moved)
    assert (moved.created, moved.already_present, moved.updated) == (0, 0, 1)
    h = Holding.objects.get(external_ref="H-1")
    assert (h.balance, h.amount, h.until) == (Decimal("250.00"), Decimal("900.00"), dt.date(2027, 1, 31))
    assert Holding.objects.count() == 1
    assert h.history.count() == 2  # the earlier balance is kept


def test_a_reference_with_another_identity_is_an_error_not_an_overwrite(bank):
    core, sub = members(bank.group_gy)[:2]
    run(bank.rm_gy1, csv_bytes([holding_row(core, "H-1")]))
    result = run(bank.rm_gy1, csv_bytes([holding_row(sub, "H-1"), holding_row(core, "H-2")]))
    assert not result.ok
    assert errors_of(result)[0][:2] == (2, "external_ref")
    assert Holding.objects.count() == 1 and Holding.objects.get().enterprise.uscc == core


def test_bad_rows_are_named_and_the_file_changes_nothing(bank):
    core = members(bank.group_gy)[0]
    rows = [
        holding_row(core, "OK-1"),
        holding_row(core, "B-2", balance="-5"),
        holding_row(core, "B-3", product="no_such_product"),
        holding_row("91520100MA6DKXXX00", "B-4"),
        holding_row(core, "B-5", currency="XYZ"),
        holding_row(core, "B-6", since="2025-02-30"),
        holding_row(core, "B-7", since="2025-05-01", until="2025-04-01"),
        holding_row(core, "B-8", partner="partner-law-1"),  # settlement is not value-added
        holding_row(core, "B-9", balance="1" + "0" * 30),
        holding_row(core, "B-10", amount="abc"),
        holding_row(core, "OK-1"),  # repeats row 2
    ]
    result = run(bank.rm_gy1, csv_bytes(rows))
    assert not result.ok
    found = {(row, col) for row, col, _m in errors_of(result)}
    assert found == {(3, "balance"), (4, "product"), (5, "enterprise"), (6, "currency"), (7, "since"),
                     (8, "until"), (9, "partner"), (10, "balance"), (11, "amount"), (12, "external_ref")}
    assert Holding.objects.count() == 0


def test_enterprise_outside_the_full_record_is_refused(bank):
    theirs = members(bank.group_zy)[0]
    result = run(bank.rm_gy1, csv_bytes([holding_row(theirs, "Z-1")]))
    # Answered like a code not on file: holdings are part of the full record (DESIGN.md section 4).
    assert errors_of(result) == [(2, "enterprise", f"No enterprise with the credit code {theirs} is on file; "
                                                   "create it first.")]
    assert not Holding.objects.exists()


def test_risk_officer_may_not_import(bank):
    core = members(bank.group_gy)[0]
    with pytest.raises(PermissionDenied):
        run(bank.risk_gy, csv_bytes([holding_row(core, "R-1")]))


def test_hostile_cells(bank):
    core = members(bank.group_gy)[0]
    records = [
        holding_record(core, "<script>alert(1)</script>", product="<b>settlement</b>"),
        holding_record(core, "N-1\x00", balance="1"),
        holding_record(core, "L" * 101),
        holding_record(core, "T-1", balance=12.5),
        holding_record(core, "T-2", source_system="nope"),
    ]
    result = import_records(user=bank.rm_gy1, kind="holdings", records=records)
    assert not result.ok
    columns = {(e.row, e.column) for e in result.errors.items}
    assert (0, "product") in columns and (1, "external_ref") in columns and (2, "external_ref") in columns
    assert (4, "source_system") in columns
    assert not Holding.objects.exists()


def test_preview_writes_nothing(bank):
    core = members(bank.group_gy)[0]
    result = run(bank.rm_gy1, csv_bytes([holding_row(core, "P-1")]), commit=False)
    assert result.ok and result.created == 1
    assert not Holding.objects.exists()


# --- exchange rates ------------------------------------------------------------------------------------


def fx_csv(rows):
    return csv_bytes(rows, header=FX_HEADER)


def test_fx_rates_import_update_and_idempotence(bank):
    content = fx_csv([["USD", "2025-03-03", "7.1712"], ["美元", "2025-03-04", "7.18"], ["EUR", "2025-03-03", "7.5"]])
    result = run(bank.hq, content, kind="fx_rates", name="fx.csv")
    assert result.ok, errors_of(result)
    assert result.created == 3
    assert FxRate.objects.get(currency="USD", date="2025-03-04").rate == Decimal("7.18")
    again = run(bank.hq, content, kind="fx_rates", name="fx.csv")
    assert (again.created, again.already_present, again.updated) == (0, 3, 0)
    changed = run(bank.hq, fx_csv([["USD", "2025-03-04", "7.2"]]), kind="fx_rates", name="fx.csv")
    assert (changed.created, changed.updated) == (0, 1)
    assert FxRate.objects.get(currency="USD", date="2025-03-04").rate == Decimal("7.2")
    assert FxRate.objects.count() == 3


def test_fx_rates_bad_rows(bank):
    rows = [["USD", "2025-03-03", "7.1"], ["CNY", "2025-03-03", "1"], ["USD", "2025-03-04", "-7"],
            ["USD", "2025-03-05", "0"], ["QQQ", "2025-03-05", "1"], ["USD", "2025-13-01", "7"],
            ["USD", "2025-03-06", "7.123456789"], ["USD", "2025-03-03", "7.1"]]
    result = run(bank.hq, fx_csv(rows), kind="fx_rates", name="fx.csv")
    assert {(r, c) for r, c, _m in errors_of(result)} == {
        (3, "currency"), (4, "rate"), (5, "rate"), (6, "currency"), (7, "date"), (8, "rate"), (9, "date")}
    assert not FxRate.objects.exists()


@pytest.mark.parametrize("who", ["rm_gy1", "head_gy", "risk_gy"])
def test_fx_rates_are_head_office_only(bank, who):
    with pytest.raises(PermissionDenied):
        run(getattr(bank, who), fx_csv([["USD", "2025-03-03", "7.1"]]), kind="fx_rates", name="fx.csv")
    assert not FxRate.objects.exists()


def test_templates_of_the_new_kinds_download(bank, client_as):
    client = client_as(bank.rm_gy1)
    page = client.get("/imports/")
    assert page.status_code == 200
    assert "holdings" in page.content.decode()
    for kind in ("holdings", "fx_rates"):
        for fmt in ("csv", "xlsx"):
            response = client.get("/imports/template/", {"kind": kind, "format": fmt})
            assert response.status_code == 200, (kind, fmt)
            assert len(response.content) > 50


def test_an_unrelated_enterprise_named_by_code_gets_the_unknown_message(bank):
    stranger = EnterpriseFactory()
    result = run(bank.rm_gy1, csv_bytes([holding_row(stranger.uscc, "S-1")]))
    assert [c for _r, c, _m in errors_of(result)] == ["enterprise"]


def test_fx_import_reconverts_the_flow_summary_in_the_same_transaction(bank):
    from chains.models import Flow, FlowSummary
    from chains.summary import rebuild
    from clients.models import Enterprise

    core, sub = (Enterprise.objects.get(uscc=c) for c in members(bank.group_gy)[:2])
    Flow.objects.create(payer=core, payee=sub, amount=Decimal("100.00"), currency="USD",
                        value_date=dt.date(2025, 3, 5), kind="payment", channel="this_bank",
                        source_system="core_banking", external_ref="F-1")
    Flow.objects.create(payer=core, payee=sub, amount=Decimal("10.00"), currency="USD",
                        value_date=dt.date(2025, 4, 2), kind="payment", channel="this_bank",
                        source_system="core_banking", external_ref="F-2")
    row = FlowSummary.objects.get(month=dt.date(2025, 3, 1))
    assert row.unconverted == 1
    result = run(bank.hq, fx_csv([["USD", "2025-03-04", "7.1"]]), kind="fx_rates", name="fx.csv")
    assert result.ok
    march, april = FlowSummary.objects.order_by("month")
    assert (march.amount_cny, march.unconverted) == (Decimal("710.00"), 0)
    assert (april.amount_cny, april.unconverted) == (Decimal("71.00"), 0)  # the latest earlier rate
    run(bank.hq, fx_csv([["USD", "2025-04-01", "7.3"]]), kind="fx_rates", name="fx.csv")
    april = FlowSummary.objects.get(month=dt.date(2025, 4, 1))
    assert april.amount_cny == Decimal("73.00")
    fields = [f.name for f in FlowSummary._meta.concrete_fields if f.name != "id"]
    incremental = sorted(FlowSummary.objects.values_list(*fields))
    rebuild()
    assert sorted(FlowSummary.objects.values_list(*fields)) == incremental


def test_a_holdings_import_queues_the_needs_of_its_enterprises(bank):
    from core.models import OutboxMessage
    from services.tasks import ENTERPRISES_TASK

    core = members(bank.group_gy)[0]
    content = csv_bytes([holding_row(core, "Q-1")])
    run(bank.rm_gy1, content)
    queued = OutboxMessage.objects.filter(task=ENTERPRISES_TASK)
    assert queued.count() == 1
    from clients.models import Enterprise

    assert queued.get().args[0] == [Enterprise.objects.get(uscc=core).pk]
    run(bank.rm_gy1, content)  # already present: nothing to refresh
    assert queued.count() == 1
    run(bank.rm_gy1, content, commit=False)
    assert queued.count() == 1


def test_fx_rates_from_an_xlsx_with_number_and_date_cells(bank):
    rows = [["USD", dt.date(2025, 3, 3), 7.1712], ["EUR", dt.date(2025, 3, 3), 7.55]]
    result = run(bank.hq, xlsx_bytes(rows, header=FX_HEADER), kind="fx_rates", name="fx.xlsx")
    assert result.ok, errors_of(result)
    assert FxRate.objects.get(currency="USD").rate == Decimal("7.1712")


def test_holdings_from_an_xlsx_with_number_and_date_cells(bank):
    core = members(bank.group_gy)[0]
    row = [core, "settlement", dt.date(2025, 1, 15), None, 5000000, 1250000.5, "CNY", None, "XN-1"]
    result = run(bank.rm_gy1, xlsx_bytes([row]), name="holdings.xlsx")
    assert result.ok, errors_of(result)
    h = Holding.objects.get()
    assert (h.balance, h.amount, h.since) == (Decimal("1250000.50"), Decimal("5000000.00"), dt.date(2025, 1, 15))
