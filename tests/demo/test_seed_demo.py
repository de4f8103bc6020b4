"""seed_demo: a small, deterministic, realistic data set with the demo logins."""

import datetime as dt
import io
from collections import Counter
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db.models import Count, F, Max, Q
from stdnum.cn import ric

from chains.models import ChainLink, Flow
from circles.models import CircleMember, Guarantee
from clients.models import (
    AccountBalance,
    BankAccount,
    ChangeRequest,
    ControlLink,
    Enterprise,
    FinancialStatement,
    GroupClient,
    GroupMembership,
    Interaction,
    KeyPerson,
    Person,
)
from clients.validators import validate_uscc
from demo import seed as demo
from demo.history import history_model, tracked_models
from staff.models import Branch, BranchLevel, Role, StaffProfile

AS_OF = dt.date(2026, 10, 31)
SMALL = {"groups": 10, "flows": 3000, "as_of": AS_OF}

pytestmark = pytest.mark.django_db


def snapshot():
    """What must not change between two builds with the same seed."""
    return {
        "enterprises": sorted(
            Enterprise.objects.values_list("name", "uscc", "industry", "region", "is_client")
        ),
        "groups": sorted(
            GroupClient.objects.values_list("name", "tier", "lead_rm__username", "branch__code")
        ),
        "persons": sorted(Person.objects.values_list("name", "id_number")),
        "flows": sorted(Flow.objects.values_list("source_system", "external_ref", "amount", "value_date"))[
            :500
        ],
        "links": sorted(
            ControlLink.objects.values_list(
                "parent_enterprise__uscc", "parent_person__id_number", "child__uscc", "share_pct"
            ),
            key=str,
        ),
        "history": {
            model._meta.label: sorted(
                Counter(history_model(model).objects.values_list("history_type", "history_change_reason")).items()
            )
            for model in tracked_models()
        },
        "requests": list(
            ChangeRequest.objects.values_list(
                "kind", "status", "enterprise__uscc", "requested_by__username", "reason"
            )
        ),
    }


@pytest.fixture
def seeded():
    return demo.build(seed=2026, **SMALL)


def test_build_writes_every_kind_of_row(seeded):
    for table in (
        "enterprises",
        "persons",
        "groups",
        "control_links",
        "financials",
        "accounts",
        "balances",
        "interactions",
        "circle_members",
        "guarantees",
        "chain_links",
        "flows",
        "memberships",
    ):
        assert seeded[table] > 0, table
    assert seeded["groups"] == GroupClient.objects.count() == 10
    assert seeded["flows"] == Flow.objects.count()
    assert Flow.objects.exclude(source_system="demo-risk").count() == 3000  # and risk.demo's few flows
    assert seeded["enterprises"] == Enterprise.objects.count()


def test_same_seed_gives_same_names_codes_and_counts():
    first_counts = demo.build(seed=7, **SMALL)
    first = snapshot()
    demo.reset()
    assert not Enterprise.objects.exists() and not get_user_model().objects.filter(username="hq").exists()
    second_counts = demo.build(seed=7, **SMALL)
    assert second_counts == first_counts
    assert snapshot() == first


def test_another_seed_gives_other_names():
    demo.build(seed=1, **SMALL)
    first = snapshot()
    demo.reset()
    demo.build(seed=2, **SMALL)
    assert snapshot()["enterprises"] != first["enterprises"]


def test_every_credit_code_is_valid_and_unique(seeded):
    codes = list(Enterprise.objects.values_list("uscc", flat=True))
    assert len(codes) == len(set(codes)) == seeded["enterprises"]
    for code in codes:
        validate_uscc(code)  # raises on a bad code
    for number in Person.objects.values_list("id_number", flat=True):
        assert ric.is_valid(number), number


def test_demo_logins_have_their_roles_and_branches(seeded):
    users = {u.username: u for u in get_user_model().objects.select_related("profile__branch__parent")}
    expected = {
        "hq": Role.HQ_ADMIN,
        "head_gy": Role.BRANCH_HEAD,
        "risk_gy": Role.RISK_OFFICER,
        "rm_gy1": Role.RM,
        "rm_gy2": Role.RM,
        "rm_zy1": Role.RM,
        "head_zy": Role.BRANCH_HEAD,
    }
    for name, role in expected.items():
        assert users[name].profile.role == role
        assert users[name].check_password("demo-pass-2026")
    assert users["hq"].is_superuser and users["hq"].is_staff
    assert users["hq"].profile.branch.level == BranchLevel.HEAD_OFFICE
    gy = users["head_gy"].profile.branch
    assert gy.name == "贵阳分行" and users["risk_gy"].profile.branch == gy
    gy1, gy2 = users["rm_gy1"].profile.branch, users["rm_gy2"].profile.branch
    assert gy1 != gy2
    assert gy1.level == gy2.level == BranchLevel.SUB_BRANCH and gy1.parent == gy2.parent == gy
    zy1 = users["rm_zy1"].profile.branch
    assert zy1.level == BranchLevel.SUB_BRANCH and zy1.parent.name == "遵义分行"
    assert users["head_zy"].profile.branch == zy1.parent


