"""Writes on credit facilities, member sub-limits, other banks' financing, related parties and the
bank's concentration limits (issue 10 part 2). Pages, API and admin call these.

Who:
- facilities and sub-limits: risk officers and head office (`ensure_can_set_limits_and_ratings`), on
  enterprises of their full record (anything else answers like an unknown credit code);
- other banks' financing: the roles that edit client data, and risk officers, on their full record;
- related parties and concentration limits: head office.

The allocation rule (one place, `check_allocation`): the sub-limits of a group together may not exceed
its unified credit limit, and a member's active facility limits (in CNY at today's rate, core.fx) may
not exceed its sub-limit where it has one; a refusal names the headroom left. The rows the rule reads
are locked (the group row, the member's sub-limit rows) so two concurrent writes cannot both pass.
History is kept for every write (simple_history, `core.history`)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clients.access import UNKNOWN_CODE, Reach, in_full_record, resolve_enterprise
from clients.models import Enterprise, GroupClient, GroupMembership
from core import money
from core.fx import to_cny
from core.history import save_with_history, set_history_user
from core.permissions import ensure_can_set_limits_and_ratings, ensure_head_office
from core.text import text_problem
from risk.models import (
    Facility,
    FacilityStatus,
    OtherBankFinancing,
    RelatedParty,
    RiskSettings,
    SubLimit,
)
from staff.scope import scope_for

FACILITY_FIELDS = {"reference", "enterprise", "product", "limit_amount", "drawn", "currency", "start_date",
                   "end_date", "collateral", "past_due_amount", "past_due_since", "guarantees"}
FACILITY_EDITABLE = FACILITY_FIELDS - {"enterprise"}
OTHER_BANK_FIELDS = {"enterprise", "lender", "reference", "amount", "currency", "as_of", "maturity"}
SETTINGS_FIELDS = {"net_capital", "tier1_capital", "client_pct", "group_pct", "connected_group_pct",
                   "large_exposure_pct", "related_client_pct", "related_group_pct", "related_total_pct", "warning_pct"}


# --- shared checks ------------------------------------------------------------------------------------------


def _figure(value) -> str:
    """An amount in a refusal: exact, to the fen (`7,200,000.00 元` / `CNY 7,200,000.00`)."""
    return money.exact(value)


def full_record_enterprise(user, value, field: str = "enterprise") -> Enterprise:
    """An enterprise of the user's full record, given as an object or a credit code; anything else
    answers like an unknown credit code, on `field`."""
    if isinstance(value, Enterprise):
        if in_full_record(user, value):
            return value
        raise ValidationError({field: UNKNOWN_CODE % {"code": value.uscc}})
    if not isinstance(value, str):
        raise ValidationError({field: _("Give a credit code.")})
    try:
        return resolve_enterprise(user, value, reach=Reach.FULL)
    except ValidationError as exc:
        raise ValidationError({field: exc.messages}) from None


def _product(value):
    from services.models import Product

    if isinstance(value, Product):
        return value
    code = str(value or "").strip()
    product = Product.objects.filter(code=code).first() if code else None
    if product is None:
        raise ValidationError({"product": _("No product with the code %(code)s.") % {"code": code[:40]}})
    return product


def _currency(value) -> str:
    return str(value or "").strip().upper()


def _text(fields: dict, *names) -> None:
    errors = {}
    for name in names:
        value = fields.get(name)
        if isinstance(value, str):
            problem = text_problem(value)
            if problem:
                errors[name] = problem
    if errors:
        raise ValidationError(errors)


def _cny_today(amount, currency, field="currency") -> Decimal:
    day = timezone.localdate()
    value = to_cny(Decimal(amount), currency, day)
    if value is None:
        raise ValidationError({field: _("No exchange rate for %(currency)s on or before %(date)s: the amount cannot "
                                        "be held against the limits in CNY.") % {"currency": currency, "date": day}})
    return value


def _committed_cny(enterprise_id: int, *, excluding: int | None = None) -> Decimal:
    """The member's active facility limits in CNY at today's rate (the allocation rule's reading)."""
    total = Decimal("0")
    qs = Facility.objects.filter(enterprise_id=enterprise_id, status=FacilityStatus.ACTIVE)
    if excluding:
        qs = qs.exclude(pk=excluding)
    for amount, currency in qs.values_list("limit_amount", "currency"):
        total += _cny_today(amount, currency, "limit_amount")
    return total


def check_allocation(enterprise_id: int, added_cny: Decimal, *, excluding: int | None = None,
                     field: str = "limit_amount") -> None:
    """A member's facility limits (with `added_cny` more) within each of its sub-limits. Locks the
    member's sub-limit rows. Raises ValidationError on `field` naming the headroom."""
    subs = list(SubLimit.objects.select_for_update().filter(enterprise_id=enterprise_id).select_related("group"))
    if not subs:
        return
    committed = _committed_cny(enterprise_id, excluding=excluding)
    for sub in subs:
        if committed + added_cny > sub.amount:
            raise ValidationError({field: _(
                "The member's facility limits would reach %(after)s, over its sub-limit of %(limit)s in %(group)s: "
                "the headroom is %(headroom)s.") % {
                "after": _figure(committed + added_cny), "limit": _figure(sub.amount), "group": sub.group.name,
                "headroom": _figure(max(sub.amount - committed, Decimal("0")))}})


# --- facilities ---------------------------------------------------------------------------------------------


def _facility_check(facility: Facility) -> None:
    errors = {}
    if facility.drawn is not None and facility.drawn < 0:
        errors["drawn"] = _("The drawn amount cannot be negative.")
    if facility.limit_amount is not None and facility.limit_amount <= 0:
        errors["limit_amount"] = _("The limit must be positive.")
    if facility.start_date and facility.end_date and facility.end_date < facility.start_date:
        errors["end_date"] = _("The end date cannot be before the start date.")
    if facility.past_due_amount and not facility.past_due_since:
        errors["past_due_since"] = _("Say since when the amount is past due.")
    if facility.past_due_since and facility.start_date and facility.past_due_since < facility.start_date:
        errors["past_due_since"] = _("An amount cannot be past due before the facility starts.")
    if errors:
        raise ValidationError(errors)


def _save_facility(user, facility: Facility, guarantees=None) -> Facility:
    try:
        with transaction.atomic():
            save_with_history(facility, user=user)
    except IntegrityError:
        raise ValidationError({"reference": _("A facility with this reference already exists.")}) from None
    if guarantees is not None:
        facility.guarantees.set(guarantees)
    _refresh_risk_later(facility)
    return facility


def _refresh_risk_later(facility: Facility) -> None:
    """Facilities feed the early-warning rules (past due, limits): the enterprise's rules run again
    through the outbox, after the write commits (risk.tasks)."""
    from risk.tasks import queue_enterprises_refresh

    queue_enterprises_refresh([facility.enterprise_id])


def _guarantees(user, values, enterprise):
    """The guarantees securing a facility: guarantees of the user's reach whose borrower is the enterprise."""
    from circles.models import Guarantee

    if values is None:
        return None
    ids = [getattr(v, "pk", v) for v in values]
    found = list(Guarantee.objects.for_user(user).filter(pk__in=ids, borrower=enterprise))
    if len(found) != len(set(ids)):
        raise ValidationError({"guarantees": _("Name guarantees given for this enterprise.")})
    return found


@transaction.atomic
def facility_create(user, **fields) -> Facility:
    """Record a credit facility. Fields: reference, enterprise (object or credit code, full record),
    product (object or code), limit_amount, drawn, currency, start_date, end_date, collateral,
    past_due_amount, past_due_since, guarantees."""
    ensure_can_set_limits_and_ratings(user)
    unknown = set(fields) - FACILITY_FIELDS
    if unknown:
        raise ValidationError({sorted(unknown)[0]: _("Unknown field.")})
    _text(fields, "reference", "collateral")
    enterprise = full_record_enterprise(user, fields.pop("enterprise", None))
    product = _product(fields.pop("product", None))
    guarantees = _guarantees(user, fields.pop("guarantees", None), enterprise)
    fields["currency"] = _currency(fields.get("currency", "CNY"))
    if isinstance(fields.get("reference"), str):
        fields["reference"] = fields["reference"].strip()
    facility = Facility(enterprise=enterprise, product=product, recorded_by=user, **fields)
    if facility.reference and Facility.objects.filter(reference=facility.reference).exists():
        raise ValidationError({"reference": _("A facility with this reference already exists.")})
    _facility_check(facility)
    facility.full_clean()
    check_allocation(enterprise.pk, _cny_today(facility.limit_amount, facility.currency))
    return _save_facility(user, facility, guarantees)


def _facility_for_write(user, facility: Facility) -> Facility:
    locked = Facility.objects.select_for_update().filter(pk=facility.pk).first()
    if locked is None or not in_full_record(user, locked.enterprise_id):
        raise Facility.DoesNotExist
    return locked


@transaction.atomic
def facility_update(user, facility: Facility, **fields) -> Facility:
    ensure_can_set_limits_and_ratings(user)
    facility = _facility_for_write(user, facility)
    if "enterprise" in fields:
        given = fields.pop("enterprise")
        if getattr(given, "pk", None) != facility.enterprise_id and (
                not isinstance(given, str) or given.strip().upper() != facility.enterprise.uscc):
            raise ValidationError({"enterprise": _("The enterprise of a facility cannot be changed.")})
    unknown = set(fields) - FACILITY_EDITABLE
    if unknown:
        raise ValidationError({sorted(unknown)[0]: _("This field cannot be changed.")})
    _text(fields, "reference", "collateral")
    guarantees = _guarantees(user, fields.pop("guarantees", None), facility.enterprise)
    if "product" in fields:
        facility.product = _product(fields.pop("product"))
    if "currency" in fields:
        fields["currency"] = _currency(fields["currency"])
    if isinstance(fields.get("reference"), str):
        fields["reference"] = fields["reference"].strip()
    for key, value in fields.items():
        setattr(facility, key, value)
    if Facility.objects.filter(reference=facility.reference).exclude(pk=facility.pk).exists():
        raise ValidationError({"reference": _("A facility with this reference already exists.")})
    _facility_check(facility)
    facility.full_clean()
    if facility.status == FacilityStatus.ACTIVE:
        check_allocation(facility.enterprise_id, _cny_today(facility.limit_amount, facility.currency),
                         excluding=facility.pk)
    return _save_facility(user, facility, guarantees)


@transaction.atomic
def facility_close(user, facility: Facility) -> Facility:
    """Close a facility (repaid, expired): it leaves the exposure; its active pledges are released."""
    from risk.models import Pledge

    ensure_can_set_limits_and_ratings(user)
    facility = _facility_for_write(user, facility)
    if facility.status == FacilityStatus.CLOSED:
        raise ValidationError({"status": _("The facility is already closed.")})
    if facility.drawn:
        raise ValidationError({"drawn": _("A facility with a drawn amount cannot be closed; record the repayment "
                                          "first.")})
    facility.status = FacilityStatus.CLOSED
    save_with_history(facility, user=user, reason="closed")
    now = timezone.now()
    for pledge in Pledge.objects.filter(facility=facility, released_at__isnull=True):
        pledge.released_at = now
        save_with_history(pledge, user=user, reason="facility closed")
    _refresh_risk_later(facility)
    return facility


# --- sub-limits ------------------------------------------------------------------------------------------


def _group_for_write(user, group) -> GroupClient:
    pk = getattr(group, "pk", group)
    found = GroupClient.objects.for_user(user).filter(pk=pk).first()
    if found is None:
        raise GroupClient.DoesNotExist
    return GroupClient.objects.select_for_update().get(pk=found.pk)


@transaction.atomic
def sub_limit_set(user, group, enterprise, amount) -> SubLimit:
    """Set (create or change) a member's sub-limit of the group's unified credit limit, in CNY. The
    sub-limits together stay within the unified limit, and the member's facility limits within its
    sub-limit."""
    ensure_can_set_limits_and_ratings(user)
    group = _group_for_write(user, group)
    enterprise = full_record_enterprise(user, enterprise)
    if not GroupMembership.objects.filter(group=group, enterprise=enterprise).exists():
        raise ValidationError({"enterprise": _("%(name)s is not a member of %(group)s.")
                               % {"name": enterprise.name, "group": group.name}})
    try:
        amount = Decimal(amount)
    except Exception:  # noqa: BLE001 - anything that is not a number
        raise ValidationError({"amount": _("Enter a number.")}) from None
    if not amount.is_finite() or amount <= 0:
        raise ValidationError({"amount": _("The amount must be positive.")})
    existing = SubLimit.objects.select_for_update().filter(group=group, enterprise=enterprise).first()
    others = sum(SubLimit.objects.filter(group=group).exclude(enterprise=enterprise).values_list("amount", flat=True),
                 Decimal("0"))
    if others + amount > group.unified_credit_limit:
        raise ValidationError({"amount": _(
            "The sub-limits of %(group)s would reach %(after)s, over its unified credit limit of %(limit)s: the "
            "headroom is %(headroom)s.") % {
            "group": group.name, "after": _figure(others + amount), "limit": _figure(group.unified_credit_limit),
            "headroom": _figure(max(group.unified_credit_limit - others, Decimal("0")))}})
    committed = _committed_cny(enterprise.pk)
    if committed > amount:
        raise ValidationError({"amount": _(
            "The member's facility limits already come to %(committed)s: the sub-limit cannot be lower.")
            % {"committed": _figure(committed)}})
    sub = existing or SubLimit(group=group, enterprise=enterprise)
    sub.amount = amount
    sub.set_by = user
    save_with_history(sub, user=user)
    return sub


@transaction.atomic
def sub_limit_remove(user, sub_limit: SubLimit) -> None:
    ensure_can_set_limits_and_ratings(user)
    _group_for_write(user, sub_limit.group_id)
    set_history_user(sub_limit, user)
    sub_limit.delete()


# --- other banks' financing -----------------------------------------------------------------------------------


def ensure_can_record_other_banks(user) -> None:
    scope = scope_for(user)
    if not (scope.can_edit_clients or scope.can_set_limits_and_ratings):
        raise PermissionDenied(_("Your role may not record other banks' financing."))


def _other_bank_check(row: OtherBankFinancing) -> None:
    errors = {}
    if row.amount is not None and row.amount <= 0:
        errors["amount"] = _("The amount must be positive.")
    if row.maturity and row.as_of and row.maturity < row.as_of:
        errors["maturity"] = _("The maturity cannot be before the date of the figure.")
    if not (row.lender or "").strip():
        errors["lender"] = _("Name the lending bank.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def other_bank_financing_record(user, **fields) -> OtherBankFinancing:
    """Record financing of an enterprise of the user's full record by another bank (joint credit)."""
    ensure_can_record_other_banks(user)
    unknown = set(fields) - OTHER_BANK_FIELDS
    if unknown:
        raise ValidationError({sorted(unknown)[0]: _("Unknown field.")})
    _text(fields, "lender", "reference")
    enterprise = full_record_enterprise(user, fields.pop("enterprise", None))
    fields["currency"] = _currency(fields.get("currency", "CNY"))
    for key in ("lender", "reference"):
        if isinstance(fields.get(key), str):
            fields[key] = fields[key].strip()
    row = OtherBankFinancing(enterprise=enterprise, recorded_by=user, **fields)
    _other_bank_check(row)
    save_with_history(row, user=user)
    return row


def _other_bank_for_write(user, row) -> OtherBankFinancing:
    locked = OtherBankFinancing.objects.select_for_update().filter(pk=row.pk).first()
    if locked is None or not in_full_record(user, locked.enterprise_id):
        raise OtherBankFinancing.DoesNotExist
    return locked


@transaction.atomic
def other_bank_financing_update(user, row: OtherBankFinancing, **fields) -> OtherBankFinancing:
    ensure_can_record_other_banks(user)
    row = _other_bank_for_write(user, row)
    if "enterprise" in fields and getattr(fields.pop("enterprise"), "pk", None) != row.enterprise_id:
        raise ValidationError({"enterprise": _("The enterprise cannot be changed.")})
    unknown = set(fields) - (OTHER_BANK_FIELDS - {"enterprise"})
    if unknown:
        raise ValidationError({sorted(unknown)[0]: _("This field cannot be changed.")})
    _text(fields, "lender", "reference")
    if "currency" in fields:
        fields["currency"] = _currency(fields["currency"])
    for key, value in fields.items():
        setattr(row, key, value.strip() if key in ("lender", "reference") and isinstance(value, str) else value)
    _other_bank_check(row)
    save_with_history(row, user=user)
    return row


@transaction.atomic
def other_bank_financing_delete(user, row: OtherBankFinancing) -> None:
    ensure_can_record_other_banks(user)
    row = _other_bank_for_write(user, row)
    set_history_user(row, user)
    row.delete()


# --- related parties and concentration limits (head office) ------------------------------------------------


@transaction.atomic
def related_party_set(user, enterprise, since: dt.date, note: str = "") -> RelatedParty:
    """Mark an enterprise as a related party of the bank (关联方), from `since`."""
    ensure_head_office(user, _("Only head office keeps the list of related parties."))
    enterprise = full_record_enterprise(user, enterprise)
    _text({"note": note}, "note")
    row = RelatedParty.objects.select_for_update().filter(enterprise=enterprise).first() or RelatedParty(
        enterprise=enterprise)
    row.since, row.note = since, (note or "").strip()
    save_with_history(row, user=user)
    return row


@transaction.atomic
def related_party_remove(user, row: RelatedParty) -> None:
    ensure_head_office(user, _("Only head office keeps the list of related parties."))
    set_history_user(row, user)
    row.delete()


@transaction.atomic
def risk_settings_update(user, **fields) -> RiskSettings:
    """Head office sets the bank's capital and concentration limits (percentages 0-100, capital >= 0)."""
    ensure_head_office(user, _("Only head office sets the concentration limits."))
    unknown = set(fields) - SETTINGS_FIELDS
    if unknown:
        raise ValidationError({sorted(unknown)[0]: _("Unknown field.")})
    RiskSettings.current()
    conf = RiskSettings.objects.select_for_update().get(pk=1)
    for key, value in fields.items():
        setattr(conf, key, value)
    if conf.warning_pct is not None and Decimal(conf.warning_pct) <= 0:
        raise ValidationError({"warning_pct": _("The warning level must be above 0 %.")})
    save_with_history(conf, user=user)
    return conf
