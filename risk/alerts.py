"""An alert's life, as the engine writes it (`sync`). People's actions on alerts (acknowledge, assign,
comment, resolve, false positive) live in `risk.alert_actions`.

`sync(rule, findings, in_scope)` writes one rule's findings for one evaluation, set-based:

- one open (open or acknowledged) alert per rule and subject (`subject_key`): a finding whose subject
  has an open alert updates its severity, evidence, figures, group and path when they changed (and
  `refreshed_at`: when the evidence last changed), and keeps its status, assignee and comments;
- a finding with no open alert opens one, unless a person closed an alert on that subject while the
  condition held (`suppresses`) and the severity has not risen above the closed one's: closing an
  alert is not undone by the next night's run on the same evidence;
- an open alert of the rule in `in_scope` that the evaluation did not find again has cleared: it is
  resolved, with a note saying so and no person as its resolver; a closed alert that held back new
  ones stops doing so once its condition has cleared (a later recurrence opens a new alert);
- same input, same rows: a rerun over unchanged data writes nothing.

Writes keep history (simple_history rows dated by the run). Alert writes of concurrent runs queue
behind one transaction-scoped advisory lock, so two runs never open the same alert twice."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from core.jobs import transaction_lock
from risk.models import OPEN_STATUSES, AlertParty, AlertStatus, RiskAlert
from risk.rules import Finding

LOCK = "risk_alerts"
AUTO_RESOLVED_NOTE = "条件已消除，系统自动解除。The condition cleared; resolved automatically."
COUNT_KEYS = ("opened", "updated", "resolved", "held_back")
UPDATE_FIELDS = ["severity", "evidence", "evidence_en", "figures", "group", "enterprise", "refreshed_at"]


def _path_of(alert_id: int, paths: dict[int, tuple[int, ...]]) -> tuple[int, ...]:
    return paths.get(alert_id, ())


@transaction.atomic
def sync(rule: str, findings: list[Finding], in_scope: Q, *, now=None) -> dict:
    """Write one rule's findings over the scope `in_scope` selects (see the module docstring).
    Returns counts: opened, updated, resolved, held_back."""
    now = now or timezone.now()
    counts = dict.fromkeys(COUNT_KEYS, 0)
    transaction_lock(LOCK)
    by_key: dict[str, Finding] = {}
    for f in findings:
        kept = by_key.get(f.subject_key)
        if kept is None or f.severity > kept.severity:
            by_key[f.subject_key] = f
    keys = list(by_key)

    mine = RiskAlert.objects.filter(rule=rule)
    relevant = Q(status__in=OPEN_STATUSES) | Q(suppresses=True)
    # The open and holding-back alerts the scope answers for, and any with a subject found now.
    rows = list(mine.filter(relevant).filter(Q(pk__in=mine.filter(in_scope).values("pk")) | Q(subject_key__in=keys)))
    in_scope_ids = set(mine.filter(in_scope).filter(relevant).values_list("pk", flat=True)) if rows else set()
    paths: dict[int, tuple[int, ...]] = {}
    if rows:
        for alert_id, enterprise_id in (AlertParty.objects.filter(alert_id__in=[a.pk for a in rows])
                                        .order_by("alert_id", "position").values_list("alert_id", "enterprise_id")):
            paths[alert_id] = (*paths.get(alert_id, ()), enterprise_id)
    open_by_key = {a.subject_key: a for a in rows if a.status in OPEN_STATUSES}
    holding = {}
    for a in rows:
        if a.suppresses and a.status not in OPEN_STATUSES:
            kept = holding.get(a.subject_key)
            if kept is None or a.severity > kept.severity:
                holding[a.subject_key] = a

    to_create: list[RiskAlert] = []
    to_update: list[RiskAlert] = []
    new_paths: dict[str, tuple[int, ...]] = {}
    changed_paths: dict[int, tuple[int, ...]] = {}
    release: list[RiskAlert] = []
    for key, f in by_key.items():
        parties = f.parties()
        alert = open_by_key.get(key)
        if alert is not None:
            if (alert.severity, alert.evidence, alert.evidence_en, alert.figures, alert.group_id,
                    alert.enterprise_id) != (f.severity, f.evidence, f.evidence_en, f.figures, f.group_id,
                                             f.enterprise_id) or _path_of(alert.pk, paths) != parties:
                alert.severity, alert.evidence, alert.evidence_en = f.severity, f.evidence, f.evidence_en
                alert.figures, alert.group_id, alert.enterprise_id = f.figures, f.group_id, f.enterprise_id
                alert.refreshed_at = now
                to_update.append(alert)
                if _path_of(alert.pk, paths) != parties:
                    changed_paths[alert.pk] = parties
            continue
        held = holding.get(key)
        if held is not None and f.severity <= held.severity:
            counts["held_back"] += 1
            continue
        if held is not None:
            held.suppresses = False
            release.append(held)
        to_create.append(RiskAlert(rule=rule, subject_key=key, enterprise_id=f.enterprise_id, group_id=f.group_id,
                                   severity=f.severity, evidence=f.evidence, evidence_en=f.evidence_en,
                                   figures=f.figures, opened_at=now, refreshed_at=now))
        new_paths[key] = parties

    resolved: list[RiskAlert] = []
    for a in rows:
        if a.pk not in in_scope_ids or a.subject_key in by_key:
            continue
        if a.status in OPEN_STATUSES:
            a.status = AlertStatus.RESOLVED
            a.status_changed_at = now
            a.status_changed_by = None
            a.resolution_note = AUTO_RESOLVED_NOTE
            resolved.append(a)
        elif a.suppresses:
            a.suppresses = False
            release.append(a)

    if to_create:
        created = bulk_create_with_history(to_create, RiskAlert, default_date=now)
        if any(c.pk is None for c in created):  # not PostgreSQL: read the ids back
            ids = dict(RiskAlert.objects.filter(rule=rule, subject_key__in=[c.subject_key for c in created],
                                                status=AlertStatus.OPEN).values_list("subject_key", "pk"))
            for c in created:
                c.pk = ids[c.subject_key]
        AlertParty.objects.bulk_create([
            AlertParty(alert_id=c.pk, enterprise_id=e, position=i)
            for c in created for i, e in enumerate(new_paths[c.subject_key])])
    if to_update:
        bulk_update_with_history(to_update, RiskAlert, UPDATE_FIELDS, default_date=now)
    if changed_paths:
        AlertParty.objects.filter(alert_id__in=list(changed_paths)).delete()
        AlertParty.objects.bulk_create([AlertParty(alert_id=pk, enterprise_id=e, position=i)
                                        for pk, path in changed_paths.items() for i, e in enumerate(path)])
    if resolved:
        bulk_update_with_history(resolved, RiskAlert, ["status", "status_changed_at", "status_changed_by",
                                                       "resolution_note"],
                                 default_date=now, default_change_reason="condition cleared")
    if release:
        RiskAlert.objects.filter(pk__in=[a.pk for a in release]).update(suppresses=False)
    counts["opened"] = len(to_create)
    counts["updated"] = len(to_update)
    counts["resolved"] = len(resolved)
    return counts
