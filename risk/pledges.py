"""Pledges of receivables and inventory lots to facilities (issue 10 part 3), and pledge conflicts.

A receivable is identified by its invoice number (normalised: trimmed, upper case, inner spaces
removed) and its debtor; an inventory lot by its lot reference (normalised alike). While a pledge is
active (not released), pledging the same invoice of the same debtor, or the same lot, again is refused
with a ValidationError naming the earlier financing: its facility reference, the enterprise financed
and the date it was recorded, whoever's client that is (the bank must not finance the same asset
twice; the refusal names only the facility, the enterprise's name and the date).

Two concurrent requests cannot both pass: the check and the insert run under a transaction-scoped
advisory lock on the asset's key; the partial unique constraints of risk.Pledge are the last guard
(an IntegrityError is answered with the same message).

Who: the roles that record facilities (risk officers and head office), on facilities of their full
record. The core enterprise's confirmation (确权: date and reference) is recorded with the pledge."""

from __future__ import annotations

import re
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clients.access import in_full_record, resolve_enterprise
from clients.models import Enterprise
from core.history import save_with_history
from core.jobs import transaction_lock
from core.permissions import ensure_can_set_limits_and_ratings
from core.text import text_problem
from risk.models import Facility, FacilityStatus, Pledge, PledgeKind

_SPACES = re.compile(r"\s+")


def normalize_ref(value) -> str:
    """An invoice number or lot reference as compared: trimmed, upper case, no inner white space."""
    return _SPACES.sub("", str(value or "")).upper()


def _lock_key(kind: str, invoice_no: str, debtor_id, lot_ref: str) -> str:
    if kind == PledgeKind.RECEIVABLE:
        return f"pledge:inv:{debtor_id}:{invoice_no}"
    return f"pledge:lot:{lot_ref}"


def _earlier(kind: str, invoice_no: str, debtor_id, lot_ref: str):
    active = Pledge.objects.filter(released_at__isnull=True, kind=kind).select_related("facility__enterprise")
    if kind == PledgeKind.RECEIVABLE:
        return active.filter(debtor_id=debtor_id, invoice_no=invoice_no).first()
    return active.filter(lot_ref=lot_ref).first()


def conflict_error(earlier: Pledge) -> ValidationError:
    field = "invoice_no" if earlier.kind == PledgeKind.RECEIVABLE else "lot_ref"
    message = (_("This invoice of this debtor is already financed") if earlier.kind == PledgeKind.RECEIVABLE
               else _("This lot is already financed"))
    return ValidationError({field: _("%(what)s: facility %(reference)s of %(enterprise)s, recorded on %(date)s.") % {
        "what": message, "reference": earlier.facility.reference, "enterprise": earlier.facility.enterprise.name,
        "date": timezone.localtime(earlier.created_at).date().isoformat()}}, code="pledge_conflict")


def _debtor(user, value):
    if value in (None, ""):
        return None
    if isinstance(value, Enterprise):
        return value
    try:
        return resolve_enterprise(user, str(value))
    except ValidationError as exc:
        raise ValidationError({"debtor": exc.messages}) from None


def pledge_record(user, facility: Facility, kind: str, invoice_no: str = "", debtor_uscc=None, lot_ref: str = "",
                  amount=None, currency: str = "CNY", confirmed_on=None, confirmation_ref: str = "") -> Pledge:
    """Pledge a receivable (invoice number + debtor, named by credit code) or an inventory lot to an
    active facility of the user's full record; refused naming the earlier financing when the same asset
    is already financed."""
    ensure_can_set_limits_and_ratings(user)
    if facility is None or not in_full_record(user, facility.enterprise_id):
        raise Facility.DoesNotExist
    errors = {}
    for name, value in (("invoice_no", invoice_no), ("lot_ref", lot_ref), ("confirmation_ref", confirmation_ref)):
        problem = text_problem(str(value or ""))
        if problem:
            errors[name] = problem
    if kind not in PledgeKind.values:
        errors["kind"] = _("Choose a receivable or an inventory lot.")
    if errors:
        raise ValidationError(errors)
    if facility.status != FacilityStatus.ACTIVE:
        raise ValidationError({"facility": _("The facility is closed.")})
    debtor = _debtor(user, debtor_uscc) if kind == PledgeKind.RECEIVABLE else None
    invoice_no = normalize_ref(invoice_no) if kind == PledgeKind.RECEIVABLE else ""
    lot_ref = normalize_ref(lot_ref) if kind == PledgeKind.INVENTORY else ""
    if kind == PledgeKind.RECEIVABLE:
        if not invoice_no:
            errors["invoice_no"] = _("Give the invoice number.")
        if debtor is None:
            errors["debtor"] = _("Give the debtor's credit code.")
    elif not lot_ref:
        errors["lot_ref"] = _("Give the lot reference.")
    if amount is None:
        errors["amount"] = _("Give the amount.")
    elif Decimal(amount) <= 0:
        errors["amount"] = _("The amount must be positive.")
    if errors:
        raise ValidationError(errors)
    pledge = Pledge(facility=facility, kind=kind, invoice_no=invoice_no, debtor=debtor, lot_ref=lot_ref,
                    amount=amount, currency=str(currency or "").strip().upper(), confirmed_on=confirmed_on,
                    confirmation_ref=str(confirmation_ref or "").strip(), recorded_by=user)
    pledge.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            transaction_lock(_lock_key(kind, invoice_no, getattr(debtor, "pk", None), lot_ref))
            earlier = _earlier(kind, invoice_no, getattr(debtor, "pk", None), lot_ref)
            if earlier is not None:
                raise conflict_error(earlier)
            save_with_history(pledge, user=user, exclude=[])
    except IntegrityError:
        earlier = _earlier(kind, invoice_no, getattr(debtor, "pk", None), lot_ref)
        if earlier is None:  # pragma: no cover - the other row went again
            raise ValidationError({"invoice_no" if kind == PledgeKind.RECEIVABLE else "lot_ref":
                                   _("This asset is already financed.")}) from None
        raise conflict_error(earlier) from None
    return pledge


@transaction.atomic
def pledge_release(user, pledge: Pledge) -> Pledge:
    """Release a pledge (the receivable paid, the lot sold): the asset may be financed again."""
    ensure_can_set_limits_and_ratings(user)
    pledge = Pledge.objects.select_for_update().select_related("facility").filter(pk=pledge.pk).first()
    if pledge is None or not in_full_record(user, pledge.facility.enterprise_id):
        raise Pledge.DoesNotExist
    if pledge.released_at is not None:
        raise ValidationError({"released_at": _("The pledge is already released.")})
    pledge.released_at = timezone.now()
    save_with_history(pledge, user=user, reason="released")
    return pledge
