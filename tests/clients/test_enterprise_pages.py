"""Enterprise list and page, and the forms that change client data from the pages."""

from decimal import Decimal

import pytest
from django.urls import reverse

from clients.models import (
    ControlLink,
    Enterprise,
    FinancialStatement,
    GroupMembership,
    Interaction,
    KeyPerson,
)
from clients.services import enterprise_update
from tests.factories import ControlLinkFactory, EnterpriseFactory, PersonFactory, uscc_for


def detail(pk):
    return reverse("clients:enterprise_detail", args=[pk])


@pytest.fixture
def core(bank):
    return bank.group_gy.core_enterprise


def test_enterprise_page_renders_facts_groups_and_links_for_covering_rm(bank, client_as, core):
    r = client_as(bank.rm_gy1).get(detail(core.pk))
    assert r.status_code == 200
    body = r.content.decode()
    assert core.uscc in body and core.industry_label in body
    assert bank.group_gy.name in body.split('id="groups"')[1]
    assert len(r.context["children"]) == 2 and r.context["parents"] == []


def test_rm_of_other_branch_gets_404_on_enterprise_pages(bank, client_as, core):
    c = client_as(bank.rm_zy1)
    for name in ["enterprise_detail", "enterprise_edit", "control_link_create", "interaction_create",
                 "financial_statement_create"]:
        assert c.get(reverse(f"clients:{name}", args=[core.pk])).status_code == 404, name
    r = c.post(reverse("clients:interaction_create", args=[core.pk]),
               {"kind": "visit", "occurred_at": "2026-11-01T10:00", "subject": "x"})
    assert r.status_code == 404
    assert not Interaction.objects.exists()


def test_risk_officer_gets_403_on_enterprise_edit_pages(bank, client_as, core):
    c = client_as(bank.risk_gy)
    assert c.get(detail(core.pk)).status_code == 200
    for name in ["enterprise_edit", "control_link_create", "interaction_create", "financial_statement_create"]:
        assert c.get(reverse(f"clients:{name}", args=[core.pk])).status_code == 403, name
    assert c.get(reverse("clients:enterprise_create")).status_code == 403
    assert c.post(reverse("clients:enterprise_create"), {"name": "x", "uscc": uscc_for(7)}).status_code == 403
    assert not Enterprise.objects.filter(uscc=uscc_for(7)).exists()


def test_create_enterprise_with_bad_credit_code_shows_the_field_error_and_creates_nothing(bank, client_as):
    good = uscc_for(4242)
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    before = Enterprise.objects.count()
    r = client_as(bank.rm_gy1).post(reverse("clients:enterprise_create"), {"name": "新企业", "uscc": bad})
    assert r.status_code == 200
    errors = r.context["form"].errors
    assert list(errors) == ["uscc"]
    assert "check character" in errors["uscc"][0] or "校验" in errors["uscc"][0]
    # The message sits inside the credit-code field's own block, not only at the top of the form.
    field_block = r.content.decode().split('id="field-uscc"')[1].split('id="field-')[0]
    assert "errorlist" in field_block and errors["uscc"][0].split(":")[0] in field_block
    assert Enterprise.objects.count() == before


def test_create_enterprise_sets_the_rm_and_branch_and_redirects(bank, client_as):
    code = uscc_for(4243)
    r = client_as(bank.rm_gy1).post(reverse("clients:enterprise_create"),
                                    {"name": " 新供应商有限公司 ", "uscc": code.lower(), "region": "52", "claim": "on"})
    e = Enterprise.objects.get(uscc=code)
    assert r.status_code == 302 and r["Location"] == detail(e.pk)
    assert (e.name, e.rm, e.branch) == ("新供应商有限公司", bank.rm_gy1, bank.gy1)
    assert e.history.get().history_user == bank.rm_gy1


def test_an_unticked_claim_records_an_unowned_prospect_in_the_recorders_full_record(bank, client_as):
    code = uscc_for(4244)
    c = client_as(bank.rm_gy1)
    r = c.post(reverse("clients:enterprise_create"), {"name": "链上供应商有限公司", "uscc": code})
    e = Enterprise.objects.get(uscc=code)
    assert r.status_code == 302
    assert (e.branch, e.rm, e.recorded_by, e.is_client) == (None, None, bank.rm_gy1, False)
    assert c.get(detail(e.pk)).templates[0].name == "clients/enterprise_detail.html"
    # Nobody else's full record: rm_gy2 of the same branch does not reach it at all.
    assert client_as(bank.rm_gy2).get(detail(e.pk)).status_code == 404
    bad = c.post(reverse("clients:enterprise_create"), {"name": "客户", "uscc": uscc_for(4245), "is_client": "on"})
    assert "is_client" in bad.context["form"].errors


