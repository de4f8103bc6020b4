"""Asset-allocation advice (资产配置建议) for a group's balances (issue 9, section 5).

The method, with head office's parameters (`AllocationSettings.current()`, edited on
/services/settings/allocation/ through `settings_update`):

1. The balances: the deposits (demand and time accounts) of the group's control-tree members
   (clients.GroupMembership), each end-of-day balance in CNY at the rate of its own date (core.fx),
   carried forward day by day until the account's next recorded balance (or its closing). "Today" is
   the latest balance date on file (`as_of`).
2. The liquidity reserve (流动性储备): the group's 30-day net outflow on a day t is
   max(0, total balance on t - 30 days - total balance on t), which needs no flows; over the look-back
   period (default 365 days) the reserve is the chosen percentile of those outflows (default the
   95th, continuous interpolation) plus a buffer of `buffer_pct` % of it, capped at the balance.
3. The rest is laddered by horizon: notice, time and structured deposits and wealth products by the
   settings' shares (adding up to 100).
4. Expected yield gain: the advised split at the settings' yields, against all of the balance at the
   demand-deposit yield, per year.

A group with fewer than MIN_WINDOWS daily windows of history (a window needs `window_days` days of
balances before it) gets no advice but a statement of how much history it has.
PostgreSQL only (generate_series, percentile_cont): elsewhere the advice says it is not available.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from clients.models import AccountBalance, BankAccount, GroupMembership
from core import money
from core.fx import cny_sql
from core.history import save_with_history
from core.permissions import ensure_head_office
from services.models import AllocationSettings

MIN_WINDOWS = 60
CENT = Decimal("0.01")
ZERO = Decimal("0")
HUNDRED = Decimal("100")
SHARE_FIELDS = ("notice_share_pct", "time_share_pct", "structured_share_pct", "wealth_share_pct")
YIELD_FIELDS = ("demand_yield_pct", "notice_yield_pct", "time_yield_pct", "structured_yield_pct", "wealth_yield_pct")
EDITABLE = ("lookback_days", "window_days", "percentile", "buffer_pct", *SHARE_FIELDS, *YIELD_FIELDS)
BUCKETS = (
    ("notice", _("7-day notice deposits"), "notice_share_pct", "notice_yield_pct"),
    ("time", _("Time deposits"), "time_share_pct", "time_yield_pct"),
    ("structured", _("Structured deposits"), "structured_share_pct", "structured_yield_pct"),
    ("wealth", _("Wealth products"), "wealth_share_pct", "wealth_yield_pct"),
)


def _q(value) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass
class Bucket:
    key: str
    label: str | Promise
    amount: Decimal
    share_pct: Decimal | None  # of the whole balance
    yield_pct: Decimal
    income: Decimal  # a year, CNY


@dataclass
class Advice:
    """The advice for one group: `ok` False when there is nothing to advise (see `message`)."""

    ok: bool = False
    message: str | Promise = ""
    settings: AllocationSettings | None = None
    as_of: dt.date | None = None
    first_date: dt.date | None = None
    history_days: int = 0
    windows: int = 0
    balance: Decimal = ZERO
    outflow_percentile: Decimal = ZERO
    outflow_max: Decimal = ZERO
    buffer: Decimal = ZERO
    liquid: Decimal = ZERO
    rest: Decimal = ZERO
    buckets: list[Bucket] = field(default_factory=list)
    liquid_income: Decimal = ZERO
    baseline_income: Decimal = ZERO
    advised_income: Decimal = ZERO
    reasoning: list[str] = field(default_factory=list)

    @property
    def gain(self) -> Decimal:
        return self.advised_income - self.baseline_income

    @property
    def liquid_share_pct(self) -> Decimal | None:
        return (self.liquid / self.balance * HUNDRED) if self.balance else None

    @property
    def gain_bp(self) -> Decimal | None:
        """The gain as a yield on the whole balance, in percent a year."""
        return (self.gain / self.balance * HUNDRED) if self.balance else None


def _series_sql() -> str:
    acc, bal, mem = BankAccount._meta.db_table, AccountBalance._meta.db_table, GroupMembership._meta.db_table
    return f"""
    WITH acc AS (
        SELECT a.id, a.currency, a.closed_on FROM {acc} a JOIN {mem} m ON m.enterprise_id = a.enterprise_id
        WHERE m.group_id = %(group)s AND a.kind IN ('demand', 'time')
    ),
    asof AS (
        SELECT MAX(b.date) AS t, MIN(b.date) AS first FROM {bal} b JOIN acc ON acc.id = b.account_id
    ),
    spans AS (
        SELECT * FROM (
            SELECT b.date AS d_from,
                   LEAST(COALESCE(LEAD(b.date) OVER (PARTITION BY b.account_id ORDER BY b.date), asof.t + 1),
                         COALESCE(acc.closed_on + 1, asof.t + 1)) AS d_to,
                   {cny_sql('b.balance', 'acc.currency', 'b.date')} AS cny
            FROM {bal} b JOIN acc ON acc.id = b.account_id CROSS JOIN asof
        ) s WHERE s.d_to > (SELECT t FROM asof) - %(lookback)s - %(window)s AND s.cny IS NOT NULL
    ),
    days AS (
        SELECT g::date AS d FROM asof,
        generate_series(GREATEST(asof.first, asof.t - %(lookback)s - %(window)s), asof.t, interval '1 day') AS g
    ),
    daily AS (
        SELECT days.d, COALESCE(SUM(s.cny), 0) AS total
        FROM days LEFT JOIN spans s ON s.d_from <= days.d AND s.d_to > days.d GROUP BY days.d
    ),
    outflows AS (
        SELECT GREATEST(0, p.total - a.total) AS outflow
        FROM daily a JOIN daily p ON p.d = a.d - %(window)s
        WHERE a.d > (SELECT t FROM asof) - %(lookback)s
    )
    SELECT asof.t, asof.first,
           (SELECT total FROM daily WHERE d = asof.t),
           (SELECT COUNT(*) FROM outflows),
           (SELECT percentile_cont(%(fraction)s) WITHIN GROUP (ORDER BY outflow) FROM outflows),
           (SELECT MAX(outflow) FROM outflows)
    FROM asof
    """


def advice_for_group(group, settings: AllocationSettings | None = None) -> Advice:
    """The advice for the group's current balances (two queries: the settings, the series)."""
    settings = settings or AllocationSettings.current()
    advice = Advice(settings=settings)
    if connection.vendor != "postgresql":
        advice.message = _("Asset-allocation advice needs the PostgreSQL database.")
        return advice
    with connection.cursor() as cursor:
        cursor.execute(_series_sql(), {"group": getattr(group, "pk", group), "lookback": settings.lookback_days,
                                       "window": settings.window_days,
                                       "fraction": float(settings.percentile / HUNDRED)})
        row = cursor.fetchone()
    as_of, first, balance, windows, pctl, worst = row if row else (None, None, None, 0, None, None)
    if as_of is None:
        advice.message = _("No deposit balances of the group's members are on file: there is nothing to allocate.")
        return advice
    advice.as_of, advice.first_date = as_of, first
    advice.history_days = (as_of - first).days + 1
    advice.windows = int(windows or 0)
    advice.balance = _q(balance or 0)
    if advice.windows < MIN_WINDOWS:
        advice.message = _(
            "Too little history to advise: balances on file for %(days)s days (from %(first)s), and the advice "
            "needs %(needed)s days (%(windows)s daily %(window)s-day windows)."
        ) % {"days": advice.history_days, "first": first.isoformat(), "needed": MIN_WINDOWS + settings.window_days,
             "windows": MIN_WINDOWS, "window": settings.window_days}
        return advice
    if advice.balance <= 0:
        advice.message = _("The group's deposits are nil on %(date)s: there is nothing to allocate.") % {
            "date": as_of.isoformat()}
        return advice
    advice.ok = True
    advice.outflow_percentile = _q(pctl or 0)
    advice.outflow_max = _q(worst or 0)
    advice.buffer = _q(advice.outflow_percentile * settings.buffer_pct / HUNDRED)
    advice.liquid = min(advice.balance, advice.outflow_percentile + advice.buffer)
    advice.rest = advice.balance - advice.liquid
    placed = ZERO
    for i, (key, label, share_field, yield_field) in enumerate(BUCKETS):
        share = getattr(settings, share_field)
        # The last bucket takes what rounding left, so the split adds up to the balance to the fen.
        amount = advice.rest - placed if i == len(BUCKETS) - 1 else _q(advice.rest * share / HUNDRED)
        placed += amount
        yld = getattr(settings, yield_field)
        advice.buckets.append(Bucket(key, label, amount, amount / advice.balance * HUNDRED, yld,
                                     _q(amount * yld / HUNDRED)))
    advice.baseline_income = _q(advice.balance * settings.demand_yield_pct / HUNDRED)
    advice.liquid_income = _q(advice.liquid * settings.demand_yield_pct / HUNDRED)
    advice.advised_income = advice.liquid_income + sum(
        (b.income for b in advice.buckets), ZERO)
    advice.reasoning = _reasoning(advice, settings)
    return advice


