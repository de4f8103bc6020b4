"""The catalogue's business rules: what an enterprise holds with the bank (holdings) and the daily
exchange rates every CNY equivalent is computed with.

- Holdings are part of the full record (DESIGN.md section 4): a holding is written by a role that
  edits client data, for an enterprise in the user's full record; out of reach answers like a
  missing enterprise. A holding names an active product by code, an ISO 4217 currency, amounts of
  zero or more, business dates with `until` not before `since`, and a partner only for a value-added
  service (non-financial, delivered with partners).
- Holdings change: a balance moves, a facility is raised, a product is given up. The same
  (source_system, external_ref) re-imported with another balance, amount or end date updates the
  stored holding (services.importers); its enterprise, product, start, currency and partner are its
  identity and never change (another value there is an error).
- Exchange rates are head office's (`ensure_head_office`): one per currency and day, CNY per unit,
  positive; a new or changed rate re-converts the flow summary of that currency from that day on
  (`chains.summary.reconvert`) in the same transaction.

`holdings_for(user, enterprise)` is the enterprise page's selector: one query, each holding with its
CNY equivalent at today's rate (core.fx)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clients import access
from core.dates import in_range, out_of_range_message
from core.fx import BASE, cny_sql
from core.models import FxRate
from core.permissions import ensure_can_edit_clients, ensure_head_office
from core.text import clean_text as core_clean_text
from imports.currencies import ISO_4217_ACTIVE
from services.models import Holding, Partner, Product

MAX_AMOUNT = Decimal(10) ** 18  # MONEY: 20 digits, 2 decimals
MAX_RATE = Decimal(10) ** 10  # FxRate.rate: 18 digits, 8 decimals
MANUAL_SOURCE = "manual"

UNKNOWN_PRODUCT = gettext_lazy("Unknown product code %(code)s (or the product is no longer offered).")
PARTNER_NOT_VALUE_ADDED = gettext_lazy("Only value-added services are delivered with a partner.")
FX_HEAD_OFFICE = gettext_lazy("Exchange rates are set by head office.")


# --- shared checks (the importers check the same rules column-wise) -----------------------------------------


def product_by_code(code) -> Product:
    product = Product.objects.filter(code=str(code or "").strip(), active=True).first()
    if product is None:
        raise ValidationError({"product": UNKNOWN_PRODUCT % {"code": str(code or "")[:40]}})
    return product


def clean_currency(value, field: str = "currency") -> str:
    code = str(value or "").strip().upper()
    if code not in ISO_4217_ACTIVE:
        raise ValidationError({field: _("Not an active ISO 4217 currency code (e.g. CNY, USD, EUR).")})
    return code


def clean_amount(value, field: str, *, required: bool = True) -> Decimal | None:
    if value is None or value == "":
        if required:
            raise ValidationError({field: _("This field is required.")})
        return None
    if isinstance(value, float | bool):
        raise ValidationError({field: _("Not a number.")})
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValidationError({field: _("Not a number.")}) from None
    if not number.is_finite():
        raise ValidationError({field: _("Not a number.")})
    if number < 0:
        raise ValidationError({field: _("The amount cannot be negative.")})
    if number >= MAX_AMOUNT:
        raise ValidationError({field: _("The amount is too large.")})
    if number != number.quantize(Decimal("0.01")):
        raise ValidationError({field: _("At most 2 decimal places.")})
    return number


def clean_date(value, field: str, *, required: bool = True) -> dt.date | None:
    if value is None or value == "":
        if required:
            raise ValidationError({field: _("This field is required.")})
        return None
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
        try:
            value = dt.date.fromisoformat(str(value))
        except ValueError:
            raise ValidationError({field: _("Not a valid date: use YYYY-MM-DD.")}) from None
    if not in_range(value):
        raise ValidationError({field: out_of_range_message()})
    return value


def clean_text(value, field: str, max_length: int, *, required: bool = True) -> str:
    """core.text.clean_text, numbers accepted as text (a reference read from a spreadsheet)."""
    return core_clean_text(value if value is None or isinstance(value, str) else str(value), field,
                           max_length=max_length, required=required)


def _partner(value, product: Product) -> Partner | None:
    if value in (None, ""):
        return None
    if not product.is_value_added:
        raise ValidationError({"partner": PARTNER_NOT_VALUE_ADDED})
    partner = value if isinstance(value, Partner) else Partner.objects.filter(code=str(value), active=True).first()
    if partner is None or not partner.active:
        raise ValidationError({"partner": _("Unknown partner code %(code)s.") % {"code": str(value)[:40]}})
    return partner


def _enterprise_in_full_record(user, enterprise):
    """The enterprise, when the user may write its full record; else the answer a missing one gets."""
    ensure_can_edit_clients(user)
    if enterprise is None or not access.in_full_record(user, enterprise):
        raise ValidationError({"enterprise": _("Unknown enterprise.")})
    return enterprise


# --- holdings ----------------------------------------------------------------------------------------------


@transaction.atomic
def holding_create(user, *, enterprise, product, since, balance, currency: str = BASE, amount=None,
                   until=None, partner=None, source_system: str = MANUAL_SOURCE, external_ref: str = "") -> Holding:
    """Record a product the enterprise holds (a role that edits, the enterprise in the user's full
    record). `product` is a Product or an active product's code; `partner` a Partner or a code."""
    enterprise = _enterprise_in_full_record(user, enterprise)
    product = product if isinstance(product, Product) and product.active else product_by_code(
        getattr(product, "code", product))
    since = clean_date(since, "since")
    until = clean_date(until, "until", required=False)
    if until is not None and until < since:
        raise ValidationError({"until": _("A holding cannot end before it starts.")})
    holding = Holding(
        enterprise=enterprise, product=product, since=since, until=until,
        amount=clean_amount(amount, "amount", required=False), balance=clean_amount(balance, "balance"),
        currency=clean_currency(currency), partner=_partner(partner, product),
        source_system=clean_text(source_system, "source_system", 50),
        external_ref=clean_text(external_ref, "external_ref", 100, required=False),
    )
    if not holding.external_ref:
        holding.external_ref = f"{enterprise.pk}-{product.code}-{since.isoformat()}"
    if Holding.objects.filter(source_system=holding.source_system, external_ref=holding.external_ref).exists():
        raise ValidationError({"external_ref": _("This reference is already stored.")})
    holding._history_user = user
    holding.save()
    _refresh_needs_later(holding.enterprise_id)
    return holding


