"""The early-warning rules (issue 10 section 4; risk.engine runs them, risk.alerts writes what they find).

Each rule is a small named unit in a module of this package (every module here is loaded by `load`):
a code, a label and a description (both translated), its thresholds with defaults, units and ranges
(core.rulekit.Param), and an `evaluate(scope, params)` returning `Finding`s: a subject (an enterprise,
a group, or a path of enterprises), a severity, the figures, the evidence in Chinese and English.

- `in_scope(scope)` says which of the rule's alerts an evaluation of `scope` answers for: an open one
  among them that the evaluation does not find again has cleared and is resolved (risk.alerts.sync).
  The default: alerts whose subject enterprise is in the scope.
- `chunked` rules run once per chunk of enterprise ids (one transaction each); graph rules
  (`chunked=False`) run once per run over the whole edge list (`scope.ids` set for an incremental run,
  None for a full one) and say themselves which findings touch the scope.
- `stage`: the engine runs lower stages first; `contagion` (stage 1) reads the open high-severity
  alerts the others (stage 0) left.

Head office edits thresholds and on/off (`risk.AlertRule`, the page /risk/rules/ and the API
alert-rules); `validate_params` checks every value against its range before anything is saved."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db.models import Q

from core.rulekit import Param, Scope, Unit, dec, fetch, validate  # noqa: F401 (re-exported for the rules)
from risk.models import Severity  # noqa: F401 (re-exported for the rules)


def enterprise_key(enterprise_id: int) -> str:
    return f"e:{enterprise_id}"


def group_key(group_id: int) -> str:
    return f"g:{group_id}"


def path_key(kind: str, enterprise_ids) -> str:
    """A path's subject key, e.g. `cycle:3-8-5` (the caller puts the ids in canonical order)."""
    return f"{kind}:" + "-".join(str(int(i)) for i in enterprise_ids)


@dataclass(frozen=True)
class Finding:
    """What a rule found about one subject. `path`: the enterprises in order (a cycle, a contagion
    path); empty means just the subject enterprise. Everyone whose full record holds one of them sees
    the alert. `figures` must be JSON (numbers as strings or ints)."""

    subject_key: str
    severity: int
    evidence: str
    evidence_en: str
    enterprise_id: int | None = None
    group_id: int | None = None
    figures: dict = field(default_factory=dict)
    path: tuple[int, ...] = ()

    def parties(self) -> tuple[int, ...]:
        if self.path:
            return tuple(self.path)
        return (self.enterprise_id,) if self.enterprise_id else ()


def enterprise_scope(scope: Scope) -> Q:
    """The rule's alerts whose subject enterprise the scope covers."""
    if scope.ids is not None:
        return Q(enterprise_id__in=list(scope.ids))
    if scope.lo is not None:
        return Q(enterprise_id__gte=scope.lo, enterprise_id__lte=scope.hi)  # a foreign key has no __range
    return Q()


def party_scope(scope: Scope) -> Q:
    """The rule's alerts with an enterprise of the scope on their path (graph rules)."""
    from risk.models import AlertParty

    if scope.ids is not None:
        return Q(pk__in=AlertParty.objects.filter(enterprise_id__in=list(scope.ids)).values("alert_id"))
    if scope.lo is not None:
        return Q(pk__in=AlertParty.objects.filter(enterprise_id__gte=scope.lo, enterprise_id__lte=scope.hi).values("alert_id"))
    return Q()


@dataclass(frozen=True)
class Rule:
    code: str
    label: object
    description: object
    params: tuple[Param, ...]
    evaluate: Callable[[Scope, dict], list[Finding]] = field(repr=False)
    in_scope: Callable[[Scope], Q] = field(default=enterprise_scope, repr=False)
    chunked: bool = True
    stage: int = 0

    def defaults(self) -> dict:
        return {p.key: p.clean(p.default) for p in self.params}


RULES: dict[str, Rule] = {}


def register(rule: Rule) -> Rule:
    RULES[rule.code] = rule
    return rule


def load() -> dict[str, Rule]:
    """Import every rule module of this package (each registers its rules)."""
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")
    return RULES


def validate_params(code: str, data: dict) -> dict:
    """Every threshold of rule `code`, cleaned; missing keys take their defaults, unknown keys are
    refused. Raises ValidationError naming each bad field (KeyError for an unknown rule)."""
    return validate(load()[code].params, data)


def settings_for() -> dict[str, tuple[bool, dict]]:
    """{rule code: (enabled, thresholds)} as head office set them (defaults where unset). One query."""
    from risk.models import AlertRule

    stored = {s.code: s for s in AlertRule.objects.all()}
    out = {}
    for code in load():
        s = stored.get(code)
        try:
            params = validate_params(code, s.params if s else {})
        except ValidationError:
            params = validate_params(code, {})  # a hand-edited row out of range: the defaults
        out[code] = (s.enabled if s else True, params)
    return out
