"""The import engine through its service: all-or-nothing, idempotent, every bad input named by row."""

import io

import pytest

from chains.models import Flow
from imports.services import import_file
from tests.factories import uscc_for
from tests.imports.helpers import csv_bytes, flow_row, members, xlsx_bytes


def run(content, *, user=None, name="flows.csv", commit=True, **kw):
    return import_file(user=user, kind="flows", fh=io.BytesIO(content), filename=name, commit=commit,
                       source_system="erp", **kw)


def errors_of(result):
    return {(e.row, e.column) : e.message for e in result.errors.sorted()}


@pytest.fixture
def codes(bank):
    return members(bank.group_gy)


def test_clean_file_creates_all_rows_then_reimport_creates_nothing(codes):
    content = csv_bytes([flow_row(codes[0], codes[1], f"R{i}") for i in range(5)])
    first = run(content)
    assert first.ok and first.created == 5 and first.already_present == 0
    again = run(content)
    assert again.ok and again.created == 0 and again.already_present == 5
    assert Flow.objects.count() == 5


def test_preview_counts_but_keeps_nothing(codes):
    result = run(csv_bytes([flow_row(codes[0], codes[1], "R1")]), commit=False)
    assert result.ok and result.created == 1 and not result.committed
    assert Flow.objects.count() == 0


def test_every_bad_value_is_named_by_row_and_column_and_nothing_is_kept(codes):
    rows = [
        flow_row(codes[0], codes[1], "OK1"),
        flow_row(codes[0], codes[1], "N1", amount="-5"),
        flow_row(codes[0], codes[1], "N2", amount="0"),
        flow_row(codes[0], codes[1], "N3", amount="abc"),
        flow_row(codes[0], codes[1], "N4", amount="1.234"),
        flow_row(codes[0], codes[1], "N4b", amount="1."),
        flow_row(codes[0], codes[1], "N5", value_date="2025-02-30"),
        flow_row(codes[0], codes[1], "N6", currency="XYZ"),
        flow_row(codes[0], codes[1], "N7", kind="gift"),
        flow_row(codes[0], codes[1], "N8", channel="cash"),
        flow_row(uscc_for(777777), codes[1], "N9"),
        flow_row("91520100ABC", codes[1], "N10"),
        flow_row(codes[0], codes[1], "OK1"),
    ]
    result = run(csv_bytes(rows))
    errs = errors_of(result)
    assert not result.ok
    assert "positive" in errs[(3, "amount")]
    assert "positive" in errs[(4, "amount")]
    assert "number" in errs[(5, "amount")]
    assert "2 decimal" in errs[(6, "amount")]
    assert "number" in errs[(7, "amount")]
    assert "date" in errs[(8, "value_date")]
    assert "ISO 4217" in errs[(9, "currency")]
    assert "payment" in errs[(10, "kind")]
    assert "this_bank" in errs[(11, "channel")]
    assert errs[(12, "payer")] == f"No enterprise with the credit code {uscc_for(777777)} is on file; create it first."
    assert "18 characters" in errs[(13, "payer")]
    assert "repeats row 2" in errs[(14, "external_ref")]
    assert len(errs) == 12
    assert Flow.objects.count() == 0


def test_same_reference_with_other_content_is_an_error_not_an_overwrite(codes):
    run(csv_bytes([flow_row(codes[0], codes[1], "R1", amount="10.00")]))
    result = run(csv_bytes([flow_row(codes[0], codes[1], "R2"), flow_row(codes[0], codes[1], "R1", amount="11.00")]))
    assert errors_of(result).keys() == {(3, "external_ref")}
    assert list(Flow.objects.values_list("external_ref", "amount")) == [("R1", 10)]


def test_xlsx_file_imports(codes):
    result = run(xlsx_bytes([flow_row(codes[0], codes[1], "X1"), flow_row(codes[1], codes[0], "X2")]),
                 name="flows.xlsx")
    assert result.ok and result.created == 2


def test_gbk_file_is_decoded_not_mojibake(codes):
    content = csv_bytes([flow_row(codes[0], codes[1], "发票一号")], encoding="gbk")
    result = run(content)
    assert result.ok, result.errors.sorted()
    assert Flow.objects.get().external_ref == "发票一号"
    assert any("GBK" in n for n in result.notes)


def test_undecodable_file_says_which_encoding_is_needed(codes):
    content = csv_bytes([flow_row(codes[0], codes[1], "R1")]) + b"\xff\xfe\xff\n"
    result = run(content)
    assert "UTF-8" in result.file_errors[0]


def test_wrong_headers_name_missing_and_unexpected_columns(codes):
    header = ["payer", "payee", "amt", "currency", "value_date", "kind", "channel", "external_ref"]
    result = run(csv_bytes([flow_row(codes[0], codes[1], "R1")], header=header))
    assert "Missing columns: amount" in result.file_errors[0]
    assert "Unexpected columns: amt" in result.file_errors[0]


@pytest.mark.parametrize("content", [b"", b"payer,payee,amount,currency,value_date,kind,channel,external_ref\n"])
def test_empty_file_is_refused(bank, content):
    result = run(content)
    assert result.file_errors and Flow.objects.count() == 0


def test_file_over_the_limit_is_refused(codes):
    content = csv_bytes([flow_row(codes[0], codes[1], f"R{i}") for i in range(50)])
    result = run(content, max_bytes=100)
    assert "limit" in result.file_errors[0]


def test_chunks_do_not_change_row_numbers(codes, settings):
    settings.IMPORT_CHUNK_ROWS = 3
    rows = [flow_row(codes[0], codes[1], f"R{i}") for i in range(10)]
    rows[7][2] = "x"
    rows.append(flow_row(codes[0], codes[1], "R1"))
    result = run(csv_bytes(rows))
    assert set(errors_of(result)) == {(9, "amount"), (12, "external_ref")}


def test_error_list_is_capped_and_the_rest_counted(codes, settings):
    settings.IMPORT_MAX_ERRORS = 5
    result = run(csv_bytes([flow_row(uscc_for(900000 + i), codes[1], f"R{i}") for i in range(12)]))
    assert len(result.errors.items) == 5 and result.errors.total == 12