def _refresh_needs_later(enterprise_id: int) -> None:
    """Holdings feed the needs rules: the enterprise's needs are refreshed through the outbox, in the
    caller's transaction."""
    from services.tasks import queue_enterprises_refresh

    queue_enterprises_refresh([enterprise_id])


@transaction.atomic
def holding_update(user, holding: Holding, *, balance=None, amount=None, until=None,
                   clear_amount: bool = False, clear_until: bool = False) -> Holding:
    """Change what moves on a holding: its balance, contracted amount or end date."""
    holding = Holding.objects.select_for_update().filter(pk=getattr(holding, "pk", None)).first()
    if holding is None:
        raise ValidationError({"holding": _("Unknown holding.")})
    _enterprise_in_full_record(user, holding.enterprise_id)
    if balance is not None:
        holding.balance = clean_amount(balance, "balance")
    if amount is not None or clear_amount:
        holding.amount = None if clear_amount else clean_amount(amount, "amount")
    if until is not None or clear_until:
        holding.until = None if clear_until else clean_date(until, "until")
    if holding.until is not None and holding.until < holding.since:
        raise ValidationError({"until": _("A holding cannot end before it starts.")})
    holding._history_user = user
    holding.save()
    _refresh_needs_later(holding.enterprise_id)
    return holding


def holding_close(user, holding: Holding, *, until) -> Holding:
    """The enterprise gave the product up on `until`."""
    return holding_update(user, holding, until=until)


def holdings_for(user, enterprise) -> list[Holding]:
    """The enterprise's holdings the user may see (the full record; none otherwise), open ones first,
    each with `balance_cny` and `amount_cny` (today's rate, None without one): one query."""
    table = Holding._meta.db_table
    currency, day = f'"{table}"."currency"', "CURRENT_DATE"
    qs = (Holding.objects.for_user(user).filter(enterprise=enterprise)
          .select_related("product", "partner")
          .annotate(balance_cny=RawSQL(cny_sql(f'"{table}"."balance"', currency, day), []),
                    amount_cny=RawSQL(cny_sql(f'"{table}"."amount"', currency, day), []))
          .order_by(F("until").desc(nulls_first=True), "product__family", "product__code", "since", "pk"))
    return list(qs)


