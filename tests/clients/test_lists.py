"""The group and enterprise lists people work: sortable columns (pinyin order on PostgreSQL), the
mine / branch-subtree / sub-branch / RM filters, the totals row, limit use and its colour, the API's
strict filters, and the one sort whitelist (core.sorting)."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test import RequestFactory
from django.urls import reverse

from clients import limits
from clients.filtersets import ENTERPRISE_SORTING, GROUP_SORTING, GroupClientFilterSet
from clients.models import GroupClient
from clients.selectors import enterprise_list, group_client_list, group_client_totals
from core.sorting import SortFilter
from tests.clients.lists_helpers import group_with
from tests.factories import EnterpriseFactory

API = "/api/v1"
# Code-point order: 张 (U+5F20) < 白 (U+767D) < 阿 (U+963F) < 陈 (U+9648); pinyin: a, bai, chen, zhang.
PINYIN_ORDER = ["阿里测试集团", "白云测试集团", "陈氏测试集团", "张家测试集团"]

pg_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="ICU collation: PostgreSQL only")


@pytest.fixture
def four(bank):
    """Four groups of rm_gy2 (GY2) in shuffled order, with growing limits and loans."""
    made = {}
    for i, name in enumerate(["张家测试集团", "阿里测试集团", "陈氏测试集团", "白云测试集团"]):
        made[name] = group_with(name=name, branch=bank.gy2, lead_rm=bank.rm_gy2, limit=str(100_000_000 * (i + 1)),
                                loans=str(50_000_000 * (i + 1)))
    return made


def names(qs):
    return [g.name for g in qs]


# --- sorting ------------------------------------------------------------------------------------------------


@pg_only
def test_names_sort_in_pinyin_order_on_postgresql(bank, four):
    assert names(group_client_list(user=bank.rm_gy2)) == PINYIN_ORDER
    assert names(group_client_list(user=bank.rm_gy2, filters={"sort": "name"})) == PINYIN_ORDER
    assert names(group_client_list(user=bank.rm_gy2, filters={"sort": "-name"})) == PINYIN_ORDER[::-1]
    # The database's own (C) collation would give code-point order: the collation is what sorts.
    assert names(GroupClient.objects.filter(lead_rm=bank.rm_gy2).order_by("name")) != PINYIN_ORDER


def test_amount_and_count_columns_sort_both_ways(bank, four):
    by_limit = names(group_client_list(user=bank.rm_gy2, filters={"sort": "-limit"}))
    assert by_limit == ["白云测试集团", "陈氏测试集团", "阿里测试集团", "张家测试集团"]
    assert names(group_client_list(user=bank.rm_gy2, filters={"sort": "limit"})) == by_limit[::-1]
    by_use = group_client_list(user=bank.rm_gy2, filters={"sort": "-limit_use"})
    assert [g.limit_use_pct for g in by_use] == [Decimal("50.0")] * 4  # equal use: ties by primary key
    assert list(group_client_list(user=bank.head_gy, filters={"sort": "-members"}))[0] == bank.group_gy


def test_tier_sorts_by_rank_not_alphabet(bank, four):
    GroupClient.objects.filter(name="陈氏测试集团").update(tier="strategic")
    tiers = [g.tier for g in group_client_list(user=bank.rm_gy2, filters={"sort": "tier"})]
    assert tiers == ["strategic", "general", "general", "general"]


@pytest.mark.parametrize("value", ["bogus", "-", "--name", "name;drop", "\x00", "<b>x</b>", "x" * 5000, "pk", "-pk"])
def test_an_unknown_sort_key_is_ignored_by_the_page_and_refused_by_the_api(bank, client_as, api_as, four, value):
    page = client_as(bank.rm_gy2).get(reverse("clients:group_list"), {"sort": value})
    if "\x00" in value:  # NUL in a query string: the site's hostile-input refusal, before the view
        assert page.status_code == 400
        return
    assert page.status_code == 200
    assert names(page.context["groups"]) == names(group_client_list(user=bank.rm_gy2))  # the default order
    api = api_as(bank.rm_gy2).get(f"{API}/group-clients/", {"sort": value})
    assert api.status_code == 400 and "sort" in api.json()
    ent = client_as(bank.head_gy).get(reverse("clients:enterprise_list"), {"sort": value})
    assert ent.status_code == 200


def test_the_api_sorts_with_the_same_keys(bank, api_as, four):
    body = api_as(bank.rm_gy2).get(f"{API}/group-clients/", {"sort": "-limit"}).json()
    assert [g["name"] for g in body["results"]][0] == "白云测试集团"
    body = api_as(bank.rm_gy2).get(f"{API}/group-clients/", {"sort": "-limit_use"})
    assert body.status_code == 200


def test_the_schema_documents_the_new_parameters(bank, client_as):
    schema = client_as(bank.hq).get("/api/schema/", HTTP_ACCEPT="application/json").json()
    params = {p["name"]: p for p in schema["paths"]["/api/v1/group-clients/"]["get"]["parameters"]}
    assert {"sort", "mine", "branch", "sub_branch", "lead_rm"} <= set(params)
    assert "-limit_use" in params["sort"]["schema"]["enum"] and "name" in params["sort"]["schema"]["enum"]
    assert params["branch"]["schema"]["type"] == "integer"
    assert set(params["mine"]["schema"]["enum"]) >= {"lead", "team", "covered"}


def test_the_sort_whitelist_is_one_object_per_list():
    assert GROUP_SORTING.parse("-limit_use") == ("limit_use", True)
    assert GROUP_SORTING.parse("name") == ("name", False)
    for bad in (None, "", "-", "pk", "name ", "unified_credit_limit", 3):
        assert GROUP_SORTING.parse(bad) is None
    assert isinstance(GroupClientFilterSet.base_filters["sort"], SortFilter)
    assert ENTERPRISE_SORTING.parse("-rating") == ("rating", True)


def test_header_links_keep_the_filters_and_flip_the_direction(bank):
    request = RequestFactory().get("/clients/groups/", {"tier": "key", "sort": "name", "page": "3"})
    state = GROUP_SORTING.state(request)
    assert (state.key, state.descending) == ("name", False)
    assert state.url("name") == "?tier=key&sort=-name"  # same column: the other way, back to page 1
    assert state.url("limit") == "?tier=key&sort=-limit"  # amounts: largest first
    assert state.url("branch") == "?tier=key&sort=branch"


def test_the_page_draws_sortable_headers_with_the_state(bank, client_as, four):
    body = client_as(bank.rm_gy2).get(reverse("clients:group_list"), {"sort": "-limit"}).content.decode()
    assert 'aria-sort="descending" data-sort-key="limit"' in body
    assert 'href="?sort=limit"' in body  # the next click: ascending
    assert 'name="sort" value="-limit" form="group-filters"' in body  # the filter form keeps the order
    assert "Unified limit (CNY)" in body


@pg_only
def test_enterprise_list_sorts_in_pinyin_order_and_by_every_column(bank, client_as):
    for name in ["张三测试企业", "阿大测试企业", "白二测试企业"]:
        EnterpriseFactory(name=name, branch=bank.gy2)
    mine = {"张三测试企业", "阿大测试企业", "白二测试企业"}
    got = [e.name for e in enterprise_list(user=bank.head_gy) if e.name in mine]
    assert got == ["阿大测试企业", "白二测试企业", "张三测试企业"]
    got = [e.name for e in enterprise_list(user=bank.head_gy, filters={"sort": "-name"}) if e.name in mine]
    assert got == ["张三测试企业", "白二测试企业", "阿大测试企业"]
    for key in ENTERPRISE_SORTING.keys:
        for value in (key, f"-{key}"):
            r = client_as(bank.head_gy).get(reverse("clients:enterprise_list"), {"sort": value})
            assert r.status_code == 200, value


# --- filters ------------------------------------------------------------------------------------------------


def test_branch_filter_takes_the_whole_subtree(bank, four):
    everything = set(names(group_client_list(user=bank.hq)))
    gy = set(names(group_client_list(user=bank.hq, filters={"branch": bank.gy.pk})))
    assert gy == {bank.group_gy.name, *four}
    assert set(names(group_client_list(user=bank.hq, filters={"sub_branch": bank.gy2.pk}))) == set(four)
    assert set(names(group_client_list(user=bank.hq, filters={"branch": bank.ho.pk}))) == everything
    # Another branch's subtree adds nothing to what a branch head sees.
    assert names(group_client_list(user=bank.head_gy, filters={"branch": bank.zy.pk})) == []


def test_lead_rm_and_mine_filters(bank, four):
    extra = group_with(name="团队测试集团", branch=bank.gy1, lead_rm=bank.rm_gy1, team=[bank.rm_gy2])
    assert set(names(group_client_list(user=bank.head_gy, filters={"lead_rm": bank.rm_gy2.pk}))) == set(four)
    assert set(names(group_client_list(user=bank.rm_gy2, filters={"mine": "lead"}))) == set(four)
    assert names(group_client_list(user=bank.rm_gy2, filters={"mine": "team"})) == [extra.name]
    assert set(names(group_client_list(user=bank.rm_gy2, filters={"mine": "covered"}))) == {*four, extra.name}
    assert names(group_client_list(user=bank.head_gy, filters={"mine": "lead"})) == []


def test_the_page_offers_the_branch_heads_own_sub_branches_and_rms_only(bank, client_as):
    form = client_as(bank.head_gy).get(reverse("clients:group_list")).context["filter_form"]
    assert "branch" not in form.fields
    assert {c[0] for c in form.fields["sub_branch"].choices} == {"", bank.gy1.pk, bank.gy2.pk}
    assert {c[0] for c in form.fields["lead_rm"].choices} == {"", bank.rm_gy1.pk, bank.rm_gy2.pk}
    assert form.fields["tier"].choices[0] == ("", "All")
    hq = client_as(bank.hq).get(reverse("clients:group_list")).context["filter_form"]
    assert {c[0] for c in hq.fields["branch"].choices} == {"", bank.gy.pk, bank.zy.pk}
    rm = client_as(bank.rm_gy1).get(reverse("clients:group_list")).context["filter_form"]
    assert "sub_branch" not in rm.fields and "lead_rm" not in rm.fields and "mine" in rm.fields


def test_enterprise_client_filter_reads_all_yes_no(bank, client_as):
    r = client_as(bank.head_gy).get(reverse("clients:enterprise_list"))
    body = r.content.decode()
    assert '<option value="" selected>All</option>' in body
    assert "Client of the bank" in body


@pytest.mark.parametrize("params", [{"branch": "1.5"}, {"branch": "+1"}, {"sub_branch": "x"},
                                    {"lead_rm": "9" * 30}, {"mine": "everyone"}, {"mine": "<script>"}])
def test_the_api_refuses_malformed_filters_and_the_page_does_not_fail(bank, api_as, client_as, params):
    response = api_as(bank.head_gy).get(f"{API}/group-clients/", params)
    assert response.status_code == 400 and set(params) <= set(response.json())
    assert client_as(bank.head_gy).get(reverse("clients:group_list"), params).status_code == 200


def test_the_api_filters_by_subtree_and_mine(bank, api_as, four):
    api = api_as(bank.head_gy)
    got = {g["name"] for g in api.get(f"{API}/group-clients/", {"branch": bank.gy.pk}).json()["results"]}
    assert got == {bank.group_gy.name, *four}
    mine = api_as(bank.rm_gy2).get(f"{API}/group-clients/", {"mine": "lead"}).json()["results"]
    assert {g["name"] for g in mine} == set(four)


# --- totals and limit use -----------------------------------------------------------------------------------


def test_totals_cover_the_whole_filtered_list_in_one_query(bank, four, django_assert_num_queries):
    qs = group_client_list(user=bank.head_gy, filters={"sub_branch": bank.gy2.pk})
    with django_assert_num_queries(1):
        totals = group_client_totals(qs)
    assert totals.count == 4
    assert totals.unified_limit == Decimal("1000000000")  # 1 + 2 + 3 + 4 亿


def test_the_page_shows_the_totals_row_over_all_pages(bank, client_as):
    for i in range(30):
        group_with(name=f"翻页测试集团{i:02d}", branch=bank.gy2, lead_rm=bank.rm_gy2, limit="10000")
    r = client_as(bank.head_gy).get(reverse("clients:group_list"))
    assert len(r.context["groups"]) == 25 and r.context["paginator"].count == 31
    body = r.content.decode()
    assert 'id="group-totals"' in body and "Total: 31 group clients" in body
    assert "5,000,300,000" in body  # 50 亿 + 30 × 1 万, grouped full yuan in English


def test_limit_use_is_the_360_pages_rule(bank):
    near = group_with(name="接近额度集团", branch=bank.gy1, lead_rm=bank.rm_gy1, limit="1000", loans="899.50")
    over = group_with(name="超出额度集团", branch=bank.gy1, lead_rm=bank.rm_gy1, limit="1000", loans="1000")
    none = group_with(name="无额度集团", branch=bank.gy1, lead_rm=bank.rm_gy1, limit="0", loans="5")
    low = group_with(name="低使用集团", branch=bank.gy1, lead_rm=bank.rm_gy1, limit="1000", loans="899.49")
    rows = {g.name: g for g in group_client_list(user=bank.rm_gy1)}
    from clients.selectors import group_key_figures

    for group in (near, over, none, low):
        figures = group_key_figures(group=group)
        row = rows[group.name]
        assert row.limit_use_pct == figures.limit_used_pct, group.name  # SQL and Python round alike
        assert limits.level(row.limit_use_pct, loans=row.loans) == figures.limit_level, group.name
    assert [rows[g.name].limit_use_pct for g in (near, over, none, low)] == [
        Decimal("90.0"), Decimal("100.0"), None, Decimal("89.9")]
    assert [limits.css_class(rows[g.name].limit_use_pct, loans=rows[g.name].loans) for g in (near, over, none, low)] == [
        "limit-near", "limit-over", "limit-over", ""]


def test_limit_use_cells_are_coloured_past_the_warning_level(bank, client_as):
    group_with(name="接近额度集团", branch=bank.gy1, lead_rm=bank.rm_gy1, limit="1000", loans="950")
    group_with(name="超出额度集团", branch=bank.gy1, lead_rm=bank.rm_gy1, limit="1000", loans="1200")
    body = client_as(bank.rm_gy1).get(reverse("clients:group_list")).content.decode()
    assert 'class="num limit-use limit-near" data-level="near">95.0%' in body
    assert 'class="num limit-use limit-over" data-level="over">120.0%' in body
    assert 'class="num limit-use " data-level="">0.0%' in body  # group_gy: no loans


def test_chinese_list_reads_wan_yuan(bank, client_as, four):
    client = client_as(bank.rm_gy2)
    body = client.get(reverse("clients:group_list"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "（万元）" in body and "10,000.00" in body  # 1 亿 in 万元


def test_the_360_page_warns_by_the_same_rule(bank, client_as):
    client = client_as(bank.rm_gy1)
    for loans, expected in [("899.49", None), ("899.50", "Loans use 90.0% of the unified credit limit."),
                            ("1000", "Loans exceed the unified credit limit: 100.0% used.")]:
        group = group_with(name=f"额度规则集团{loans}", branch=bank.gy1, lead_rm=bank.rm_gy1, limit="1000", loans=loans)
        body = client.get(reverse("clients:group_detail", args=[group.pk])).content.decode()
        listed = client.get(reverse("clients:group_list"), {"q": group.name}).content.decode()
        if expected is None:
            assert 'id="limit-warning"' not in body and 'data-level=""' in listed
        else:
            assert 'id="limit-warning"' in body and expected in body
            assert 'data-level="near"' in listed or 'data-level="over"' in listed


def test_enterprise_api_shares_the_sort_whitelist(bank, api_as):
    api = api_as(bank.head_gy)
    assert api.get(f"{API}/enterprises/", {"sort": "-rm"}).status_code == 200
    refused = api.get(f"{API}/enterprises/", {"sort": "recorded_by"})
    assert refused.status_code == 400 and "sort" in refused.json()


def test_a_header_click_answers_the_table_fragment_with_the_new_order(bank, client_as, four):
    response = client_as(bank.rm_gy2).get(reverse("clients:group_list"), {"sort": "-limit"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body
    assert 'name="sort" value="-limit" form="group-filters"' in body.split("<table")[0]
    assert 'id="group-totals"' in body


@pg_only
def test_the_default_order_has_an_index_on_postgresql(db):
    """The lists open in pinyin order by name: an index on exactly that expression lets a page read 25
    entries instead of sorting every row (clients migration 0006)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE indexname LIKE %s", ["%_name_pinyin"])
        found = dict(cursor.fetchall())
    assert set(found) == {"clients_enterprise_name_pinyin", "clients_groupclient_name_pinyin"}
    assert all('COLLATE "zh-Hans-x-icu"' in d and ", id)" in d for d in found.values())
