"""Head office's settings of the early-warning rules (issue 10 section 4): on or off and thresholds.
Every role reads them (the page /risk/rules/ and the API alert-rules); head office alone changes them,
each value checked against its threshold's range (risk.rules.validate_params); history kept
(risk.AlertRule is tracked). The next run applies the change."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from core.history import set_history_user
from core.permissions import ensure_head_office
from risk.models import AlertRule


@transaction.atomic
def alert_rule_update(user, code: str, *, enabled=None, params: dict | None = None) -> AlertRule:
    """Set rule `code`'s on/off (None: unchanged) and thresholds (None: unchanged; missing keys keep
    their current values). Raises PermissionDenied for anyone but head office, ValidationError naming
    each bad threshold."""
    from risk.rules import load, settings_for, validate_params

    ensure_head_office(user, _("Only head office sets the early-warning rules."))
    if code not in load():
        raise ValidationError({"code": _("No such rule.")}, code="unknown")
    current_enabled, current = settings_for()[code]
    if enabled is not None and not isinstance(enabled, bool):
        raise ValidationError({"enabled": _("Enter true or false.")}, code="invalid")
    if params is not None and not isinstance(params, dict):
        raise ValidationError({"params": _("Thresholds must be an object.")}, code="invalid")
    merged = {**current, **(params or {})} if params is not None else current
    cleaned = validate_params(code, merged)
    setting = AlertRule.objects.select_for_update().filter(code=code).first() or AlertRule(code=code)
    setting.enabled = current_enabled if enabled is None else enabled
    setting.params = cleaned
    set_history_user(setting, user)
    setting.save()
    return setting
