"""Group list and group 360 pages: scoping, search, filters, paging, the tree, query budgets."""

from decimal import Decimal

import pytest
from django.urls import reverse

from clients.models import ControlLink, Enterprise, GroupClient, Tier
from clients.services import group_client_update, group_membership_refresh
from tests.clients.helpers import big_group
from tests.factories import ControlLinkFactory, EnterpriseFactory


def names_in(response):
    return [g.name for g in response.context["groups"]]


def test_group_list_shows_the_groups_the_rm_covers(bank, client_as):
    r = client_as(bank.rm_gy1).get(reverse("clients:group_list"))
    assert r.status_code == 200
    assert names_in(r) == [bank.group_gy.name]
    body = r.content.decode()
    assert bank.group_gy.core_enterprise.name in body
    assert bank.group_zy.name not in body


def test_anonymous_is_redirected_to_login(client, bank):
    for url in [
        reverse("clients:group_list"),
        reverse("clients:group_detail", args=[bank.group_gy.pk]),
        reverse("clients:group_edit", args=[bank.group_gy.pk]),
        reverse("clients:enterprise_list"),
        reverse("clients:enterprise_detail", args=[bank.group_gy.core_enterprise_id]),
    ]:
        r = client.get(url)
        assert r.status_code == 302, url
        assert r["Location"].startswith(reverse("login")), url


def test_rm_of_other_branch_gets_404_on_group_detail_and_edit(bank, client_as):
    c = client_as(bank.rm_zy1)
    assert c.get(reverse("clients:group_detail", args=[bank.group_gy.pk])).status_code == 404
    assert c.get(reverse("clients:group_edit", args=[bank.group_gy.pk])).status_code == 404
    r = c.post(reverse("clients:group_edit", args=[bank.group_gy.pk]), {"name": "hijack"})
    assert r.status_code == 404
    assert GroupClient.objects.get(pk=bank.group_gy.pk).name == bank.group_gy.name


def test_rm_of_same_branch_not_covering_gets_404(bank, client_as):
    assert client_as(bank.rm_gy2).get(reverse("clients:group_detail", args=[bank.group_gy.pk])).status_code == 404


def test_risk_officer_reads_the_360_page_but_gets_403_on_edit(bank, client_as):
    c = client_as(bank.risk_gy)
    r = c.get(reverse("clients:group_detail", args=[bank.group_gy.pk]))
    assert r.status_code == 200
    assert reverse("clients:group_edit", args=[bank.group_gy.pk]) not in r.content.decode()
    assert c.get(reverse("clients:group_edit", args=[bank.group_gy.pk])).status_code == 403
    assert c.get(reverse("clients:group_create")).status_code == 403


def test_user_without_role_gets_403_on_edit_and_sees_no_groups(bank, client_as):
    c = client_as(bank.outsider)
    # Out of reach answers 404 for every role, before the role check.
    assert c.get(reverse("clients:group_edit", args=[bank.group_gy.pk])).status_code == 404
    assert c.get(reverse("clients:group_detail", args=[bank.group_gy.pk])).status_code == 404
    assert names_in(c.get(reverse("clients:group_list"))) == []
    # In reach, a role that may not edit gets 403.
    assert client_as(bank.risk_gy).get(reverse("clients:group_edit", args=[bank.group_gy.pk])).status_code == 403


@pytest.fixture
def catalogue(bank):
    """Three groups for hq to search: different tiers, industries and regions."""
    auto = bank.group_gy  # core: C36, region 52, tier key
    wine = bank.group_zy
    Enterprise.objects.filter(pk=wine.core_enterprise_id).update(industry="C15", region="52")
    core = EnterpriseFactory(name="四川能源投资有限公司", industry="D44", region="51", branch=bank.gy1)
    energy = GroupClient.objects.create(name="川能集团", core_enterprise=core, lead_rm=bank.rm_gy1,
                                        branch=bank.gy1, tier="strategic")
    return auto, wine, energy


def test_search_by_group_name_core_name_and_exact_credit_code(bank, client_as, catalogue):
    auto, wine, energy = catalogue
    c = client_as(bank.hq)
    url = reverse("clients:group_list")
    assert names_in(c.get(url, {"q": "酒业"})) == [wine.name]
    assert names_in(c.get(url, {"q": "四川能源"})) == [energy.name]
    assert names_in(c.get(url, {"q": auto.core_enterprise.uscc.lower()})) == [auto.name]
    # Part of a credit code (issue 8: 4 characters or more, clients.search) matches too; 3 do not.
    assert names_in(c.get(url, {"q": auto.core_enterprise.uscc[-6:]})) == [auto.name]
    assert names_in(c.get(url, {"q": auto.core_enterprise.uscc[-3:]})) == []


