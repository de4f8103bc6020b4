"""Search by name, pinyin and credit code (clients.search): what matches, what stays out of reach, how
the pinyin key is kept on every write path (save, rename, bulk import, COPY, raw SQL), the header box's
pages, and hostile queries."""

import io
import json

import pytest
from django.db import connection

from circles.models import CircleMember
from clients import search
from clients.models import Enterprise, GroupClient
from imports.services import import_file
from tests.factories import EnterpriseFactory, uscc_for
from tests.imports.helpers import csv_bytes


@pytest.fixture
def named(bank):
    """Enterprises with telling names: two in rm_gy1's full record, one another branch's client, one a
    counterparty of rm_gy1 (a circle member of group_gy), one a prospect nobody reaches."""
    mine = EnterpriseFactory(name="贵州茅台酒股份有限公司", uscc=uscc_for(770001), branch=bank.gy1, rm=bank.rm_gy1)
    building = EnterpriseFactory(name="贵阳黔南建材有限公司", uscc=uscc_for(770002), branch=bank.gy1, rm=bank.rm_gy1)
    theirs = EnterpriseFactory(name="遵义茅台镇酒业有限公司", uscc=uscc_for(770003), branch=bank.zy1, rm=bank.rm_zy1)
    supplier = EnterpriseFactory(name="茅台包装供应商有限公司", uscc=uscc_for(770004), is_client=False)
    CircleMember.objects.create(group=bank.group_gy, enterprise=supplier, role="supplier")
    stranger = EnterpriseFactory(name="茅台陌生企业有限公司", uscc=uscc_for(770005), is_client=False)
    return {"mine": mine, "building": building, "theirs": theirs, "supplier": supplier, "stranger": stranger}


def names(queryset):
    return set(queryset.values_list("name", flat=True))


def found(user, q):
    results = search.find(user, q, limit=50, totals=True)
    assert not results.error, results.error
    return {e.name for e in results.enterprises}, {g.name for g in results.groups}


# --- what a word matches --------------------------------------------------------------------------------


@pytest.mark.parametrize("q", ["茅台", "台酒", "茅", "贵州 茅台", "股份有限公司 茅台"])
def test_chinese_words_of_one_or_two_characters_and_more_match_the_name(bank, named, q):
    enterprises, _ = found(bank.rm_gy1, q)
    assert enterprises == {"贵州茅台酒股份有限公司"}


@pytest.mark.parametrize("q", ["gzmt", "GZMT", "ＧＺＭＴ", "maotai", "guizhoumaotai", "guizhou maotai", "gz",
                               "gzmtjgfyxgs"])
def test_pinyin_initials_and_full_pinyin_match(bank, named, q):
    enterprises, _ = found(bank.rm_gy1, q)
    assert "贵州茅台酒股份有限公司" in enterprises
    assert "贵阳黔南建材有限公司" not in enterprises


def test_pinyin_follows_phrases_and_letters_in_names(bank):
    assert search.pinyin_key("重庆长安汽车").split()[:2] == ["cqcaqc", "chongqingchanganqiche"]
    assert search.pinyin_key("TCL科技集团（深圳）").split()[:2] == ["tclkjjtsz", "tclkejijituanshenzhen"]


def test_part_of_the_credit_code_matches_from_four_characters(bank, named):
    code = named["building"].uscc
    assert found(bank.rm_gy1, code[12:])[0] == {"贵阳黔南建材有限公司"}
    assert found(bank.rm_gy1, code.lower())[0] == {"贵阳黔南建材有限公司"}
    assert found(bank.rm_gy1, f"{code[:6]}-{code[6:]}")[0] == {"贵阳黔南建材有限公司"}
    # Three characters are not a code search (and these digits are in no name or pinyin).
    assert found(bank.rm_gy1, code[-4:-1])[0] == set()


