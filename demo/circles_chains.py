"""A group's circle (suppliers, distributors, customers, partners, guarantors) and its chain links.

Returns the trading pairs the flows run on: the declared chain links, and a few pairs that trade
without a declared link, so that link detection has something to find."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .groups import RATINGS, Entity, GroupCtx, _size, _weighted
from .state import BuildState
from .vocab import (
    BRAND_CHARS,
    GUARANTOR_SUFFIXES,
    GUIZHOU_CITIES,
    OTHER_REGIONS,
    PARTNER_KINDS,
    SUPPORT_INDUSTRY_WORDS,
)

POOL_SIZE = 40  # recent suppliers remembered per industry, for sharing between groups


@dataclass
class Pair:
    supplier: Entity
    buyer: Entity
    goods: str
    declared: bool
    weight: float  # relative trade volume


def _other_brand(ctx: GroupCtx) -> str:
    rng = ctx.rng
    while True:
        brand = "".join(rng.sample(BRAND_CHARS, 2))
        if brand != ctx.brand:
            return brand


def _place(ctx: GroupCtx) -> tuple[str, str, str]:
    """(region, area code, city) of a counterparty: mostly Guizhou, some from elsewhere."""
    rng = ctx.rng
    if rng.random() < 0.75:
        area, city = rng.choice(GUIZHOU_CITIES)
        return "52", area, city
    return rng.choice(OTHER_REGIONS)


def _counterparty(
    state: BuildState, ctx: GroupCtx, *, industry: str, suffix: str, revenue: float, client_share: float
) -> Entity:
    rng = ctx.rng
    region, area, city = _place(ctx)
    name = f"{city}{_other_brand(ctx)}{suffix}"
    client = rng.random() < client_share
    pk = state.add_enterprise(
        name=name,
        area=area,
        industry=industry,
        size=_size(revenue),
        region=region,
        is_client=client,
        branch_id=ctx.branch_id if client else None,
        rm_id=ctx.lead_rm_id if client else None,
        rating=_weighted(rng, RATINGS) if client else "",
    )
    return Entity(pk, name, industry, revenue, 1, client)


def _member(state: BuildState, ctx: GroupCtx, entity: Entity, role: str, tier: int, *, note="") -> None:
    since = state.as_of - dt.timedelta(days=ctx.rng.randrange(90, 10 * 365))
    state.writer["circle_members"].add((ctx.id, entity.id, role, tier, "declared", since, note))


def build_circle_and_chain(state: BuildState, ctx: GroupCtx) -> list[Pair]:
    rng = ctx.rng
    core = ctx.core
    industry = ctx.industry
    makers = [m for m in ctx.members if m.industry == industry.code] or [core]
    pairs: list[Pair] = []

    def link(supplier: Entity, buyer: Entity, tier: int, goods: str, weight: float) -> None:
        state.writer["chain_links"].add((ctx.id, supplier.id, buyer.id, tier, goods, "declared", state.now))
        pairs.append(Pair(supplier, buyer, goods, True, weight))

    # Upstream, tier -1: suppliers of the core's inputs (some shared with other groups).
    suppliers = []
    for _ in range(rng.randint(3, 6)):
        code, goods = rng.choice(industry.inputs)
        pool = state.supplier_pool.setdefault(code, [])
        if pool and rng.random() < 0.2:
            supplier = rng.choice(pool)
        else:
            supplier = _counterparty(
                state,
                ctx,
                industry=code,
                suffix=f"{SUPPORT_INDUSTRY_WORDS.get(code, '实业')}有限公司",
                revenue=core.revenue * rng.uniform(0.01, 0.15),
                client_share=0.55,
            )
            pool.append(supplier)
            del pool[:-POOL_SIZE]
        if any(s.id == supplier.id for s, _ in suppliers):
            continue
        suppliers.append((supplier, goods))
        _member(state, ctx, supplier, "supplier", 1)
        link(supplier, rng.choice(makers), -1, goods, rng.uniform(1, 4))
    # Tier -2: suppliers of the suppliers.
    for _ in range(rng.randint(1, 3)):
        buyer, goods = rng.choice(suppliers)
        upstream = _counterparty(
            state,
            ctx,
            industry=buyer.industry,
            suffix=f"{SUPPORT_INDUSTRY_WORDS.get(buyer.industry, '实业')}有限公司",
            revenue=buyer.revenue * rng.uniform(0.05, 0.5),
            client_share=0.4,
        )
        _member(state, ctx, upstream, "supplier", 2)
        link(upstream, buyer, -2, f"{goods}原料", rng.uniform(0.3, 1))
    # Tier 0: subsidiaries supplying the core.
    for sub in [m for m in ctx.members if m.depth == 1][:2]:
        if rng.random() < 0.6:
            link(sub, core, 0, rng.choice(industry.outputs), rng.uniform(0.5, 2))
    # Downstream, tier +1 distributors and tier +2 customers.
    distributors = []
    for _ in range(rng.randint(2, 4)):
        code = rng.choice(industry.downstream)
        distributor = _counterparty(
            state,
            ctx,
            industry=code,
            suffix=f"{SUPPORT_INDUSTRY_WORDS.get(code, '商贸')}有限公司",
            revenue=core.revenue * rng.uniform(0.02, 0.2),
            client_share=0.65,
        )
        distributors.append(distributor)
        _member(state, ctx, distributor, "distributor", 1)
        link(rng.choice(makers), distributor, 1, rng.choice(industry.outputs), rng.uniform(1, 4))
    customers = []
    for _ in range(rng.randint(1, 3)):
        seller = rng.choice(distributors)
        customer = _counterparty(
            state,
            ctx,
            industry="F52",
            suffix="商贸连锁有限公司",
            revenue=seller.revenue * rng.uniform(0.05, 0.4),
            client_share=0.5,
        )
        customers.append(customer)
        _member(state, ctx, customer, "customer", 2)
        link(seller, customer, 2, rng.choice(industry.outputs), rng.uniform(0.3, 1))

    # Partner institutions and guarantors.
    for _ in range(rng.randint(1, 2)):
        code, suffix = rng.choice(PARTNER_KINDS)
        partner = _counterparty(
            state, ctx, industry=code, suffix=suffix, revenue=rng.uniform(5e6, 5e7), client_share=0.7
        )
        _member(state, ctx, partner, "partner", 1)

    def guarantee(guarantor: Entity, borrower: Entity, amount: float) -> None:
        begin = state.as_of - dt.timedelta(days=rng.randrange(30, 3 * 365))
        end = begin + dt.timedelta(days=365 * rng.randint(1, 3))
        state.writer["guarantees"].add(
            (guarantor.id, borrower.id, f"{round(amount, -4):.2f}", "CNY", begin, end)
        )

    if rng.random() < 0.6:
        guarantor = _counterparty(
            state,
            ctx,
            industry="J69",
            suffix=rng.choice(GUARANTOR_SUFFIXES),
            revenue=rng.uniform(5e7, 5e8),
            client_share=0.6,
        )
        _member(state, ctx, guarantor, "guarantor", 1)
        guarantee(guarantor, core, core.revenue * rng.uniform(0.01, 0.05))
    for sub in [m for m in ctx.members if m.depth == 1][: rng.randint(1, 2)]:
        guarantee(core, sub, sub.revenue * rng.uniform(0.05, 0.2))
    if suppliers and rng.random() < 0.2:  # a guarantee along the chain
        guarantee(rng.choice(makers), suppliers[0][0], suppliers[0][0].revenue * rng.uniform(0.05, 0.2))
    previous = state.last_core
    if previous is not None and rng.random() < 0.1:  # mutual guarantee between two groups
        guarantee(core, previous, previous.revenue * rng.uniform(0.01, 0.03))
        guarantee(previous, core, core.revenue * rng.uniform(0.01, 0.03))
    state.last_core = core

    # Investees (minority stakes) are in the circle but are not members of the group.
    for outsider in ctx.outsiders:
        _member(state, ctx, outsider, "investee", 1, note="参股")

    # Trade without a declared link: a supplier selling to a subsidiary, and counterparties seen
    # only in the flows (prospects the bank does not know yet).
    others = [m for m in ctx.members if m.depth >= 1]
    if others and suppliers:
        supplier, goods = rng.choice(suppliers)
        buyer = rng.choice(others)
        if not any(p.supplier.id == supplier.id and p.buyer.id == buyer.id for p in pairs):
            pairs.append(Pair(supplier, buyer, goods, False, rng.uniform(0.3, 1.5)))
    for _ in range(rng.randint(1, 2)):
        code, goods = rng.choice(industry.inputs)
        unknown = _counterparty(
            state,
            ctx,
            industry=code,
            suffix=f"{SUPPORT_INDUSTRY_WORDS.get(code, '实业')}有限公司",
            revenue=core.revenue * rng.uniform(0.005, 0.05),
            client_share=0.0,
        )
        if rng.random() < 0.6:
            pairs.append(Pair(unknown, rng.choice(makers), goods, False, rng.uniform(0.3, 1.5)))
        else:
            pairs.append(
                Pair(rng.choice(makers), unknown, rng.choice(industry.outputs), False, rng.uniform(0.3, 1.5))
            )
    return pairs
