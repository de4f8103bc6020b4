"""The catalogue page in both languages (margins for head office only, pinned queries), the holdings
partial and its selector, the menu item, and the admin of holdings and exchange rates."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.template.loader import render_to_string
from django.utils import translation

from clients.models import Enterprise
from core.models import FxRate
from services import catalogue
from services.models import Holding, Partner, Product
from tests.querycount import exact_queries
from tests.services.catalogue.helpers import members

pytestmark = pytest.mark.django_db

URL = "/services/products/"


def test_catalogue_page_in_english(bank, client_as):
    page = client_as(bank.rm_gy1).get(URL)
    assert page.status_code == 200
    html = page.content.decode()
    for text in ("Product catalogue", "Cash pool", "Receivables financing", "Value-added services",
                 "Legal consulting", "贵州黔诚律师事务所", "Partners"):
        assert text in html, text
    assert "Annual margin" not in html  # margins are head office's


def test_catalogue_page_in_chinese(bank, client_as):
    page = client_as(bank.rm_gy1).get(URL, HTTP_ACCEPT_LANGUAGE="zh-hans")
    html = page.content.decode()
    assert page.status_code == 200
    for text in ("现金池", "应收账款融资", "法律咨询", "结算与收付款"):
        assert text in html, text
    assert "Cash pool" not in html


def test_head_office_sees_margins(bank, client_as):
    html = client_as(bank.hq).get(URL).content.decode()
    assert "Annual margin" in html and "1.80%" in html


def test_catalogue_in_the_menu_for_every_role(bank, client_as):
    for user in (bank.rm_gy1, bank.risk_gy, bank.hq):
        assert 'href="/services/products/"' in client_as(user).get("/clients/groups/").content.decode()


def test_catalogue_page_query_count_is_flat(bank, client_as):
    client = client_as(bank.rm_gy1)
    client.get(URL)
    with exact_queries(8, label="catalogue") as first:
        client.get(URL)
    for i in range(10):
        p = Product.objects.create(code=f"va_{i}", name_zh=f"服务{i}", name_en=f"Service {i}", family="value_added")
        partner = Partner.objects.create(code=f"p-{i}", name=f"伙伴{i}", kind="other")
        partner.products.add(p)
    with exact_queries(len(first.captured_queries), label="catalogue with more products"):
        client.get(URL)


def test_catalogue_needs_a_login(client):
    assert client.get(URL).status_code == 302


# --- holdings partial and selector ------------------------------------------------------------------------


def _holdings(bank):
    core_code, sub_code = members(bank.group_gy)[:2]
    core = Enterprise.objects.get(uscc=core_code)
    catalogue.holding_create(bank.rm_gy1, enterprise=core, product="settlement", since="2025-01-01",
                             balance="1000000.00", external_ref="P-1")
    catalogue.holding_create(bank.rm_gy1, enterprise=core, product="cash_pool", since="2025-01-01",
                             balance="100.00", currency="USD", amount="5000", external_ref="P-2")
    catalogue.holding_create(bank.rm_gy1, enterprise=core, product="legal_consulting", since="2024-01-01",
                             until="2024-12-31", balance="0", partner="partner-law-1", external_ref="P-3")
    return core


def test_holdings_for_one_query_with_cny_equivalent(bank):
    core = _holdings(bank)
    FxRate.objects.create(currency="USD", date=dt.date(2025, 1, 1), rate=Decimal("7.1"))
    with exact_queries(1, label="holdings_for"):
        rows = catalogue.holdings_for(bank.rm_gy1, core)
        assert [h.product.code for h in rows] == ["settlement", "cash_pool", "legal_consulting"] or \
            [h.product.code for h in rows][-1] == "legal_consulting"
        by_code = {h.product.code: h for h in rows}
        assert by_code["cash_pool"].balance_cny == Decimal("710.00")
        assert by_code["cash_pool"].amount_cny == Decimal("35500.00")
        assert by_code["settlement"].balance_cny == Decimal("1000000.00")
        assert by_code["legal_consulting"].partner.code == "partner-law-1"
    assert catalogue.holdings_for(bank.rm_zy1, core) == []


def test_holdings_partial_renders_both_languages(bank):
    core = _holdings(bank)
    holdings = catalogue.holdings_for(bank.rm_gy1, core)
    html = render_to_string("services/_holdings_table.html", {"holdings": holdings})
    assert "Settlement and payments" in html and "USD" in html and "no rate" in html
    assert "贵州黔诚律师事务所" in html
    with translation.override("zh-hans"):
        html = render_to_string("services/_holdings_table.html", {"holdings": holdings})
    assert "结算与收付款" in html and "现金池" in html
    assert "No products held" in render_to_string("services/_holdings_table.html", {"holdings": []})


# --- services ------------------------------------------------------------------------------------------------


def test_holding_services_check_access_and_values(bank):
    from django.core.exceptions import PermissionDenied, ValidationError

    core = Enterprise.objects.get(uscc=members(bank.group_gy)[0])
    with pytest.raises(ValidationError) as err:
        catalogue.holding_create(bank.rm_zy1, enterprise=core, product="settlement", since="2025-01-01",
                                 balance="1")
    assert "enterprise" in err.value.error_dict
    with pytest.raises(PermissionDenied):
        catalogue.holding_create(bank.risk_gy, enterprise=core, product="settlement", since="2025-01-01",
                                 balance="1")
    bad = [({"balance": "-1"}, "balance"), ({"product": "nope"}, "product"), ({"currency": "XXX"}, "currency"),
           ({"since": "2025-02-30"}, "since"), ({"until": "2024-01-01"}, "until"),
           ({"partner": "partner-law-1"}, "partner"), ({"balance": "1" + "0" * 30}, "balance"),
           ({"external_ref": "a\x00b"}, "external_ref"), ({"amount": "1.234"}, "amount"),
           ({"balance": float("nan")}, "balance")]
    for change, field in bad:
        kwargs = {"enterprise": core, "product": "settlement", "since": "2025-01-01", "balance": "1", **change}
        with pytest.raises(ValidationError) as err:
            catalogue.holding_create(bank.rm_gy1, **kwargs)
        assert field in err.value.error_dict, (change, err.value)
    assert not Holding.objects.exists()
    h = catalogue.holding_create(bank.rm_gy1, enterprise=core, product="settlement", since="2025-01-01", balance="1")
    h = catalogue.holding_update(bank.rm_gy1, h, balance="2.50")
    assert h.balance == Decimal("2.50")
    from core.models import OutboxMessage
    from services.tasks import ENTERPRISES_TASK

    assert OutboxMessage.objects.filter(task=ENTERPRISES_TASK, args=[[core.pk]]).exists()
    with pytest.raises(ValidationError):
        catalogue.holding_update(bank.rm_zy1, h, balance="3")
    h = catalogue.holding_close(bank.rm_gy1, h, until="2025-06-30")
    assert h.until == dt.date(2025, 6, 30) and not h.is_open


def test_fx_rate_set_is_head_office_only_and_upserts(bank):
    from django.core.exceptions import PermissionDenied, ValidationError

    with pytest.raises(PermissionDenied):
        catalogue.fx_rate_set(bank.head_gy, currency="USD", date="2025-01-02", rate="7.1")
    rate = catalogue.fx_rate_set(bank.hq, currency="usd", date="2025-01-02", rate="7.1")
    assert (rate.currency, rate.rate) == ("USD", Decimal("7.1"))
    catalogue.fx_rate_set(bank.hq, currency="USD", date="2025-01-02", rate="7.2")
    assert FxRate.objects.get().rate == Decimal("7.2")
    for kwargs, field in [({"currency": "CNY"}, "currency"), ({"rate": "0"}, "rate"), ({"rate": "-1"}, "rate"),
                          ({"rate": "abc"}, "rate"), ({"date": "1800-01-01"}, "date"), ({"rate": 7.1}, "rate")]:
        with pytest.raises(ValidationError) as err:
            catalogue.fx_rate_set(bank.hq, **{"currency": "EUR", "date": "2025-01-02", "rate": "7", **kwargs})
        assert field in err.value.error_dict


# --- admin ----------------------------------------------------------------------------------------------------


@pytest.fixture
def hq_admin(bank, client_as):
    bank.hq.is_staff = True
    bank.hq.is_superuser = True
    bank.hq.save()
    return client_as(bank.hq)


def test_admin_lists_open_for_head_office(bank, hq_admin, client_as):
    for model in ("product", "partner", "holding", "need", "needrulesetting", "playbookitem", "allocationsettings",
                  "contributionsettings"):
        assert hq_admin.get(f"/admin/services/{model}/").status_code == 200, model
    assert hq_admin.get("/admin/core/fxrate/").status_code == 200
    bank.rm_gy1.is_staff = True
    bank.rm_gy1.save()
    assert client_as(bank.rm_gy1).get("/admin/services/holding/").status_code in (302, 403)


def test_admin_fx_rate_goes_through_the_service(bank, hq_admin):
    response = hq_admin.post("/admin/core/fxrate/add/", {"currency": "USD", "date": "2025-01-02", "rate": "7.15",
                                                         "source": "CFETS"})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert FxRate.objects.get().rate == Decimal("7.15")
    refused = hq_admin.post("/admin/core/fxrate/add/", {"currency": "CNY", "date": "2025-01-03", "rate": "1"})
    assert refused.status_code == 200 and FxRate.objects.count() == 1


def test_admin_rule_thresholds_go_through_the_service(bank, hq_admin):
    from services.models import NeedRuleSetting

    refused = hq_admin.post("/admin/services/needrulesetting/add/",
                            {"rule": "receivables_financing", "enabled": "on", "params": '{"min_days": -5}'})
    assert refused.status_code == 200 and not NeedRuleSetting.objects.exists()
    done = hq_admin.post("/admin/services/needrulesetting/add/",
                         {"rule": "receivables_financing", "enabled": "on", "params": '{"min_days": 60}'})
    assert done.status_code == 302, done.content.decode()[:3000]
    assert NeedRuleSetting.objects.get().params["min_days"] == 60


def test_admin_contribution_settings_go_through_the_service(bank, hq_admin):
    from services.models import ContributionSettings

    done = hq_admin.post("/admin/services/contributionsettings/add/",
                         {"deposit_spread_pct": "1.1", "loan_spread_pct": "1.4", "months": "12"})
    assert done.status_code == 302, done.content.decode()[:3000]
    assert ContributionSettings.current().deposit_spread_pct == Decimal("1.1")
    assert hq_admin.get("/admin/services/contributionsettings/add/").status_code == 403  # one row only


def test_admin_catalogue_writes_go_through_the_services(bank, hq_admin):
    response = hq_admin.post("/admin/services/product/add/", {
        "code": "trade_finance", "name_zh": "贸易融资", "name_en": "Trade finance", "family": "international",
        "annual_margin_pct": "1.2", "active": "on"})
    assert response.status_code == 302, response.content.decode()[:3000]
    product = Product.objects.get(code="trade_finance")
    assert product.history.first().history_user == bank.hq
    bad = hq_admin.post(f"/admin/services/product/{product.pk}/change/", {
        "name_zh": "贸易融资", "name_en": "Trade finance", "family": "international", "annual_margin_pct": "101",
        "active": "on"})
    assert bad.status_code == 200
    product.refresh_from_db()
    assert product.annual_margin_pct == Decimal("1.2")
    partner = hq_admin.post("/admin/services/partner/add/", {
        "code": "partner-law-2", "name": "贵州某律所", "kind": "law_firm", "products": [product.pk], "active": "on"})
    assert partner.status_code == 302, partner.content.decode()[:3000]
    assert list(Partner.objects.get(code="partner-law-2").products.values_list("code", flat=True)) == ["trade_finance"]


def test_catalogue_services_are_head_office_only(bank):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        catalogue.product_update(bank.head_gy, Product.objects.get(code="cash_pool"), annual_margin_pct=Decimal("9"))
    with pytest.raises(PermissionDenied):
        catalogue.partner_create(bank.rm_gy1, code="x", name="x", kind="other")


def test_upload_page_offers_the_new_kinds_and_refuses_rates_to_an_rm(bank, client_as):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.imports.helpers import ensure_source_systems

    ensure_source_systems()
    html = client_as(bank.rm_gy1).get("/imports/").content.decode()
    assert 'value="holdings"' in html and 'value="fx_rates"' not in html  # rates are head office's
    assert 'value="fx_rates"' in client_as(bank.hq).get("/imports/").content.decode()
    content = b"currency,date,rate\nUSD,2025-03-03,7.1\n"
    response = client_as(bank.rm_gy1).post("/imports/", {
        "kind": "fx_rates", "source_system": "erp", "file": SimpleUploadedFile("fx.csv", content, "text/csv")})
    assert response.context["form"].errors["kind"]  # not a kind this user may import
    assert not FxRate.objects.exists()
    with pytest.raises(PermissionDenied, match="Exchange rates are set by head office."):
        from services.importers import FxRateImporter

        FxRateImporter(user=bank.rm_gy1)
    ok = client_as(bank.hq).post("/imports/", {
        "kind": "fx_rates", "source_system": "erp", "file": SimpleUploadedFile("fx.csv", content, "text/csv")})
    assert ok.status_code == 200 and ok.context["result"].ok
    assert not FxRate.objects.exists()  # a preview