def test_groups_match_by_their_name_their_pinyin_and_their_core_enterprise(bank, named):
    group, core = bank.group_gy, bank.group_gy.core_enterprise
    for q in ["汽车", "测试汽车", "gzcsqc", "qiche", core.uscc[5:13], "核心"]:
        assert found(bank.rm_gy1, q)[1] == {group.name}, q


# --- reach ----------------------------------------------------------------------------------------------


def test_search_finds_only_what_the_user_reaches(bank, named, client_as, api_as):
    assert found(bank.rm_gy1, "茅台")[0] == {"贵州茅台酒股份有限公司"}
    # Another branch's client, a counterparty (listed on the circle page, not by search) and an enterprise
    # known only as a registry card: none of them, by name, pinyin, part of the code or the exact code.
    for other in ("theirs", "supplier", "stranger"):
        e = named[other]
        for q in (e.name[:4], search.pinyin_key(e.name).split()[0], e.uscc[4:12], e.uscc):
            assert e.name not in found(bank.rm_gy1, q)[0], (other, q)
            assert e.name not in client_as(bank.rm_gy1).get("/search/", {"q": q}).content.decode()
            assert e.name not in client_as(bank.rm_gy1).get("/search/suggest/", {"q": q}).content.decode()
            listed = api_as(bank.rm_gy1).get("/api/v1/enterprises/", {"q": q}).json()["results"]
            assert e.name not in json.dumps(listed, ensure_ascii=False)
    assert found(bank.rm_zy1, "茅台")[0] == {"遵义茅台镇酒业有限公司"}
    assert found(bank.rm_zy1, "汽车") == (set(), set())
    assert found(bank.outsider, "茅台") == (set(), set())
    # Head office reaches every enterprise; the branch head their subtree's.
    assert found(bank.hq, "茅台")[0] == {e.name for e in named.values() if e.name != "贵阳黔南建材有限公司"}
    assert found(bank.head_gy, "茅台")[0] == {"贵州茅台酒股份有限公司"}


def test_the_list_filters_and_the_api_use_the_same_search(bank, named, client_as, api_as):
    page = client_as(bank.rm_gy1).get("/clients/enterprises/", {"q": "gzmt"}).content.decode()
    assert "贵州茅台酒股份有限公司" in page and "贵阳黔南建材有限公司" not in page
    groups = client_as(bank.rm_gy1).get("/clients/groups/", {"q": "qiche"}).content.decode()
    assert bank.group_gy.name in groups
    api = api_as(bank.rm_gy1)
    assert [r["name"] for r in api.get("/api/v1/enterprises/", {"q": "建材"}).json()["results"]] == [
        "贵阳黔南建材有限公司"]
    assert [r["name"] for r in api.get("/api/v1/group-clients/", {"q": "汽车"}).json()["results"]] == [
        bank.group_gy.name]
    assert api.get("/api/v1/group-clients/", {"q": "汽车"}).status_code == 200


# --- keeping the pinyin key -----------------------------------------------------------------------------


def _key(model, pk):
    return model.objects.filter(pk=pk).values_list("search_pinyin", flat=True).get()


def test_create_and_rename_keep_the_key(bank):
    e = Enterprise.objects.create(name="毕节新材料有限公司", uscc=uscc_for(771001))
    assert _key(Enterprise, e.pk).startswith("bjxclyxgs bijiexincailiao")
    e.name = "毕节乌江水电有限公司"
    e.save()
    assert _key(Enterprise, e.pk).startswith("bjwjsdyxgs ")
    e.name = "毕节乌江火电有限公司"
    e.save(update_fields=["name"])
    assert _key(Enterprise, e.pk).startswith("bjwjhdyxgs ")
    g = bank.group_gy
    g.name = "黔通物流集团"
    g.save()
    assert _key(GroupClient, g.pk).startswith("qtwljt qiantongwuliujituan")
    assert found(bank.rm_gy1, "qtwl")[1] == {"黔通物流集团"}


