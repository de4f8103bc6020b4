"""Reads of the risk side for pages and API (alerts' panels and the group risk level).

A group's risk level is the highest severity among its open (open or acknowledged) alerts: alerts
whose enterprise is a member of the group, or whose group is the group. No open alert: "none". The
level is a fact about the group, shown to whoever sees the group page (the alerts themselves are
listed through RiskAlert.objects.for_user)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Max, Q
from django.utils.translation import gettext_lazy as _

from clients.models import GroupMembership
from risk.models import OPEN_STATUSES, RiskAlert, Severity

LEVELS = {0: ("none", _("None")), **{s.value: (s.name.lower(), s.label) for s in Severity}}
PANEL_ROWS = 10


@dataclass(frozen=True)
class RiskLevel:
    value: int  # 0 (none) to 4 (critical)

    @property
    def code(self) -> str:
        return LEVELS[self.value][0]

    @property
    def label(self):
        return LEVELS[self.value][1]

    def __str__(self):
        return str(self.label)


def _group_alerts_q(group_ids) -> Q:
    members = GroupMembership.objects.filter(group_id__in=group_ids).values("enterprise_id")
    return Q(group_id__in=group_ids) | Q(enterprise_id__in=members)


def group_risk_level(group) -> RiskLevel:
    """The group's level: the highest open severity (one query)."""
    gid = getattr(group, "pk", group)
    top = RiskAlert.objects.filter(status__in=OPEN_STATUSES).filter(_group_alerts_q([gid])).aggregate(
        m=Max("severity"))["m"]
    return RiskLevel(top or 0)


def group_risk_levels(group_ids) -> dict[int, RiskLevel]:
    """{group id: level} for a list of groups, one query (set-based: alerts joined to memberships)."""
    group_ids = [getattr(g, "pk", g) for g in group_ids]
    if not group_ids:
        return {}
    out = {g: RiskLevel(0) for g in group_ids}
    open_alerts = RiskAlert.objects.filter(status__in=OPEN_STATUSES)
    by_group = open_alerts.filter(group_id__in=group_ids).values("group_id").annotate(m=Max("severity"))
    by_member = (GroupMembership.objects.filter(group_id__in=group_ids,
                                                enterprise__risk_alerts__status__in=OPEN_STATUSES)
                 .values("group_id").annotate(m=Max("enterprise__risk_alerts__severity")))
    for row in by_group.union(by_member, all=True):
        out[row["group_id"]] = RiskLevel(max(out[row["group_id"]].value, row["m"] or 0))
    return out


def open_alerts_of_group(user, group):
    """The group's open alerts the user may see, most severe first."""
    return (RiskAlert.objects.for_user(user).open().filter(_group_alerts_q([group.pk]))
            .select_related("enterprise", "assignee__profile").order_by("-severity", "opened_at", "pk"))


def open_alerts_of_enterprise(user, enterprise):
    return (RiskAlert.objects.for_user(user).open()
            .filter(Q(enterprise=enterprise) | Q(parties__enterprise=enterprise)).distinct()
            .select_related("enterprise", "assignee__profile").order_by("-severity", "opened_at", "pk"))


def open_by_severity(user) -> list[dict]:
    """The user's open alerts counted by severity, highest first (one query), every level listed."""
    counts = dict(RiskAlert.objects.for_user(user).open().order_by().values_list("severity")
                  .annotate(n=Count("pk")).values_list("severity", "n"))
    return [{"severity": s, "code": s.name.lower(), "label": s.label, "n": counts.get(s.value, 0)}
            for s in sorted(Severity, reverse=True)]


def my_alerts(user, rows: int = PANEL_ROWS) -> list:
    """The RM workbench's "My alerts": open alerts on the user's full record or groups, those assigned
    to them first, then by severity and age."""
    from django.db.models import Case, IntegerField, Value, When

    return list(RiskAlert.objects.for_user(user).open()
                .annotate(mine=Case(When(assignee_id=user.pk, then=Value(0)), default=Value(1),
                                    output_field=IntegerField()))
                .select_related("enterprise", "group", "assignee__profile")
                .order_by("mine", "-severity", "opened_at", "pk")[:rows])


def newest_high(user, rows: int = PANEL_ROWS) -> list:
    """The newest open alerts of high or critical severity (risk officer's landing)."""
    return list(RiskAlert.objects.for_user(user).open().filter(severity__gte=Severity.HIGH)
                .select_related("enterprise", "group").order_by("-opened_at", "-pk")[:rows])
