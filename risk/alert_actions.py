"""People's actions on alerts (issue 10 section 5): acknowledge, assign, comment, resolve, mark a false
positive. The engine's writes are risk.alerts.

- Who: relationship managers, branch heads, risk officers and head office, on alerts they can see
  (`RiskAlert.objects.for_user`); an alert out of reach answers like a missing one (DoesNotExist: a
  404 in pages and API). A login without a role reaches no alert.
- Transitions follow risk.models.ALERT_TRANSITIONS: open > acknowledged > resolved or false positive
  (open may be resolved or marked a false positive directly). Resolving and marking a false positive
  need a comment (the note says why); closing by a person sets `suppresses`, so the next run does not
  raise the same alert again on the same evidence (risk.alerts).
- The assignee must be staff with a role who can see the alert themselves.
- Comments and notes are checked for hostile text (core.text) and capped in length.
- Every change keeps history with its author (simple_history); engine-written alerts get a baseline
  history row first when they have none."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.history import set_history_user
from core.text import clean_text
from risk.models import ALERT_TRANSITIONS, AlertComment, AlertStatus, RiskAlert
from staff.scope import scope_for

COMMENT_MAX = 2000
NOTE_MAX = 500  # RiskAlert.resolution_note


def ensure_works_alerts(user) -> None:
    """Every role works alerts (RMs, branch heads, risk officers, head office); a login without one
    does not."""
    if scope_for(user).sees_nothing:
        raise PermissionDenied(_("Your role may not work risk alerts."))


def _reachable(user, alert: RiskAlert | int) -> RiskAlert:
    """The alert, locked, if the user may see it; otherwise RiskAlert.DoesNotExist (a 404)."""
    ensure_works_alerts(user)
    pk = getattr(alert, "pk", alert)
    return RiskAlert.objects.for_user(user).select_for_update(of=("self",)).get(pk=pk)


def _baseline(alert: RiskAlert) -> None:
    if not alert.history.exists():
        RiskAlert.history.bulk_history_create([alert], default_date=alert.opened_at)


def _move(user, alert: RiskAlert, status: str, note: str) -> RiskAlert:
    current = AlertStatus(alert.status)
    if status not in ALERT_TRANSITIONS[current]:
        raise ValidationError({"status": _("A %(from)s alert cannot become %(to)s.") % {
            "from": current.label.lower(), "to": AlertStatus(status).label.lower()}}, code="transition")
    _baseline(alert)
    alert.status = status
    alert.status_changed_at = timezone.now()
    alert.status_changed_by = user
    fields = ["status", "status_changed_at", "status_changed_by"]
    if status in (AlertStatus.RESOLVED, AlertStatus.FALSE_POSITIVE):
        alert.resolution_note = note[:NOTE_MAX]
        alert.suppresses = True
        fields += ["resolution_note", "suppresses"]
    set_history_user(alert, user, note or None)
    alert.save(update_fields=fields)
    if note:
        AlertComment.objects.create(alert=alert, author=user, text=note)
    return alert


@transaction.atomic
def alert_acknowledge(user, alert, comment: str = "") -> RiskAlert:
    """Open > acknowledged (someone is on it), with an optional comment."""
    alert = _reachable(user, alert)
    comment = clean_text(comment, "comment", required=False, max_length=COMMENT_MAX)
    return _move(user, alert, AlertStatus.ACKNOWLEDGED, comment)


@transaction.atomic
def alert_resolve(user, alert, comment: str) -> RiskAlert:
    """Open or acknowledged > resolved; the comment (required) says what was done."""
    alert = _reachable(user, alert)
    comment = clean_text(comment, "comment", required=True, max_length=NOTE_MAX)
    return _move(user, alert, AlertStatus.RESOLVED, comment)


@transaction.atomic
def alert_false_positive(user, alert, comment: str) -> RiskAlert:
    """Open or acknowledged > false positive; the comment (required) says why the rule was wrong."""
    alert = _reachable(user, alert)
    comment = clean_text(comment, "comment", required=True, max_length=NOTE_MAX)
    return _move(user, alert, AlertStatus.FALSE_POSITIVE, comment)


@transaction.atomic
def alert_assign(user, alert, assignee) -> RiskAlert:
    """Give an open alert to a member of staff who can see it (None: nobody). `assignee` is a user
    or a user id; someone without a role, inactive, or who cannot see the alert is refused (named
    like an unknown user, so the answer says nothing about the alert's other readers)."""
    alert = _reachable(user, alert)
    if not alert.is_open:
        raise ValidationError({"assignee": _("A closed alert is not assigned.")}, code="closed")
    target = None
    if assignee not in (None, ""):
        pk = getattr(assignee, "pk", assignee)
        try:
            pk = int(pk)
        except (TypeError, ValueError):
            raise ValidationError({"assignee": _("Choose a member of staff.")}, code="invalid") from None
        target = get_user_model().objects.filter(pk=pk, is_active=True).first()
        if target is None or scope_for(target).sees_nothing or not RiskAlert.objects.for_user(target).filter(
                pk=alert.pk).exists():
            raise ValidationError({"assignee": _("Choose a member of staff who can see this alert.")},
                                  code="invalid")
    if alert.assignee_id == (target.pk if target else None):
        return alert
    _baseline(alert)
    alert.assignee = target
    set_history_user(alert, user)
    alert.save(update_fields=["assignee"])
    return alert


@transaction.atomic
def alert_comment(user, alert, text: str) -> AlertComment:
    """A comment on an alert, open or closed."""
    alert = _reachable(user, alert)
    text = clean_text(text, "text", required=True, max_length=COMMENT_MAX)
    return AlertComment.objects.create(alert=alert, author=user, text=text)
