"""Pages of the alerts (issue 10 section 5): the queue with its filters (htmx), an alert's detail with
its evidence, path and actions (htmx: the actions panel comes back re-rendered), and the rules page
(every role reads; head office edits). Views are thin: risk.alert_actions, risk.rule_settings,
risk.visibility and risk.selectors do the work."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import django_filters
from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from clients.access import groups_in_reach
from core import money
from core.errors import apply_to_form
from core.forms import AmountField
from core.htmx import is_fragment, template_for
from core.permissions import is_head_office
from core.rulekit import RATINGS, UNIT_LABELS, Unit
from risk import alert_actions
from risk.models import AlertComment, AlertRule, AlertStatus, RiskAlert, Severity
from risk.rule_settings import alert_rule_update
from risk.visibility import alert_view, alert_views
from staff.models import Branch
from staff.scope import scope_for

PAGE_SIZE = 50
OPEN = "open"
ALL = "all"
MINE = "mine"
UNASSIGNED = "unassigned"


def _ensure_role(user) -> None:
    if scope_for(user).sees_nothing:
        raise PermissionDenied(_("Your role may not work risk alerts."))


def rule_labels() -> dict[str, object]:
    from risk.rules import load

    return {code: rule.label for code, rule in load().items()}


# --- the queue -----------------------------------------------------------------------------------------------


class AlertFilterSet(django_filters.FilterSet):
    severity = django_filters.ChoiceFilter(label=gettext_lazy("Severity"), choices=Severity.choices,
                                           empty_label=gettext_lazy("All"))
    rule = django_filters.ChoiceFilter(label=gettext_lazy("Rule"), empty_label=gettext_lazy("All"), choices=[])
    branch = django_filters.NumberFilter(label=gettext_lazy("Branch"), method="filter_branch", widget=forms.Select)
    group = django_filters.NumberFilter(label=gettext_lazy("Group client"), method="filter_group",
                                        widget=forms.Select)
    age = django_filters.NumberFilter(label=gettext_lazy("Open at least (days)"), method="filter_age",
                                      min_value=0, max_value=36500)
    status = django_filters.ChoiceFilter(label=gettext_lazy("Status"), method="filter_status", empty_label=None,
                                         choices=[(OPEN, gettext_lazy("Open or acknowledged")),
                                                  *AlertStatus.choices, (ALL, gettext_lazy("All"))])
    assignee = django_filters.ChoiceFilter(label=gettext_lazy("Assignee"), method="filter_assignee",
                                           empty_label=gettext_lazy("All"),
                                           choices=[(MINE, gettext_lazy("Mine")),
                                                    (UNASSIGNED, gettext_lazy("Nobody"))])

    class Meta:
        model = RiskAlert
        fields = ["severity", "rule", "branch", "group", "age", "status", "assignee"]

    def __init__(self, data=None, *args, user=None, **kwargs):
        data = data.copy() if data is not None else {}
        data.setdefault("status", OPEN)
        super().__init__(data, *args, **kwargs)
        self.user = user
        self.filters["rule"].extra["choices"] = sorted(rule_labels().items(), key=lambda kv: kv[0])
        self.form.fields["rule"].choices = [("", _("All")), *sorted(rule_labels().items(), key=lambda kv: kv[0])]
        groups = list(groups_in_reach(user).order_by("name").values_list("pk", "name")[:500])
        self.form.fields["group"].widget.choices = [("", _("All")), *groups]
        branches = list(Branch.objects.order_by("path").values_list("pk", "name"))
        self.form.fields["branch"].widget.choices = [("", _("All")), *branches]
        for name, field in self.form.fields.items():
            field.widget.attrs.setdefault("id", f"alerts-filter-{name}")

    def filter_branch(self, queryset, name, value):
        branch = Branch.objects.filter(pk=value).only("path").first()
        if branch is None:
            return queryset.none()
        return queryset.filter(Q(enterprise__branch__path__startswith=branch.path)
                               | Q(group__branch__path__startswith=branch.path))

    def filter_group(self, queryset, name, value):
        from clients.models import GroupMembership

        members = GroupMembership.objects.filter(group_id=value).values("enterprise_id")
        return queryset.filter(Q(group_id=value) | Q(enterprise_id__in=members))

    def filter_age(self, queryset, name, value):
        return queryset.filter(opened_at__lte=timezone.now() - dt.timedelta(days=int(value)))

    def filter_status(self, queryset, name, value):
        if value == OPEN:
            return queryset.open()
        if value == ALL:
            return queryset
        return queryset.filter(status=value)

    def filter_assignee(self, queryset, name, value):
        if value == MINE:
            return queryset.filter(assignee_id=self.user.pk)
        return queryset.filter(assignee__isnull=True)


class AlertQueueView(View):
    """The queue: most severe first, then the oldest; filters swap the results in place (htmx)."""

    def get(self, request):
        user = request.user
        _ensure_role(user)
        base = RiskAlert.objects.for_user(user).select_related("enterprise", "enterprise__branch", "group",
                                                                "assignee__profile")
        filterset = AlertFilterSet(request.GET, queryset=base, user=user)
        queryset = filterset.qs.order_by("-severity", "opened_at", "pk") if filterset.is_valid() else base.none()
        page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
        query = request.GET.copy()
        query.pop("page", None)
        context = {"filter": filterset, "page": page, "query": query.urlencode(), "rule_labels": rule_labels(),
                   "now": timezone.now()}
        return render(request, template_for(request, "risk/alerts_list.html", "risk/alerts_results.html"),
                      context)


# --- one alert -------------------------------------------------------------------------------------------------


def _get_alert(user, pk) -> RiskAlert:
    _ensure_role(user)
    alert = (RiskAlert.objects.for_user(user).select_related("enterprise", "enterprise__branch", "group",
                                                             "assignee__profile", "status_changed_by__profile")
             .filter(pk=pk).first())
    if alert is None:
        raise Http404
    return alert


def _assignees(user, alert):
    """Staff who can see the alert, for the assign select: the viewer's branch subtree's staff with a
    role (head office: all), capped; the service checks the choice again."""
    users = get_user_model().objects.filter(is_active=True, profile__role__isnull=False)
    scope = scope_for(user)
    if not scope.sees_all:
        users = users.filter(Q(profile__branch__path__startswith=scope.branch_path)
                             | Q(profile__role="hq_admin"))
    return list(users.select_related("profile").order_by("username")[:200])


WORK_FIELDS = {"status", "assignee", "resolution_note", "status_changed_by", "suppresses"}


def _detail_context(request, alert, error=None):
    from core.history import change_history

    view = alert_view(request.user, alert)
    # The history shows people's work and, to those who read the evidence, its changes; never the raw
    # figures (they may hold amounts of another branch's guarantees: risk.visibility).
    shown = WORK_FIELDS | ({"evidence", "evidence_en", "severity"} if view.evidence_visible else set())
    history = change_history(instance=alert)
    for entry in history:
        entry.changes = [c for c in entry.changes if c.field in shown]
    return {
        "view": view, "alert": alert, "rule_label": rule_labels().get(alert.rule, alert.rule),
        "comments": list(AlertComment.objects.filter(alert=alert).select_related("author__profile")),
        "history": history,
        "assignees": _assignees(request.user, alert) if alert.is_open else [],
        "action_error": error,
    }


class AlertDetailView(View):
    def get(self, request, pk):
        alert = _get_alert(request.user, pk)
        return render(request, "risk/alert_detail.html", _detail_context(request, alert))


ACTIONS = {
    "acknowledge": lambda user, alert, post: alert_actions.alert_acknowledge(user, alert, post.get("comment", "")),
    "resolve": lambda user, alert, post: alert_actions.alert_resolve(user, alert, post.get("comment", "")),
    "false-positive": lambda user, alert, post: alert_actions.alert_false_positive(user, alert,
                                                                                   post.get("comment", "")),
    "assign": lambda user, alert, post: alert_actions.alert_assign(user, alert, post.get("assignee") or None),
    "comment": lambda user, alert, post: alert_actions.alert_comment(user, alert, post.get("text", "")),
}


class AlertActionView(View):
    """POST one action; htmx gets the alert's work panel again (status, assignee, comments, buttons,
    history), a form post goes back to the detail page."""

    def post(self, request, pk, action):
        alert = _get_alert(request.user, pk)
        if action not in ACTIONS:
            raise Http404
        error = None
        try:
            ACTIONS[action](request.user, alert, request.POST)
        except ValidationError as exc:
            error = " ".join(m for msgs in exc.message_dict.values() for m in msgs) \
                if hasattr(exc, "error_dict") else " ".join(exc.messages)
        alert = _get_alert(request.user, pk)
        if is_fragment(request):
            return render(request, "risk/_alert_work.html", _detail_context(request, alert, error),
                          status=200)  # htmx swaps 2xx only: the error is in the panel
        if error:
            messages.error(request, error)
        return redirect("risk:alert_detail", pk=alert.pk)


# --- the rules page ----------------------------------------------------------------------------------------------


def _field_for(param):
    label = param.label
    low, high = (None if v is None else Decimal(str(v)) for v in (param.minimum, param.maximum))
    if param.unit == Unit.CNY:
        return AmountField(label=label, min_value=low, max_value=high, max_digits=19, decimal_places=2)
    if param.unit == Unit.RATING:
        return forms.ChoiceField(label=label, choices=[(r, r) for r in RATINGS])
    unit = UNIT_LABELS[param.unit]
    label = f"{label}（{unit}）" if money.chinese() else f"{label} ({unit})"
    if param.unit in (Unit.DAYS, Unit.COUNT, Unit.MONTHS):
        return forms.IntegerField(label=label, min_value=int(param.minimum) if param.minimum is not None else None,
                                  max_value=int(param.maximum) if param.maximum is not None else None)
    return forms.DecimalField(label=label, min_value=low, max_value=high, max_digits=12, decimal_places=4)


def rule_form(code, params, *, enabled=True, data=None):
    from risk.rules import load

    fields = {"enabled": forms.BooleanField(label=gettext_lazy("On"), required=False)}
    for p in load()[code].params:
        fields[p.key] = _field_for(p)
    form_class = type("AlertRuleForm", (forms.Form,), fields)
    return form_class(data, initial={**params, "enabled": enabled}, prefix=code)


class AlertRulesView(View):
    """Every role reads the early-warning rules, their descriptions and thresholds; head office
    changes them (history kept)."""

    def _context(self, request, bound=None):
        from risk.rules import load, settings_for

        conf = settings_for()
        rules = []
        for code, rule in sorted(load().items()):
            enabled, params = conf[code]
            form = bound[1] if bound and bound[0] == code else rule_form(code, params, enabled=enabled)
            rules.append({"rule": rule, "enabled": enabled, "form": form})
        history = AlertRule.history.select_related("history_user__profile").order_by("-history_date", "-history_id")[:20]
        return {"rules": rules, "can_edit": is_head_office(request.user), "history": history}

    def get(self, request):
        _ensure_role(request.user)
        return render(request, "risk/rules_settings.html", self._context(request))

    def post(self, request):
        from risk.rules import load, settings_for

        if not is_head_office(request.user):
            raise PermissionDenied(_("Only head office sets the early-warning rules."))
        code = request.POST.get("rule", "")
        if code not in load():
            return render(request, "risk/rules_settings.html", self._context(request), status=400)
        enabled, params = settings_for()[code]
        form = rule_form(code, params, enabled=enabled, data=request.POST)
        if form.is_valid():
            data = dict(form.cleaned_data)
            on = data.pop("enabled", True)
            data = {k: (str(v) if isinstance(v, Decimal) else v) for k, v in data.items()}
            try:
                alert_rule_update(request.user, code, enabled=on, params=data)
            except ValidationError as exc:
                apply_to_form(form, exc)
            else:
                messages.success(request, _("Saved. The next run applies the change."))
                return redirect(reverse("risk:rules"))
        return render(request, "risk/rules_settings.html", self._context(request, (code, form)), status=400)


def alert_rows(user, alerts):
    """AlertViews for a list of alerts (panels): figures and evidence filtered for `user`."""
    return alert_views(user, alerts)
