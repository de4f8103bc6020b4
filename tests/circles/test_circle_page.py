"""The circle page: penetration, acquisition ranking, graph, forms, scoping and query count."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from circles.models import CircleMember, CircleRole, CircleSource, Guarantee
from circles.selectors import circle_acquisition_list, circle_penetration
from clients.models import Enterprise, GroupMembership
from tests.circles.conftest import payment
from tests.factories import EnterpriseFactory, uscc_for


def _url(group):
    return reverse("circles:group_circle", args=[group.pk])


@pytest.fixture
def example(bank, flows):
    """group_gy: core C and controlled subsidiaries S1, S2 (clients). Declared around it:
    P1 supplier + customer (prospect), P2 supplier (prospect), D1 distributor (client),
    P3 distributor (prospect). Payments in the last 12 months: P1<->C 100 + 50, P2->S1 300, D1->C 70.
    Not counted: P3->C 1000 400 days ago, a P3->C invoice of 500, P3 -> an outside enterprise 999."""
    group = bank.group_gy
    core = group.core_enterprise
    s1, s2 = (m.enterprise for m in GroupMembership.objects.filter(group=group).exclude(
        enterprise=core).select_related("enterprise").order_by("enterprise_id"))
    p1, p2, p3 = (EnterpriseFactory(is_client=False, name=f"潜在客户{i}") for i in (1, 2, 3))
    d1 = EnterpriseFactory(is_client=True, name="经销商1")
    outside = EnterpriseFactory()
    CircleMember.objects.bulk_create([
        CircleMember(group=group, enterprise=p1, role=CircleRole.SUPPLIER),
        CircleMember(group=group, enterprise=p1, role=CircleRole.CUSTOMER),
        CircleMember(group=group, enterprise=p2, role=CircleRole.SUPPLIER),
        CircleMember(group=group, enterprise=d1, role=CircleRole.DISTRIBUTOR),
        CircleMember(group=group, enterprise=p3, role=CircleRole.DISTRIBUTOR),
    ])
    flows([
        payment(p1, core, "100.00"), payment(core, p1, "50.00"),
        payment(p2, s1, "300.00"),
        payment(d1, core, "70.00"),
        payment(p3, core, "1000.00", days_ago=400),
        payment(p3, core, "500.00", kind="invoice"),
        payment(p3, outside, "999.00"),
    ])
    return {"group": group, "core": core, "s1": s1, "s2": s2, "p1": p1, "p2": p2, "p3": p3, "d1": d1}


def test_penetration_by_role_and_overall_matches_hand_count(example):
    pen = circle_penetration(group=example["group"])
    rows = {r.role: (r.members, r.clients, r.share) for r in pen.rows}
    assert rows[CircleRole.SUBSIDIARY] == (2, 2, Decimal("100.0"))
    assert rows[CircleRole.SUPPLIER] == (2, 0, Decimal("0.0"))
    assert rows[CircleRole.DISTRIBUTOR] == (2, 1, Decimal("50.0"))
    assert rows[CircleRole.CUSTOMER] == (1, 0, Decimal("0.0"))
    assert rows[CircleRole.GUARANTOR] == (0, 0, None)
    # Overall counts each enterprise once (P1 holds two roles): S1 S2 P1 P2 D1 P3, clients S1 S2 D1.
    assert (pen.overall.members, pen.overall.clients, pen.overall.share) == (6, 3, Decimal("50.0"))


def test_acquisition_list_ranks_prospects_by_flow_volume_with_the_group(example):
    ranked = circle_acquisition_list(group=example["group"])
    assert [(e.pk, e.volume, e.flow_count) for e in ranked] == [
        (example["p2"].pk, Decimal("300.00"), 1),
        (example["p1"].pk, Decimal("150.00"), 2),
        (example["p3"].pk, Decimal("0"), 0),
    ]
    assert all(not e.is_client for e in ranked)
    assert [m.role for m in ranked[1].circle_roles] == [CircleRole.CUSTOMER, CircleRole.SUPPLIER]


def test_circle_page_shows_penetration_acquisition_graph_and_control_subsidiaries(example, client_as, bank):
    response = client_as(bank.rm_gy1).get(_url(example["group"]))
    assert response.status_code == 200
    assert [e.pk for e in response.context["acquisition"]] == [example["p2"].pk, example["p1"].pk, example["p3"].pk]
    graph = response.context["graph"]
    nodes = {n["id"]: n for n in graph["nodes"]}
    assert nodes[str(example["core"].pk)]["core"] is True
    assert nodes[str(example["s1"].pk)]["category"] == CircleRole.SUBSIDIARY
    assert nodes[str(example["p1"].pk)]["roles"] == [CircleRole.SUPPLIER, CircleRole.CUSTOMER]
    assert nodes[str(example["p1"].pk)]["is_client"] is False and nodes[str(example["d1"].pk)]["is_client"] is True
    assert nodes[str(example["p2"].pk)]["volume"] == 300.0
    assert len(nodes) == 7
    content = response.content.decode()
    assert 'id="circle-graph-data"' in content and "js/circle-graph.js" in content
    members = response.context["member_page"].object_list
    controlled = [m for m in members if m.source == CircleSource.CONTROL]
    assert {m.enterprise_id for m in controlled} == {example["s1"].pk, example["s2"].pk}


def test_member_table_filters_by_role_client_status_source_and_tier(example, client_as, bank):
    c = client_as(bank.rm_gy1)
    url = _url(example["group"])
    page = c.get(url, {"role": "distributor", "is_client": "false"}, HTTP_HX_REQUEST="true")
    assert page.templates[0].name == "circles/partials/member_table.html"
    assert [m.enterprise_id for m in page.context["member_page"]] == [example["p3"].pk]
    page = c.get(url, {"source": "control", "tier": "1"})
    assert {m.enterprise_id for m in page.context["member_page"]} == {example["s1"].pk, example["s2"].pk}


def test_guarantees_of_group_members_are_listed_and_drawn(example, client_as, bank):
    outsider_guarantor = EnterpriseFactory(name="担保公司")
    g = Guarantee.objects.create(guarantor=outsider_guarantor, borrower=example["s1"], amount=Decimal("5000000"),
                                 start_date=datetime.date(2026, 1, 1), end_date=datetime.date(2027, 1, 1))
    response = client_as(bank.rm_gy1).get(_url(example["group"]))
    assert [x.pk for x in response.context["guarantees"]] == [g.pk]
    edges = [e for e in response.context["graph"]["edges"] if e["kind"] == "guarantee"]
    keys = ("source", "target", "kind", "amount", "currency")
    assert [{k: e[k] for k in keys} for e in edges] == [{
        "source": str(outsider_guarantor.pk), "target": str(example["s1"].pk), "kind": "guarantee",
        "amount": 5000000.0, "currency": "CNY"}]
    assert {n["id"]: n["category"] for n in response.context["graph"]["nodes"]}[str(outsider_guarantor.pk)] == "outside"


# --- forms --------------------------------------------------------------------------------------------


def test_rm_adds_a_member_by_credit_code_with_history(bank, client_as):
    prospect = EnterpriseFactory(is_client=False, branch=None, rm=None)
    response = client_as(bank.rm_gy1).post(
        reverse("circles:member_add", args=[bank.group_gy.pk]),
        {"enterprise_uscc": prospect.uscc.lower(), "role": "supplier", "tier": "1", "source": "declared",
         "since": "2025-03-01"},
    )
    assert response.status_code == 302
    member = CircleMember.objects.get(group=bank.group_gy, enterprise=prospect)
    assert (member.role, member.tier, member.since) == ("supplier", 1, datetime.date(2025, 3, 1))
    assert member.history.get().history_user == bank.rm_gy1
    # The prospect is now the group RM's counterparty through the circle, not their full record.
    assert Enterprise.objects.counterparties_for(bank.rm_gy1).filter(pk=prospect.pk).exists()
    assert not Enterprise.objects.for_user(bank.rm_gy1).filter(pk=prospect.pk).exists()


def test_rm_removes_a_declared_member_but_not_a_controlled_one(bank, client_as):
    member = CircleMember.objects.create(group=bank.group_gy, enterprise=EnterpriseFactory(), role="partner")
    controlled = CircleMember.objects.filter(group=bank.group_gy, source=CircleSource.CONTROL).first()
    c = client_as(bank.rm_gy1)
    assert c.post(reverse("circles:member_remove", args=[bank.group_gy.pk, member.pk])).status_code == 302
    assert not CircleMember.objects.filter(pk=member.pk).exists()
    c.post(reverse("circles:member_remove", args=[bank.group_gy.pk, controlled.pk]))
    assert CircleMember.objects.filter(pk=controlled.pk).exists()


def _form_errors(response, form):
    assert response.status_code == 200
    return response.context[form].errors


def test_unknown_credit_code_is_a_field_error_on_the_page(bank, client_as):
    response = client_as(bank.rm_gy1).post(
        reverse("circles:member_add", args=[bank.group_gy.pk]),
        {"enterprise_uscc": uscc_for(999_999), "role": "supplier", "source": "declared"},
    )
    assert "is on file; create it first" in _form_errors(response, "member_form")["enterprise_uscc"][0]
    response = client_as(bank.rm_gy1).post(
        reverse("circles:member_add", args=[bank.group_gy.pk]),
        {"enterprise_uscc": "91520100000000000X", "role": "supplier", "source": "declared"},
    )
    assert "check character" in _form_errors(response, "member_form")["enterprise_uscc"][0]


def test_another_branchs_client_joins_the_circle_as_a_counterparty_only(bank, client_as):
    """DESIGN.md section 4: any enterprise on file may be named; naming grants counterparty reach at
    most, so another branch's client in rm_gy1's circle shows its card and role, never its record."""
    zy_core = bank.group_zy.core_enterprise
    c = client_as(bank.rm_gy1)
    response = c.post(
        reverse("circles:member_add", args=[bank.group_gy.pk]),
        {"enterprise_uscc": zy_core.uscc, "role": "supplier", "source": "declared"},
    )
    assert response.status_code == 302
    assert CircleMember.objects.filter(group=bank.group_gy, enterprise=zy_core).exists()
    assert not Enterprise.objects.for_user(bank.rm_gy1).filter(pk=zy_core.pk).exists()
    page = c.get(reverse("clients:enterprise_detail", args=[zy_core.pk]))
    assert page.status_code == 200 and page.templates[0].name == "clients/enterprise_counterparty.html"


def test_duplicate_member_role_is_a_field_error_on_the_page(bank, client_as):
    controlled = CircleMember.objects.filter(group=bank.group_gy, source=CircleSource.CONTROL).first()
    response = client_as(bank.rm_gy1).post(
        reverse("circles:member_add", args=[bank.group_gy.pk]),
        {"enterprise_uscc": controlled.enterprise.uscc, "role": "subsidiary", "source": "declared"},
    )
    assert "already has this role" in _form_errors(response, "member_form")["role"][0]


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"amount": "-100"}, "amount", "must be positive"),
        ({"start_date": "2026-06-01", "end_date": "2026-01-01"}, "end_date", "cannot be before"),
        ({"currency": "RMB"}, "currency", "ISO 4217"),
    ],
)
def test_bad_guarantee_is_a_field_error_on_the_page(bank, client_as, changes, field, message):
    s1 = GroupMembership.objects.filter(group=bank.group_gy, depth=1).first().enterprise
    data = {"guarantor_uscc": bank.group_gy.core_enterprise.uscc, "borrower_uscc": s1.uscc, "amount": "1000",
            "currency": "CNY", "start_date": "2026-01-01", "end_date": "2026-12-31", **changes}
    response = client_as(bank.rm_gy1).post(reverse("circles:guarantee_add", args=[bank.group_gy.pk]), data)
    errors = _form_errors(response, "guarantee_form")
    assert message in " ".join(errors[field])
    assert not Guarantee.objects.exists()


def test_rm_records_a_guarantee(bank, client_as):
    s1 = GroupMembership.objects.filter(group=bank.group_gy, depth=1).first().enterprise
    response = client_as(bank.rm_gy1).post(
        reverse("circles:guarantee_add", args=[bank.group_gy.pk]),
        {"guarantor_uscc": bank.group_gy.core_enterprise.uscc, "borrower_uscc": s1.uscc, "amount": "2500000.50",
         "currency": "cny", "start_date": "2026-01-01", "end_date": "2026-12-31"},
    )
    assert response.status_code == 302
    g = Guarantee.objects.get()
    assert (g.borrower, g.amount, g.currency) == (s1, Decimal("2500000.50"), "CNY")
    assert g.history.get().history_user == bank.rm_gy1


# --- scoping ------------------------------------------------------------------------------------------


def test_rm_of_other_branch_gets_404_on_the_circle_page_and_its_forms(bank, client_as):
    c = client_as(bank.rm_zy1)
    assert c.get(_url(bank.group_gy)).status_code == 404
    assert c.post(reverse("circles:member_add", args=[bank.group_gy.pk]), {}).status_code == 404
    assert c.post(reverse("circles:guarantee_add", args=[bank.group_gy.pk]), {}).status_code == 404
    member = CircleMember.objects.filter(group=bank.group_gy).first()
    assert c.post(reverse("circles:member_remove", args=[bank.group_gy.pk, member.pk])).status_code == 404


def test_anonymous_is_sent_to_login(bank, client):
    response = client.get(_url(bank.group_gy))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_risk_officer_views_the_circle_but_gets_403_on_writes(bank, client_as):
    c = client_as(bank.risk_gy)
    response = c.get(_url(bank.group_gy))
    assert response.status_code == 200
    assert 'id="add-member"' not in response.content.decode()
    prospect = EnterpriseFactory(is_client=False, branch=None, rm=None)
    response = c.post(reverse("circles:member_add", args=[bank.group_gy.pk]),
                      {"enterprise_uscc": prospect.uscc, "role": "supplier", "source": "declared"})
    assert response.status_code == 403
    assert c.post(reverse("circles:guarantee_add", args=[bank.group_gy.pk]), {}).status_code == 403
    member = CircleMember.objects.filter(group=bank.group_gy).first()
    assert c.post(reverse("circles:member_remove", args=[bank.group_gy.pk, member.pk])).status_code == 403
    assert not CircleMember.objects.filter(enterprise=prospect).exists()


# --- query count --------------------------------------------------------------------------------------


def _grow_circle(group, *, members: int, flows_per_member: int, flows_fixture):
    base = Enterprise.objects.count() + 100_000
    enterprises = Enterprise.objects.bulk_create([
        Enterprise(name=f"圈成员{base + i}", uscc=uscc_for(base + i), is_client=bool(i % 2))
        for i in range(members)
    ])
    roles = [r for r, _ in CircleRole.choices if r != CircleRole.SUBSIDIARY]
    CircleMember.objects.bulk_create([
        CircleMember(group=group, enterprise=e, role=roles[i % len(roles)], tier=1 + i % 3)
        for i, e in enumerate(enterprises)
    ])
    core = group.core_enterprise
    flows_fixture([
        payment(e, core, f"{(i * 7 + j) % 900 + 1}.00", days_ago=(i + j) % 500)
        for i, e in enumerate(enterprises) for j in range(flows_per_member)
    ])
    Guarantee.objects.bulk_create([
        Guarantee(guarantor=e, borrower=core, amount=Decimal("1000"), start_date=datetime.date(2026, 1, 1),
                  end_date=datetime.date(2026, 12, 31))
        for e in enterprises[: max(1, members // 20)]
    ])


PAGE_QUERIES = 13  # session, user, scope, group, 2 member table, guarantees, graph, 2 penetration, 2 acquisition, profile in base.html


def test_circle_page_query_count_does_not_grow_with_members_and_flows(bank, client_as, flows,
                                                                      django_assert_num_queries):
    c = client_as(bank.rm_gy1)
    group = bank.group_gy
    _grow_circle(group, members=5, flows_per_member=2, flows_fixture=flows)
    with CaptureQueriesContext(connection) as small:
        assert c.get(_url(group)).status_code == 200
    _grow_circle(group, members=195, flows_per_member=10, flows_fixture=flows)
    assert CircleMember.objects.filter(group=group).count() == 202
    with django_assert_num_queries(PAGE_QUERIES, info="circle page"):
        response = c.get(_url(group))
    assert response.status_code == 200
    assert len(small.captured_queries) == PAGE_QUERIES
    assert len(response.context["graph"]["nodes"]) == 203
