"""A need's life (DESIGN.md section 2, issue 9 section 4).

People move a need through `need_set_status` (new > contacted > converted or dismissed, with a reason
for dismissing) and record needs by hand from a visit or an interview (`need_record`, rule "manual").
Both need the enterprise in the user's full record (out of reach answers like a missing need) and a
role that edits client data (risk officers read).

The engine writes through `upsert` (one rule, one chunk of enterprises, set-based):

- one need per (enterprise, product, rule); a re-run updates score, value, evidence, figures, basis
  and group of new and contacted needs and keeps their status; only needs whose figures changed are
  written (and get a new `refreshed_at`: when the evidence last changed; the run itself is a
  core.JobRun), so a nightly run over unchanged data writes nothing;
- a need the rule no longer finds stays, with `is_current` False (it leaves the workbench);
- a dismissed need stays dismissed unless its basis reached the basis when dismissed x the re-raise
  factor (head office's, default 1.5: grown by 50 %); then it is new again and its evidence says
  "raised again: the evidence grew from X to Y"; converted needs are never raised again;
- same input, same rows: every column but `refreshed_at` is a function of the data."""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.history import set_history_user
from core.permissions import ensure_can_edit_clients
from core.text import clean_text, text_problem
from services.models import MANUAL_RULE, NEED_TRANSITIONS, Need, NeedStatus, Product

REASON_MAX = 500
EVIDENCE_MAX = 2000
VALUE_MAX = Decimal("1e17")


def _reachable(user, need: Need) -> Need:
    """The need, locked, if the user may see it; otherwise Need.DoesNotExist (a 404, like a missing one)."""
    return Need.objects.for_user(user).select_for_update(of=("self",)).get(pk=need.pk)


def _baseline(need: Need) -> None:
    """Engine-written needs have no history row yet: record the state before the first change by a
    person, so the history shows its diff."""
    if not need.history.exists():
        Need.history.bulk_history_create([need], default_date=need.refreshed_at)


@transaction.atomic
def need_set_status(user, need: Need, status: str, reason: str = "") -> Need:
    ensure_can_edit_clients(user)
    need = _reachable(user, need)
    if status not in NeedStatus.values:
        raise ValidationError({"status": _("Choose one of: new, contacted, converted, dismissed.")}, code="invalid")
    reason = clean_text(reason, "reason", required=status == NeedStatus.DISMISSED, max_length=REASON_MAX)
    if status not in NEED_TRANSITIONS[NeedStatus(need.status)]:
        raise ValidationError({"status": _("A %(from)s need cannot become %(to)s.") % {
            "from": NeedStatus(need.status).label, "to": NeedStatus(status).label}}, code="transition")
    _baseline(need)
    need.status = status
    need.status_reason = reason
    need.status_changed_at = timezone.now()
    need.status_changed_by = user
    if status == NeedStatus.DISMISSED:
        need.dismissed_basis = need.basis
    set_history_user(need, user, reason or None)
    need.save(update_fields=["status", "status_reason", "status_changed_at", "status_changed_by",
                             "dismissed_basis"])
    return need


def _number(value, field: str, *, integer: bool = False) -> Decimal:
    if isinstance(value, bool) or value is None or (isinstance(value, str) and not value.strip()):
        raise ValidationError({field: _("Enter a number.")}, code="invalid")
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError({field: _("Enter a number.")}, code="invalid") from None
    if not number.is_finite():
        raise ValidationError({field: _("Enter a number.")}, code="invalid")
    if integer and number != number.to_integral_value():
        raise ValidationError({field: _("Enter a whole number.")}, code="invalid")
    return number