def test_filters_by_tier_industry_section_and_region(bank, client_as, catalogue):
    auto, wine, energy = catalogue
    c = client_as(bank.hq)
    url = reverse("clients:group_list")
    assert names_in(c.get(url, {"tier": "strategic"})) == [energy.name]
    assert sorted(names_in(c.get(url, {"industry": "C"}))) == sorted([auto.name, wine.name])
    assert names_in(c.get(url, {"industry": "D"})) == [energy.name]
    assert names_in(c.get(url, {"region": "51"})) == [energy.name]
    assert names_in(c.get(url, {"region": "52", "tier": "key", "q": "汽车"})) == [auto.name]


def test_htmx_request_gets_only_the_table_fragment(bank, client_as):
    r = client_as(bank.rm_gy1).get(reverse("clients:group_list"), {"q": "汽车"}, HTTP_HX_REQUEST="true")
    body = r.content.decode()
    assert r.status_code == 200
    assert "<html" not in body and 'id="group-table"' in body
    assert bank.group_gy.name in body


def test_group_list_is_paginated_by_25_and_keeps_the_filters(bank, client_as):
    GroupClient.objects.bulk_create(
        [GroupClient(name=f"分页集团{i:02d}", core_enterprise=EnterpriseFactory(), lead_rm=bank.rm_gy1,
                     branch=bank.gy1, tier="general") for i in range(30)]
    )
    c = client_as(bank.rm_gy1)
    first = c.get(reverse("clients:group_list"), {"tier": "general"})
    assert len(first.context["groups"]) == 25
    assert "tier=general&amp;page=2" in first.content.decode()
    second = c.get(reverse("clients:group_list"), {"tier": "general", "page": 2})
    assert len(second.context["groups"]) == 5


def test_360_page_shows_header_figures_tree_members_and_history(bank, client_as):
    group = bank.group_gy
    r = client_as(bank.rm_gy1).get(reverse("clients:group_detail", args=[group.pk]))
    assert r.status_code == 200
    body = r.content.decode()
    assert group.get_tier_display() in body and bank.gy1.name in body
    assert 'id="key-figures"' in body and "5,000,000,000" in body
    assert '<ul class="tree">' in body and "60.00%" in body
    assert 'id="control-tree-data"' in body
    assert "js/control-tree.js" in body and "vendor/echarts/echarts.min.js" in body
    assert r.context["member_total"] == 3


def test_actual_controller_appears_as_a_person_at_the_top_of_the_tree(bank, client_as):
    from tests.factories import PersonFactory

    person = PersonFactory(name="王实控")
    ControlLinkFactory(parent_person=person, child=bank.group_gy.core_enterprise, share_pct=Decimal("80"),
                       control_type="actual")
    group_membership_refresh(groups=[bank.group_gy])
    body = client_as(bank.rm_gy1).get(reverse("clients:group_detail", args=[bank.group_gy.pk])).content.decode()
    assert '<li data-kind="person"><span class="person"' in body
    assert "王实控" in body
    # The person's ID number never appears on the 360 page.
    assert person.id_number not in body


def test_ownership_cycle_is_shown_as_a_warning(bank, client_as):
    group = bank.group_gy
    a, b = [m.enterprise for m in group.memberships.select_related("enterprise").exclude(depth=0)]
    ControlLink.objects.create(parent_enterprise=a, child=b, share_pct=Decimal("10"))
    ControlLink.objects.create(parent_enterprise=b, child=a, share_pct=Decimal("10"))
    group_membership_refresh(groups=[group])
    r = client_as(bank.rm_gy1).get(reverse("clients:group_detail", args=[group.pk]))
    body = r.content.decode()
    assert 'id="membership-warnings"' in body
    assert a.name in body.split('id="membership-warnings"')[1].split("</div>")[0]