def test_the_trigger_refuses_a_stale_key_and_the_backfill_mends_it(bank):
    e = EnterpriseFactory(name="安顺黄果树旅游有限公司", uscc=uscc_for(771002), branch=bank.gy1, rm=bank.rm_gy1)
    with connection.cursor() as cursor:  # a rename by another tool: the key no longer fits the name
        cursor.execute("UPDATE clients_enterprise SET name = %s WHERE id = %s", ["安顺龙宫旅游有限公司", e.pk])
    assert _key(Enterprise, e.pk) is None
    assert found(bank.rm_gy1, "龙宫")[0] == {"安顺龙宫旅游有限公司"}  # the name index needs no key
    assert found(bank.rm_gy1, "lgly")[0] == set()
    with connection.cursor() as cursor:  # a key written for some other name is refused too
        cursor.execute("UPDATE clients_enterprise SET search_pinyin = %s WHERE id = %s",
                       [search.pinyin_key("别的名字"), e.pk])
    assert _key(Enterprise, e.pk) is None
    assert search.fill_pinyin(Enterprise) >= 1
    assert _key(Enterprise, e.pk) == search.pinyin_key("安顺龙宫旅游有限公司")
    assert found(bank.rm_gy1, "lgly")[0] == {"安顺龙宫旅游有限公司"}


def test_copy_rows_are_found_by_name_at_once_and_by_pinyin_once_filled(bank):
    """A COPY that knows nothing of the key (another loader): the name index covers it as written; the
    key is NULL until the backfill (`manage.py search_reindex`)."""
    code = uscc_for(771003)
    rows = io.StringIO(f"六盘水凉都能源有限公司\t{code}\t\t\t\t\t{bank.gy1.pk}\t{bank.rm_gy1.pk}\tt\tnow\tnow\n")
    with connection.cursor() as cursor:
        cursor.cursor.copy_expert(
            "COPY clients_enterprise (name, uscc, industry, size, region, internal_rating, branch_id, rm_id, "
            "is_client, created_at, updated_at) FROM STDIN WITH (FORMAT text)", rows)
    e = Enterprise.objects.get(uscc=code)
    assert _key(Enterprise, e.pk) is None
    assert found(bank.rm_gy1, "凉都")[0] == {"六盘水凉都能源有限公司"}
    assert found(bank.rm_gy1, "ldny")[0] == set()
    from django.core.management import call_command

    call_command("search_reindex", stdout=io.StringIO())
    assert found(bank.rm_gy1, "ldny")[0] == {"六盘水凉都能源有限公司"}


def test_the_demo_writers_copy_writes_the_key(bank):
    from demo.writer import Writer

    writer = Writer(use_copy=True, fk_check="none")
    sink = writer.sink("enterprises", Enterprise, ("name", "uscc", "industry", "size", "region", "is_client",
                                                   "internal_rating", "created_at", "updated_at"))
    sink.add(("铜仁梵净山茶业有限公司", uscc_for(771004), "", "", "", False, "", "2026-01-01T00:00:00Z",
              "2026-01-01T00:00:00Z"))
    writer.flush()
    e = Enterprise.objects.get(uscc=uscc_for(771004))
    assert _key(Enterprise, e.pk) == search.pinyin_key("铜仁梵净山茶业有限公司")
    assert found(bank.hq, "fjscy")[0] == {"铜仁梵净山茶业有限公司"}


def test_imported_enterprises_get_the_key(bank):
    header = ["name", "uscc", "industry", "is_client", "internal_rating", "branch", "rm"]
    result = import_file(user=bank.rm_gy1, kind="enterprises", commit=True, filename="e.csv", source_system="erp",
                         fh=io.BytesIO(csv_bytes([["黔西南万峰林农业有限公司", uscc_for(771005), "", "", "", "", ""]],
                                                 header=header)))
    assert result.ok and result.created == 1
    e = Enterprise.objects.get(uscc=uscc_for(771005))
    assert _key(Enterprise, e.pk) == search.pinyin_key("黔西南万峰林农业有限公司")
    assert found(bank.rm_gy1, "wfl")[0] == {"黔西南万峰林农业有限公司"}


