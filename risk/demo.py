"""Demo risk data (issue 10): `seed(as_of=...)`, called by the demo seed (demo.seed.build) after the
needs analysis, on the groups it generated.

What it writes, deterministically from `seed`, in bulk (bulk_create; the flow summary's triggers keep
up with the few flows added) on PostgreSQL and SQLite alike:

- the bank's capital (net capital, tier-1) where head office has not set it;
- credit facilities for most members of every group (CNY, about one in eight in USD), drawn 30-85 %
  of their limits, together 25-60 % of the group's unified credit limit, and a sub-limit per member
  with facilities; the second group with a unified limit on file drawn to 93 % of it (a warning), the
  third to 108 % (a breach);
- loans past due 5, 35, 65 and 120 days (low to critical);
- receivables of circle suppliers pledged to receivables-financing facilities with the core's
  confirmation (确权), and inventory lots pledged by members;
- financing from other banks (lenders, amounts) for about a third of the members (联合授信);
- three members whose latest annual statement deteriorates (debt, liquidity, loss, revenue);
- a guarantee cycle A -> B -> C -> A across two groups of two branches (连环担保);
- a guarantor of the loan 120 days past due, so its critical alert makes `contagion` fire;
- a member guaranteeing 2.5 times its net assets (`guarantee_overreach`);
- one large payment to a party outside the circle (`large_outflow`) and one spike of transfers to a
  fellow member (`intra_group_spike`); `inflow_drop` finds its own cases in the generated flows.

The caller then runs the risk job once (risk.tasks.refresh_risk_all with the data's date); on SQLite
the engine says it needs PostgreSQL and the data stays without alerts."""

from __future__ import annotations

import datetime as dt
import random
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection, transaction

REF_PREFIX = "DEMO-R"
LENDERS = ["中国工商银行", "中国建设银行", "中国农业银行", "中国银行", "交通银行", "招商银行", "兴业银行",
           "浦发银行", "中信银行", "贵州银行", "贵阳银行"]
WAN = Decimal("10000")
NET_CAPITAL = Decimal("60000000000.00")  # a city commercial bank's order of magnitude
TIER1_CAPITAL = Decimal("50000000000.00")


def _yuan(x) -> Decimal:
    """Rounded to the 10,000 yuan (limits are granted in 万元)."""
    return (Decimal(str(x)) / WAN).quantize(Decimal("1"), rounding=ROUND_HALF_UP) * WAN


def _usd_rate(as_of: dt.date) -> Decimal:
    from core import fx

    return fx.rate("USD", as_of) or Decimal("7.1")


def _latest_deposits(enterprise_ids: list[int], as_of: dt.date) -> dict[int, Decimal]:
    """Each enterprise's deposit accounts' latest balances on or before `as_of`, summed (CNY accounts;
    enough to size a demo payment)."""
    from clients.models import AccountBalance

    out: dict[int, Decimal] = {}
    seen: set[int] = set()
    rows = (AccountBalance.objects.filter(account__enterprise_id__in=enterprise_ids, account__kind__in=["demand", "time"],
                                          account__currency="CNY", date__lte=as_of)
            .order_by("account_id", "-date").values_list("account_id", "account__enterprise_id", "balance"))
    for account_id, enterprise_id, balance in rows:
        if account_id in seen:
            continue
        seen.add(account_id)
        out[enterprise_id] = out.get(enterprise_id, Decimal(0)) + balance
    return out


def _reseed(model, pk, **fields) -> None:
    """Change a seeded row and its seed history record alike (the record says what was seeded)."""
    model.objects.filter(pk=pk).update(**fields)
    model.history.filter(id=pk, history_type="+", history_change_reason="seed").update(**fields)