def test_change_history_shows_who_changed_which_fields(bank, client_as):
    from clients.services import group_limit_set

    group = bank.group_gy
    group_client_update(user=bank.rm_gy1, group=group, tier="strategic")
    group_limit_set(user=bank.risk_gy, group=group, limit=Decimal("6000000000.00"))
    group_client_update(user=bank.hq, group=group, team=[bank.rm_gy2])
    r = client_as(bank.head_gy).get(reverse("clients:group_detail", args=[group.pk]))
    history = r.context["history"]
    changed = next(e for e in history if any(c.field == "tier" for c in e.changes))
    assert changed.user == bank.rm_gy1
    tier = next(c for c in changed.changes if c.field == "tier")
    assert (str(tier.old), str(tier.new)) == (str(Tier.KEY.label), str(Tier.STRATEGIC.label))
    limit = next(e for e in history if any(c.field == "unified_credit_limit" for c in e.changes))
    assert limit.user == bank.risk_gy
    team = next(e for e in history if any(c.field == "team" for c in e.changes))
    assert team.user == bank.hq and next(c for c in team.changes if c.field == "team").new == "rm_gy2"
    body = r.content.decode().split('id="history"')[1]
    assert "rm_gy1" in body and "risk_gy" in body and "6,000,000,000.00" in body


def test_edit_group_through_the_page_records_the_editor(bank, client_as):
    group = bank.group_gy
    c = client_as(bank.rm_gy1)
    url = reverse("clients:group_edit", args=[group.pk])
    assert set(c.get(url).context["form"].fields) == {"name", "core_uscc", "tier"}
    data = {"name": group.name, "core_uscc": "9152", "tier": "strategic"}
    r = c.post(url, data)
    assert r.status_code == 200 and r.context["form"].errors["core_uscc"]
    # Ownership and limit fields are not on an RM's form: posted anyway, they change nothing.
    data.update(core_uscc=group.core_enterprise.uscc, team=[bank.rm_gy2.pk], branch=bank.zy1.pk,
                unified_credit_limit="7000000000")
    r = c.post(url, data, follow=True)
    assert r.redirect_chain[-1][0] == reverse("clients:group_detail", args=[group.pk])
    group.refresh_from_db()
    assert group.tier == "strategic" and group.unified_credit_limit == Decimal("5000000000.00")
    assert list(group.team.all()) == [] and group.branch == bank.gy1
    assert group.history.first().history_user == bank.rm_gy1
    assert any(m.level_tag == "success" for m in r.context["messages"])


def test_group_create_needs_a_known_core_credit_code(bank, client_as):
    c = client_as(bank.rm_gy1)
    core = EnterpriseFactory(name="新核心企业", branch=bank.gy1, rm=bank.rm_gy1)
    base = {"name": "新集团", "lead_rm": bank.rm_gy1.pk, "branch": bank.gy1.pk, "tier": "key",
            "unified_credit_limit": "100"}
    bad = c.post(reverse("clients:group_create"), {**base, "core_uscc": "91520100000000001X"})
    assert bad.status_code == 200 and "core_uscc" in bad.context["form"].errors
    other_branch = c.post(reverse("clients:group_create"),
                          {**base, "core_uscc": bank.group_zy.core_enterprise.uscc})
    assert "core_uscc" in other_branch.context["form"].errors
    taken = c.post(reverse("clients:group_create"), {**base, "core_uscc": bank.group_gy.core_enterprise.uscc})
    assert "core_uscc" in taken.context["form"].errors
    assert not GroupClient.objects.filter(name="新集团").exists()
    ok = c.post(reverse("clients:group_create"), {**base, "core_uscc": core.uscc})
    group = GroupClient.objects.get(name="新集团")
    assert ok.status_code == 302 and ok["Location"] == reverse("clients:group_detail", args=[group.pk])
    assert group.memberships.count() == 1


# --- large groups (query counts: tests/test_query_counts.py) -----------------------------------------------


def test_the_360_page_of_a_large_group_lists_every_member_and_pages_the_table(bank, client_as):
    c = client_as(bank.rm_gy1)
    large = big_group(name="大集团", branch=bank.gy1, lead_rm=bank.rm_gy1, members=500)
    r = c.get(reverse("clients:group_detail", args=[large.pk]))
    assert r.context["member_total"] == 501
    assert r.content.decode().count('<li data-kind="enterprise">') == 501
    assert len(r.context["interactions"]) == 10
    # Members are listed 50 a page; htmx asks for the member table alone.
    last = c.get(reverse("clients:group_detail", args=[large.pk]), {"mpage": 11}, HTTP_HX_REQUEST="true")
    assert "<html" not in last.content.decode() and len(last.context["member_page"]) == 1


def test_the_group_list_pages_sixty_groups(bank, client_as):
    c = client_as(bank.head_gy)
    for i in range(59):
        big_group(name=f"列表集团{i:02d}", branch=bank.gy2, lead_rm=bank.rm_gy2, members=1)
    r = c.get(reverse("clients:group_list"))
    assert r.context["paginator"].count == 60
