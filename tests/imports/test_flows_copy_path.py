"""The COPY path for CSV flow files on PostgreSQL: the same answers as the pandas path, row for row."""

import io

import pytest

from chains.models import Flow
from imports import reader
from imports.services import import_file
from tests.factories import uscc_for
from tests.imports.helpers import csv_bytes, flow_row, members, xlsx_bytes


def run(content, *, name="flows.csv", commit=True, **kw):
    return import_file(user=None, kind="flows", fh=io.BytesIO(content), filename=name, commit=commit,
                       source_system="erp", **kw)


def errors_of(result):
    return [(e.row, e.column, e.message) for e in result.errors.sorted()]


@pytest.fixture
def codes(bank):
    return members(bank.group_gy)


@pytest.fixture
def no_pandas_reader(monkeypatch):
    """Fail if the CSV goes through the pandas chunk reader instead of COPY."""
    def refuse(*args, **kwargs):
        raise AssertionError("the pandas CSV reader was used")
    monkeypatch.setattr(reader, "_csv_chunks", refuse)


ODD_ROWS = [
    # (amount, currency, value_date, kind, channel): accepted and normalised, or each refused alike
    ("1,234.50", "cny", "2025/03/04", "PAYMENT", "This_Bank"),
    ("7", "", "2025-3-4", "invoice", "other_bank"),
    ("0.01", "usd", "2025-03-04 00:00:00", "order", "this_bank"),
    ("5", "EUR", "2025-03-04T10:30", "shipment", "this_bank"),
    ("5", "CNY", "2024-02-29", "payment", "this_bank"),
    ("-5", "CNY", "2025-03-04", "payment", "this_bank"),
    ("0.00", "CNY", "2025-03-04", "payment", "this_bank"),
    ("", "CNY", "2025-03-04", "payment", "this_bank"),
    ("1.", "CNY", "2025-03-04", "payment", "this_bank"),
    ("+5", "CNY", "2025-03-04", "payment", "this_bank"),
    ("1e3", "CNY", "2025-03-04", "payment", "this_bank"),
    ("12345678901234567", "CNY", "2025-03-04", "payment", "this_bank"),
    ("１００", "CNY", "2025-03-04", "payment", "this_bank"),
    ("5", "XAU", "2025-03-04", "payment", "this_bank"),
    ("5", "CNY", "2025-02-29", "payment", "this_bank"),
    ("5", "CNY", "2025-00-10", "payment", "this_bank"),
    ("5", "CNY", "0000-01-01", "payment", "this_bank"),
    ("5", "CNY", "2025-03-04x", "payment", "this_bank"),
    ("5", "CNY", "2025-3-4 10:00", "payment", "this_bank"),
    ("5", "CNY", "20250304", "payment", "this_bank"),
    ("5", "CNY", "", "payment", "this_bank"),
    ("5", "CNY", "2025-03-04", "", "cash"),
]


def odd_file(codes, fmt):
    rows = [flow_row(codes[0], codes[1], f"R{i}", amount=a, currency=c, value_date=d, kind=k, channel=ch)
            for i, (a, c, d, k, ch) in enumerate(ODD_ROWS)]
    rows.append([f" {codes[0].lower()[:6]}-{codes[0].lower()[6:]} ", f"\u3000{codes[1]}\t", "9", "CNY",
                 "2025-03-04", "payment", "this_bank", " R-pad "])
    rows.append(flow_row(uscc_for(777777), "91520100ABC", "R-codes"))
    rows.append(flow_row(codes[0], codes[1], "R0"))
    rows.append(flow_row(codes[0], codes[1], "X" * 101))
    if fmt == "csv":
        return csv_bytes([[f'"{c}"' if "," in c else c for c in r] for r in rows]), "flows.csv"
    return xlsx_bytes(rows), "flows.xlsx"


def test_csv_and_xlsx_give_the_same_errors_row_for_row(codes, no_pandas_reader):
    csv_content, csv_name = odd_file(codes, "csv")
    xlsx_content, xlsx_name = odd_file(codes, "xlsx")
    by_copy = run(csv_content, name=csv_name)
    by_pandas = run(xlsx_content, name=xlsx_name)
    assert errors_of(by_copy) == errors_of(by_pandas)
    assert by_copy.errors.total == by_pandas.errors.total == len(errors_of(by_copy))
    refused = {row for row, _c, _m in errors_of(by_copy)}
    # Normalised values pass: rows 2 to 6 (thousands separator, case, slashes, times, leap day), the
    # values as people write them (full-width digits, a date with a time, YYYYMMDD: the SQL pass flags
    # them, the pandas checks read them) and the padded, hyphenated, lower-case credit codes.
    assert not refused & {2, 3, 4, 5, 6, 14, 20, 21, 24}
    assert {7, 8, 9, 10, 11, 12, 13, 15, 16, 17, 18, 19, 22, 23, 25, 26, 27} <= refused
    assert Flow.objects.count() == 0


