"""Imports refuse exactly what the pages and the API refuse (DESIGN.md section 4, issue 6 item 4):
the naming rule, the full-record rule, a group's core, unowned prospects, history baselines, and
all-or-nothing for every kind."""

import io
from decimal import Decimal

import pytest
from django.urls import reverse

from chains.models import ChainLink, Flow, LinkStatus
from circles.models import CircleMember
from clients.models import Enterprise, FinancialStatement
from imports.services import import_file
from tests.factories import EnterpriseFactory, uscc_for
from tests.imports.helpers import csv_bytes, flow_row, members

MEMBER_HEADER = ["group", "enterprise", "role"]
LINK_HEADER = ["group", "supplier", "buyer", "tier", "goods"]
ENTERPRISE_HEADER = ["name", "uscc", "industry", "is_client", "internal_rating", "branch", "rm"]
CORE_MESSAGE = "The core enterprise is the centre of the circle, not a member of it."


def run(kind, content, *, user, commit=True, source="erp", name="f.csv"):
    return import_file(user=user, kind=kind, fh=io.BytesIO(content), filename=name, commit=commit,
                       source_system=source)


def errors_of(result):
    return [(e.row, e.column, e.message) for e in result.errors.sorted()]


# --- circle members ------------------------------------------------------------------------------------


