"""The RM workbench (the landing page): open needs ranked by value with their evidence, filters by
product and group (htmx), inline status changes through the needs endpoint, the branch summary."""

from decimal import Decimal

import pytest
from django.urls import reverse

from clients.models import GroupClient
from services.models import Need, Product
from tests.factories import EnterpriseFactory
from tests.querycount import count_queries


def need(enterprise, group, code, value, *, status="new", current=True, rule=None, evidence="依据"):
    return Need.objects.create(enterprise=enterprise, group=group, product=Product.objects.get(code=code),
                               rule=rule or code, score=70, value=Decimal(value), evidence=evidence,
                               evidence_en=f"evidence of {code} {value}", status=status, is_current=current)


@pytest.fixture
def needs(bank):
    g, z = bank.group_gy, bank.group_zy
    members = [m.enterprise for m in g.memberships.select_related("enterprise").order_by("pk")]
    return {
        "rf": need(members[1], g, "receivables_financing", "250000"),
        "cp": need(members[0], g, "cash_pool", "90000"),
        "contacted_lapsed": need(members[2], g, "fx_hedging", "50000", status="contacted", current=False),
        "lapsed": need(members[2], g, "wealth_management", "999999", current=False),
        "dismissed": need(members[0], g, "settlement", "888888", status="dismissed"),
        "other_branch": need(z.core_enterprise, z, "payroll", "777777"),
    }


def workbench(client, **params):
    return client.get(reverse("services:workbench_needs"), params, HTTP_HX_REQUEST="true")


def test_rm_landing_lists_open_needs_by_value_with_evidence(bank, client_as, needs):
    page = client_as(bank.rm_gy1).get(reverse("home"))
    panel = {p.key: p for p in page.context["panels"]}["my-needs"]
    shown = list(panel.context.page.object_list)
    assert shown == [needs["rf"], needs["cp"], needs["contacted_lapsed"]]
    html = page.content.decode()
    assert "evidence of receivables_financing 250000" in html
    assert f'id="need-{needs["rf"].pk}"' in html and "need-contacted" in html  # the inline buttons
    assert "888888" not in html and "777777" not in html and "999999" not in html


def test_filters_by_product_and_group_answer_the_list_fragment(bank, client_as, needs):
    rm = client_as(bank.rm_gy1)
    answer = workbench(rm, product="cash_pool")
    html = answer.content.decode()
    assert answer.status_code == 200 and html.startswith('<div id="needs-list">')
    assert f'id="need-{needs["cp"].pk}"' in html and f'id="need-{needs["rf"].pk}"' not in html
    other = GroupClient.objects.create(name="另一个集团", core_enterprise=EnterpriseFactory(branch=bank.gy1, rm=bank.rm_gy1),
                                       lead_rm=bank.rm_gy1, branch=bank.gy1, tier="key")
    html = workbench(rm, group=other.pk).content.decode()
    assert "need-row" not in html and 'id="needs-empty"' in html
    # Without htmx, the same list as a page of its own.
    full = rm.get(reverse("services:workbench_needs"), {"group": bank.group_gy.pk})
    assert full.status_code == 200 and "<html" in full.content.decode()


@pytest.mark.parametrize("params", [
    {"product": "<script>alert(1)</script>"}, {"product": "x" * 5000}, {"group": "abc"}, {"group": "-1"},
    {"group": "9" * 40}, {"page": "-3"}, {"page": "99999999999999999999"}, {"page": "1e3"}, {"product": ["a", "b"]},
])
def test_hostile_filters_are_ignored(bank, client_as, needs, params):
    answer = workbench(client_as(bank.rm_gy1), **params)
    assert answer.status_code == 200
    html = answer.content.decode()
    assert "<script>alert(1)</script>" not in html
    assert f'id="need-{needs["rf"].pk}"' in html


def test_other_branch_rm_sees_none_of_group_gys_needs_even_when_filtering_by_it(bank, client_as, needs):
    html = workbench(client_as(bank.rm_zy1), group=bank.group_gy.pk).content.decode()
    assert f'id="need-{needs["other_branch"].pk}"' in html  # the filter on a group out of reach is ignored
    assert f'id="need-{needs["rf"].pk}"' not in html
    home = client_as(bank.rm_zy1).get(reverse("home")).content.decode()
    assert "250000" not in home and "evidence of receivables_financing" not in home


def test_inline_status_change_from_the_workbench_row(bank, client_as, needs):
    rm = client_as(bank.rm_gy1)
    answer = rm.post(reverse("services:need_status", args=[needs["rf"].pk]), {"status": "contacted"},
                     HTTP_HX_REQUEST="true")
    assert answer.status_code == 200
    assert answer.content.decode().startswith(f'<tr id="need-{needs["rf"].pk}"')
    needs["rf"].refresh_from_db()
    assert needs["rf"].status == "contacted"
    # Still on the workbench: contacted is open.
    assert f'id="need-{needs["rf"].pk}"' in workbench(rm).content.decode()
    # Out of reach: 404, nothing changes.
    other = client_as(bank.rm_zy1).post(reverse("services:need_status", args=[needs["cp"].pk]),
                                        {"status": "contacted"}, HTTP_HX_REQUEST="true")
    assert other.status_code == 404
    needs["cp"].refresh_from_db()
    assert needs["cp"].status == "new"