def test_normalised_values_are_stored_the_same_way_by_both_paths(codes, no_pandas_reader):
    good = ODD_ROWS[:5]
    for fmt, prefix in (("csv", "C"), ("xlsx", "X")):
        rows = [flow_row(codes[0], codes[1], f"{prefix}{i}", amount=a, currency=c, value_date=d, kind=k,
                         channel=ch) for i, (a, c, d, k, ch) in enumerate(good)]
        rows.append([f" {codes[0].lower()[:6]}-{codes[0].lower()[6:]} ", f"\u3000{codes[1]}\t", "9", "CNY",
                     "2025-03-04", "payment", "this_bank", f" {prefix}-pad "])
        if fmt == "csv":
            content, name = csv_bytes([[f'"{c}"' if "," in c else c for c in r] for r in rows]), "f.csv"
        else:
            content, name = xlsx_bytes(rows), "f.xlsx"
        result = run(content, name=name)
        assert result.ok and result.created == 6, result.errors.sorted()

    def stored(prefix):
        return [(f.payer.uscc, f.payee.uscc, f.amount, f.currency, f.value_date, f.kind, f.channel,
                 f.external_ref[1:]) for f in Flow.objects.filter(external_ref__startswith=prefix)
                .select_related("payer", "payee").order_by("external_ref")]
    assert stored("C") == stored("X") and len(stored("C")) == 6
    assert stored("C")[1][2:4] == (__import__("decimal").Decimal("1234.50"), "CNY")


def test_blank_comma_only_rows_are_skipped_and_row_numbers_kept(codes, no_pandas_reader):
    content = csv_bytes([flow_row(codes[0], codes[1], "R1"), [""] * 8, flow_row(codes[0], codes[1], "R3", amount="x")])
    result = run(content)
    assert result.total_rows == 2
    assert [(e.row, e.column) for e in result.errors.sorted()] == [(4, "amount")]


def test_optional_source_column_falls_back_to_the_given_source(codes, no_pandas_reader):
    header = ["payer", "payee", "amount", "currency", "value_date", "kind", "channel", "external_ref",
              "source_system"]
    content = csv_bytes([flow_row(codes[0], codes[1], "R1") + [""], flow_row(codes[0], codes[1], "R2") + ["e_invoice"]],
                        header=header)
    assert run(content).created == 2
    assert sorted(Flow.objects.values_list("source_system", "external_ref")) == [("e_invoice", "R2"), ("erp", "R1")]


def test_a_source_column_names_active_systems_only_alike_on_both_paths(codes, no_pandas_reader):
    header = ["payer", "payee", "amount", "currency", "value_date", "kind", "channel", "external_ref",
              "source_system"]
    rows = [flow_row(codes[0], codes[1], "R1") + [""], flow_row(codes[0], codes[1], "R2") + ["bank"],
            flow_row(codes[0], codes[1], "R3") + ["old_erp"], flow_row(codes[0], codes[1], "R4") + ["ERP"]]
    by_copy = run(csv_bytes(rows, header=header))
    by_pandas = run(xlsx_bytes(rows, header=header), name="flows.xlsx")
    assert errors_of(by_copy) == errors_of(by_pandas)
    assert [(row, col) for row, col, _m in errors_of(by_copy)] == [(3, "source_system"), (4, "source_system"),
                                                                   (5, "source_system")]
    assert "Not an active source system" in errors_of(by_copy)[0][2]
    assert Flow.objects.count() == 0


def test_preview_shows_the_first_rows_as_written(codes, no_pandas_reader):
    content = csv_bytes([flow_row(codes[0], codes[1], f"R{i}", amount=" 5 ") for i in range(12)])
    result = run(content, commit=False)
    assert result.ok and result.created == 12 and len(result.preview) == 10
    assert result.preview[0] == ["2", codes[0], codes[1], "5", "CNY", "2025-03-04", "payment", "this_bank",
                                 "R0", ""]


def test_error_cap_counts_format_errors_beyond_it(codes, settings, no_pandas_reader):
    settings.IMPORT_MAX_ERRORS = 3
    rows = [flow_row(codes[0], codes[1], f"R{i}", amount="x", currency="XYZ") for i in range(10)]
    result = run(csv_bytes(rows))
    assert len(result.errors.items) == 3 and result.errors.total == 20
    assert [e.row for e in result.errors.sorted()] == [2, 2, 3]


def test_a_ragged_file_falls_back_to_the_pandas_reader_with_row_errors(codes):
    content = csv_bytes([flow_row(codes[0], codes[1], "R1"), [codes[0], codes[1], "5"]])
    result = run(content)
    found = {(e.row, e.column) for e in result.errors.sorted()}
    assert (3, "value_date") in found and (3, "external_ref") in found
    assert Flow.objects.count() == 0


def test_gbk_file_goes_through_copy(codes, no_pandas_reader):
    result = run(csv_bytes([flow_row(codes[0], codes[1], "发票一号")], encoding="gbk"))
    assert result.ok and Flow.objects.get().external_ref == "发票一号"