@transaction.atomic
def need_record(user, *, enterprise, product, score, value, evidence, group=None) -> Need:
    """A need an RM found in a visit or an interview: the same fields as the engine's, rule "manual"."""
    from clients.access import Reach, groups_in_reach, in_full_record, resolve_enterprise
    from clients.models import Enterprise, GroupClient
    from services.rules import fetch, group_of_sql

    ensure_can_edit_clients(user)
    errors: dict[str, list] = {}

    def attempt(field, fn):
        try:
            return fn()
        except ValidationError as exc:
            for message in exc.messages:
                errors.setdefault(field, []).append(message)
            return None

    def _enterprise():
        if isinstance(enterprise, Enterprise):
            if not in_full_record(user, enterprise):
                raise ValidationError(_("No enterprise with this credit code is in your clients."), code="unknown")
            return enterprise
        if not isinstance(enterprise, str):
            raise ValidationError(_("Enter a credit code."), code="invalid")
        return resolve_enterprise(user, enterprise, reach=Reach.FULL)

    def _product():
        if isinstance(product, Product):
            return product
        if not isinstance(product, str) or text_problem(product):
            raise ValidationError(_("Enter a product code."), code="invalid")
        found = Product.objects.filter(code=product.strip(), active=True).first()
        if found is None:
            raise ValidationError(_("No active product has the code %(code)s.") % {"code": product.strip()[:40]},
                                  code="unknown")
        return found

    def _score():
        n = _number(score, "score", integer=True)
        if not 0 <= n <= 100:
            raise ValidationError(_("The score is between 0 and 100."), code="range")
        return int(n)

    def _value():
        n = _number(value, "value")
        if n < 0:
            raise ValidationError(_("The value cannot be negative."), code="range")
        if n >= VALUE_MAX:
            raise ValidationError(_("The value is too large."), code="range")
        return n.quantize(Decimal("0.01"))

    def _group():
        if group is None or group == "":
            return None
        pk = group.pk if isinstance(group, GroupClient) else group
        if isinstance(pk, bool) or not isinstance(pk, int):
            raise ValidationError(_("Choose a group client."), code="invalid")
        found = groups_in_reach(user).filter(pk=pk).first()
        if found is None:
            raise ValidationError(_("No such group client among yours."), code="unknown")
        return found

    ent = attempt("enterprise", _enterprise)
    prod = attempt("product", _product)
    sc = attempt("score", _score)
    val = attempt("value", lambda: _number(value, "value") and _value())
    ev = attempt("evidence", lambda: clean_text(evidence, "evidence", required=True, max_length=EVIDENCE_MAX))
    grp = attempt("group", _group)
    if errors:
        raise ValidationError(errors)
    group_id = grp.pk if grp else fetch(f"SELECT {group_of_sql('%s')}", [ent.pk, ent.pk])[0][0]
    need = Need(enterprise=ent, group_id=group_id, product=prod, rule=MANUAL_RULE, score=sc, value=val,
                evidence=ev, basis=val, recorded_by=user)
    set_history_user(need, user)
    need.save()
    return need


# --- the engine's writes ----------------------------------------------------------------------------------


def upsert(rule_code: str, product_id: int, candidates: list, *, where: tuple[str, list], factor: Decimal,
           now=None, ids: list[int] | None = None, existing: dict | None = None) -> dict:
    """Write one rule's candidates for one chunk (see the module docstring). `where` is the SQL condition
    (on column `enterprise_id`) of the enterprises the rule looked at: needs of theirs it did not find
    lapse (`ids`, when given, are those enterprises: read by index probes; `existing`, when given, is
    what `read_existing` found for this rule, so several rules share one read). Returns counts: raised,
    updated (figures changed), re_raised, lapsed.

    One read of the rule's needs in the chunk (an index range), compared here; then only what differs
    is written: new needs in one INSERT, changed ones in one UPDATE, lapsed ones in one UPDATE."""
    from services.rules import en, zh

    table = Need._meta.db_table
    now = now or timezone.now()
    counts = {"raised": 0, "updated": 0, "re_raised": 0, "lapsed": 0}
    cond, cond_params = where
    with connection.cursor() as cursor:
        if existing is None and ids is not None:
            existing = read_existing(ids).get((rule_code, product_id), {})
        elif existing is None:
            cursor.execute(f"SELECT {_COLUMNS} FROM {table} WHERE rule = %s AND product_id = %s AND {cond}",
                           [rule_code, product_id, *cond_params])
            existing = {row[1]: row for row in cursor.fetchall()}
        new, changed, again = [], [], []
        found = set()
        for c in candidates:
            figures = json.dumps(c.figures, sort_keys=True, default=str)
            row = existing.get(c.enterprise_id)
            found.add(c.enterprise_id)
            if row is None:
                new.append((c, figures))
                continue
            pk, _e, status, dismissed_basis = row[:4]
            if status in OPEN_STATUSES and dismissed_basis is None:
                stored = (row[4], row[5], row[6], row[7], json.dumps(json.loads(row[8]), sort_keys=True), row[9],
                          row[10], row[11])
                if stored != (c.group_id, c.score, c.value, c.basis, figures, c.evidence, c.evidence_en, True):
                    changed.append((pk, c, figures))
            elif dismissed_basis is not None and (
                    status in OPEN_STATUSES
                    or (status == NeedStatus.DISMISSED and c.basis >= dismissed_basis * factor)):
                again.append((pk, c, figures))
        if new:
            cursor.execute(
                f"""INSERT INTO {table} (enterprise_id, group_id, product_id, rule, score, value, basis, figures,
                        evidence, evidence_en, status, status_reason, is_current, created_at, refreshed_at)
                    SELECT c.e, c.g, %s, %s, c.s, c.v, c.b, c.f, c.z, c.n, 'new', '', TRUE, %s, %s
                    FROM unnest(%s::bigint[], %s::bigint[], %s::int[], %s::numeric[], %s::numeric[], %s::jsonb[],
                                %s::text[], %s::text[]) AS c(e, g, s, v, b, f, z, n)
                    ON CONFLICT (enterprise_id, product_id, rule) WHERE NOT (rule = '{MANUAL_RULE}') DO NOTHING""",
                [product_id, rule_code, now, now, *_arrays([(c, f) for c, f in new])],
            )
            counts["raised"] = cursor.rowcount
        if changed:
            cursor.execute(
                f"""UPDATE {table} n SET group_id = c.g, score = c.s, value = c.v, basis = c.b, figures = c.f,
                        evidence = c.z, evidence_en = c.n, is_current = TRUE, refreshed_at = %s
                    FROM unnest(%s::bigint[], %s::bigint[], %s::int[], %s::numeric[], %s::numeric[], %s::jsonb[],
                                %s::text[], %s::text[]) AS c(id, g, s, v, b, f, z, n)
                    WHERE n.id = c.id AND n.status IN ('new', 'contacted')""",
                [now, [pk for pk, _c, _f in changed], *_arrays([(c, f) for _pk, c, f in changed])[1:]],
            )
            counts["updated"] = cursor.rowcount
        if again:
            counts["re_raised"] = _re_raise(again, now, zh, en)
            counts["updated"] += len(again) - counts["re_raised"]
        lapsed = [row[0] for e, row in existing.items()
                  if e not in found and row[11] and row[2] in OPEN_STATUSES]
        if lapsed:
            cursor.execute(f"UPDATE {table} SET is_current = FALSE WHERE id = ANY(%s)", [lapsed])
            counts["lapsed"] = cursor.rowcount
    return counts