@transaction.atomic
def seed(*, as_of: dt.date, seed: int = 2026, log=None) -> dict[str, int]:
    """Write the demo's risk data (see the module docstring); returns the rows written per kind."""
    from chains.models import Flow
    from circles.models import CircleMember, Guarantee
    from clients.models import Enterprise, FinancialStatement, GroupClient, GroupMembership
    from risk.models import Facility, OtherBankFinancing, Pledge, RiskSettings, SubLimit
    from services.models import Product

    say = log or (lambda message: None)
    rng = random.Random(f"{seed}:risk")
    usd = _usd_rate(as_of)
    settings = RiskSettings.current()
    if not settings.net_capital:
        RiskSettings.objects.filter(pk=settings.pk).update(net_capital=NET_CAPITAL, tier1_capital=TIER1_CAPITAL)

    groups = list(GroupClient.objects.order_by("pk").values("pk", "core_enterprise_id", "branch_id",
                                                             "unified_credit_limit", "branch__path"))
    if not groups:
        return {}
    members: dict[int, list[int]] = {}
    for group_id, enterprise_id in GroupMembership.objects.order_by("group_id", "enterprise_id").values_list(
            "group_id", "enterprise_id"):
        members.setdefault(group_id, []).append(enterprise_id)
    suppliers: dict[int, list[int]] = {}
    for group_id, enterprise_id in (CircleMember.objects.filter(role="supplier").order_by("group_id", "enterprise_id")
                                    .values_list("group_id", "enterprise_id")):
        suppliers.setdefault(group_id, []).append(enterprise_id)
    products = {p.code: p for p in Product.objects.filter(code__in=[
        "working_capital_loan", "receivables_financing", "inventory_pledge", "ma_loan", "project_loan"])}
    loan_products = [products[c] for c in ("working_capital_loan", "ma_loan", "project_loan") if c in products]
    if not loan_products:
        say("risk demo skipped: no lending product in the catalogue")
        return {}

    n_ref = 0

    def reference() -> str:
        nonlocal n_ref
        n_ref += 1
        return f"{REF_PREFIX}-{n_ref:06d}"

    facilities: list[Facility] = []
    sub_limits: list[SubLimit] = []
    by_member: dict[int, list[Facility]] = {}
    # Drawn against the unified limit: the second group with a limit on file at 93 % (a warning), the
    # third at 108 % (a breach); the others 25-60 %.
    with_limit = [g["pk"] for g in groups if g["unified_credit_limit"]]
    pinned = dict(zip(with_limit[1:3], (0.93, 1.08), strict=False))
    for g in groups:
        ids = members.get(g["pk"], [g["core_enterprise_id"]])
        unified = Decimal(g["unified_credit_limit"] or 0) or _yuan(rng.uniform(3e8, 3e9))
        borrowers = [e for e in ids if e == g["core_enterprise_id"] or rng.random() < 0.7]
        weights = [3.0 if e == g["core_enterprise_id"] else rng.uniform(0.5, 1.5) for e in borrowers]
        share = pinned.get(g["pk"], rng.uniform(0.25, 0.6))  # of the unified limit, drawn
        target_drawn = unified * Decimal(str(share))
        for e, w in zip(borrowers, weights, strict=True):
            drawn_cny = target_drawn * Decimal(str(w / sum(weights)))
            use = Decimal(str(0.95 if g["pk"] in pinned else rng.uniform(0.3, 0.85)))
            limit_cny = _yuan(drawn_cny / use)
            if limit_cny <= 0:
                continue
            currency = "USD" if rng.random() < 0.125 and e != g["core_enterprise_id"] else "CNY"
            limit = _yuan(limit_cny / usd) if currency == "USD" else limit_cny
            drawn = (limit * use).quantize(Decimal("0.01"))
            if limit <= 0:
                continue
            start = as_of - dt.timedelta(days=rng.randint(60, 700))
            f = Facility(reference=reference(), enterprise_id=e, product=rng.choice(loan_products),
                         limit_amount=limit, drawn=drawn, currency=currency, start_date=start,
                         end_date=as_of + dt.timedelta(days=rng.randint(90, 1000)),
                         collateral=rng.choice(["", "房产抵押", "土地使用权抵押", "设备抵押", "股权质押"]))
            facilities.append(f)
            by_member.setdefault(e, []).append(f)
            cny = limit * usd if currency == "USD" else limit
            sub_limits.append(SubLimit(group_id=g["pk"], enterprise_id=e, amount=_yuan(cny * Decimal("1.1")) + WAN))

    # Loans past due: low, medium, high, critical, on members of four different groups (not the core).
    past_due_days = [5, 35, 65, 120]
    overdue: list[Facility] = []
    for days, g in zip(past_due_days, groups[3:] + groups[:3], strict=False):
        candidates = [f for e in members.get(g["pk"], []) if e != g["core_enterprise_id"] for f in by_member.get(e, [])]
        if not candidates:
            continue
        f = candidates[0]
        f.past_due_amount = (f.drawn * Decimal(str(rng.uniform(0.05, 0.2)))).quantize(Decimal("0.01"))
        f.past_due_since = as_of - dt.timedelta(days=days)
        overdue.append(f)

    # Receivables of circle suppliers, confirmed by the core, and inventory lots of members.
    pledges: list[Pledge] = []
    supplier_facilities: list[Facility] = []
    if "receivables_financing" in products:
        for g in groups[:15]:
            for s in suppliers.get(g["pk"], [])[:2]:
                amount = _yuan(rng.uniform(2e6, 3e7))
                f = Facility(reference=reference(), enterprise_id=s, product=products["receivables_financing"],
                             limit_amount=amount, drawn=(amount * Decimal("0.8")).quantize(Decimal("0.01")),
                             currency="CNY", start_date=as_of - dt.timedelta(days=rng.randint(30, 200)),
                             end_date=as_of + dt.timedelta(days=rng.randint(60, 300)), collateral="应收账款质押")
                supplier_facilities.append(f)
                for _k in range(rng.randint(1, 3)):
                    confirmed = as_of - dt.timedelta(days=rng.randint(5, 120))
                    pledges.append(Pledge(facility=f, kind="receivable", debtor_id=g["core_enterprise_id"],
                                          invoice_no=f"{confirmed:%Y%m%d}{rng.randint(10000000, 99999999)}",
                                          amount=_yuan(float(amount) / 3 * rng.uniform(0.6, 1.0)),
                                          confirmed_on=confirmed, confirmation_ref=f"QR-{g['pk']:05d}-{len(pledges) + 1:05d}"))
    if "inventory_pledge" in products:
        for g in groups[:10]:
            subs = [e for e in members.get(g["pk"], []) if e != g["core_enterprise_id"]]
            if not subs:
                continue
            amount = _yuan(rng.uniform(5e6, 5e7))
            f = Facility(reference=reference(), enterprise_id=subs[-1], product=products["inventory_pledge"],
                         limit_amount=amount, drawn=(amount * Decimal("0.7")).quantize(Decimal("0.01")), currency="CNY",
                         start_date=as_of - dt.timedelta(days=90), end_date=as_of + dt.timedelta(days=270),
                         collateral="存货质押（监管仓）")
            supplier_facilities.append(f)
            pledges.append(Pledge(facility=f, kind="inventory", lot_ref=f"LOT-{as_of:%Y}-{g['pk']:05d}-01",
                                  amount=amount, confirmed_on=as_of - dt.timedelta(days=80),
                                  confirmation_ref=f"CK-{g['pk']:05d}"))

    Facility.objects.bulk_create(facilities + supplier_facilities, batch_size=2000)
    if connection.vendor != "postgresql":  # SQLite's bulk_create gives no ids back
        ids = dict(Facility.objects.filter(reference__startswith=f"{REF_PREFIX}-").values_list("reference", "pk"))
        for f in facilities + supplier_facilities:
            f.pk = ids[f.reference]
    for p in pledges:
        p.facility_id = p.facility.pk
    SubLimit.objects.bulk_create(sub_limits, batch_size=2000, ignore_conflicts=True)
    Pledge.objects.bulk_create(pledges, batch_size=2000)

    # Financing from other banks, for joint-credit monitoring.
    others = [
        OtherBankFinancing(enterprise_id=e, lender=lender, reference=f"OB-{e}-{i}",
                           amount=_yuan(rng.uniform(5e6, 2e8)), currency="CNY",
                           as_of=as_of, maturity=as_of + dt.timedelta(days=rng.randint(90, 1100)))
        for g in groups for e in members.get(g["pk"], []) if rng.random() < 0.33
        for i, lender in enumerate(rng.sample(LENDERS, rng.randint(1, 2)))
    ]
    OtherBankFinancing.objects.bulk_create(others, batch_size=2000)

    # Statements deteriorating: three members' latest annual statement (the year before the data's).
    year_end = dt.date(as_of.year - 1, 12, 31)
    deteriorated = 0
    for g in groups[4:7]:
        subs = [e for e in members.get(g["pk"], []) if e != g["core_enterprise_id"]]
        if not subs:
            continue
        latest = FinancialStatement.objects.filter(enterprise_id=subs[0], period_type="annual",
                                                   period_end=year_end).first()
        previous = FinancialStatement.objects.filter(enterprise_id=subs[0], period_type="annual",
                                                     period_end=dt.date(as_of.year - 2, 12, 31)).first()
        if latest is None or previous is None or not latest.total_assets:
            continue
        assets = latest.total_assets
        _reseed(FinancialStatement, latest.pk,
                total_liabilities=(assets * Decimal("0.88")).quantize(Decimal("0.01")),
                current_assets=(assets * Decimal("0.3")).quantize(Decimal("0.01")),
                # Receivables and inventory shrink with the current assets (they are part of them).
                receivables=(assets * Decimal("0.12")).quantize(Decimal("0.01")),
                inventory=(assets * Decimal("0.1")).quantize(Decimal("0.01")),
                current_liabilities=(assets * Decimal("0.45")).quantize(Decimal("0.01")),
                revenue=((previous.revenue or Decimal(0)) * Decimal("0.6")).quantize(Decimal("0.01")),
                net_profit=-abs((previous.revenue or assets) * Decimal("0.05")).quantize(Decimal("0.01")))
        if previous.net_profit is not None and previous.net_profit < 0:
            _reseed(FinancialStatement, previous.pk, net_profit=abs(previous.net_profit))
        deteriorated += 1

    guarantees: list[Guarantee] = []
    start, end = as_of - dt.timedelta(days=200), as_of + dt.timedelta(days=500)

    def subs_of(g) -> list[int]:
        return [e for e in members.get(g["pk"], []) if e != g["core_enterprise_id"]] or [g["core_enterprise_id"]]

    # A guarantee cycle across two groups of two branches (分行, not two sub-branches of one): A (one
    # branch) -> B -> C (another) -> A.
    def branch_of(g) -> str:
        return "/".join((g["branch__path"] or "").split("/")[:3])  # "/1/2": head office, then the branch

    cycle = []
    first = groups[0]
    other = next((g for g in groups[1:] if branch_of(g) != branch_of(first) and len(subs_of(g)) >= 2), None)
    if other is not None:
        a, (b, c) = subs_of(first)[0], subs_of(other)[:2]
        cycle = [a, b, c]
        for guarantor, borrower, amount in ((a, b, 5e7), (b, c, 4e7), (c, a, 6e7)):
            guarantees.append(Guarantee(guarantor_id=guarantor, borrower_id=borrower, amount=_yuan(amount),
                                        currency="CNY", start_date=start, end_date=end))
    # The loan 120 days past due has a guarantor in another group: contagion flags it.
    contagion_source = overdue[-1].enterprise_id if overdue else None
    if contagion_source is not None:
        guarantor = subs_of(groups[-1])[-1] if groups[-1]["pk"] != groups[0]["pk"] else groups[0]["core_enterprise_id"]
        if guarantor != contagion_source:
            guarantees.append(Guarantee(guarantor_id=guarantor, borrower_id=contagion_source, amount=_yuan(3e7),
                                        currency="CNY", start_date=start, end_date=end))
    # A member guaranteeing 2.5 times its net assets.
    over = subs_of(groups[min(7, len(groups) - 1)])[0]
    stmt = (FinancialStatement.objects.filter(enterprise_id=over, period_end__lte=as_of)
            .order_by("-period_end").values_list("total_assets", "total_liabilities").first())
    net = (stmt[0] - stmt[1]) if stmt and stmt[0] is not None and stmt[1] is not None else Decimal("1e8")
    borrower = groups[0]["core_enterprise_id"] if over != groups[0]["core_enterprise_id"] else subs_of(groups[0])[0]
    guarantees.append(Guarantee(guarantor_id=over, borrower_id=borrower, amount=_yuan(max(net * Decimal("2.5"), 1e7)),
                                currency="CNY", start_date=start, end_date=end))
    Guarantee.objects.bulk_create(guarantees)

    # Flows: one large payment outside the circle, one spike of transfers to a fellow member.
    flows: list[Flow] = []
    payer_group = groups[min(8, len(groups) - 1)]
    payer = subs_of(payer_group)[0]
    balances = _latest_deposits([payer], as_of)
    outsider = Enterprise.objects.exclude(memberships__isnull=False).exclude(circle_memberships__isnull=False) \
        .order_by("pk").values_list("pk", flat=True).first()
    if outsider is None:
        outsider = groups[-1]["core_enterprise_id"] if groups[-1]["pk"] != payer_group["pk"] else None
    if outsider is not None and balances.get(payer, 0) > 0:
        flows.append(Flow(payer_id=payer, payee_id=outsider, amount=_yuan(max(balances[payer] * Decimal("0.6"), 2e6)),
                          currency="CNY", value_date=as_of - dt.timedelta(days=4), kind="payment",
                          channel="this_bank", source_system="demo-risk", external_ref=f"{REF_PREFIX}-FLOW-1"))
    spike_group = groups[min(9, len(groups) - 1)]
    spike_from = subs_of(spike_group)[0]
    if spike_from != spike_group["core_enterprise_id"]:
        history = sum(Flow.objects.filter(payer_id=spike_from, payee_id=spike_group["core_enterprise_id"],
                                          kind="payment", value_date__gt=as_of - dt.timedelta(days=210),
                                          value_date__lte=as_of - dt.timedelta(days=30))
                      .values_list("amount", flat=True), Decimal(0))
        amount = _yuan(max(history / 6 * 5, Decimal("8e6")))
        for k, part in enumerate((Decimal("0.5"), Decimal("0.3"), Decimal("0.2"))):
            flows.append(Flow(payer_id=spike_from, payee_id=spike_group["core_enterprise_id"], amount=_yuan(amount * part),
                              currency="CNY", value_date=as_of - dt.timedelta(days=3 + 7 * k), kind="payment",
                              channel="this_bank", source_system="demo-risk", external_ref=f"{REF_PREFIX}-FLOW-{2 + k}"))
    Flow.objects.bulk_create(flows)

    counts = {"facilities": len(facilities) + len(supplier_facilities), "sub_limits": len(sub_limits),
              "pledges": len(pledges), "other_bank_financing": len(others), "past_due": len(overdue),
              "statements_deteriorated": deteriorated, "guarantees": len(guarantees), "flows": len(flows)}
    say("risk data: " + ", ".join(f"{k} {v}" for k, v in counts.items())
        + (f"; guarantee cycle {'→'.join(map(str, cycle + cycle[:1]))}" if cycle else ""))
    return counts