def test_demo_rms_lead_groups_of_their_own_branch(seeded):
    led = Counter(GroupClient.objects.values_list("lead_rm__username", flat=True))
    assert led["rm_gy1"] >= 3 and led["rm_gy2"] >= 1 and led["rm_zy1"] >= 1
    for group in GroupClient.objects.select_related("lead_rm__profile"):
        assert group.branch_id == group.lead_rm.profile.branch_id
    assert GroupClient.objects.filter(lead_rm__username="rm_zy1", branch__parent__name="遵义分行").exists()


def test_rm_gy1_covers_a_group_with_a_multi_level_control_tree(seeded):
    rm = get_user_model().objects.get(username="rm_gy1")
    visible = GroupClient.objects.for_user(rm)
    deep = visible.annotate(depth=Max("memberships__depth")).filter(depth__gte=3)
    assert deep.exists()
    group = deep.first()
    members = Enterprise.objects.filter(memberships__group=group)
    assert Enterprise.objects.for_user(rm).filter(pk__in=members).count() == members.count()
    other = get_user_model().objects.get(username="rm_zy1")
    assert not GroupClient.objects.for_user(other).filter(pk=group.pk).exists()


def test_control_trees_mix_majority_minority_aggregated_and_person_control(seeded):
    member_pairs = set(GroupMembership.objects.values_list("group__core_enterprise_id", "enterprise_id"))
    minority = ControlLink.objects.filter(
        parent_enterprise__isnull=False, share_pct__gte=20, share_pct__lt=50
    )
    # Minority stakes held by a core directly and not topped up elsewhere: never members.
    lone = [
        link
        for link in minority.filter(parent_enterprise__led_group__isnull=False)
        if link.child.parent_links.count() == 1
    ]
    assert lone
    assert all((link.parent_enterprise_id, link.child_id) not in member_pairs for link in lone)
    # Aggregated control: a member whose own largest direct holding is not above 50 %.
    aggregated = (
        GroupMembership.objects.filter(reason="majority")
        .annotate(best=Max("enterprise__parent_links__share_pct"))
        .filter(best__lte=50)
    )
    assert aggregated.exists()
    assert ControlLink.objects.filter(parent_person__isnull=False, child__led_group__isnull=False).exists()
    cycles = GroupClient.objects.exclude(membership_warnings=[])
    assert 1 <= cycles.count() <= 2


def test_flows_have_unique_references_and_positive_amounts(seeded):
    assert not Flow.objects.values("source_system", "external_ref").annotate(n=Count("id")).filter(n__gt=1)
    assert not Flow.objects.filter(amount__lte=0).exists()
    assert set(Flow.objects.values_list("kind", flat=True)) == {"payment", "invoice", "order", "shipment"}
    assert Flow.objects.aggregate(last=Max("value_date"))["last"] <= AS_OF


def test_some_flows_go_through_other_banks(seeded):
    payments = Flow.objects.filter(kind="payment")
    other = payments.filter(channel="other_bank").count()
    assert 0.1 < other / payments.count() < 0.9


def test_some_trading_pairs_have_no_chain_link(seeded):
    pairs = set(Flow.objects.values_list("payee_id", "payer_id").distinct())
    declared = set(ChainLink.objects.values_list("supplier_id", "buyer_id"))
    undeclared = pairs - declared
    assert undeclared and pairs & declared
    # Some counterparties are known only from the flows: prospects outside every circle.
    in_circles = set(CircleMember.objects.values_list("enterprise_id", flat=True))
    members = set(GroupMembership.objects.values_list("enterprise_id", flat=True))
    flow_only = {e for pair in undeclared for e in pair} - in_circles - members
    assert Enterprise.objects.filter(pk__in=flow_only, is_client=False).exists()


