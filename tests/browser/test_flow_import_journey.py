"""Issue 3's journey in a real browser: an RM uploads a flow file with errors, sees them by row,
fixes the file, imports it, and sees the new (detected) link on the chain page."""

from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from chains.models import ChainLink, Flow
from tests.factories import EnterpriseFactory
from tests.imports.helpers import ensure_source_systems

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HEADER = "payer,payee,amount,currency,value_date,kind,channel,external_ref\n"


def test_rm_fixes_a_flow_file_imports_it_and_sees_the_detected_link(bank, login, live_server, tmp_path,
                                                                     every_pair_detected):
    ensure_source_systems()  # a transactional test before this one may have flushed the seeded list
    group = bank.group_gy
    core = group.core_enterprise
    # A supplier the RM recorded as a prospect: visible to them, on no chain link yet.
    supplier = EnterpriseFactory(name="黔南新发现钢材有限公司", rm=bank.rm_gy1, is_client=False)
    day = (date.today() - timedelta(days=20)).isoformat()
    bad = tmp_path / "flows.csv"
    bad.write_text(
        HEADER
        + f"{core.uscc},{supplier.uscc},150000.00,CNY,{day},payment,other_bank,PAY-1\n"
        + f"{core.uscc},{supplier.uscc},-20.00,CNY,{day},payment,this_bank,PAY-2\n"
        + f"{core.uscc},915201000000000000,100.00,CNY,{day},payment,this_bank,PAY-3\n",
        encoding="utf-8",
    )

    page = login("rm_gy1")
    page.click("button[data-lang=en]")
    page.goto(f"{live_server.url}/imports/")
    page.select_option("select[name=kind]", "flows")
    page.select_option("select[name=source_system]", "erp")
    page.set_input_files("input[name=file]", str(bad))
    page.click("main form button[type=submit]")
    errors = page.locator("table.errors-table tbody tr")
    expect(errors).to_have_count(2)
    expect(errors.nth(0)).to_contain_text("3")
    expect(errors.nth(0)).to_contain_text("amount")
    expect(errors.nth(1)).to_contain_text("4")
    expect(errors.nth(1)).to_contain_text("payee")
    expect(page.locator("#import-report form")).to_have_count(0)  # no import button on a bad file
    assert Flow.objects.count() == 0

    good = tmp_path / "flows-fixed.csv"
    good.write_text(
        HEADER
        + f"{core.uscc},{supplier.uscc},150000.00,CNY,{day},payment,other_bank,PAY-1\n"
        + f"{core.uscc},{supplier.uscc},20.00,CNY,{day},payment,this_bank,PAY-2\n"
        + f"{supplier.uscc},{core.uscc},100.00,CNY,{day},invoice,this_bank,INV-3\n",
        encoding="utf-8",
    )
    page.set_input_files("input[name=file]", str(good))
    page.click("main form button[type=submit]")
    expect(page.locator("#import-report")).to_contain_text("Preview")
    page.click("#import-report form button[type=submit]")
    expect(page.locator("#import-report .done")).to_contain_text("3 created, 0 already present")
    assert Flow.objects.filter(source_system="erp").count() == 3

    page.goto(f"{live_server.url}/chains/groups/{group.pk}/")
    expect(page.locator("main")).to_contain_text(supplier.name)
    assert ChainLink.objects.filter(group=group, supplier=supplier, buyer=core, status="detected").exists()