def test_two_character_words_read_the_grams_index(bank, named):
    """The plan, not a timing: with sequential scans priced out, a two-character word is answered from
    the GIN index on crm_search_grams(name), which pg_trgm could not give."""
    qs = search.filter_enterprises(Enterprise.objects.all(), "茅台")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        sql, params = qs.query.sql_with_params()
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "clients_enterprise_name_grams" in plan, plan


# --- the header box's pages -----------------------------------------------------------------------------


def test_results_page_groups_the_hits_and_links_them(bank, named, client_as):
    body = client_as(bank.rm_gy1).get("/search/", {"q": "汽车"}).content.decode()
    assert f'href="/clients/groups/{bank.group_gy.pk}/"' in body
    body = client_as(bank.rm_gy1).get("/search/", {"q": "茅台"}).content.decode()
    assert f'href="/clients/enterprises/{named["mine"].pk}/"' in body
    assert "遵义茅台镇酒业有限公司" not in body


def test_the_dropdown_lists_options_and_a_link_to_all_results(bank, named, client_as):
    body = client_as(bank.rm_gy1).get("/search/suggest/", {"q": "gzmt"}, headers={"HX-Request": "true"}).content.decode()
    assert 'role="listbox"' in body and 'role="option"' in body and 'role="status"' in body
    assert f'href="/clients/enterprises/{named["mine"].pk}/"' in body
    assert 'href="/search/?q=gzmt"' in body
    assert client_as(bank.rm_gy1).get("/search/suggest/", {"q": ""}).content.decode().strip() == ""


def test_every_page_has_the_search_box(bank, client_as):
    body = client_as(bank.rm_gy1).get("/clients/groups/").content.decode()
    assert 'id="site-search-q"' in body and 'hx-get="/search/suggest/"' in body


# --- hostile queries ------------------------------------------------------------------------------------

HOSTILE = ["<script>alert(1)</script>", "<b>茅台</b>", "x" * 10_000, ".*[](){}^$|\\+?", "%_%", "\\", "'; DROP TABLE x;--",
           "茅台 " * 50, "\u202e茅台", "🏦🏦", "a\u0301"]


@pytest.mark.parametrize("q", HOSTILE)
def test_hostile_queries_get_an_answer_never_a_500(bank, named, client_as, api_as, q):
    client, api = client_as(bank.rm_gy1), api_as(bank.rm_gy1)
    for url in ("/search/", "/search/suggest/", "/clients/groups/", "/clients/enterprises/"):
        response = client.get(url, {"q": q})
        assert response.status_code == 200, (url, response.status_code)
        assert "<script>alert(1)" not in response.content.decode()
    for url in ("/api/v1/enterprises/", "/api/v1/group-clients/"):
        response = api.get(url, {"q": q})
        assert response.status_code in (200, 400), (url, response.status_code)


def test_too_long_a_query_is_refused_with_a_message(bank, client_as, api_as):
    body = client_as(bank.rm_gy1).get("/search/", {"q": "茅" * 101}).content.decode()
    assert "Search for at most 100 characters." in body
    response = api_as(bank.rm_gy1).get("/api/v1/enterprises/", {"q": "茅" * 101})
    assert response.status_code == 400 and response.json() == {"q": ["Search for at most 100 characters."]}
    assert "Search for at most 6 words." in client_as(bank.rm_gy1).get("/search/", {"q": "a b c d e f g"}).content.decode()


def test_nul_in_the_query_is_refused_before_any_search(bank, client_as):
    response = client_as(bank.rm_gy1).get("/search/?q=%00")
    assert response.status_code == 400 and "NUL" in response.content.decode()
    with pytest.raises(Exception, match="NUL"):
        search.parse("a\x00b")
    assert names(search.filter_enterprises(Enterprise.objects.all(), "a\x00b")) == set()