def _reasoning(advice: Advice, s: AllocationSettings) -> list[str]:
    tile = money.tile_figure
    pct = money.percent
    lines = [
        _("Deposits of the group's members on %(date)s: %(balance)s (CNY equivalent at each balance's date).")
        % {"date": advice.as_of.isoformat(), "balance": tile(advice.balance)},
        _("Over the last %(lookback)s days (%(windows)s daily windows), the %(percentile)s percentile of the "
          "group's %(window)s-day net outflows is %(outflow)s; the largest was %(worst)s.")
        % {"lookback": s.lookback_days, "windows": advice.windows, "percentile": pct(s.percentile, 0),
           "window": s.window_days, "outflow": tile(advice.outflow_percentile), "worst": tile(advice.outflow_max)},
        _("Liquidity reserve kept on demand: that outflow plus a %(buffer)s buffer (%(buffer_amount)s) = %(liquid)s.")
        % {"buffer": pct(s.buffer_pct), "buffer_amount": tile(advice.buffer), "liquid": tile(advice.liquid)},
        _("The remaining %(rest)s is laddered by horizon: %(notice)s in 7-day notice deposits, %(time)s in time "
          "deposits, %(structured)s in structured deposits and %(wealth)s in wealth products.")
        % {"rest": tile(advice.rest), "notice": pct(s.notice_share_pct), "time": pct(s.time_share_pct),
           "structured": pct(s.structured_share_pct), "wealth": pct(s.wealth_share_pct)},
        _("Expected income a year: %(advised)s against %(baseline)s with everything at the demand-deposit yield of "
          "%(demand)s, a gain of %(gain)s.")
        % {"advised": tile(advice.advised_income), "baseline": tile(advice.baseline_income),
           "demand": pct(s.demand_yield_pct, 2), "gain": tile(advice.gain)},
    ]
    return [str(line) for line in lines]