def test_risk_officer_reads_needs_on_the_group_page_without_buttons(bank, client_as, needs):
    html = client_as(bank.risk_gy).get(reverse("clients:group_detail", args=[bank.group_gy.pk])).content.decode()
    assert f'id="need-{needs["rf"].pk}"' in html and 'class="need-contacted"' not in html
    assert 'id="refresh-needs-form"' in html  # reading roles may refresh (it writes no client data)


def test_rm_group_page_lists_the_groups_open_needs_and_the_refresh_button(bank, client_as, needs):
    html = client_as(bank.rm_gy1).get(reverse("clients:group_detail", args=[bank.group_gy.pk])).content.decode()
    assert f'id="need-{needs["rf"].pk}"' in html and f'id="need-{needs["dismissed"].pk}"' not in html
    assert 'id="refresh-needs-form"' in html
    assert reverse("services:group_refresh_needs", args=[bank.group_gy.pk]) in html


def test_branch_head_sees_open_needs_by_product(bank, client_as, needs):
    page = client_as(bank.head_gy).get(reverse("home"))
    panel = {p.key: p for p in page.context["panels"]}["needs-summary"]
    summary = panel.context["summary"]
    assert summary["count"] == 3 and summary["value"] == Decimal("390000")
    assert [r["count"] for r in summary["rows"]] == [1, 1, 1]
    assert summary["rows"][0]["product"] == "Receivables financing"
    hq = {p.key: p for p in client_as(bank.hq).get(reverse("home")).context["panels"]}["needs-summary"]
    assert hq.context["summary"]["count"] == 4  # head office: every branch


def test_workbench_queries_do_not_grow_with_the_needs(bank, client_as, needs):
    rm = client_as(bank.rm_gy1)
    urls = {"home": reverse("home"), "fragment": reverse("services:workbench_needs") + "?product=cash_pool"}
    count_queries(rm, urls["home"], label="warm-up")
    small = {k: count_queries(rm, u, label=k) for k, u in urls.items()}
    members = [m.enterprise for m in bank.group_gy.memberships.select_related("enterprise")]
    for i in range(30):
        need(members[i % len(members)], bank.group_gy, "cash_pool", str(1000 + i), rule="manual")
    big = {k: count_queries(rm, u, label=k) for k, u in urls.items()}
    assert big == small
    # The landing: 9 before issue 9, plus the workbench's 4 (products offered, groups offered, count and value,
    # the page) and the needs job's last run; the workbench as a page of its own: session, user, scope,
    # base.html's profile and the same 5.
    assert small == {"home": 15, "fragment": 9}, small
    head = client_as(bank.head_gy)
    count_queries(head, urls["home"], label="warm-up")
    assert count_queries(head, urls["home"], label="branch head landing") == 11  # 9 + needs by product 2


def test_the_refresh_button_records_a_run_the_group_page_shows(bank, client_as, needs,
                                                                django_capture_on_commit_callbacks):
    rm = client_as(bank.rm_gy1)
    url = reverse("clients:group_detail", args=[bank.group_gy.pk])
    assert "Not refreshed yet" in rm.get(url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):  # the outbox hands the task over after the commit
        answer = rm.post(reverse("services:group_refresh_needs", args=[bank.group_gy.pk]))
    assert answer.status_code == 302 and answer["Location"] == url
    html = rm.get(url).content.decode()
    assert "Last refreshed: " in html and "(Succeeded)" in html
    assert client_as(bank.rm_zy1).post(reverse("services:group_refresh_needs", args=[bank.group_gy.pk])).status_code == 404


def test_workbench_list_needs_a_login_and_shows_nothing_without_a_role(bank, client_as, needs):
    from django.test import Client

    url = reverse("services:workbench_needs")
    anonymous = Client().get(url)
    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]
    html = workbench(client_as(bank.outsider)).content.decode()
    assert "need-row" not in html and 'id="needs-empty"' in html


def test_the_workbench_says_when_the_needs_were_last_refreshed(bank, client_as):
    from core.models import JobRun

    before = client_as(bank.rm_gy1).get("/").content.decode()
    assert 'id="needs-last-refresh">Not refreshed yet' in before
    JobRun.objects.create(job="refresh_needs", status="success", started_at="2026-11-28T01:00:00+08:00")
    after = client_as(bank.rm_gy1).get("/").content.decode()
    assert "Last refreshed: 2026-11-28 01:00 (Succeeded)" in after
