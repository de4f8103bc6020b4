"""Imports of the catalogue: what enterprises hold (kind "holdings") and daily exchange rates (kind
"fx_rates"). Both are small tables (thousands of rows a day, not millions): they take the FrameImporter
path (imports.frame), resolve against the database with one query per lookup and write with one bulk
statement. All-or-nothing and idempotent like every import; errors name the row and the column.

Holdings
--------
The importer must hold the enterprise's full record (holdings are part of it: DESIGN.md section 4),
with a role that edits client data; any enterprise on file may be *named*, one outside the importer's
full record is a row error ("not an enterprise you cover"). A row is identified by (source_system,
external_ref), like a flow. Unlike flows, holdings change: a stored reference re-imported with the
same content is "already present"; with another balance, contracted amount or end date it UPDATES the
stored holding (the history keeps the earlier values); with another enterprise, product, start date,
currency or partner it is a row error, never an overwrite (those are what the holding *is*). Products
are named by code or by their name in either language (`settlement`, `结算与收付款`); partners by
code or name, and only on value-added services.

Exchange rates
--------------
Head office only (anyone else is refused before anything is read). One rate per currency and day,
CNY per unit, positive, at most 8 decimals; CNY itself has none. A (currency, date) already stored
with the same rate is "already present", with another rate it is updated. After the write, inside the
import's transaction, the flow summary of each currency whose rates were created or changed is
re-converted from the earliest such date on (chains.summary.reconvert).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from clients.importers import full_record_ids, resolve_code_column, unknown_code_message
from core.fx import BASE
from core.models import FxRate
from core.permissions import is_head_office
from imports import checks
from imports.columns import AMOUNT, CODE, DATE, TEXT, Column, normalise
from imports.currencies import ISO_4217_ACTIVE
from imports.errors import ErrorList, ImportResult
from imports.frame import FrameImporter
from imports.models import active_source_codes
from imports.reader import Columns
from imports.registry import register
from services.models import Holding, Partner, Product, ProductFamily

_CURRENCIES = sorted(ISO_4217_ACTIVE)
_MAX_INT_DIGITS = 18  # services.models.MONEY: 20 digits, 2 decimals
_ZERO = r"0+(?:\.0*)?"


def _money(df: pd.DataFrame, col: str, errors: ErrorList, *, optional: bool) -> pd.Series:
    """An amount of zero or more (a balance may be nil), written as the flows' amounts are (`125万`,
    `1,250,000.00`); normalised to plain text with two decimals."""
    s = df[col]
    empty = s == ""
    zero = s.str.fullmatch(_ZERO)
    rest = ~empty & ~zero
    bad = pd.Series(False, index=df.index)
    if rest.any():
        sub = df.loc[rest].copy()
        bad_sub = checks.amount(sub, col, errors, max_int_digits=_MAX_INT_DIGITS)
        df.loc[rest, col] = sub[col]
        bad.loc[rest] = bad_sub.reindex(sub.index, fill_value=False).to_numpy()
    df.loc[zero, col] = "0.00"
    if not optional:
        bad |= checks.required(df, col, errors)
    return bad


def _decimal_text(value) -> str:
    """A stored or read amount as the comparison text ("" for none)."""
    if value is None or value == "" or (isinstance(value, float) and pd.isna(value)):
        return ""
    return f"{Decimal(str(value)):.2f}"


def _date_text(value) -> str:
    if value is None or value == "" or (isinstance(value, float) and pd.isna(value)):
        return ""
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def _products() -> dict[str, tuple[str, int, str]]:
    """{normalised code or name: (code, id, family)} of the active products."""
    found: dict[str, tuple[str, int, str]] = {}
    rows = Product.objects.filter(active=True).values_list("code", "pk", "family", "name_zh", "name_en")
    for code, pk, family, name_zh, name_en in rows:
        for word in (code, name_zh, name_en):
            found.setdefault(normalise(word), (code, pk, family))
    return found


def _partners() -> dict[str, tuple[str, int]]:
    found: dict[str, tuple[str, int]] = {}
    for code, pk, name in Partner.objects.filter(active=True).values_list("code", "pk", "name"):
        for word in (code, name):
            found.setdefault(normalise(word), (code, pk))
    return found


@register
class HoldingImporter(FrameImporter):
    kind = "holdings"
    label = gettext_lazy("Product holdings")
    order = 50
    needs_source_system = True
    columns = Columns(
        required=(
            Column("enterprise", "统一社会信用代码", type=CODE,
                   aliases=("企业统一社会信用代码", "客户统一社会信用代码", "信用代码", "企业", "客户",
                            "enterprise_uscc", "credit code", "uscc"),
                   help=gettext_lazy("The holder's unified social credit code: an enterprise you cover.")),
            Column("product", "产品", type=TEXT,
                   aliases=("产品代码", "产品名称", "产品编码", "product code", "product_code"),
                   help=gettext_lazy("An active product of the catalogue: its code (e.g. settlement) or its "
                                     "name in either language."),
                   example_en="settlement", example_zh="结算与收付款"),
            Column("since", "起始日期", type=DATE, aliases=("开始日期", "起始日", "签约日期", "start date", "start"),
                   help=gettext_lazy("Since when the product is held; year first: 2026-11-22 or 2026年11月22日."),
                   example_en="2025-01-15", example_zh="2025年1月15日"),
            Column("balance", "余额", type=AMOUNT, aliases=("当前余额", "余额（元）", "balance (yuan)"),
                   help=gettext_lazy("The latest balance in the holding's currency, zero or more, at most 2 "
                                     "decimals: 1250000.00, 1,250,000 or 125万."),
                   example_en="1,250,000.00", example_zh="125万"),
            Column("external_ref", "业务编号", type=TEXT,
                   aliases=("合同编号", "协议编号", "外部编号", "参考号", "reference", "external reference", "ref"),
                   help=gettext_lazy("The holding's reference in the source system (at most 100 characters); "
                                     "the same reference again updates its balance, amount and end date."),
                   example_en="HOLDING-0001"),
        ),
        optional=(
            Column("until", "到期日期", type=DATE, aliases=("结束日期", "终止日期", "到期日", "end date", "end"),
                   help=gettext_lazy("Optional: when the product was or will be given up; not before the start.")),
            Column("amount", "合同金额", type=AMOUNT,
                   aliases=("额度", "授信额度", "合同金额（元）", "contracted amount", "limit"),
                   help=gettext_lazy("Optional: the contracted amount (a facility, a pool's limit), zero or more.")),
            Column("currency", "币种", type=TEXT, aliases=("币别", "货币"),
                   help=gettext_lazy("ISO 4217 code (CNY, USD, EUR, ...) or its name (人民币, 美元); empty means CNY."),
                   example_en="CNY", example_zh="人民币"),
            Column("partner", "合作机构", type=TEXT, aliases=("合作机构代码", "合作伙伴", "partner code"),
                   help=gettext_lazy("Optional, value-added services only: the partner delivering it (code or "
                                     "name).")),
            Column("source_system", "来源系统", type=TEXT, aliases=("数据来源", "来源", "source"),
                   help=gettext_lazy("Optional: an active source system's code; empty cells take the source "
                                     "chosen on the upload page.")),
        ),
    )
    identity = ["enterprise_id", "product_id", "since", "currency", "partner_id"]
    changing = ["balance", "amount", "until"]

    def begin(self) -> None:
        super().begin()
        self.sources = active_source_codes()
        self.products = _products()
        self.partners = _partners()

    def check_chunk(self, df, errors):
        if self.source_system:
            df.loc[df["source_system"] == "", "source_system"] = self.source_system
        bad = checks.credit_code(df, "enterprise", errors) | checks.max_length(df, "enterprise", 64, errors)
        bad |= self._product(df, errors)
        bad |= checks.iso_date(df, "since", errors)
        bad |= checks.iso_date(df, "until", errors, optional=True)
        bad |= _money(df, "balance", errors, optional=False)
        bad |= _money(df, "amount", errors, optional=True)
        bad |= checks.currency(df, "currency", _CURRENCIES, errors)
        bad |= self._partner(df, errors)
        bad |= checks.required(df, "external_ref", errors) | checks.max_length(df, "external_ref", 100, errors)
        bad |= checks.listed(df, "source_system", self.sources, errors, message=_(
            "Not an active source system; head office keeps the list: %(codes)s.") % {
                "codes": ", ".join(self.sources) or "-"})
        ends_early = ~bad & (df["until"] != "") & (df["until"] < df["since"])
        self.report(df, ends_early, "until", _("A holding cannot end before it starts."), errors)
        return df.loc[~(bad | ends_early)]

    def _product(self, df, errors) -> pd.Series:
        found = df["product"].map(lambda v: self.products.get(normalise(v)) if v else None)
        missing = checks.required(df, "product", errors)
        unknown = found.isna() & ~missing
        if unknown.any():
            self.report(df, unknown, "product", df["product"].map(
                lambda v: _("Unknown product %(code)s: use a product code of the catalogue.") % {"code": v[:40]}),
                errors)
        df["product"] = found.map(lambda t: t[0] if t else "").where(~unknown, df["product"])
        df["product_id"] = found.map(lambda t: t[1] if t else 0)
        df["family"] = found.map(lambda t: t[2] if t else "")
        return missing | unknown

    def _partner(self, df, errors) -> pd.Series:
        given = df["partner"] != ""
        found = df["partner"].map(lambda v: self.partners.get(normalise(v)) if v else None)
        unknown = given & found.isna()
        self.report(df, unknown, "partner", _("Unknown partner: use the code of an active partner."), errors)
        not_va = given & ~unknown & (df["family"] != ProductFamily.VALUE_ADDED) & (df["family"] != "")
        self.report(df, not_va, "partner", _("Only value-added services are delivered with a partner."), errors)
        df["partner_id"] = found.map(lambda t: t[1] if t else 0)
        return unknown | not_va

    def finish(self, result: ImportResult, *, commit: bool) -> None:
        df, errors = self.frame(), result.errors
        if df.empty:
            return
        df["enterprise_id"] = resolve_code_column(self, df, "enterprise", errors)
        df = df[df["enterprise_id"].notna()].copy()
        df["enterprise_id"] = df["enterprise_id"].astype("int64")
        covered = full_record_ids(self.user, set(df["enterprise_id"]))
        outside = ~df["enterprise_id"].isin(covered)
        if outside.any():
            # Holdings are part of the full record: an enterprise out of it answers like one not on file
            # (DESIGN.md section 4), as the accounts and statements endpoints do.
            messages = {c: unknown_code_message(c) for c in set(df.loc[outside, "enterprise"])}
            self.report(df, outside, "enterprise", df["enterprise"].map(messages), errors)
        df = df[~outside].copy()
        checks.duplicates(df, ["source_system", "external_ref"], errors, column="external_ref",
                          message=_("This reference repeats an earlier row of the file."))
        df = df.drop_duplicates(["source_system", "external_ref"])
        for col in ("product_id", "partner_id"):
            df[col] = df[col].astype("int64")
        df["balance"] = df["balance"].map(_decimal_text)
        df["amount"] = df["amount"].map(_decimal_text)
        stored = self._stored(df)
        merged = df.merge(stored, on=["source_system", "external_ref"], how="left", suffixes=("", "__db"),
                          indicator=True)
        both = merged["_merge"] == "both"
        other = pd.Series(False, index=merged.index)
        for f in self.identity:
            other |= merged[f].astype(str) != merged[f + "__db"].astype(str)
        conflict = both & other
        self.report(merged, conflict, "external_ref", merged["external_ref"].map(
            lambda ref: _("Reference %(ref)s is already stored for another enterprise, product, start, currency "
                          "or partner; it is not overwritten. Correct the row or use a new reference.")
            % {"ref": ref}), errors)
        changed = pd.Series(False, index=merged.index)
        for f in self.changing:
            changed |= merged[f].astype(str) != merged[f + "__db"].astype(str)
        updates = merged[both & ~conflict & changed]
        new = merged[~both]
        result.already_present = int((both & ~conflict & ~changed).sum())
        result.created = len(new)
        result.updated = len(updates)  # an attribute of holdings imports (API answers and notes show it)
        if len(updates):
            result.notes.append(_("%(n)d holdings already stored get a new balance, amount or end date.")
                                % {"n": len(updates)})
        if errors or not commit:
            return
        self.touched = sorted({int(i) for i in new["enterprise_id"]} | {int(i) for i in updates["enterprise_id"]})
        objs = [
            Holding(enterprise_id=int(r.enterprise_id), product_id=int(r.product_id), since=r.since,
                    until=r.until or None, amount=Decimal(r.amount) if r.amount else None,
                    balance=Decimal(r.balance), currency=r.currency, partner_id=int(r.partner_id) or None,
                    source_system=r.source_system, external_ref=r.external_ref)
            for r in new.itertuples()
        ]
        bulk_create_with_history(objs, Holding, default_user=self.user, default_change_reason=self.change_reason)
        if len(updates):
            by_pk = {int(r.pk): r for r in updates.itertuples()}
            holdings = list(Holding.objects.filter(pk__in=list(by_pk)))
            now = timezone.now()
            for h in holdings:
                r = by_pk[h.pk]
                h.balance = Decimal(r.balance)
                h.amount = Decimal(r.amount) if r.amount else None
                h.until = dt.date.fromisoformat(r.until) if r.until else None
                h.updated_at = now
            bulk_update_with_history(holdings, Holding, ["balance", "amount", "until", "updated_at"],
                                     default_user=self.user, default_change_reason=self.change_reason)

    def follow_up(self, result: ImportResult) -> None:
        """Holdings feed the needs rules ("holds no financing product", "no cash pool"): the needs of
        the enterprises whose holdings were created or changed are refreshed through the outbox, in
        the import's own transaction (services.tasks.queue_enterprises_refresh)."""
        if not (result.created or getattr(result, "updated", 0)):
            return
        from services.tasks import queue_enterprises_refresh

        queue_enterprises_refresh(self.touched)

    def _stored(self, df: pd.DataFrame) -> pd.DataFrame:
        """The stored holdings of the file's references (one query per 10,000 references)."""
        columns = ["source_system", "external_ref", "pk", "enterprise_id", "product_id", "since", "currency",
                   "partner_id", "balance", "amount", "until"]
        rows = []
        pairs = list(zip(df["source_system"], df["external_ref"], strict=True))
        for start in range(0, len(pairs), 10_000):
            batch = pairs[start:start + 10_000]
            q = Q()
            for source in {s for s, _r in batch}:
                q |= Q(source_system=source, external_ref__in=[r for s, r in batch if s == source])
            rows += list(Holding.objects.filter(q).values_list(*columns))
        stored = pd.DataFrame(rows, columns=columns)
        stored["since"] = stored["since"].map(_date_text)
        stored["until"] = stored["until"].map(_date_text)
        stored["balance"] = stored["balance"].map(_decimal_text)
        stored["amount"] = stored["amount"].map(_decimal_text)
        stored["partner_id"] = stored["partner_id"].fillna(0).astype("int64")
        return stored