# --- head office's parameters ---------------------------------------------------------------------------


@transaction.atomic
def settings_update(user, **values) -> AllocationSettings:
    """Head office sets the advice's parameters; the shares of the ladder add up to 100 and the yields
    lie between 0 and 100 % (errors name the fields). The change keeps its history."""
    ensure_head_office(user, str(_("Only head office sets the asset-allocation parameters.")))
    row = AllocationSettings.objects.select_for_update().filter(pk=AllocationSettings.SINGLETON_PK).first()
    row = row or AllocationSettings(pk=AllocationSettings.SINGLETON_PK)
    unknown = set(values) - set(EDITABLE)
    if unknown:
        raise ValidationError(_("Unknown parameters: %(names)s.") % {"names": ", ".join(sorted(unknown))})
    for name, value in values.items():
        if value is not None:
            setattr(row, name, value)
    errors: dict[str, list] = {}
    for name in YIELD_FIELDS:
        value = getattr(row, name)
        if value is None or not (ZERO <= Decimal(value) <= HUNDRED):
            errors.setdefault(name, []).append(_("A yield is a percentage between 0 and 100."))
    total = sum((Decimal(getattr(row, f) or 0) for f in SHARE_FIELDS), ZERO)
    if total != HUNDRED:
        message = _("The four shares of the ladder add up to %(total)s; they must add up to 100%%.") % {
            "total": money.percent(total, 2)}
        for name in SHARE_FIELDS:
            errors.setdefault(name, []).append(message)
    if errors:
        raise ValidationError(errors)
    save_with_history(row, user=user)
    return row


def settings_history(limit: int = 10):
    from core.history import change_history

    row = AllocationSettings.objects.filter(pk=AllocationSettings.SINGLETON_PK).first()
    return change_history(instance=row, limit=limit) if row is not None else []
