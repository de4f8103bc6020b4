"""One group client: its core, control tree, controlling person, financials, accounts, interactions."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from .state import BuildState
from .vocab import (
    BRAND_CHARS,
    GUIZHOU_CITIES,
    INDUSTRIES,
    INTERACTION_SUBJECTS,
    OTHER_REGIONS,
    SUPPORT_INDUSTRY_WORDS,
    Industry,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
TIERS = (("strategic", 0.1), ("key", 0.3), ("general", 0.6))
RATINGS = (("AAA", 8), ("AA", 22), ("A", 30), ("BBB", 22), ("BB", 10), ("B", 5), ("CCC", 3))
MAJORITY_SHARES = (100, 100, 100, 90, 80, 75, 70, 66, 60, 55, 51)
# Groups with a cross-holding (a subsidiary holding a few per cent of the core): the data the
# membership derivation must survive without looping, and report as a warning.
CYCLE_GROUPS = {1, 9}


@dataclass
class Entity:
    id: int
    name: str
    industry: str
    revenue: float  # annual, CNY
    depth: int
    is_client: bool = True


@dataclass
class GroupCtx:
    number: int
    rng: random.Random
    id: int
    name: str
    brand: str
    industry: Industry
    region: str
    area: str
    city: str
    branch_id: int
    lead_rm_id: int
    staff_ids: list[int]
    tier: str
    core: Entity | None = None
    members: list[Entity] = field(default_factory=list)  # core and controlled entities
    outsiders: list[Entity] = field(default_factory=list)  # minority stakes and affiliates


def _weighted(rng: random.Random, pairs):
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights=weights)[0]


def _size(revenue: float) -> str:
    if revenue >= 4e8:
        return "large"
    if revenue >= 2e7:
        return "medium"
    if revenue >= 3e6:
        return "small"
    return "micro"


def _brand(state: BuildState, rng: random.Random, word: str) -> tuple[str, str]:
    for attempt in range(50):
        length = 2 if attempt < 10 else 3
        brand = "".join(rng.sample(BRAND_CHARS, length))
        name = f"{brand}{word}集团"
        if name not in state.used_group_names:
            state.used_group_names.add(name)
            return brand, name
    brand = f"{rng.choice(BRAND_CHARS)}{state.group_ids.next}"
    return brand, f"{brand}{word}集团"


def new_group(
    state: BuildState, number: int, *, lead_rm_id: int, branch, staff_ids: list[int], branch_code: str
) -> GroupCtx:
    """Create the group row and its core; the caller adds the tree and the circle."""
    rng = random.Random(f"{state.seed}:group:{number}")
    industry = INDUSTRIES[number % len(INDUSTRIES)] if number < len(INDUSTRIES) else rng.choice(INDUSTRIES)
    if branch_code.startswith("ZY"):
        area, city = "520300", "遵义"
    elif branch_code.startswith("LPS"):
        area, city = "520200", "六盘水"
    else:
        area, city = "520100", "贵阳"
    region = "52"
    if rng.random() < 0.12:  # a group based outside Guizhou, served here through a local subsidiary
        region, area, city = rng.choice(OTHER_REGIONS)
    word = industry.words[0] if number < len(INDUSTRIES) else rng.choice(industry.words)
    brand, name = _brand(state, rng, word)
    tier = _weighted(rng, TIERS)
    ctx = GroupCtx(
        number=number,
        rng=rng,
        id=state.group_ids(),
        name=name,
        brand=brand,
        industry=industry,
        region=region,
        area=area,
        city=city,
        branch_id=branch.pk,
        lead_rm_id=lead_rm_id,
        staff_ids=staff_ids,
        tier=tier,
    )
    low, high = {"strategic": (1e10, 8e10), "key": (2e9, 1e10), "general": (3e8, 2e9)}[tier]
    revenue = rng.uniform(low, high)
    province = "贵州" if region == "52" else city
    core_name = f"{province}{brand}{word}集团有限公司"
    core_id = state.add_enterprise(
        name=core_name,
        area=area,
        industry=industry.code,
        size="large",
        region=region,
        branch_id=branch.pk,
        rm_id=lead_rm_id,
        rating=_weighted(rng, RATINGS),
    )
    ctx.core = Entity(core_id, core_name, industry.code, revenue, 0)
    ctx.members.append(ctx.core)
    limit = round(revenue * rng.uniform(0.15, 0.45), -6)
    state.writer["groups"].add(
        (ctx.id, name, core_id, lead_rm_id, branch.pk, tier, f"{limit:.2f}", None, [], state.now, state.now)
    )
    for user_id in staff_ids:
        state.writer["teams"].add((ctx.id, user_id))
    return ctx


def _sub_name(ctx: GroupCtx, used: set[str]) -> tuple[str, str, str]:
    """A subsidiary's name, industry and area: a city, the group's brand and a line of business."""
    rng = ctx.rng
    for _ in range(20):
        area, city = rng.choice(GUIZHOU_CITIES) if rng.random() < 0.8 else rng.choice(OTHER_REGIONS)[1:]
        if rng.random() < 0.6:
            industry, word = ctx.industry.code, rng.choice(ctx.industry.words)
        else:
            industry = rng.choice(list(SUPPORT_INDUSTRY_WORDS))
            word = SUPPORT_INDUSTRY_WORDS[industry]
        name = f"{city}{ctx.brand}{word}有限公司"
        if name not in used:
            used.add(name)
            return name, industry, area
    name = f"{ctx.city}{ctx.brand}{word}第{len(used) + 1}有限公司"
    used.add(name)
    return name, industry, ctx.area


def _link(
    state: BuildState,
    parent: int | None,
    child: int,
    share: float,
    *,
    person: int | None = None,
    control_type: str = "equity",
    note: str = "",
) -> None:
    state.writer["control_links"].add((parent, person, child, f"{share:.4f}", control_type, note))


def build_tree(state: BuildState, ctx: GroupCtx) -> None:
    """Subsidiaries several levels deep, minority stakes that do not make members, aggregated control,
    an actual controller on top of some cores, and the odd cross-holding cycle."""
    rng = ctx.rng
    used = {ctx.core.name}
    deep = ctx.number == 0  # the first group of rm_gy1 always has a deep tree

    def add_child(
        parent: Entity, share: float, depth: int, *, member=True, person: int | None = None
    ) -> Entity:
        """A new enterprise held by `parent` (or by `person` when given)."""
        name, industry, area = _sub_name(ctx, used)
        revenue = parent.revenue * rng.uniform(0.05, 0.35)
        client = member or rng.random() < 0.3
        pk = state.add_enterprise(
            name=name,
            area=area,
            industry=industry,
            size=_size(revenue),
            region=area[:2],
            is_client=client,
            branch_id=ctx.branch_id if client else None,
            rm_id=ctx.lead_rm_id if client else None,
            rating=_weighted(rng, RATINGS) if client else "",
        )
        entity = Entity(pk, name, industry, revenue, depth, client)
        if person:
            _link(state, None, pk, share, person=person)
        else:
            _link(state, parent.id, pk, share)
        (ctx.members if member else ctx.outsiders).append(entity)
        return entity

    direct = 4 if deep else rng.randint(2, 5)
    subs = [add_child(ctx.core, rng.choice(MAJORITY_SHARES), 1) for _ in range(direct)]
    grandchildren = []
    for i, sub in enumerate(subs):
        count = 2 if deep and i == 0 else rng.choice((0, 0, 1, 1, 2, 3))
        for _ in range(count):
            grandchildren.append(add_child(sub, rng.choice(MAJORITY_SHARES), 2))
    for j, grandchild in enumerate(grandchildren):
        if (deep and j == 0) or rng.random() < 0.25:
            add_child(grandchild, rng.choice(MAJORITY_SHARES), 3)

    # Minority stakes (20-49 %): investees in the circle, not members of the group.
    for _ in range(rng.randint(0, 2) + (1 if deep else 0)):
        holder = rng.choice([ctx.core, *subs])
        add_child(holder, rng.randint(20, 49), holder.depth + 1, member=False)

    # Aggregated control: the core's 30 % plus a subsidiary's 25 % make 55 %, a member.
    if deep or rng.random() < 0.3:
        direct_share = rng.randint(20, 35)
        target = add_child(ctx.core, direct_share, 1)
        _link(state, subs[0].id, target.id, rng.randint(51 - direct_share, 60 - direct_share))

    # An actual controller: a natural person on top of the core, sometimes with a family company.
    if deep or rng.random() < 0.4:
        person = state.add_person(rng)
        if rng.random() < 0.7:
            _link(state, None, ctx.core.id, rng.randint(51, 80), person=person)
        else:
            _link(
                state,
                None,
                ctx.core.id,
                rng.randint(25, 45),
                person=person,
                control_type="actual",
                note="一致行动协议",
            )
        state.writer["key_people"].add((ctx.core.id, person, "chairman"))
        if rng.random() < 0.4:
            # A family company held by the person: a member through the person's control.
            add_child(ctx.core, rng.randint(55, 90), 1, person=person)
    state.writer["key_people"].add((ctx.core.id, state.add_person(rng), "gm"))

    if ctx.number in CYCLE_GROUPS and grandchildren:
        _link(state, grandchildren[0].id, ctx.core.id, 5, note="交叉持股")
    elif ctx.number in CYCLE_GROUPS:
        _link(state, subs[-1].id, ctx.core.id, 5, note="交叉持股")


def _periods(as_of: dt.date) -> list[tuple[dt.date, str, float]]:
    """(period end, type, share of a year's flow figures): three annual periods and this year's quarters."""
    year = as_of.year
    periods = [(dt.date(y, 12, 31), "annual", 1.0) for y in (year - 3, year - 2, year - 1)]
    quarter_ends = [dt.date(year, m, d) for m, d in ((3, 31), (6, 30), (9, 30))]
    done = [q for q in quarter_ends if q <= as_of]
    if not done:
        done = [dt.date(year - 1, 9, 30)]
    periods += [(q, "quarter", q.month / 12) for q in done]
    return periods


def _money(x: float) -> str:
    return f"{round(x, -2):.2f}"


def add_financials(state: BuildState, rng: random.Random, entity: Entity, industry: Industry) -> None:
    """Consistent key figures: assets > liabilities (mostly), current items inside the totals,
    receivables and inventory inside current assets, cash flow near profit."""
    distressed = rng.random() < 0.03
    margin = rng.uniform(-0.04, 0.12) if not distressed else rng.uniform(-0.25, -0.05)
    debt_low, debt_high = industry.debt_ratio
    base = entity.revenue / (1.1**3)
    growth = rng.uniform(-0.05, 0.15)
    for period_end, kind, fraction in _periods(state.as_of):
        years_back = state.as_of.year - period_end.year
        annual_revenue = base * (1 + growth) ** (3 - years_back) * rng.uniform(0.95, 1.05)
        revenue = annual_revenue * fraction
        profit = revenue * (margin + rng.uniform(-0.01, 0.01))
        assets = annual_revenue / industry.asset_turnover * rng.uniform(0.85, 1.2)
        ratio = rng.uniform(1.02, 1.3) if distressed else rng.uniform(debt_low, debt_high)
        liabilities = assets * ratio
        current_assets = assets * rng.uniform(0.4, 0.7)
        current_liabilities = liabilities * rng.uniform(0.5, 0.8)
        receivables = current_assets * rng.uniform(0.1, 0.3)
        inventory = current_assets * rng.uniform(0.1, 0.35)
        cash_flow = profit * rng.uniform(0.6, 1.5) + revenue * rng.uniform(-0.02, 0.03)
        state.writer["financials"].add(
            (
                entity.id,
                period_end,
                kind,
                _money(revenue),
                _money(profit),
                _money(assets),
                _money(liabilities),
                _money(current_assets),
                _money(current_liabilities),
                _money(receivables),
                _money(inventory),
                _money(cash_flow),
                "demo",
            )
        )


def month_ends(as_of: dt.date, months: int = 12) -> list[dt.date]:
    ends = []
    year, month = as_of.year, as_of.month
    for _ in range(months):
        first_next = dt.date(year + (month == 12), month % 12 + 1, 1)
        ends.append(first_next - dt.timedelta(days=1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return sorted(ends)


# Deposits swell before the Spring Festival and at the year end, then drain in February.
DEPOSIT_SEASON = {1: 1.15, 2: 0.8, 3: 0.95, 6: 1.05, 9: 1.0, 12: 1.25}


def add_accounts(state: BuildState, rng: random.Random, entity: Entity, *, core: bool) -> None:
    """Demand and time deposits, loans and bills with month-end balances over 12 months."""
    kinds = ["demand"]
    if rng.random() < 0.5:
        kinds.append("time")
    if rng.random() < (0.7 if core else 0.35):
        kinds.append("loan")
    if rng.random() < 0.3:
        kinds.append("bill")
    ends = month_ends(state.as_of)
    # One core in four draws its deposits down at the end of the period (no random draw, so the rest
    # of the data is unchanged).
    drains = core and entity.id % 4 == 1
    for kind in kinds:
        pk = state.account_ids()
        opened = ends[0] - dt.timedelta(days=rng.randrange(60, 3000))
        state.writer["accounts"].add((pk, entity.id, state.next_account_no(), kind, "CNY", opened, None))
        level = (
            entity.revenue
            * {
                "demand": rng.uniform(0.01, 0.05),
                "time": rng.uniform(0.01, 0.06),
                "loan": rng.uniform(0.05, 0.3),
                "bill": rng.uniform(0.01, 0.05),
            }[kind]
        )
        trend = rng.uniform(-0.02, 0.03)
        for i, end in enumerate(ends):
            if kind == "demand":
                value = level * DEPOSIT_SEASON.get(end.month, 1.0) * rng.uniform(0.85, 1.15)
            elif kind == "time":
                value = level * (1 + trend) ** i
            elif kind == "loan":
                value = level * (1 - 0.02 * i if rng.random() < 0.9 else 1.0)
            else:
                value = level * rng.uniform(0.6, 1.4)
            if drains and kind in ("demand", "time") and i >= len(ends) - 2:
                value *= 0.45  # cash drawn down over the last two months (a working-capital need)
            state.writer["balances"].add((pk, end, _money(max(value, 1000.0))))


def add_interactions(state: BuildState, ctx: GroupCtx) -> None:
    rng = ctx.rng
    kinds = (("visit", 5), ("call", 4), ("interview", 1), ("meeting", 2))
    for _ in range(rng.randint(3, 8)):
        entity = ctx.core if rng.random() < 0.5 else rng.choice(ctx.members)
        day = state.as_of - dt.timedelta(days=rng.randrange(365))
        when = dt.datetime(
            day.year, day.month, day.day, rng.randint(9, 17), rng.choice((0, 15, 30, 45)), tzinfo=SHANGHAI
        )
        goods = rng.choice(ctx.industry.outputs)
        subject = rng.choice(INTERACTION_SUBJECTS).format(goods=goods)
        staff = ctx.lead_rm_id if rng.random() < 0.7 else rng.choice(ctx.staff_ids)
        state.writer["interactions"].add(
            (entity.id, staff, _weighted(rng, kinds), when, subject, f"{entity.name}：{subject}。")
        )


def build_bank_data(state: BuildState, ctx: GroupCtx) -> None:
    for entity in ctx.members:
        add_financials(state, ctx.rng, entity, ctx.industry)
        add_accounts(state, ctx.rng, entity, core=entity.depth == 0)
    add_interactions(state, ctx)