def test_a_groups_core_is_refused_as_its_circle_member_by_import_page_and_api(bank, client_as, api_as):
    group, core = bank.group_gy, bank.group_gy.core_enterprise
    result = run("circle_members", csv_bytes([[group.name, core.uscc, "supplier"]], header=MEMBER_HEADER),
                 user=bank.rm_gy1)
    assert errors_of(result) == [(2, "enterprise", CORE_MESSAGE)]
    page = client_as(bank.rm_gy1).post(reverse("circles:member_add", args=[group.pk]),
                                       {"enterprise_uscc": core.uscc, "role": "supplier", "source": "declared"})
    assert page.context["member_form"].errors["enterprise_uscc"] == [CORE_MESSAGE]
    api = api_as(bank.rm_gy1).post("/api/v1/circle-members/",
                                   {"group": group.pk, "enterprise_uscc": core.uscc, "role": "supplier"},
                                   format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert api.status_code == 400 and api.json() == {"enterprise_uscc": [CORE_MESSAGE]}
    assert not CircleMember.objects.filter(group=group, enterprise=core).exists()


def test_an_unowned_prospect_recorded_by_someone_else_is_accepted_as_a_circle_member(bank):
    """The page accepts it (any enterprise on file may be named); so does the import now."""
    prospect = EnterpriseFactory(branch=None, rm=None, is_client=False, recorded_by=bank.rm_gy2)
    result = run("circle_members", csv_bytes([[bank.group_gy.name, prospect.uscc, "supplier"]],
                                             header=MEMBER_HEADER), user=bank.rm_gy1)
    assert result.ok and result.created == 1, errors_of(result)
    member = CircleMember.objects.get(group=bank.group_gy, enterprise=prospect)
    assert (member.source, member.history.get().history_user) == ("imported", bank.rm_gy1)
    assert Enterprise.objects.counterparties_for(bank.rm_gy1).filter(pk=prospect.pk).exists()
    assert not Enterprise.objects.for_user(bank.rm_gy1).filter(pk=prospect.pk).exists()


def test_another_branchs_client_joins_circle_and_chain_by_import_as_a_counterparty_only(bank, client_as):
    zy_client = members(bank.group_zy)[1]
    other = Enterprise.objects.get(uscc=zy_client)
    FinancialStatement.objects.create(enterprise=other, period_end="2025-12-31", period_type="annual",
                                      revenue=Decimal("987654321.00"))
    gy_core = bank.group_gy.core_enterprise.uscc
    cm = run("circle_members", csv_bytes([[bank.group_gy.name, zy_client, "supplier"]], header=MEMBER_HEADER),
             user=bank.rm_gy1)
    cl = run("chain_links", csv_bytes([[bank.group_gy.name, zy_client, gy_core, "-1", "酒瓶"]], header=LINK_HEADER),
             user=bank.rm_gy1)
    assert cm.ok and cl.ok and cm.created == cl.created == 1, errors_of(cm) + errors_of(cl)
    assert not Enterprise.objects.for_user(bank.rm_gy1).filter(pk=other.pk).exists()
    page = client_as(bank.rm_gy1).get(f"/clients/enterprises/{other.pk}/")
    assert page.status_code == 200
    assert [t.name for t in page.templates][0] == "clients/enterprise_counterparty.html"
    assert "987654321" not in page.content.decode() and "987,654,321" not in page.content.decode()


def test_circle_members_of_a_group_not_covered_are_refused(bank):
    result = run("circle_members", csv_bytes([[bank.group_zy.name, members(bank.group_gy)[0], "supplier"]],
                                             header=MEMBER_HEADER), user=bank.rm_gy1)
    assert [(r, c) for r, c, _m in errors_of(result)] == [(2, "group")]


# --- chain links -----------------------------------------------------------------------------------------


def test_a_detected_link_becomes_declared_by_import_as_on_the_page(bank):
    group, codes = bank.group_gy, members(bank.group_gy)
    supplier = EnterpriseFactory()
    link = ChainLink.objects.create(group=group, supplier=supplier, buyer=group.core_enterprise, tier=-1,
                                    status=LinkStatus.DETECTED)
    content = csv_bytes([[group.name, supplier.uscc, codes[0], "-2", "钢材"]], header=LINK_HEADER)
    result = run("chain_links", content, user=bank.rm_gy1)
    assert result.ok and result.created == 1
    link.refresh_from_db()
    assert (link.status, link.tier, link.goods) == (LinkStatus.DECLARED, -2, "钢材")
    assert link.history.first().history_user == bank.rm_gy1
    again = run("chain_links", content, user=bank.rm_gy1)
    assert (again.created, again.already_present) == (0, 1)


# --- flows -----------------------------------------------------------------------------------------------


def test_each_flow_needs_a_party_in_the_importers_full_record(bank):
    gy, zy = members(bank.group_gy), members(bank.group_zy)
    rows = [flow_row(gy[0], zy[0], "R1"),  # one party covered: accepted
            flow_row(zy[0], zy[1], "R2"),  # neither: refused
            flow_row(zy[1], gy[1], "R3")]
    result = run("flows", csv_bytes(rows), user=bank.rm_gy1)
    assert errors_of(result) == [(3, "payer", "Neither the payer nor the payee is an enterprise you cover.")]
    assert Flow.objects.count() == 0
    del rows[1]
    assert run("flows", csv_bytes(rows), user=bank.rm_gy1).created == 2
    # The other branch's enterprise stays a counterparty: its unrelated flows stay unseen.
    assert not Enterprise.objects.for_user(bank.rm_gy1).filter(uscc=zy[0]).exists()


def test_a_head_office_flow_import_is_not_refused_for_reach(bank):
    zy = members(bank.group_zy)
    assert run("flows", csv_bytes([flow_row(zy[0], zy[1], "R1")]), user=bank.hq).created == 1


def test_an_already_stored_flow_between_enterprises_not_covered_is_not_reported_as_present(bank):
    """Otherwise "already present" would tell rm_gy1 that a flow they cannot see exists."""
    zy = members(bank.group_zy)
    run("flows", csv_bytes([flow_row(zy[0], zy[1], "Z1")]), user=bank.hq)
    result = run("flows", csv_bytes([flow_row(zy[0], zy[1], "Z1")]), user=bank.rm_gy1)
    assert result.already_present == 0 and [c for _r, c, _m in errors_of(result)] == ["payer"]


# --- enterprises -----------------------------------------------------------------------------------------


def test_enterprises_imported_by_an_rm_are_unowned_prospects_recorded_by_them(bank):
    codes = [uscc_for(620000 + i) for i in range(2)]
    result = run("enterprises", csv_bytes([["甲公司", codes[0], "C36", "", "", "", ""],
                                           ["乙公司", codes[1], "", "no", "", "", ""]], header=ENTERPRISE_HEADER),
                 user=bank.rm_gy1)
    assert result.ok and result.created == 2, errors_of(result)
    stored = Enterprise.objects.filter(uscc__in=codes)
    assert {(e.branch_id, e.rm_id, e.recorded_by_id, e.is_client) for e in stored} == {(None, None, bank.rm_gy1.pk,
                                                                                        False)}
    assert Enterprise.objects.for_user(bank.rm_gy1).filter(uscc__in=codes).count() == 2
    assert not Enterprise.objects.for_user(bank.rm_gy2).filter(uscc__in=codes).exists()
    for enterprise in stored:
        record = enterprise.history.get()
        assert (record.history_type, record.history_user) == ("+", bank.rm_gy1)


def test_an_rm_may_not_import_clients_owners_or_ratings(bank):
    rows = [["甲公司", uscc_for(630001), "", "yes", "", "", ""],
            ["乙公司", uscc_for(630002), "", "", "", "GY1", ""],
            ["丙公司", uscc_for(630003), "", "", "", "", "rm_gy1"],
            ["丁公司", uscc_for(630004), "", "", "AA", "", ""]]
    result = run("enterprises", csv_bytes(rows, header=ENTERPRISE_HEADER), user=bank.rm_gy1)
    assert errors_of(result) == [
        (2, "is_client", "A client of the bank has an owning branch: claim it."),
        (3, "branch", "An unowned prospect has no owning branch and no RM."),
        (4, "branch", "An unowned prospect has no owning branch and no RM."),
        (5, "internal_rating", "Internal ratings are set by risk officers and head office."),
    ]
    assert not Enterprise.objects.filter(uscc__in=[r[1] for r in rows]).exists()


def test_head_office_imports_owned_clients_with_branch_and_rm(bank):
    rows = [["甲公司", uscc_for(640001), "C36", "yes", "AA", "GY1", "rm_gy1"],
            ["乙公司", uscc_for(640002), "", "", "", "NOPE", "nobody"]]
    bad = run("enterprises", csv_bytes(rows, header=ENTERPRISE_HEADER), user=bank.hq)
    assert [(r, c) for r, c, _m in errors_of(bad)] == [(3, "branch"), (3, "rm")]
    result = run("enterprises", csv_bytes(rows[:1], header=ENTERPRISE_HEADER), user=bank.hq)
    assert result.ok
    stored = Enterprise.objects.get(uscc=uscc_for(640001))
    assert (stored.branch, stored.rm, stored.is_client, stored.internal_rating, stored.recorded_by) == (
        bank.gy1, bank.rm_gy1, True, "AA", bank.hq)
    assert Enterprise.objects.for_user(bank.rm_gy1).filter(pk=stored.pk).exists()


def test_an_enterprise_on_file_is_present_when_alike_and_never_overwritten(bank):
    own = Enterprise.objects.get(uscc=members(bank.group_gy)[1])
    other = Enterprise.objects.get(uscc=members(bank.group_zy)[1])
    header = ["name", "uscc", "industry"]
    same = run("enterprises", csv_bytes([[own.name, own.uscc, own.industry], [other.name, other.uscc, ""]],
                                        header=header), user=bank.rm_gy1)
    assert same.ok and (same.created, same.already_present) == (0, 2)
    differs = run("enterprises", csv_bytes([["改名公司", own.uscc, ""]], header=header), user=bank.rm_gy1)
    assert [(r, c) for r, c, _m in errors_of(differs)] == [(2, "uscc")]
    # Outside the full record only the registry fields are compared: the answer says nothing of the rest.
    hidden = "A01" if other.industry != "A01" else "B06"
    probe = run("enterprises", csv_bytes([[other.name, other.uscc, hidden]], header=header), user=bank.rm_gy1)
    assert probe.ok and probe.already_present == 1
    own.refresh_from_db()
    assert own.name != "改名公司"


# --- every kind: all or nothing, history baseline ----------------------------------------------------------


def _good_and_bad(bank, kind):
    gy = members(bank.group_gy)
    prospect = EnterpriseFactory(branch=None, rm=None, is_client=False, recorded_by=bank.rm_gy1)
    if kind == "flows":
        return csv_bytes([flow_row(gy[0], gy[1], "R1"), flow_row(gy[0], gy[1], "R2", amount="-1")])
    if kind == "circle_members":
        return csv_bytes([[bank.group_gy.name, prospect.uscc, "supplier"],
                          [bank.group_gy.name, uscc_for(777777), "supplier"]], header=MEMBER_HEADER)
    if kind == "chain_links":
        return csv_bytes([[bank.group_gy.name, prospect.uscc, gy[0], "-1", ""],
                          [bank.group_gy.name, gy[1], gy[0], "7", ""]], header=LINK_HEADER)
    return csv_bytes([["甲公司", uscc_for(650001), "", "", "", "", ""], ["乙公司", uscc_for(650002), "", "yes", "", "", ""]],
                     header=ENTERPRISE_HEADER)


@pytest.mark.parametrize("kind", ["flows", "circle_members", "chain_links", "enterprises"])
def test_every_kind_is_all_or_nothing(bank, kind):
    before = {m: m.objects.count() for m in (Flow, CircleMember, ChainLink, Enterprise)}
    result = run(kind, _good_and_bad(bank, kind), user=bank.rm_gy1)
    assert not result.ok and result.created == 0 and not result.committed
    before[Enterprise] += 1  # the prospect the helper recorded
    assert {m: m.objects.count() for m in before} == before


@pytest.mark.parametrize("kind, model", [("circle_members", CircleMember), ("chain_links", ChainLink),
                                         ("enterprises", Enterprise)])
def test_every_imported_row_of_a_tracked_model_gets_its_history_record(bank, kind, model):
    gy = members(bank.group_gy)
    content = {
        "circle_members": csv_bytes([[bank.group_gy.name, EnterpriseFactory().uscc, "supplier"],
                                     [bank.group_gy.name, EnterpriseFactory().uscc, "customer"]], header=MEMBER_HEADER),
        "chain_links": csv_bytes([[bank.group_gy.name, EnterpriseFactory().uscc, gy[0], "-1", ""],
                                  [bank.group_gy.name, gy[0], EnterpriseFactory().uscc, "1", ""]], header=LINK_HEADER),
        "enterprises": csv_bytes([["甲公司", uscc_for(660001)], ["乙公司", uscc_for(660002)]], header=["name", "uscc"]),
    }[kind]
    before = set(model.objects.values_list("pk", flat=True))
    result = run(kind, content, user=bank.rm_gy1, source="supply_chain_platform")
    assert result.ok and result.created == 2
    new = model.objects.exclude(pk__in=before)
    records = model.history.filter(id__in=new.values("pk"))
    assert records.count() == 2
    assert {(r.history_type, r.history_user_id, r.history_change_reason) for r in records} == {
        ("+", bank.rm_gy1.pk, "import (supply_chain_platform)")}
