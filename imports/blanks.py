"""Downloadable templates of every import kind, XLSX and CSV, in the page's language.

The first sheet (the whole CSV) is the file to fill in: the headers of the page's language (Chinese
headers in Chinese, the column keys in English) and example rows that import as they are for the user
who downloaded them: their credit codes and group come from the user's own groups
(`imports.selectors.example_parties`), so a template uploaded unchanged previews as valid rows. The
XLSX's second sheet explains each column: required or optional, what goes in it, the allowed values.
Code and text columns are formatted as text so Excel keeps an 18-digit credit code as typed.
"""

from __future__ import annotations

import datetime as dt
import io

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from core.exports import keep_as_text, write_csv
from imports.columns import CHOICE, INTEGER, Column, choice_values
from imports.registry import importer_for
from imports.selectors import ExampleParties

FORMATS = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "csv": "text/csv"}


def example_rows(kind: str, parties: ExampleParties, language: str) -> list[list]:
    """One or two example rows of a kind, cells in the column order of the importer."""
    columns = importer_for(kind).columns
    rows = [_example_row(kind, columns, parties, language, n) for n in range(_ROWS.get(kind, 1))]
    return [r for r in rows if r]


_ROWS = {"flows": 2, "circle_members": 1, "chain_links": 1, "enterprises": 1}


def _example_row(kind: str, columns, parties: ExampleParties, language: str, n: int) -> list:
    """Stored values for choices (written as their labels in `language`), written forms elsewhere: the
    Chinese template shows `125万` and `2026年11月22日`, the English one `1,250,000.00` and ISO dates."""
    day = dt.date.today() - dt.timedelta(days=7 + n)
    zh = language != "en"
    given: dict[str, str] = {}
    if kind == "flows":
        payer, payee = (parties.first, parties.second) if n == 0 else (parties.second, parties.first)
        given = {"payer": payer, "payee": payee, "external_ref": f"EXAMPLE-{n + 1:04d}", "kind": "payment",
                 "channel": "this_bank"}
        if n == 0:
            given["value_date"] = f"{day.year}年{day.month}月{day.day}日" if zh else day.isoformat()
        else:
            given.update(kind="invoice", channel="other_bank", amount="8.6万" if zh else "86,000.00",
                         currency="CNY", value_date=day.strftime("%Y%m%d"))
    elif kind == "circle_members":
        given = {"group": parties.group, "enterprise": parties.second, "role": "supplier"}
    elif kind == "chain_links":
        given = {"group": parties.group, "supplier": parties.second, "buyer": parties.first}
    elif kind == "holdings":
        given = {"enterprise": parties.first}
    elif kind == "enterprises":
        given = {"name": pgettext("import template", "Example Technology Co., Ltd."), "uscc": parties.new_code,
                 "size": "medium"}
    row = []
    for column in columns.specs:
        value = given.get(column.key)
        if value is None:
            value = column.example(language)
        if column.type == CHOICE and value:
            value = choice_values(column, language).get(value, value)
        if column.type == INTEGER and isinstance(value, str) and value.lstrip("-").isdigit():
            value = int(value)  # a number, so the export rules leave `-1` alone (core.exports)
        row.append(value)
    return row


def notes_rows(kind: str, language: str) -> list[list[str]]:
    """The notes sheet: one row per column (header, required or optional, what goes in it, values)."""
    columns = importer_for(kind).columns
    required = set(columns.required_keys)
    rows = [[_("Column"), _("Required"), _("What goes in it"), _("Allowed values")]]
    for column in columns.specs:
        rows.append([column.header(language), _("yes") if column.key in required else _("no"), str(column.help),
                     _allowed(column, language)])
    rows.append([])
    rows.append([_("Other accepted headers"), "", "", ""])
    for column in columns.specs:
        others = [h for h in column.headers if h != column.header(language)]
        rows.append([column.header(language), "", "、".join(others) if language != "en" else ", ".join(others), ""])
    rows.append([])
    rows.append([_("The first sheet is imported; this sheet is ignored. Delete the example rows before adding "
                   "your own. A file with any bad row changes nothing; importing it again creates nothing new."),
                 "", "", ""])
    return rows


def _allowed(column: Column, language: str) -> str:
    if column.type != CHOICE:
        return ""
    labels = choice_values(column, language)
    if language == "en":
        return ", ".join(f"{value} ({label})" for value, label in labels.items())
    # Chinese: each label with the other words read as it (收款 for 付款, 本行 for 本行结算).
    shown = []
    for value, label in labels.items():
        others = [w for w in column.synonyms.get(value, ()) if not w.isascii()]
        shown.append(f"{label}（{'、'.join(others)}）" if others else label)
    return "、".join(shown)


def build(kind: str, fmt: str, parties: ExampleParties, language: str) -> bytes:
    columns = importer_for(kind).columns
    headers = [c.header(language) for c in columns.specs]
    rows = example_rows(kind, parties, language)
    if fmt == "csv":
        buf = io.StringIO()
        write_csv(buf, headers, rows)  # cells that would run as formulas are neutralised
        return buf.getvalue().encode("utf-8-sig")  # the BOM: Excel opens Chinese text as UTF-8
    return _xlsx(columns, headers, rows, notes_rows(kind, language))


def _xlsx(columns, headers: list[str], rows: list[list], notes: list[list[str]]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Data")[:31]
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
    for i, column in enumerate(columns.specs, start=1):
        cell = sheet.cell(row=1, column=i)
        cell.font, cell.fill = bold, fill
        letter = get_column_letter(i)
        sheet.column_dimensions[letter].width = max(14, min(40, len(headers[i - 1]) * 2 + 4))
        if column.type != "date":  # text: Excel keeps codes and amounts as typed
            for r in range(2, 501):
                sheet.cell(row=r, column=i).number_format = "@"
    sheet.freeze_panes = "A2"
    help_sheet = workbook.create_sheet(_("Notes")[:31])
    for row in notes:
        help_sheet.append(row)
    for each in (sheet, help_sheet):
        for sheet_row in each.iter_rows():
            for cell in sheet_row:
                keep_as_text(cell)  # example rows carry the user's own names: never a formula
    for cell in help_sheet[1]:
        cell.font, cell.fill = bold, fill
    for letter, width in zip("ABCD", (28, 10, 70, 50), strict=True):
        help_sheet.column_dimensions[letter].width = width
    buf = io.BytesIO()
    workbook.save(buf)
    return buf.getvalue()


def filename(kind: str, fmt: str, language: str) -> str:
    label = str(importer_for(kind).label).split("（")[0].split(" (")[0]
    return f"{_('Import template')} - {label}.{fmt}"