OPEN_STATUSES = (NeedStatus.NEW, NeedStatus.CONTACTED)
_COLUMNS = ("id, enterprise_id, status, dismissed_basis, group_id, score, value, basis, figures::text, evidence, "
            "evidence_en, is_current")


def read_existing(ids) -> dict:
    """The engine's needs of these enterprises, every rule at once (index probes):
    {(rule, product id): {enterprise id: row}}."""
    table = Need._meta.db_table
    out: dict = {}
    with connection.cursor() as cursor:
        cursor.execute(f"""SELECT rule, product_id, {_COLUMNS} FROM unnest(%s::bigint[]) AS ids(e)
                           JOIN {table} ON enterprise_id = ids.e WHERE rule <> %s""", [list(ids), MANUAL_RULE])
        for row in cursor.fetchall():
            out.setdefault((row[0], row[1]), {})[row[3]] = row[2:]
    return out


def _arrays(pairs) -> list[list]:
    """Column arrays (enterprise, group, score, value, basis, figures, evidence zh, en) of candidates."""
    return [[c.enterprise_id for c, _f in pairs], [c.group_id for c, _f in pairs], [c.score for c, _f in pairs],
            [c.value for c, _f in pairs], [c.basis for c, _f in pairs], [f for _c, f in pairs],
            [c.evidence for c, _f in pairs], [c.evidence_en for c, _f in pairs]]


def _re_raise(rows, now, zh, en) -> int:
    """Rewrite needs raised again (or to be): the rule's figures, with the evidence saying how it grew.
    Dismissed ones become new (a history row records it); the others are updated in place. Returns how
    many were raised again now."""
    by_pk = {pk: (c, figures) for pk, c, figures in rows}
    raised = 0
    for need in Need.objects.filter(pk__in=list(by_pk)):
        c, figures = by_pk[need.pk]
        fields = {
            "group_id": c.group_id, "score": c.score, "value": c.value, "basis": c.basis,
            "figures": json.loads(figures), "is_current": True,
            "evidence": f"再次提示：依据由{zh(need.dismissed_basis)}增至{zh(c.basis)}；{c.evidence}",
            "evidence_en": f"raised again: the evidence grew from {en(need.dismissed_basis)} to "
                           f"{en(c.basis)}; {c.evidence_en}",
        }
        if need.status != NeedStatus.DISMISSED:
            if any(getattr(need, k) != v for k, v in fields.items()):
                Need.objects.filter(pk=need.pk).update(refreshed_at=now, **fields)
            continue
        _baseline(need)
        for name, value in fields.items():
            setattr(need, name, value)
        need.refreshed_at = now
        need.status, need.status_reason = NeedStatus.NEW, ""
        need.status_changed_at, need.status_changed_by = now, None
        set_history_user(need, None, "raised again")
        need.save()
        raised += 1
    return raised


# --- head office's settings of the rules ---------------------------------------------------------------------


@transaction.atomic
def rule_settings_update(user, rule: str, *, enabled: bool = True, params: dict | None = None):
    """Switch a rule on or off and set its thresholds (or, for rule services.rules.ENGINE, the engine's
    re-raise factor): head office only; values checked against each threshold's range; history kept."""
    from core.permissions import ensure_head_office
    from services.models import NeedRuleSetting
    from services.rules import ENGINE, RULES, load, validate_params

    ensure_head_office(user, _("Only head office sets the needs rules."))
    load()
    if rule != ENGINE and rule not in RULES:
        raise ValidationError({"rule": _("No such rule.")}, code="unknown")
    cleaned = validate_params(rule, params or {})
    setting = NeedRuleSetting.objects.select_for_update().filter(rule=rule).first() or NeedRuleSetting(rule=rule)
    setting.enabled = True if rule == ENGINE else bool(enabled)
    setting.params = cleaned
    set_history_user(setting, user)
    setting.save()
    return setting