# --- exchange rates ------------------------------------------------------------------------------------------

_RATE = r"[0-9]{1,10}(?:\.[0-9]{1,8})?"
_RATE_STEP = Decimal("0.00000001")


@register
class FxRateImporter(FrameImporter):
    kind = "fx_rates"
    label = gettext_lazy("Exchange rates")
    order = 60

    @classmethod
    def offered_to(cls, user) -> bool:
        return is_head_office(user)
    columns = Columns(
        required=(
            Column("currency", "币种", type=TEXT, aliases=("币别", "货币", "外币"),
                   help=gettext_lazy("ISO 4217 code (USD, EUR, ...) or its name (美元); not CNY."),
                   example_en="USD", example_zh="美元"),
            Column("date", "日期", type=DATE, aliases=("汇率日期", "牌价日期", "rate date"),
                   help=gettext_lazy("The day of the rate; year first: 2026-11-22 or 2026年11月22日."),
                   example_en="2026-11-20", example_zh="2026年11月20日"),
            Column("rate", "汇率", type=TEXT, aliases=("中间价", "折算汇率", "人民币汇率", "rate (CNY per unit)"),
                   help=gettext_lazy("Yuan per one unit of the currency, positive, at most 8 decimals: 7.1234 "
                                     "(per 100 units is not accepted)."),
                   example_en="7.1234"),
        ),
        optional=(
            Column("source", "来源", type=TEXT, aliases=("数据来源", "牌价来源"),
                   help=gettext_lazy("Optional: where the rate comes from (e.g. CFETS), at most 50 characters."),
                   example_en="CFETS"),
        ),
    )

    def __init__(self, *, user=None, source_system=None):
        if user is not None and not is_head_office(user):
            raise PermissionDenied(_("Exchange rates are set by head office."))
        super().__init__(user=user, source_system=source_system)

    def check_chunk(self, df, errors):
        bad = checks.currency(df, "currency", _CURRENCIES, errors)
        cny = ~bad & (df["currency"] == BASE)
        self.report(df, cny, "currency", _("CNY needs no rate: it is the base currency."), errors)
        bad |= cny
        bad |= checks.iso_date(df, "date", errors)
        missing = checks.required(df, "rate", errors)
        malformed = ~missing & ~df["rate"].str.fullmatch(_RATE)
        self.report(df, malformed, "rate",
                    _("Not a rate: yuan per unit as a positive decimal number, at most 8 decimals (7.1234)."), errors)
        zero = ~missing & ~malformed & ~df["rate"].str.contains(r"[1-9]")
        self.report(df, zero, "rate", _("A rate must be positive."), errors)
        bad |= missing | malformed | zero
        bad |= checks.max_length(df, "source", 50, errors)
        return df.loc[~bad]

    def finish(self, result: ImportResult, *, commit: bool) -> None:
        df, errors = self.frame(), result.errors
        if df.empty:
            return
        checks.duplicates(df, ["currency", "date"], errors, column="date",
                          message=_("This currency and date repeat an earlier row of the file."))
        df = df.drop_duplicates(["currency", "date"]).copy()
        df["rate"] = df["rate"].map(lambda v: str(Decimal(v).quantize(_RATE_STEP)))
        stored = pd.DataFrame(
            FxRate.objects.filter(currency__in=set(df["currency"]), date__gte=min(df["date"]),
                                  date__lte=max(df["date"])).values_list("currency", "date", "rate", "source", "pk"),
            columns=["currency", "date", "rate", "source", "pk"],
        )
        stored["date"] = stored["date"].map(_date_text)
        stored["rate"] = stored["rate"].map(lambda v: str(Decimal(v).quantize(_RATE_STEP)))
        merged = df.merge(stored, on=["currency", "date"], how="left", suffixes=("", "__db"), indicator=True)
        both = merged["_merge"] == "both"
        changed = both & ((merged["rate"] != merged["rate__db"])
                          | ((merged["source"] != "") & (merged["source"] != merged["source__db"])))
        new = merged[~both]
        updates = merged[changed]
        result.already_present = int((both & ~changed).sum())
        result.created = len(new)
        result.updated = len(updates)
        if len(updates):
            result.notes.append(_("%(n)d rates already stored are changed.") % {"n": len(updates)})
        if errors or not commit:
            return
        FxRate.objects.bulk_create([FxRate(currency=r.currency, date=r.date, rate=Decimal(r.rate), source=r.source)
                                    for r in new.itertuples()])
        if len(updates):
            by_pk = {int(r.pk): r for r in updates.itertuples()}
            rates = list(FxRate.objects.filter(pk__in=list(by_pk)))
            now = timezone.now()
            for obj in rates:
                r = by_pk[obj.pk]
                obj.rate, obj.updated_at = Decimal(r.rate), now
                if r.source:
                    obj.source = r.source
            FxRate.objects.bulk_update(rates, ["rate", "source", "updated_at"])
        touched = pd.concat([new[["currency", "date"]], updates[["currency", "date"]]])
        if len(touched):
            from services.catalogue import reconvert_flows

            for currency, first in touched.groupby("currency")["date"].min().items():
                reconvert_flows([currency], dt.date.fromisoformat(first))

    # The rates table is small; no ANALYZE needed after an import.
    written_tables = ()
