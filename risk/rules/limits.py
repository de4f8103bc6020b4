"""`limit_breach` and `limit_warning`: the limits of issue 10 part 2 held against the exposure
(risk.exposure says how exposure, roll-up and use are computed).

Levels, and the alert each one feeds (one alert per rule and subject, listing every level concerned):

- the group (subject `group_key`, `group_id` set): its exposure against its unified credit limit, against
  `group_pct` % of net capital and `connected_group_pct` % of tier-1 capital, and its related members'
  exposure against `related_group_pct` % of net capital;
- a member (subject `enterprise_key`, `group_id` its group): its own facilities' exposure against its
  sub-limit, any facility drawn above its own limit, its exposure against `client_pct` % of net capital
  and, for a related party, `related_client_pct` %;
- the bank (subject `bank:related`, full runs only): all related parties against `related_total_pct` %.

Breach: use above 100 % (a facility: drawn above its limit), severity critical for the regulator's
concentration caps and for a limit overrun by `critical_over_pct` points or more, high otherwise.
Warning: use at or above RiskSettings.warning_pct (default 90 %) and not above 100 %, severity medium.
Set-based: one statement for every member of the groups in scope, one for the groups, one for the bank.
"""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.rulekit import Param, Scope, Unit, fetch
from risk.exposure import (
    BREACH,
    WARNING,
    cap,
    group_figures_sql,
    level_of,
    member_figures_sql,
    pct,
    related_total,
)
from risk.rules import Finding, Rule, Severity, enterprise_key, group_key, register
from services.rules import en, zh

BANK_RELATED = "bank:related"


def _groups_where(scope: Scope) -> tuple[str, dict]:
    """Groups with a member in the scope (all groups on a full run)."""
    from clients.models import GroupMembership

    if scope.ids is None and scope.lo is None:
        return "TRUE", {}
    table = GroupMembership._meta.db_table
    if scope.ids is not None:
        return f"g.id IN (SELECT group_id FROM {table} WHERE enterprise_id = ANY(%(ids)s))", {"ids": list(scope.ids)}
    return (f"g.id IN (SELECT group_id FROM {table} WHERE enterprise_id BETWEEN %(lo)s AND %(hi)s)",
            {"lo": scope.lo, "hi": scope.hi})


def in_scope(scope: Scope) -> Q:
    """The alerts an evaluation of `scope` answers for: those about the groups touching the scope's
    enterprises and about their members (all of the rule's alerts on a full run)."""
    if scope.ids is None and scope.lo is None:
        return Q()
    from clients.models import GroupMembership

    if scope.ids is not None:
        touched = GroupMembership.objects.filter(enterprise_id__in=list(scope.ids)).values("group_id")
        own = Q(enterprise_id__in=list(scope.ids))
    else:
        touched = GroupMembership.objects.filter(enterprise_id__gte=scope.lo, enterprise_id__lte=scope.hi).values("group_id")
        own = Q(enterprise_id__gte=scope.lo, enterprise_id__lte=scope.hi)
    members = GroupMembership.objects.filter(group_id__in=touched).values("enterprise_id")
    return (Q(group_id__in=touched) | own | Q(enterprise_id__in=members)) & ~Q(subject_key=BANK_RELATED)


class _Level:
    """One limit level's reading: what, used, limit (CNY), use %."""

    def __init__(self, code, zh_label, en_label, used, limit, *, regulatory=False):
        self.code, self.zh_label, self.en_label = code, zh_label, en_label
        self.used, self.limit = Decimal(used), Decimal(limit)
        self.use = pct(self.used, self.limit)
        self.regulatory = regulatory

    def text(self):
        if self.code == "unified_missing":
            return (f"集团未核定统一授信额度，已用信{zh(self.used)}",
                    f"no unified credit limit on file, {en(self.used)} drawn")
        return (f"{self.zh_label}：已用信{zh(self.used)}，额度{zh(self.limit)}，额度使用率{self.use}%",
                f"{self.en_label}: {en(self.used)} used of {en(self.limit)}, {self.use}%")

    def figures(self):
        if self.code == "unified_missing":
            return {"level": self.code, "used": str(self.used), "limit": "0"}
        return {"level": self.code, "used": str(self.used), "limit": str(self.limit), "use_pct": str(self.use)}


