"""Issue 8's import journey in a real browser, in Chinese then in English: an RM downloads the template
from the upload page, fills in a row the way people write it (125万, 2026年…日, 付款, 本行, 人民币),
uploads it, sees the preview (names beside codes, tiles with the total) and imports it.

With SCREENSHOTS=<dir> set, the upload page, the preview and the result are saved there per language."""

import os
from datetime import date, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from chains.models import Flow
from tests.factories import EnterpriseFactory
from tests.imports.helpers import ensure_source_systems

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _shot(page, name: str) -> None:
    folder = os.environ.get("SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def _fill(path: Path, row: list) -> None:
    """Replace the template's example rows with one row, as a user would in Excel."""
    workbook = load_workbook(path)
    sheet = workbook.worksheets[0]
    sheet.delete_rows(2, sheet.max_row)
    sheet.append(row)
    workbook.save(path)


def _journey(page, live_server, tmp_path, *, language: str, core, supplier, ref: str, amount: str) -> None:
    zh = language == "zh"
    page.goto(f"{live_server.url}/imports/")
    _shot(page, f"upload-{language}")
    with page.expect_download() as download:
        page.click("tr[data-kind=flows] a[href*='format=xlsx']")
    path = tmp_path / f"template-{language}.xlsx"
    download.value.save_as(path)
    header = [c.value for c in load_workbook(path).worksheets[0][1]]
    assert header[0] == ("付款方统一社会信用代码" if zh else "payer")
    day = date.today() - timedelta(days=3)
    written_day = f"{day.year}年{day.month}月{day.day}日" if zh else day.strftime("%Y%m%d")
    row = [core.uscc, supplier.uscc, "12万3", "人民币" if zh else "RMB", written_day, "付款" if zh else "Payment",
           "本行" if zh else "this_bank", ref]
    _fill(path, row)  # first with an amount that can be read two ways

    page.select_option("select[name=kind]", "flows")
    page.select_option("select[name=source_system]", "erp")
    page.set_input_files("input[name=file]", str(path))
    page.click("main form button[type=submit]")
    errors = page.locator("table.errors-table tbody tr")
    expect(errors).to_have_count(1)
    expect(errors.first).to_contain_text("金额（元）" if zh else "amount")  # the column as the page names it
    expect(page.locator("#import-report form")).to_have_count(0)
    _shot(page, f"errors-{language}")

    row[2] = amount
    _fill(path, row)
    page.set_input_files("input[name=file]", str(path))
    page.click("main form button[type=submit]")
    report = page.locator("#import-report")
    expect(report).to_contain_text("预览" if zh else "Preview")
    preview = page.locator("table.preview tbody tr")
    expect(preview).to_have_count(1)
    expect(preview.first).to_contain_text(core.name)  # names beside the codes in reach
    expect(preview.first).to_contain_text(supplier.name)
    expect(page.locator(".import-tiles .created")).to_have_text("1")
    expect(page.locator(".import-tiles .total-amount")).to_contain_text("125.00万元" if zh else "CNY 1.25 m")
    _shot(page, f"preview-{language}")
    page.click("#import-report form button[type=submit]")
    expect(page.locator("#import-report .done")).to_be_visible()
    _shot(page, f"result-{language}")
    flow = Flow.objects.get(external_ref=ref)
    assert (flow.amount, flow.currency, flow.kind, flow.channel, flow.value_date) == (
        1250000, "CNY", "payment", "this_bank", day)

    # The same file again: nothing new, so no import button.
    page.set_input_files("input[name=file]", str(path))
    page.click("main form button[type=submit]")
    expect(page.locator("#import-report .nothing-new")).to_be_visible()
    expect(page.locator("#import-report form")).to_have_count(0)
    _shot(page, f"nothing-new-{language}")


def test_rm_downloads_the_template_fills_a_row_and_imports_it_in_both_languages(bank, login, live_server, tmp_path):
    ensure_source_systems()  # a transactional test before this one may have flushed the seeded list
    core = bank.group_gy.core_enterprise
    supplier = EnterpriseFactory(name="黔南模板导入钢材有限公司", rm=bank.rm_gy1, is_client=False)
    page = login("rm_gy1")
    _journey(page, live_server, tmp_path, language="zh", core=core, supplier=supplier, ref="TPL-ZH-1",
             amount="125万")
    page.click("button[data-lang=en]")
    _journey(page, live_server, tmp_path, language="en", core=core, supplier=supplier, ref="TPL-EN-1",
             amount="1,250,000.00")
    assert Flow.objects.filter(source_system="erp").count() == 2