def test_invoices_are_paid_30_to_90_days_later_with_a_derived_reference(seeded):
    invoices = {f.external_ref: f for f in Flow.objects.filter(kind="invoice")}
    payments = Flow.objects.filter(kind="payment", external_ref__endswith="-1").exclude(source_system="demo-risk")
    assert payments.exists()
    delays = []
    for payment in payments:
        invoice = invoices[payment.external_ref.removeprefix("PAY-").removesuffix("-1")]
        assert (payment.payer_id, payment.payee_id) == (invoice.payer_id, invoice.payee_id)
        delays.append((payment.value_date - invoice.value_date).days)
    assert 20 <= min(delays) and max(delays) <= 105
    assert 30 <= sorted(delays)[len(delays) // 2] <= 90


def test_trade_peaks_before_the_spring_festival_and_at_year_end(seeded):
    by_month = Counter(
        d.month for d in Flow.objects.filter(kind="invoice").values_list("value_date", flat=True)
    )
    assert by_month[12] > by_month[2] and by_month[1] > by_month[2]


def test_circles_have_prospects_roles_and_guarantees(seeded):
    roles = set(CircleMember.objects.values_list("role", flat=True))
    assert {"supplier", "distributor", "customer", "partner", "investee"} <= roles
    assert CircleMember.objects.filter(enterprise__is_client=False).exists()
    assert not CircleMember.objects.filter(source="declared", since__isnull=True).exists()
    assert (
        Guarantee.objects.filter(amount__gt=0, end_date__gt=F("start_date")).count()
        == Guarantee.objects.count()
    )
    assert set(ChainLink.objects.values_list("tier", flat=True)) <= {-2, -1, 0, 1, 2}
    assert {-2, -1, 1, 2} <= set(ChainLink.objects.values_list("tier", flat=True))


def test_financials_are_consistent(seeded):
    statements = FinancialStatement.objects.all()
    assert statements.filter(period_type="annual").values("period_end").distinct().count() == 3
    assert statements.filter(period_type="quarter").exists()
    assert not statements.filter(
        Q(current_assets__gt=F("total_assets")) | Q(current_liabilities__gt=F("total_liabilities"))
    ).exists()
    assert not statements.filter(receivables__gt=F("current_assets") - F("inventory")).exists()
    solvent = statements.filter(total_assets__gt=F("total_liabilities")).count()
    assert solvent / statements.count() > 0.9


def test_accounts_have_twelve_month_end_balances(seeded):
    months = AccountBalance.objects.values("account").annotate(n=Count("id")).values_list("n", flat=True)
    assert set(months) == {12}
    assert AccountBalance.objects.aggregate(last=Max("date"))["last"] == AS_OF
    assert not AccountBalance.objects.filter(balance__lte=Decimal("0")).exists()


def test_bulk_create_path_gives_the_same_data_as_copy():
    demo.build(seed=5, use_copy=False, **SMALL)
    by_orm = snapshot()
    demo.reset()
    demo.build(seed=5, **SMALL)
    assert snapshot() == by_orm


def test_per_row_foreign_key_checks_mode_loads_the_same_counts():
    counts = demo.build(seed=5, fk_check="row", **SMALL)
    demo.reset()
    assert demo.build(seed=5, **SMALL) == counts


def printed_counts(text: str) -> dict[str, int]:
    """The counts table of seed_demo's output ("  enterprises: 123" lines)."""
    counts = {}
    for line in text.splitlines():
        name, colon, value = line.strip().partition(": ")
        if colon and value.isdigit() and name.replace("_", "").isalpha():
            counts[name] = int(value)
    return counts


def test_command_prints_logins_and_refuses_to_overwrite_without_reset():
    out = io.StringIO()
    call_command("seed_demo", groups=8, flows=1000, seed=3, stdout=out)
    text = out.getvalue()
    assert "demo-pass-2026" in text and "rm_gy1" in text and "rm_zy1" in text and "head_zy" in text
    assert "pending transfer request" in text and "/clients/requests/" in text
    with pytest.raises(CommandError, match="--reset"):
        call_command("seed_demo", groups=8, flows=1000, seed=3, stdout=io.StringIO())


def test_rerun_with_reset_gives_the_same_counts():
    call_command("seed_demo", groups=8, flows=1000, seed=3, password="pw-x", stdout=io.StringIO())
    counts = {
        m.__name__: m.objects.count()
        for m in (
            Enterprise,
            GroupClient,
            ControlLink,
            Flow,
            ChainLink,
            CircleMember,
            Guarantee,
            GroupMembership,
            AccountBalance,
        )
    }
    call_command("seed_demo", groups=8, flows=1000, seed=3, password="pw-x", reset=True, stdout=io.StringIO())
    again = {
        m.__name__: m.objects.count()
        for m in (
            Enterprise,
            GroupClient,
            ControlLink,
            Flow,
            ChainLink,
            CircleMember,
            Guarantee,
            GroupMembership,
            AccountBalance,
        )
    }
    assert again == counts
    assert get_user_model().objects.get(username="rm_gy2").check_password("pw-x")


def test_printed_counts_match_the_database():
    out = io.StringIO()
    call_command("seed_demo", groups=8, flows=1000, seed=3, stdout=out)
    in_database = {
        "branches": Branch.objects.count(),
        "staff": StaffProfile.objects.count(),
        "enterprises": Enterprise.objects.count(),
        "persons": Person.objects.count(),
        "key_people": KeyPerson.objects.count(),
        "groups": GroupClient.objects.count(),
        "teams": GroupClient.team.through.objects.count(),
        "control_links": ControlLink.objects.count(),
        "financials": FinancialStatement.objects.count(),
        "accounts": BankAccount.objects.count(),
        "balances": AccountBalance.objects.count(),
        "interactions": Interaction.objects.count(),
        # Declared members; the membership refresh adds the controlled entities (source "control").
        "circle_members": CircleMember.objects.exclude(source="control").count(),
        "guarantees": Guarantee.objects.count(),
        "chain_links": ChainLink.objects.count(),
        "flows": Flow.objects.count(),
        "memberships": GroupMembership.objects.count(),
    }
    assert printed_counts(out.getvalue()) == in_database