# --- exchange rates -------------------------------------------------------------------------------------------


def clean_rate(value) -> Decimal:
    if value is None or value == "" or isinstance(value, float | bool):
        raise ValidationError({"rate": _("Give the rate as a decimal number, e.g. 7.1234.")})
    try:
        rate = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValidationError({"rate": _("Not a number.")}) from None
    if not rate.is_finite() or rate <= 0:
        raise ValidationError({"rate": _("A rate must be positive.")})
    if rate >= MAX_RATE:
        raise ValidationError({"rate": _("The rate is too large.")})
    if rate != rate.quantize(Decimal("0.00000001")):
        raise ValidationError({"rate": _("At most 8 decimal places.")})
    return rate


def reconvert_flows(currencies, since: dt.date) -> int:
    """Re-convert the flow summary rows of these currencies from the month of `since` on (the flow
    summary's own function, chains.summary.reconvert); in the caller's transaction."""
    from chains.summary import reconvert

    currencies = sorted({c for c in currencies if c and c != BASE})
    if not currencies:
        return 0
    return reconvert(currencies, since)


@transaction.atomic
def fx_rate_set(user, *, currency, date, rate, source: str = "") -> FxRate:
    """Create or change the rate of a currency on a day (head office only); the flow summary of that
    currency is re-converted from that day on, in the same transaction."""
    ensure_head_office(user, str(FX_HEAD_OFFICE))
    currency = clean_currency(currency)
    if currency == BASE:
        raise ValidationError({"currency": _("CNY needs no rate: it is the base currency.")})
    date = clean_date(date, "date")
    rate = clean_rate(rate)
    source = clean_text(source, "source", 50, required=False)
    obj = FxRate.objects.select_for_update().filter(currency=currency, date=date).first()
    if obj is not None and obj.rate == rate and obj.source == source:
        return obj
    if obj is None:
        obj = FxRate(currency=currency, date=date)
    obj.rate, obj.source = rate, source
    obj.save()
    reconvert_flows([currency], date)
    return obj


# --- the catalogue itself (head office's reference data: the admin writes through these) --------------------

CATALOGUE_HEAD_OFFICE = gettext_lazy("The catalogue is kept by head office.")


def _save_reference(user, obj, fields: dict, *, fixed: tuple[str, ...] = ()):
    """Set `fields` on a catalogue object (head office only), validate it like a model form and save
    it with its history author. Fields in `fixed` cannot change once the object exists."""
    ensure_head_office(user, str(CATALOGUE_HEAD_OFFICE))
    many = {name: fields.pop(name) for name in list(fields) if name in {f.name for f in obj._meta.many_to_many}}
    if obj.pk is not None:
        for name in fixed:
            if name in fields and fields[name] != getattr(obj, name):
                raise ValidationError({name: _("This cannot change once it is stored.")})
    for name, value in fields.items():
        setattr(obj, name, value)
    obj.full_clean()
    obj._history_user = user
    obj.save()
    for name, values in many.items():
        getattr(obj, name).set(values)
    return obj


@transaction.atomic
def product_create(user, **fields) -> Product:
    return _save_reference(user, Product(), fields)


@transaction.atomic
def product_update(user, product: Product, **fields) -> Product:
    """A product's names, descriptions, margin, family or activity; its code is fixed (the API, imports
    and rules name it). A product leaves the catalogue by being made inactive."""
    return _save_reference(user, Product.objects.select_for_update().get(pk=product.pk), fields, fixed=("code",))


@transaction.atomic
def partner_create(user, **fields) -> Partner:
    return _save_reference(user, Partner(), fields)


@transaction.atomic
def partner_update(user, partner: Partner, **fields) -> Partner:
    return _save_reference(user, Partner.objects.select_for_update().get(pk=partner.pk), fields, fixed=("code",))


@transaction.atomic
def playbook_item_create(user, **fields):
    from services.models import PlaybookItem

    return _save_reference(user, PlaybookItem(), fields)


@transaction.atomic
def playbook_item_update(user, item, **fields):
    from services.models import PlaybookItem

    return _save_reference(user, PlaybookItem.objects.select_for_update().get(pk=item.pk), fields)


@transaction.atomic
def playbook_item_delete(user, item) -> None:
    ensure_head_office(user, str(CATALOGUE_HEAD_OFFICE))
    item._history_user = user
    item.delete()