def _collect(scope: Scope, warning_pct: Decimal):
    """Every level of every subject in scope: {subject: (enterprise_id, group_id, [levels])}."""
    from risk.models import RelatedParty, RiskSettings

    conf = RiskSettings.current()
    where, params = _groups_where(scope)
    params = {**params, "day": scope.as_of}
    subjects: dict[str, tuple[int | None, int | None, list]] = {}
    related = set(RelatedParty.objects.values_list("enterprise_id", flat=True))
    client_cap = cap(conf.net_capital, conf.client_pct)
    related_client_cap = cap(conf.net_capital, conf.related_client_pct)
    for (group_id, enterprise_id, _via, _depth, drawn, _committed, _unconv, overdrawn, sub_amount,
         _subtree) in fetch(member_figures_sql(where), params):
        levels = []
        drawn = Decimal(drawn)
        if sub_amount is not None:
            levels.append(_Level("sub_limit", "成员子额度", "member sub-limit", drawn, sub_amount))
        if client_cap > 0:
            levels.append(_Level("client_net_capital", "单一客户贷款/资本净额", "one client / net capital", drawn,
                                 client_cap, regulatory=True))
        if enterprise_id in related and related_client_cap > 0:
            levels.append(_Level("related_client", "单一关联方/资本净额", "one related party / net capital", drawn,
                                 related_client_cap, regulatory=True))
        if overdrawn:
            od = _Level("facility", "授信业务", "facility", 101, 100)
            od.overdrawn = int(overdrawn)
            levels.append(od)
        key = enterprise_key(enterprise_id)
        if key in subjects:  # a member of two groups: one alert, on the first group
            subjects[key][2].extend(lv for lv in levels if lv.code == "sub_limit")
        else:
            subjects[key] = (enterprise_id, group_id, levels)
    group_cap = cap(conf.net_capital, conf.group_pct)
    connected_cap = cap(conf.tier1_capital, conf.connected_group_pct)
    related_group_cap = cap(conf.net_capital, conf.related_group_pct)
    for group_id, unified, exposure, _committed, _allocated, related_used, _unconv in fetch(
            group_figures_sql(where), params):
        levels = []
        if unified and Decimal(unified) > 0:
            levels.append(_Level("unified", "集团统一授信额度", "group unified credit limit", exposure, unified))
        elif Decimal(exposure) > 0:
            # Facilities without a unified credit limit: a breach of unified credit (统一授信) itself.
            levels.append(_Level("unified_missing", "集团统一授信额度", "group unified credit limit", exposure,
                                 Decimal("0.01")))
        if group_cap > 0:
            levels.append(_Level("group_net_capital", "一个集团客户授信/资本净额", "one group client / net capital",
                                 exposure, group_cap, regulatory=True))
        if connected_cap > 0:
            levels.append(_Level("connected_tier1", "一组关联客户风险暴露/一级资本净额",
                                 "connected clients / tier-1 capital", exposure, connected_cap, regulatory=True))
        if Decimal(related_used) > 0 and related_group_cap > 0:
            levels.append(_Level("related_group", "关联集团/资本净额", "one related group / net capital",
                                 related_used, related_group_cap, regulatory=True))
        subjects[group_key(group_id)] = (None, group_id, levels)
    related_total_cap = cap(conf.net_capital, conf.related_total_pct)
    if scope.ids is None and scope.lo is None and related and related_total_cap > 0:
        subjects[BANK_RELATED] = (None, None, [_Level("related_total", "全部关联方/资本净额",
                                                      "all related parties / net capital",
                                                      related_total(scope.as_of), related_total_cap, regulatory=True)])
    return subjects


def _findings(scope: Scope, params: dict, want: str) -> list[Finding]:
    from risk.models import RiskSettings

    warning_pct = Decimal(RiskSettings.current().warning_pct)
    critical_over = Decimal(str(params.get("critical_over_pct", "10")))
    out = []
    for key, (enterprise_id, group_id, levels) in _collect(scope, warning_pct).items():
        hits = []
        for lv in levels:
            if lv.code == "facility":
                if want == BREACH:
                    hits.append(lv)
                continue
            if level_of(lv.used, lv.limit, warning_pct) == want:
                hits.append(lv)
        if not hits:
            continue
        severity = Severity.MEDIUM
        if want == BREACH:
            severity = Severity.HIGH
            if any(lv.regulatory or (lv.code not in ("facility", "unified_missing") and lv.use - 100 >= critical_over)
                   for lv in hits):
                severity = Severity.CRITICAL
        zh_parts, en_parts = [], []
        for lv in hits:
            if lv.code == "facility":
                zh_parts.append(f"{lv.overdrawn}笔授信业务用信超过其额度")
                en_parts.append(f"{lv.overdrawn} facility(ies) drawn above their limit")
            else:
                z, e = lv.text()
                zh_parts.append(z)
                en_parts.append(e)
        head_zh = "超限" if want == BREACH else f"额度使用达到预警线{warning_pct}%"
        head_en = "Limit breached" if want == BREACH else f"Limit use at or above the warning level of {warning_pct}%"
        figures = {"warning_pct": str(warning_pct), "levels": [
            {"level": "facility", "overdrawn": lv.overdrawn} if lv.code == "facility" else lv.figures() for lv in hits]}
        out.append(Finding(subject_key=key, severity=int(severity), evidence=f"{head_zh}：" + "；".join(zh_parts) + "。",
                           evidence_en=f"{head_en}: " + "; ".join(en_parts) + ".", enterprise_id=enterprise_id,
                           group_id=group_id, figures=figures))
    return out


def evaluate_breach(scope: Scope, params: dict) -> list[Finding]:
    return _findings(scope, params, BREACH)


def evaluate_warning(scope: Scope, params: dict) -> list[Finding]:
    return _findings(scope, params, WARNING)


register_breach = register(Rule(
    code="limit_breach",
    label=_("Limit breached"),
    description=_("A group over its unified credit limit, a member over its sub-limit, a facility drawn above its "
                  "limit, or exposure over a concentration limit (against net capital: one client 10 %, one group "
                  "client 15 %, related parties 10 % / 15 % / 50 %; against tier-1 capital: connected clients 20 %)."),
    params=(Param("critical_over_pct", _("critical when over the limit by"), Unit.PCT, "10", 0, 1000),),
    evaluate=evaluate_breach, in_scope=in_scope, chunked=False,
))

register_warning = register(Rule(
    code="limit_warning",
    label=_("Limit use at the warning level"),
    description=_("Use of any of those limits at or above the warning level of the concentration settings "
                  "(default 90 %) and not over it."),
    params=(),
    evaluate=evaluate_warning, in_scope=in_scope, chunked=False,
))
