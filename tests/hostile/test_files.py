"""Upload files that are not what they claim, or are built to cost: each is a clear file error on the
upload page (never a 500), and nothing is stored (imports.reader)."""

from __future__ import annotations

import io
import zipfile

import pytest

from chains.models import Flow
from imports.errors import ImportFileError
from imports.reader import MAX_COLUMNS, Columns, check_headers
from tests.hostile.conftest import import_result, nothing_stored, upload
from tests.imports.helpers import FLOW_HEADER, csv_bytes, flow_row, xlsx_bytes

NOT_A_WORKBOOK = "The file is not an XLSX workbook (an XLSX file is a ZIP archive, this one is not)"
UNREADABLE = "The file is not a readable XLSX workbook"
TOO_WIDE = f"The header row has more than {MAX_COLUMNS} columns."


def _zip(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return out.getvalue()


def _rewrite_sheet(workbook: bytes, old: bytes, new: bytes) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(workbook))
    return _zip({item.filename: source.read(item.filename).replace(old, new) for item in source.infolist()})


def _file_error(rm, content: bytes, name: str) -> str:
    with nothing_stored(Flow):
        result = import_result(upload(rm, content, name))
    assert not result.errors and len(result.file_errors) == 1, result.file_errors
    return result.file_errors[0]


@pytest.mark.parametrize("content", [b"payer,payee\nA,B\n", b"", b"PK\x03\x04 not really a zip"])
def test_a_text_file_named_xlsx_is_a_file_error(rm, content):
    message = _file_error(rm, content or b" ", "flows.xlsx")
    assert message.startswith(NOT_A_WORKBOOK)


def test_a_zip_that_is_not_a_workbook_is_a_file_error(rm):
    assert _file_error(rm, _zip({"readme.txt": b"hello"}), "flows.xlsx").startswith(UNREADABLE)


def test_a_workbook_with_broken_sheet_xml_is_a_file_error(rm, codes):
    workbook = xlsx_bytes([flow_row(codes[0], codes[1], "R1")])
    broken = _rewrite_sheet(workbook, b">R1<", b">R&#0;1<")  # not XML: NUL cannot be written in XML
    assert _file_error(rm, broken, "flows.xlsx").startswith(UNREADABLE)


def test_a_truncated_workbook_is_a_file_error(rm, codes):
    workbook = xlsx_bytes([flow_row(codes[0], codes[1], f"R{i}") for i in range(200)])
    source = zipfile.ZipFile(io.BytesIO(workbook))
    sheet = source.read("xl/worksheets/sheet1.xml")
    cut = _zip({item.filename: (sheet[: len(sheet) // 2] if item.filename.endswith("sheet1.xml")
                                else source.read(item.filename)) for item in source.infolist()})
    assert _file_error(rm, cut, "flows.xlsx").startswith(UNREADABLE)


def test_a_csv_with_100000_columns_is_refused_by_its_header(rm):
    """A 0.7 MB header once kept a worker busy (pandas reads wide headers in superlinear time, and the
    repeated-column check was quadratic); it is now read with the csv module and refused past the cap."""
    header = ",".join(f"c{i}" for i in range(100_000)).encode()
    message = _file_error(rm, header + b"\n" + b"x\n", "flows.csv")
    assert message.startswith(TOO_WIDE) and "Expected columns: payer" in message


def test_the_csv_header_is_not_read_by_pandas(codes, monkeypatch):
    """pandas needs 15 s for 100,000 column names and minutes when they repeat: the header is read by
    the csv module (linear), pandas only reads the rows of a file whose header passed."""
    import pandas as pd

    from imports.reader import check_file

    def refuse(*args, **kwargs):
        raise AssertionError("pandas must not read the header")

    monkeypatch.setattr(pd, "read_csv", refuse)
    content = csv_bytes([flow_row(codes[0], codes[1], "R1")])
    checked = check_file(io.BytesIO(content), filename="f.csv", columns=Columns(required=tuple(FLOW_HEADER)),
                         max_bytes=10**6, notes=[])
    assert checked.names == tuple(FLOW_HEADER)


def test_an_xlsx_with_a_very_wide_header_is_refused(rm):
    header = [f"c{i}" for i in range(1_000)]
    message = _file_error(rm, xlsx_bytes([["x"] * 1_000], header=header), "flows.xlsx")
    assert message.startswith(TOO_WIDE)


def test_headers_at_the_cap_are_still_checked_name_by_name():
    columns = Columns(required=tuple(FLOW_HEADER))
    with pytest.raises(ImportFileError) as exc:
        check_headers([*FLOW_HEADER, *(["dup"] * (MAX_COLUMNS - len(FLOW_HEADER)))], columns)
    assert "Unexpected columns: dup" in exc.value.message and "Repeated columns: dup." in exc.value.message
    with pytest.raises(ImportFileError, match="more than 100 columns"):
        check_headers([*FLOW_HEADER, *(["dup"] * (MAX_COLUMNS + 1 - len(FLOW_HEADER)))], columns)


def test_a_huge_column_name_is_shortened_in_the_message(rm):
    content = csv_bytes([["x"] * 9], header=[*FLOW_HEADER, "n" * 5000])
    message = _file_error(rm, content, "flows.csv")
    assert "Unexpected columns: " + "n" * 40 + "…" in message and "n" * 41 not in message


def test_a_blank_first_row_is_named(rm, codes):
    content = b"\n" + csv_bytes([flow_row(codes[0], codes[1], "R1")])
    assert _file_error(rm, content, "flows.csv") == "The first row is blank: it must hold the column names."


# --- headers and values as people write them (imports.columns, imports.checks) ----------------------------


def test_a_header_that_is_only_spacing_or_markup_around_a_known_one_is_not_a_way_in(rm, codes):
    """Headers match ignoring case, width, spaces, underscores and hyphens; nothing else: markup, NUL or
    bidi controls around a known header make an unknown column, named (escaped) in a file error."""
    for odd in ["<b>payer</b>", "pay\u0000er", "\u202epayer", "payer" * 2000]:
        with nothing_stored(Flow):
            response = upload(rm, csv_bytes([flow_row(codes[0], codes[1], "R1")], header=[odd, *FLOW_HEADER[1:]]),
                              "flows.csv")
        assert response.status_code == 200, odd
        message = import_result(response).file_errors[0]
        assert "Missing columns: payer" in message and "<b>" not in response.content.decode()


def test_huge_or_odd_numbers_in_an_xlsx_date_column_are_row_errors(rm, codes):
    """Excel serial dates: only whole days in the hard range are dates; 1e300, -5, 2.5 or True are refused."""
    rows = [flow_row(codes[0], codes[1], f"R{i}", value_date=v) for i, v in enumerate([1e300, -5, 2.5, True, 46348])]
    with nothing_stored(Flow):
        result = import_result(upload(rm, xlsx_bytes(rows), "flows.xlsx"))
    refused = {e.row for e in result.errors.sorted() if e.column == "value_date"}
    assert refused == {2, 3, 4, 5}


def test_an_amount_of_thousands_of_digits_with_a_unit_is_a_row_error(rm, codes):
    rows = [flow_row(codes[0], codes[1], "R1", amount="9" * 5000 + "亿"),
            flow_row(codes[0], codes[1], "R2", amount="1" + "0" * 400 + "万")]
    with nothing_stored(Flow):
        result = import_result(upload(rm, csv_bytes(rows), "flows.csv"))
    assert {(e.row, e.column) for e in result.errors.sorted()} == {(2, "amount"), (3, "amount")}
    assert all("too large" in e.message for e in result.errors.sorted())
