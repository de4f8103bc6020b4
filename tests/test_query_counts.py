"""Every page and every API endpoint runs an absolute, pinned number of SQL queries, and the same number
on a small data set and on one with many times more members, circle members, links, flows, statements,
interactions and requests (DESIGN.md section 5). One table holds every count; a new page or endpoint
fails `test_every_page_and_endpoint_is_pinned` until it is added here. On a mismatch the failure lists
the SQL that ran (tests/querycount.py)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from chains.models import ChainLink, Flow
from circles.models import CircleMember, Guarantee
from clients.approvals import transfer_request
from clients.models import (
    BankAccount,
    ChangeRequest,
    ControlLink,
    Enterprise,
    FinancialStatement,
    GroupMembership,
    Interaction,
    Person,
)
from config.api_urls import router
from tests.clients.helpers import big_group
from tests.core.test_scoping_walk import page_patterns
from tests.factories import uscc_for
from tests.querycount import count_queries

# Pages: name -> (persona, expected queries). Arguments come from the `world` below.
PAGES: dict[str, tuple[str, int]] = {
    "home": ("rm_gy1", 15),  # the landing panels (clients.landing; every role: tests/clients/test_lists_queries.py)
    "clients:group_list": ("rm_gy1", 6),
    "clients:group_create": ("rm_gy1", 4),
    "clients:group_detail": ("rm_gy1", 34),
    "clients:group_edit": ("rm_gy1", 6),
    "clients:group_limit": ("risk_gy", 6),
    "clients:group_transfer": ("rm_gy1", 9),
    "clients:enterprise_list": ("head_gy", 6),
    "clients:enterprise_create": ("rm_gy1", 4),
    "clients:enterprise_detail": ("rm_gy1", 25),
    "clients:enterprise_edit": ("rm_gy1", 5),
    "clients:enterprise_rating": ("risk_gy", 5),
    "clients:enterprise_transfer": ("rm_gy1", 7),
    "clients:control_link_create": ("rm_gy1", 6),
    "clients:control_link_edit": ("rm_gy1", 7),
    "clients:control_link_delete": ("rm_gy1", 6),
    "clients:interaction_create": ("rm_gy1", 5),
    "clients:financial_statement_create": ("rm_gy1", 5),
    "clients:registry_lookup": ("rm_gy1", 8),
    "clients:enterprise_claim": ("rm_gy1", 3),  # GET: 405 (session, user, scope)
    "clients:request_list": ("head_gy", 9),
    "clients:request_detail": ("head_gy", 10),
    "clients:request_decide": ("head_gy", 3),  # GET: 405 after the role check (scope), before any lookup
    "circles:group_circle": ("rm_gy1", 13),
    "circles:member_add": ("rm_gy1", 2),  # the POST-only workflow views answer GET with 405
    "circles:member_add_from_card": ("rm_gy1", 2),
    "circles:member_remove": ("rm_gy1", 2),
    "circles:guarantee_add": ("rm_gy1", 2),
    "chains:group_chain": ("rm_gy1", 11),  # with the review queue (count, page) and the detection thresholds
    "chains:detected_queue": ("rm_gy1", 11),  # a plain GET: the whole chain page at that queue page
    "chains:detected_bulk": ("rm_gy1", 2),
    "chains:detection_settings": ("hq", 6),
    "chains:link_declare": ("rm_gy1", 2),
    "chains:group_detect": ("rm_gy1", 2),
    "chains:link_confirm": ("rm_gy1", 2),
    "chains:link_dismiss": ("rm_gy1", 2),
    "imports:upload": ("rm_gy1", 5),
    "imports:confirm": ("rm_gy1", 5),
    "imports:run": ("rm_gy1", 6),  # a background import's status: the page's usual queries and the run
    # A template download: session, user, scope; the first group in reach with its core, one member, the
    # free example credit code.
    "imports:template": ("rm_gy1", 6),
    "core:job_runs": ("hq", 8),  # with the world's import run on the page
    # API tokens: session, user, scope, the user's tokens, base.html's user.profile; revoke and rotate
    # are POST-only (GET: 405). The audit log: session, user, scope, count, page, user.profile.
    "account_tokens": ("rm_gy1", 5),
    "account_token_revoke": ("rm_gy1", 2),
    "account_token_rotate": ("rm_gy1", 2),
    "audit:event_list": ("hq", 6),
    # /health/ (no login, never reads the session): SELECT 1, the outbox backlog, the job names (a loose
    # index scan) and the latest run of each job name on record (one query each; names are few, fixed by code).
    "health": ("rm_gy1", 7),
    # The header search (clients.search): session, user, scope, the matching groups and enterprises (one
    # query each) and, on the results page, how many of each match and base.html's user.profile.
    "search:results": ("rm_gy1", 8),
    "search:suggest": ("rm_gy1", 5),
    "services:catalogue": ("rm_gy1", 8),
    "services:workbench_needs": ("rm_gy1", 9),
    "services:settings_allocation": ("hq", 6),
    "services:settings_contribution": ("hq", 6),
    "services:needs": ("rm_gy1", 9),
    "services:need_create": ("rm_gy1", 6),
    "services:need_status": ("rm_gy1", 2),  # POST-only (GET: 405)
    "services:rules": ("hq", 6),
    "services:group_refresh_needs": ("rm_gy1", 2),
    # Risk (issue 10). POST-only actions answer GET with 405 after their checks.
    "risk:alerts": ("risk_gy", 8),
    "risk:alert_detail": ("risk_gy", 10),
    "risk:alert_action": ("risk_gy", 2),
    "risk:rules": ("hq", 6),
    "risk:group_refresh_risk": ("rm_gy1", 2),
    "risk:facilities": ("risk_gy", 8),
    "risk:facility_create": ("risk_gy", 5),
    "risk:facility_preview": ("risk_gy", 3),
    "risk:facility_detail": ("risk_gy", 9),
    "risk:facility_edit": ("risk_gy", 6),
    "risk:facility_close": ("risk_gy", 2),
    "risk:pledge_create": ("risk_gy", 5),
    "risk:pledge_release": ("risk_gy", 2),
    "risk:group_limits": ("risk_gy", 9),
    "risk:sub_limit_remove": ("risk_gy", 2),
    "risk:other_banks": ("rm_gy1", 8),
    "risk:other_bank_create": ("rm_gy1", 4),
    "risk:other_bank_edit": ("rm_gy1", 5),
    "risk:other_bank_delete": ("rm_gy1", 2),
    "risk:concentration": ("hq", 8),
    "risk:related_parties": ("hq", 5),
    "risk:proposals": ("rm_gy1", 9),
    "risk:proposal_thresholds": ("hq", 5),
    "risk:proposal_action": ("rm_gy1", 2),
}
PUBLIC = {"login", "logout", "set_language"}

# API: prefix -> (persona, list queries, detail queries or None).
ENDPOINTS: dict[str, tuple[str, int, int | None]] = {
    "enterprises": ("rm_gy1", 4, 3),
    "group-clients": ("rm_gy1", 5, 7),
    "control-links": ("rm_gy1", 4, 3),
    "financial-statements": ("rm_gy1", 4, 3),
    "accounts": ("rm_gy1", 4, 3),
    "persons": ("rm_gy1", 4, 3),
    "interactions": ("rm_gy1", 4, 3),
    "registry": ("rm_gy1", 0, 4),
    "change-requests": ("head_gy", 6, 5),
    "circle-members": ("rm_gy1", 4, 3),
    "guarantees": ("rm_gy1", 4, 3),
    "chain-links": ("rm_gy1", 4, 3),
    "flows": ("rm_gy1", 3, 3),
    "products": ("rm_gy1", 4, 3),
    "partners": ("rm_gy1", 4, 3),
    "holdings": ("rm_gy1", 3, 3),
    "fx-rates": ("rm_gy1", 2, 2),
    "needs": ("rm_gy1", 4, 3),
    "job-runs": ("rm_gy1", 4, 3),
    "alerts": ("risk_gy", 7, 6),
    "alert-rules": ("hq", 3, 3),
    "facilities": ("risk_gy", 5, 4),
    "exposures": ("risk_gy", 7, 7),  # the list is the roll-up of `?group=`; no detail route (its "detail" is the list)
    "sub-limits": ("risk_gy", 4, 3),
    "pledges": ("risk_gy", 4, 3),
    "other-bank-financing": ("rm_gy1", 4, 3),
    "risk-settings": ("hq", 3, 3),
    "group-proposals": ("rm_gy1", 4, 3),
}


def _world(bank):
    """One object of every kind around group_gy, for the URL arguments."""
    g = bank.group_gy
    core = g.core_enterprise
    member = GroupMembership.objects.filter(group=g).exclude(enterprise=core).first().enterprise
    link = ControlLink.objects.filter(parent_enterprise=core, child=member).first()
    supplier = Enterprise.objects.create(name="查询计数供应商", uscc=uscc_for(880001))
    circle_member = CircleMember.objects.create(group=g, enterprise=supplier, role="supplier")
    chain_link = ChainLink.objects.create(group=g, supplier=supplier, buyer=core, tier=-1, status="detected")
    request = transfer_request(user=bank.rm_gy1, group=g, team=[bank.rm_gy2])
    person = Person.objects.create(name="查询计数人", id_number="110101198001011237")
    ControlLink.objects.create(parent_person=person, child=core, share_pct=Decimal("1"))
    account = BankAccount.objects.create(enterprise=core, account_no="QC-1", kind="demand")
    statement = FinancialStatement.objects.create(enterprise=core, period_end=datetime.date(2025, 12, 31),
                                                  period_type="annual", revenue=Decimal("1"))
    interaction = Interaction.objects.create(enterprise=core, staff=bank.rm_gy1, kind="visit",
                                             occurred_at="2026-11-01T10:00:00+08:00", subject="查询计数")
    guarantee = Guarantee.objects.create(guarantor=core, borrower=member, amount=Decimal("1"),
                                         start_date=datetime.date(2026, 1, 1), end_date=datetime.date(2026, 2, 1))
    flow = Flow.objects.create(payer=core, payee=supplier, amount=Decimal("1"), value_date=datetime.date(2026, 1, 5),
                               kind="payment", channel="this_bank", source_system="qc", external_ref="QC-F1")
    from core.models import JobRun

    import_run = JobRun.objects.create(
        job="import:flows", user=bank.rm_gy1, status="success", params={"kind": "flows", "file_name": "qc.csv"},
        report={"kind": "flows", "committed": True, "total_rows": 1, "created": 1, "columns": ["payer"],
                "errors": [[2, "payer", "查询计数"]], "error_total": 1})
    from core.models import FxRate
    from services.models import Holding, Partner, Product
    from services.needs import need_record

    holding = Holding.objects.create(enterprise=core, product=Product.objects.get(code="settlement"),
                                     since=datetime.date(2025, 1, 1), balance=Decimal("1000"), currency="CNY",
                                     source_system="qc", external_ref="QC-H1")
    need = need_record(bank.rm_gy1, enterprise=core.uscc, product="payroll", score=50, value="1000",
                       evidence="查询计数需求")
    fx_rate = FxRate.objects.create(currency="USD", date=datetime.date(2026, 1, 5), rate=Decimal("7.1"))
    refresh_run = JobRun.objects.create(job="refresh_needs", subject=g, status="success")
    return {
        **_risk_world(bank, g, core, member, supplier),
        "holding": holding, "need": need, "fx_rate": fx_rate, "refresh_run": refresh_run,
        "product": Product.objects.get(code="cash_pool"), "partner": Partner.objects.order_by("pk").first(),
        "other": bank.group_zy.core_enterprise,
        "group": g, "core": core, "link": link, "circle_member": circle_member, "chain_link": chain_link,
        "request": request, "person": person, "account": account, "statement": statement,
        "interaction": interaction, "guarantee": guarantee, "flow": flow, "import_run": import_run,
    }


def _risk_world(bank, g, core, member, supplier) -> dict:
    from core.rulekit import Scope
    from risk import alerts
    from risk.models import Facility, GroupProposal, OtherBankFinancing, Pledge, RiskAlert, SubLimit
    from risk.rules import Finding, enterprise_key, enterprise_scope, party_scope, path_key
    from services.models import Product

    facility = Facility.objects.create(
        reference="QC-FAC-1", enterprise=core, product=Product.objects.get(code="working_capital_loan"),
        limit_amount=Decimal("1000000"), drawn=Decimal("400000"), start_date=datetime.date(2026, 1, 1),
        end_date=datetime.date(2027, 1, 1))
    alerts.sync("past_due", [Finding(subject_key=enterprise_key(core.pk), enterprise_id=core.pk, group_id=g.pk,
                                     severity=3, evidence="查询计数预警", evidence_en="qc alert")],
                enterprise_scope(Scope(as_of=datetime.date(2026, 6, 1), ids=[core.pk])))
    # A guarantee cycle through another branch's client: the lists read the path's registry cards.
    other = bank.group_zy.core_enterprise
    alerts.sync("guarantee_cycle", [Finding(subject_key=path_key("cycle", [core.pk, other.pk]), enterprise_id=core.pk,
                                            group_id=g.pk, severity=3, evidence="互保", evidence_en="mutual",
                                            path=(core.pk, other.pk))], party_scope(Scope(as_of=datetime.date(2026, 6, 1))))
    return {
        "facility": facility,
        "pledge": Pledge.objects.create(facility=facility, kind="receivable", invoice_no="QC-INV-1", debtor=member,
                                        amount=Decimal("50000")),
        "sub_limit": SubLimit.objects.create(group=g, enterprise=member, amount=Decimal("2000000")),
        "other_bank": OtherBankFinancing.objects.create(enterprise=core, lender="查询计数银行", amount=Decimal("300000"),
                                                        as_of=datetime.date(2026, 6, 30)),
        "alert": RiskAlert.objects.get(enterprise=core, rule="past_due"),
        "proposal": GroupProposal.objects.create(group=g, enterprise=supplier, test="non_fair", evidence="查询计数依据",
                                                 evidence_en="qc", evidence_key="qc"),
    }


def _grow_risk(bank, w):
    """Many facilities, pledges, alerts (with paths, comments) and proposals behind the same pages."""
    from core.rulekit import Scope
    from risk import alert_actions, alerts
    from risk.models import Facility, GroupProposal, OtherBankFinancing, Pledge, SubLimit
    from risk.rules import Finding, enterprise_key, enterprise_scope, party_scope, path_key
    from services.models import Product

    g, core = w["group"], w["core"]
    members = list(Enterprise.objects.filter(memberships__group=g).exclude(pk=core.pk).order_by("pk")[:60])
    product = Product.objects.get(code="receivables_financing")
    facilities = Facility.objects.bulk_create(
        Facility(reference=f"QC-FAC-G{i}", enterprise=e, product=product, limit_amount=Decimal("1000"),
                 drawn=Decimal(i), currency="USD" if i % 3 else "CNY", start_date=datetime.date(2026, 1, 1),
                 end_date=datetime.date(2027, 1, 1)) for i, e in enumerate(members * 2))
    Pledge.objects.bulk_create(Pledge(facility=f, kind="inventory", lot_ref=f"QC-LOT-{i}", amount=Decimal("1"))
                               for i, f in enumerate(facilities))
    Pledge.objects.bulk_create(Pledge(facility=w["facility"], kind="receivable", invoice_no=f"QC-INV-G{i}",
                                      debtor=members[i % len(members)], amount=Decimal("1")) for i in range(40))
    SubLimit.objects.bulk_create(SubLimit(group=g, enterprise=e, amount=Decimal("1000000")) for e in members[:40]
                                 if e.pk != w["sub_limit"].enterprise_id)
    OtherBankFinancing.objects.bulk_create(
        OtherBankFinancing(enterprise=e, lender=f"他行{i % 7}", amount=Decimal("10"), as_of=datetime.date(2026, 6, 30))
        for i, e in enumerate(members))
    alerts.sync("inflow_drop", [Finding(subject_key=enterprise_key(e.pk), enterprise_id=e.pk, group_id=g.pk,
                                        severity=1 + i % 4, evidence=f"依据{i}", evidence_en=f"e{i}")
                                for i, e in enumerate(members)],
                enterprise_scope(Scope(as_of=datetime.date(2026, 6, 1), ids=[e.pk for e in members])))
    other = w["other"]
    alerts.sync("guarantee_cycle", [Finding(subject_key=path_key("cycle", [core.pk, e.pk, other.pk]),
                                            enterprise_id=core.pk, group_id=g.pk, severity=3, evidence="担保圈",
                                            evidence_en="cycle", path=(core.pk, e.pk, other.pk),
                                            figures={"edges": [{"from": core.pk, "to": e.pk, "amount_cny": "1"}]})
                                    for e in members[:20]], party_scope(Scope(as_of=datetime.date(2026, 6, 1))))
    for i in range(12):
        alert_actions.alert_comment(bank.risk_gy, w["alert"], f"备注{i}")
    GroupProposal.objects.bulk_create(
        GroupProposal(group=g, enterprise=e, test="control", evidence=f"依据{i}", evidence_key=f"qc{i}")
        for i, e in enumerate(members[:40]))


def _grow(bank, w):
    """Many times more of everything behind the same pages (bulk writes)."""
    from clients.services import group_membership_refresh

    g, core = w["group"], w["core"]
    subsidiaries = Enterprise.objects.bulk_create(
        Enterprise(name=f"查询计数子公司{i}", uscc=uscc_for(882000 + i), branch=bank.gy1) for i in range(100))
    ControlLink.objects.bulk_create(ControlLink(parent_enterprise=core, child=e, share_pct=Decimal("80"))
                                    for e in subsidiaries)
    group_membership_refresh(groups=[g])
    assert g.memberships.count() > 100
    extra = big_group(name="查询计数大集团", branch=bank.gy1, lead_rm=bank.rm_gy1, members=120)
    new = Enterprise.objects.bulk_create(
        Enterprise(name=f"查询计数对手{i}", uscc=uscc_for(881000 + i), is_client=i % 2 == 0) for i in range(60))
    CircleMember.objects.bulk_create(CircleMember(group=g, enterprise=e, role="customer") for e in new)
    ChainLink.objects.bulk_create(ChainLink(group=g, supplier=core, buyer=e, tier=1) for e in new)
    Flow.objects.bulk_create(
        Flow(payer=e, payee=core, amount=Decimal(100 + i), value_date=datetime.date(2026, 1, 1) +
             datetime.timedelta(days=i % 300), kind="payment", channel="this_bank", source_system="qc",
             external_ref=f"QC-G{i}")
        for i, e in enumerate(new * 20))
    Guarantee.objects.bulk_create(
        Guarantee(guarantor=e, borrower=core, amount=Decimal("5"), start_date=datetime.date(2026, 1, 1),
                  end_date=datetime.date(2026, 3, 1)) for e in new)
    ControlLink.objects.bulk_create(ControlLink(parent_enterprise=e, child=core, share_pct=Decimal("0.1"))
                                    for e in new[:30])
    FinancialStatement.objects.bulk_create(
        FinancialStatement(enterprise=core, period_end=datetime.date(2000 + y, 6, 30), period_type="half")
        for y in range(20))
    Interaction.objects.bulk_create(
        Interaction(enterprise=core, staff=bank.rm_gy1, kind="call", occurred_at=f"2026-10-{d:02d}T09:00:00+08:00",
                    subject=f"电话{d}") for d in range(1, 29))
    assert extra.memberships.count() == 121
    from core.models import FxRate, JobRun
    from services.models import Holding, Need, Product

    products = list(Product.objects.exclude(code="payroll").order_by("code"))
    members = [core, *subsidiaries]
    Holding.objects.bulk_create(
        Holding(enterprise=e, product=products[i % len(products)], since=datetime.date(2025, 1, 1), balance=Decimal(i),
                currency="USD" if i % 3 else "CNY", source_system="qc", external_ref=f"QC-H{i + 10}")
        for i, e in enumerate(members * 2))
    Need.objects.bulk_create(
        Need(enterprise=e, group=g, product=products[i % len(products)], rule=f"rule{i % 5}", score=i % 100,
             value=Decimal(1000 + i), evidence=f"依据{i}", basis=Decimal(i))
        for i, e in enumerate(members))
    FxRate.objects.bulk_create(FxRate(currency="USD", date=datetime.date(2025, 1, 1) + datetime.timedelta(days=d),
                                      rate=Decimal("7.2")) for d in range(300))
    JobRun.objects.bulk_create(JobRun(job="refresh_needs", subject_type_id=w["refresh_run"].subject_type_id,
                                      subject_id=g.pk, status="success") for _ in range(30))
    ChangeRequest.objects.bulk_create(
        ChangeRequest(kind="transfer", group=g, payload={"team": []}, requested_by=bank.rm_gy1) for _ in range(15))
    _grow_risk(bank, w)


QUERIES = {"clients:registry_lookup": lambda w: {"uscc": w["other"].uscc},
           "search:results": lambda w: {"q": "查询计数"}, "search:suggest": lambda w: {"q": "查询计数"}}


def _page_url(name, w):
    pattern = dict(page_patterns())[name]
    params = pattern.pattern.converters
    if not params:
        query = QUERIES[name](w) if name in QUERIES else {}
        return reverse(name) + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")
    args = {
        "clients:group_detail": {"pk": w["group"].pk}, "clients:group_edit": {"pk": w["group"].pk},
        "clients:group_limit": {"pk": w["group"].pk}, "clients:group_transfer": {"pk": w["group"].pk},
        "clients:enterprise_detail": {"pk": w["core"].pk}, "clients:enterprise_edit": {"pk": w["core"].pk},
        "clients:enterprise_rating": {"pk": w["core"].pk}, "clients:enterprise_transfer": {"pk": w["core"].pk},
        "clients:control_link_create": {"pk": w["core"].pk},
        "clients:control_link_edit": {"pk": w["link"].child_id, "link_pk": w["link"].pk},
        "clients:control_link_delete": {"pk": w["link"].child_id, "link_pk": w["link"].pk},
        "clients:interaction_create": {"pk": w["core"].pk},
        "clients:financial_statement_create": {"pk": w["core"].pk},
        "clients:request_detail": {"pk": w["request"].pk},
        "clients:request_decide": {"pk": w["request"].pk, "decision": "approve"},
        "circles:group_circle": {"group_pk": w["group"].pk}, "circles:member_add": {"group_pk": w["group"].pk},
        "circles:member_remove": {"group_pk": w["group"].pk, "pk": w["circle_member"].pk},
        "circles:guarantee_add": {"group_pk": w["group"].pk},
        "chains:group_chain": {"group_pk": w["group"].pk}, "chains:link_declare": {"group_pk": w["group"].pk},
        "chains:group_detect": {"group_pk": w["group"].pk},
        "chains:detected_queue": {"group_pk": w["group"].pk}, "chains:detected_bulk": {"group_pk": w["group"].pk},
        "chains:link_confirm": {"pk": w["chain_link"].pk}, "chains:link_dismiss": {"pk": w["chain_link"].pk},
        "imports:run": {"pk": w["import_run"].pk},
        "services:need_status": {"pk": w["need"].pk}, "services:group_refresh_needs": {"pk": w["group"].pk},
        "risk:alert_detail": {"pk": w["alert"].pk}, "risk:alert_action": {"pk": w["alert"].pk, "action": "acknowledge"},
        "risk:group_refresh_risk": {"pk": w["group"].pk},
        "risk:facility_detail": {"pk": w["facility"].pk}, "risk:facility_edit": {"pk": w["facility"].pk},
        "risk:facility_close": {"pk": w["facility"].pk}, "risk:pledge_create": {"pk": w["facility"].pk},
        "risk:pledge_release": {"pk": w["pledge"].pk}, "risk:group_limits": {"pk": w["group"].pk},
        "risk:sub_limit_remove": {"pk": w["sub_limit"].pk},
        "risk:other_bank_edit": {"pk": w["other_bank"].pk}, "risk:other_bank_delete": {"pk": w["other_bank"].pk},
        "risk:proposal_action": {"pk": w["proposal"].pk, "action": "confirm"},
    }[name]
    return reverse(name, kwargs=args)


DETAIL_OBJECT = {
    "enterprises": lambda w: w["core"].uscc, "group-clients": lambda w: w["group"].pk,
    "control-links": lambda w: w["link"].pk, "financial-statements": lambda w: w["statement"].pk,
    "accounts": lambda w: w["account"].pk, "persons": lambda w: w["person"].pk,
    "interactions": lambda w: w["interaction"].pk, "registry": lambda w: w["core"].uscc,
    "change-requests": lambda w: w["request"].pk, "circle-members": lambda w: w["circle_member"].pk,
    "guarantees": lambda w: w["guarantee"].pk, "chain-links": lambda w: w["chain_link"].pk,
    "flows": lambda w: w["flow"].pk,
    "products": lambda w: w["product"].code, "partners": lambda w: w["partner"].code,
    "holdings": lambda w: w["holding"].pk, "fx-rates": lambda w: w["fx_rate"].pk,
    "needs": lambda w: w["need"].pk, "job-runs": lambda w: w["refresh_run"].pk,
    "alerts": lambda w: w["alert"].pk, "alert-rules": lambda w: "inflow_drop",
    "facilities": lambda w: w["facility"].pk, "sub-limits": lambda w: w["sub_limit"].pk,
    "pledges": lambda w: w["pledge"].pk, "other-bank-financing": lambda w: w["other_bank"].pk,
    "risk-settings": lambda w: 1, "group-proposals": lambda w: w["proposal"].pk,
}


def test_every_page_and_endpoint_is_pinned():
    pages = {name for name, _p in page_patterns()} - PUBLIC
    assert sorted(pages - set(PAGES)) == [], "pin the query count of these new pages in PAGES"
    prefixes = {prefix for prefix, _v, _b in router.registry}
    assert sorted(prefixes - set(ENDPOINTS)) == [], "pin the query count of these new endpoints in ENDPOINTS"


def _measure(bank, client_as, api_as, w) -> dict[str, int]:
    counts = {}
    for name, (persona, _expected) in PAGES.items():
        client = client_as(getattr(bank, persona))
        url = _page_url(name, w)
        counts[name] = count_queries(client, url, label=name, statuses=(200, 302, 405))
    for prefix, (persona, _list, _detail) in ENDPOINTS.items():
        api = api_as(getattr(bank, persona))
        if prefix == "exposures":
            counts["api exposures list"] = counts["api exposures detail"] = count_queries(
                api, f"/api/v1/exposures/?group={w['group'].pk}", label="exposures")
            continue
        if prefix != "registry":
            counts[f"api {prefix} list"] = count_queries(api, f"/api/v1/{prefix}/", label=f"{prefix} list")
        key = DETAIL_OBJECT[prefix](w)
        counts[f"api {prefix} detail"] = count_queries(api, f"/api/v1/{prefix}/{key}/", label=f"{prefix} detail")
    return counts


def _expected() -> dict[str, int]:
    out = {name: n for name, (_p, n) in PAGES.items()}
    for prefix, (_p, n_list, n_detail) in ENDPOINTS.items():
        if prefix != "registry":
            out[f"api {prefix} list"] = n_list
        out[f"api {prefix} detail"] = n_detail
    return out


@pytest.mark.django_db
def test_query_counts_are_pinned_and_do_not_grow_with_the_data(bank, client_as, api_as, catalogue):
    w = _world(bank)
    _measure(bank, client_as, api_as, w)  # warm-up: process-wide caches (content types) fill on first use
    small = _measure(bank, client_as, api_as, w)
    _grow(bank, w)
    large = _measure(bank, client_as, api_as, w)
    expected = _expected()
    wrong = {k: (expected[k], small[k], large[k]) for k in expected if not expected[k] == small[k] == large[k]}
    assert wrong == {}, "(pinned, small data, large data): " + repr(wrong) + (
        "\nRerun one page under tests.querycount.exact_queries to see its SQL.")