def test_duplicate_credit_code_is_a_field_error(bank, client_as, core):
    r = client_as(bank.rm_gy1).post(reverse("clients:enterprise_create"), {"name": "重复", "uscc": core.uscc})
    assert r.status_code == 200 and "uscc" in r.context["form"].errors


def test_edit_enterprise_records_history_shown_on_the_page(bank, client_as, core):
    c = client_as(bank.rm_gy1)
    data = {"name": core.name, "uscc": core.uscc, "industry": "C36", "region": "52", "is_client": "on",
            "size": "large"}
    bad = c.post(reverse("clients:enterprise_edit", args=[core.pk]), {**data, "industry": "X99"})
    assert "industry" in bad.context["form"].errors
    # The rating and the ownership fields are not on an RM's form: posting them changes nothing.
    r = c.post(reverse("clients:enterprise_edit", args=[core.pk]),
               {**data, "internal_rating": "AA", "branch": bank.zy1.pk}, follow=True)
    assert r.redirect_chain[-1][0] == detail(core.pk)
    core.refresh_from_db()
    assert (core.size, core.internal_rating, core.branch) == ("large", "", bank.gy1)
    entry = r.context["history"][0]
    assert entry.user == bank.rm_gy1
    changes = {c.field: (str(c.old), str(c.new)) for c in entry.changes}
    assert changes["size"] == ("—", "Large")


def test_history_names_related_objects(bank, client_as, core):
    enterprise_update(user=bank.hq, enterprise=core, rm=bank.rm_gy2)
    r = client_as(bank.head_gy).get(detail(core.pk))
    change = next(c for c in r.context["history"][0].changes if c.field == "rm")
    assert (change.old, change.new) == ("rm_gy1", "rm_gy2")
    assert r.context["history"][0].user == bank.hq


def test_control_link_added_on_the_page_refreshes_membership_and_the_tree(bank, client_as, core):
    c = client_as(bank.rm_gy1)
    newco = EnterpriseFactory(name="新收购子公司", rm=bank.rm_gy1, branch=bank.gy1)
    url = reverse("clients:control_link_create", args=[newco.pk])
    # Neither parent, then both parents: one clear message.
    r = c.post(url, {"share_pct": "70", "control_type": "equity"})
    assert r.context["form"].non_field_errors()
    # A credit code no enterprise of the user's has.
    r = c.post(url, {"parent_uscc": uscc_for(999_999), "share_pct": "70", "control_type": "equity"})
    assert "parent_uscc" in r.context["form"].errors
    r = c.post(url, {"parent_uscc": core.uscc, "share_pct": "170", "control_type": "equity"})
    assert "share_pct" in r.context["form"].errors
    assert not ControlLink.objects.filter(child=newco).exists()

    r = c.post(url, {"parent_uscc": core.uscc, "share_pct": "70", "control_type": "equity"})
    assert r.status_code == 302 and r["Location"] == detail(newco.pk)
    assert GroupMembership.objects.filter(group=bank.group_gy, enterprise=newco).exists()
    page = c.get(reverse("clients:group_detail", args=[bank.group_gy.pk])).content.decode()
    tree = page.split('<ul class="tree">')[1].split('id="control-tree-data"')[0]
    assert "新收购子公司" in tree and "70.00%" in tree


def test_control_link_delete_asks_for_confirmation_then_deletes(bank, client_as, core):
    c = client_as(bank.rm_gy1)
    newco = EnterpriseFactory(name="自有客户", rm=bank.rm_gy1, branch=bank.gy1)
    link = ControlLinkFactory(parent_enterprise=core, child=newco, share_pct=Decimal("80"))
    delete = reverse("clients:control_link_delete", args=[newco.pk, link.pk])
    confirm = c.get(delete)
    assert confirm.status_code == 200 and '<form method="post"' in confirm.content.decode()
    assert ControlLink.objects.filter(pk=link.pk).exists()
    r = c.post(delete)
    # The RM is the enterprise's own RM: it stays in scope, so back to its page.
    assert r.status_code == 302 and r["Location"] == detail(newco.pk)
    assert not ControlLink.objects.filter(pk=link.pk).exists()
    assert link.history.filter(history_type="-").get().history_user == bank.rm_gy1


def test_control_link_edit_below_control_drops_the_member_and_returns_to_the_parent(bank, client_as, core):
    c = client_as(bank.rm_gy1)
    link = ControlLink.objects.filter(parent_enterprise=core).select_related("child").first()
    child = link.child
    edit = reverse("clients:control_link_edit", args=[child.pk, link.pk])
    assert c.get(edit).context["form"].initial["parent_uscc"] == core.uscc
    r = c.post(edit, {"parent_uscc": core.uscc, "share_pct": "30", "control_type": "equity"})
    assert not GroupMembership.objects.filter(group=bank.group_gy, enterprise=child).exists()
    # The child has left the RM's full record with the group; held by their core at 30 %, it is a
    # counterparty now: its page shows the card and the link, not its record.
    assert r.status_code == 302 and r["Location"] == detail(core.pk)
    page = c.get(detail(child.pk))
    assert page.status_code == 200 and page.templates[0].name == "clients/enterprise_counterparty.html"


