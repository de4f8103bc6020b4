"""The needs engine's rules (services.engine runs them; services.needs writes what they find).

Each rule is a small named unit in a module of this package: a code, the product it proposes, a label
and a description (both translated), its thresholds with their defaults, units and ranges
(`Param`), and an `evaluate(scope, params)` that answers, for the enterprises of one chunk, the
candidates it finds (`Candidate`: enterprise, group, score 0-100, estimated annual value to the bank
in CNY, the basis the value is computed from, the figures, the evidence in Chinese and English).

Rules read sums, never raw flows: `chains.FlowSummary` (per payer, payee, month, kind, channel,
currency; CNY equivalent at the value date's rate), account balances, holdings, circles, chains and
group membership, in one SQL statement per rule and chunk.

Windows: flow windows are whole calendar months (the summary's grain): a window of D days is the
ceil(D / 30) months ending with the month of the run's date (`as_of`), and "the previous D days" the
same number of months before them. Balance windows are days.

Head office edits thresholds (`NeedRuleSetting`, the page /services/rules/); `validate_params`
checks every value against its range before anything is saved. The engine's own setting, the
re-raise factor of dismissed needs, is stored under the pseudo-rule `ENGINE`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from core import money
from core.rulekit import RATINGS, UNIT_LABELS, Param, Scope, Unit, dec, fetch, validate  # noqa: F401 (re-exported)

ENGINE = "_engine"
REAISE_FACTOR = Decimal("1.5")  # a dismissed need is raised again when its basis reaches 1.5x (grew by 50 %)


@dataclass(frozen=True)
class Candidate:
    enterprise_id: int
    group_id: int | None
    score: int
    value: Decimal
    basis: Decimal
    figures: dict
    evidence: str
    evidence_en: str


@dataclass(frozen=True)
class Rule:
    code: str
    product: str
    label: object
    description: object
    params: tuple[Param, ...]
    evaluate: Callable[[Scope, dict], list[Candidate]] = field(repr=False)
    # "enterprise": needs of the enterprises of the scope; "group": needs of groups whose core is in it.
    level: str = "enterprise"

    def defaults(self) -> dict:
        return {p.key: p.clean(p.default) for p in self.params}


RULES: dict[str, Rule] = {}


def register(rule: Rule) -> Rule:
    RULES[rule.code] = rule
    return rule


ENGINE_PARAMS = (
    Param("reraise_factor", _("Raise a dismissed need again when its basis reaches (times the basis when dismissed)"),
          Unit.FACTOR, REAISE_FACTOR, "1.01", "100"),
)


def validate_params(code: str, data: dict) -> dict:
    """Every threshold of rule `code` (or of the engine, `ENGINE`), cleaned; missing keys take their
    defaults, unknown keys are refused. Raises ValidationError naming each bad field."""
    return validate(ENGINE_PARAMS if code == ENGINE else load()[code].params, data)


def settings_for() -> dict[str, tuple[bool, dict]]:
    """{rule code: (enabled, thresholds)} as head office set them (defaults where unset), and the
    engine's own under ENGINE. One query."""
    from services.models import NeedRuleSetting

    stored = {s.rule: s for s in NeedRuleSetting.objects.all()}
    out = {}
    for code in [*load(), ENGINE]:
        s = stored.get(code)
        try:
            params = validate_params(code, s.params if s else {})
        except ValidationError:
            params = validate_params(code, {})  # a hand-edited row out of range: the defaults
        out[code] = (s.enabled if s else True, params)
    return out


# --- shared helpers of the rules ---------------------------------------------------------------------------


def value_of(basis, margin_pct) -> Decimal:
    """Estimated annual value to the bank: the basis times the product's annual margin."""
    return (dec(basis) * dec(margin_pct) / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def score_of(*ratios: float, base: int = 50) -> int:
    """Score 0-100 from how far each measure passes its threshold (ratio measure/threshold >= 1):
    `base` at the thresholds, up to 25 more for each measure at twice its threshold or more."""
    extra = 0.0
    for r in ratios:
        extra += 25 * max(0.0, min(1.0, r - 1))
    return int(max(0, min(100, round(base + extra))))


def zh(value) -> str:
    return money.tile_figure(value, "zh")


def en(value) -> str:
    return money.tile_figure(value, "en")


_MARGINS: dict[str, Decimal] = {}
# What a rule keeps for the rest of one run (e.g. the idle balances two rules share): emptied at the
# start of every run, so a run never reads what an earlier run in the same process saw.
_RUN_CACHES: list[dict] = [_MARGINS]


def run_cache() -> dict:
    """A dict that lives for one engine run (`reset_margins` empties it)."""
    cache: dict = {}
    _RUN_CACHES.append(cache)
    return cache


def product_margin(code: str) -> Decimal:
    """The product's annual margin; read once per run (`reset_margins` at the start of each)."""
    if code not in _MARGINS:
        from services.models import Product

        _MARGINS[code] = (Product.objects.filter(code=code).values_list("annual_margin_pct", flat=True).first()
                          or Decimal(0))
    return _MARGINS[code]


def reset_margins() -> None:
    """Start of a run: forget the margins and everything the rules kept from an earlier run."""
    for cache in _RUN_CACHES:
        cache.clear()


# Table names (rules embed them in SQL).
def tables() -> dict[str, str]:
    from chains.models import ChainLink, FlowSummary
    from circles.models import CircleMember
    from clients.models import AccountBalance, BankAccount, Enterprise, GroupClient, GroupMembership
    from services.models import Holding, Product

    return {
        "fs": FlowSummary._meta.db_table, "cm": CircleMember._meta.db_table, "cl": ChainLink._meta.db_table,
        "g": GroupClient._meta.db_table, "gm": GroupMembership._meta.db_table, "e": Enterprise._meta.db_table,
        "acc": BankAccount._meta.db_table, "bal": AccountBalance._meta.db_table, "h": Holding._meta.db_table,
        "p": Product._meta.db_table,
    }


def group_of_sql(column: str) -> str:
    """SQL: the group an enterprise's need is filed under: the group it is a member of, else the group
    in whose circle it is (lowest id when several)."""
    t = tables()
    # `group_id + 0`: the enterprise's few rows sorted, not min() walking the group index until one matches
    # (which, for an enterprise in no group, reads the whole index).
    return (f"COALESCE((SELECT gm.group_id FROM {t['gm']} gm WHERE gm.enterprise_id = {column} "
            f"ORDER BY gm.group_id + 0 LIMIT 1), "
            f"(SELECT cm.group_id FROM {t['cm']} cm WHERE cm.enterprise_id = {column} "
            f"ORDER BY cm.group_id + 0 LIMIT 1))")


def holds_sql(column: str, product_codes_sql: str) -> str:
    """SQL: the enterprise in `column` holds (on the run's date, parameter %s twice) one of the products
    whose codes / families the condition `product_codes_sql` on `hp` selects."""
    t = tables()
    return (f"EXISTS (SELECT 1 FROM {t['h']} h JOIN {t['p']} hp ON hp.id = h.product_id "
            f"WHERE h.enterprise_id = {column} AND {product_codes_sql} AND h.since <= %s "
            f"AND (h.until IS NULL OR h.until >= %s))")


def load() -> dict[str, Rule]:
    """Import every rule module (each registers itself)."""
    from services.rules import balances, cash_pool, dealer, foreign, receivables, settlement, working_capital  # noqa: F401

    return RULES