def test_control_link_of_another_enterprise_is_404(bank, client_as, core):
    link = ControlLink.objects.filter(parent_enterprise=core).first()
    other = ControlLink.objects.filter(parent_enterprise=bank.group_zy.core_enterprise).first()
    c = client_as(bank.rm_gy1)
    # Right link, wrong enterprise in the URL; and a link out of scope.
    assert c.get(reverse("clients:control_link_edit", args=[core.pk, link.pk])).status_code == 404
    assert c.post(reverse("clients:control_link_delete", args=[other.child_id, other.pk])).status_code == 404
    assert ControlLink.objects.filter(pk=other.pk).exists()


def test_person_id_number_is_masked_for_rm_and_full_for_head_office(bank, client_as, core):
    person = PersonFactory(name="李董事长")
    KeyPerson.objects.create(enterprise=core, person=person, role="chairman")
    controller = PersonFactory(name="赵实控")
    ControlLinkFactory(parent_person=controller, child=core, share_pct=Decimal("55"))
    masked = person.id_number[:4] + "*" * 10 + person.id_number[-4:]

    rm_page = client_as(bank.rm_gy1).get(detail(core.pk)).content.decode()
    assert person.id_number not in rm_page and controller.id_number not in rm_page
    assert masked in rm_page
    for user in (bank.head_gy, bank.risk_gy):
        assert person.id_number not in client_as(user).get(detail(core.pk)).content.decode()

    hq_page = client_as(bank.hq).get(detail(core.pk)).content.decode()
    assert person.id_number in hq_page and controller.id_number in hq_page


def test_interaction_logged_on_the_enterprise_shows_on_both_pages(bank, client_as, core):
    c = client_as(bank.rm_gy1)
    url = reverse("clients:interaction_create", args=[core.pk])
    bad = c.post(url, {"kind": "visit", "occurred_at": "not a date", "subject": "走访"})
    assert "occurred_at" in bad.context["form"].errors
    r = c.post(url, {"kind": "visit", "occurred_at": "2026-11-20T10:30", "subject": "年度走访", "notes": "谈现金池"})
    assert r.status_code == 302
    i = Interaction.objects.get()
    assert (i.staff, i.enterprise) == (bank.rm_gy1, core)
    assert "年度走访" in c.get(detail(core.pk)).content.decode()
    assert "年度走访" in c.get(reverse("clients:group_detail", args=[bank.group_gy.pk])).content.decode()


def test_financial_statement_added_on_the_page_shows_on_the_360_page(bank, client_as, core):
    c = client_as(bank.rm_gy1)
    url = reverse("clients:financial_statement_create", args=[core.pk])
    r = c.post(url, {"period_end": "2025-12-31", "period_type": "annual", "revenue": "123456789",
                     "net_profit": "1000", "total_assets": "1000000", "total_liabilities": "650000"})
    assert r.status_code == 302
    assert FinancialStatement.objects.get(enterprise=core).revenue == Decimal("123456789")
    page = c.get(reverse("clients:group_detail", args=[bank.group_gy.pk])).content.decode()
    fin = page.split('id="financials"')[1]
    assert "123,456,789" in fin and "65.0%" in fin


def test_enterprise_list_search_filter_and_scope(bank, client_as, core):
    c = client_as(bank.rm_gy1)
    url = reverse("clients:enterprise_list")
    all_mine = c.get(url).context["paginator"].count
    assert all_mine == 3
    assert [e.pk for e in c.get(url, {"q": core.uscc}).context["enterprises"]] == [core.pk]
    assert [e.pk for e in c.get(url, {"q": "核心"}).context["enterprises"]] == [core.pk]
    assert c.get(url, {"q": bank.group_zy.core_enterprise.uscc}).context["paginator"].count == 0
    Enterprise.objects.filter(pk=core.pk).update(is_client=False)
    assert [e.pk for e in c.get(url, {"is_client": "false"}).context["enterprises"]] == [core.pk]


def test_the_enterprise_list_pages_its_rows(bank, client_as):
    from tests.clients.helpers import bulk_enterprises

    c = client_as(bank.head_gy)
    bulk_enterprises(80, branch=bank.gy2)
    r = c.get(reverse("clients:enterprise_list"))
    assert len(r.context["enterprises"]) == 25
