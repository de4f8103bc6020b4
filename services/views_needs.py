"""Pages of the needs engine: the needs list with inline status changes (htmx: the row comes back
re-rendered), a need recorded by hand, head office's rules settings, and the group page's "refresh
needs" button. Views are thin: services.needs and services.tasks do the work."""

from __future__ import annotations

from decimal import Decimal

import django_filters
from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from clients.access import groups_in_reach
from clients.models import GroupClient
from core import money
from core.errors import apply_to_form
from core.forms import AmountField
from core.htmx import is_fragment, template_for
from core.jobs import last_refreshed
from core.permissions import ClientEditorRequiredMixin, is_head_office
from services import needs as need_service
from services.models import Need, NeedRuleSetting, NeedStatus, Product
from services.rules import ENGINE, ENGINE_PARAMS, RATINGS, UNIT_LABELS, Unit, load, settings_for
from staff.scope import scope_for

PAGE_SIZE = 50
OPEN = "open"


def _readonly(user) -> bool:
    return not scope_for(user).can_edit_clients


# --- the list --------------------------------------------------------------------------------------------------


class NeedFilterSet(django_filters.FilterSet):
    product = django_filters.ModelChoiceFilter(queryset=Product.objects.all(), field_name="product",
                                               label=gettext_lazy("Product"), to_field_name="code",
                                               empty_label=gettext_lazy("All"))
    group = django_filters.NumberFilter(field_name="group_id", label=gettext_lazy("Group client"),
                                        widget=forms.Select)
    status = django_filters.ChoiceFilter(label=gettext_lazy("Status"), method="filter_status", empty_label=None,
                                         choices=[(OPEN, gettext_lazy("Open (new or contacted)")),
                                                  *NeedStatus.choices, ("all", gettext_lazy("All"))])

    class Meta:
        model = Need
        fields = ["product", "group", "status"]

    def __init__(self, data=None, *args, user=None, **kwargs):
        data = data.copy() if data is not None else {}
        data.setdefault("status", OPEN)
        super().__init__(data, *args, **kwargs)
        groups = list(groups_in_reach(user).order_by("name").values_list("pk", "name")[:500])
        self.filters["group"].field.widget.choices = [("", _("All")), *groups]  # the glossary: an empty filter choice reads "All"

    def filter_status(self, queryset, name, value):
        if value == OPEN:
            return queryset.open()
        if value == "all":
            return queryset
        return queryset.filter(status=value)


def _row_context(request, need, error=None):
    return {"need": need, "readonly_needs": _readonly(request.user), "need_error": error}


class NeedListView(View):
    def get(self, request):
        user = request.user
        base = Need.objects.for_user(user).select_related("enterprise", "group", "product")
        filterset = NeedFilterSet(request.GET, queryset=base, user=user)
        queryset = filterset.qs.order_by("-value", "-score", "pk") if filterset.is_valid() else base.none()
        page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
        query = request.GET.copy()
        query.pop("page", None)
        context = {
            "filter": filterset, "page": page, "query": query.urlencode(), "readonly_needs": _readonly(user),
            "last_run": last_refreshed("refresh_needs"),
        }
        return render(request, template_for(request, "services/needs_list.html", "services/needs_results.html"),
                      context)


class NeedStatusView(View):
    """POST status (and reason): the row again, with the new status or the error."""

    def post(self, request, pk):
        need = get_object_or_404(Need.objects.for_user(request.user), pk=pk)
        error = None
        try:
            need_service.need_set_status(request.user, need, request.POST.get("status", ""),
                                         request.POST.get("reason", ""))
        except ValidationError as exc:
            error = " ".join(m for messages_ in exc.message_dict.values() for m in messages_) \
                if hasattr(exc, "error_dict") else " ".join(exc.messages)
        need = Need.objects.for_user(request.user).select_related("enterprise", "group", "product").get(pk=pk)
        if is_fragment(request):
            return render(request, "services/_need_row.html", _row_context(request, need, error))
        if error:
            messages.error(request, error)
        return redirect(request.POST.get("next") if _safe_next(request) else reverse("services:needs"))


def _safe_next(request) -> bool:
    from django.utils.http import url_has_allowed_host_and_scheme

    target = request.POST.get("next", "")
    return bool(target) and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                            require_https=request.is_secure())


# --- a need recorded by hand ---------------------------------------------------------------------------------


class NeedForm(forms.Form):
    enterprise = forms.CharField(label=gettext_lazy("Enterprise credit code"), max_length=64)
    product = forms.ModelChoiceField(label=gettext_lazy("Product"), queryset=Product.objects.filter(active=True),
                                     to_field_name="code", empty_label=gettext_lazy("(choose a product)"))
    score = forms.IntegerField(label=gettext_lazy("Score (0-100)"), min_value=0, max_value=100)
    value = AmountField(label=gettext_lazy("Estimated annual value"), min_value=0, max_digits=19, decimal_places=2)
    evidence = forms.CharField(label=gettext_lazy("Evidence"), max_length=need_service.EVIDENCE_MAX,
                               widget=forms.Textarea(attrs={"rows": 4}))
    group = forms.TypedChoiceField(label=gettext_lazy("Group client"), required=False, coerce=int, empty_value=None)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        groups = list(groups_in_reach(user).order_by("name").values_list("pk", "name")[:500])
        self.fields["group"].choices = [("", _("The enterprise's group")), *groups]


class NeedCreateView(ClientEditorRequiredMixin, View):
    def get(self, request):
        form = NeedForm(initial={"enterprise": request.GET.get("enterprise", "")[:64]}, user=request.user)
        return render(request, "services/needs_form.html", {"form": form})

    def post(self, request):
        form = NeedForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                need_service.need_record(request.user, **form.cleaned_data)
            except ValidationError as exc:
                apply_to_form(form, exc)
            else:
                messages.success(request, _("The need is recorded."))
                return redirect(f"{reverse('services:needs')}?status=all")
        return render(request, "services/needs_form.html", {"form": form}, status=400)


# --- head office's settings of the rules ----------------------------------------------------------------------


def _field_for(param):
    label = param.label
    low, high = (None if v is None else Decimal(str(v)) for v in (param.minimum, param.maximum))
    if param.unit == Unit.CNY:
        return AmountField(label=label, min_value=low, max_value=high, max_digits=19,
                           decimal_places=2)
    if param.unit == Unit.RATING:
        return forms.ChoiceField(label=label, choices=[(r, r) for r in RATINGS])
    unit = UNIT_LABELS[param.unit]
    label = f"{label}（{unit}）" if money.chinese() else f"{label} ({unit})"
    if param.unit in (Unit.DAYS, Unit.COUNT, Unit.MONTHS):
        return forms.IntegerField(label=label, min_value=int(param.minimum), max_value=int(param.maximum))
    return forms.DecimalField(label=label, min_value=low, max_value=high, max_digits=12,
                              decimal_places=4)


def rule_form(code, params, *, enabled=True, data=None):
    fields = {}
    if code != ENGINE:
        fields["enabled"] = forms.BooleanField(label=gettext_lazy("On"), required=False)
    spec = ENGINE_PARAMS if code == ENGINE else load()[code].params
    for p in spec:
        fields[p.key] = _field_for(p)
    form_class = type("RuleForm", (forms.Form,), fields)
    initial = {**params, "enabled": enabled}
    return form_class(data, initial=initial, prefix=code)


class RuleSettingsView(View):
    """Every user reads the rules and their thresholds; head office changes them."""

    def _context(self, request, bound=None):
        conf = settings_for()
        rules = []
        for code, rule in load().items():
            enabled, params = conf[code]
            form = bound[1] if bound and bound[0] == code else rule_form(code, params, enabled=enabled)
            rules.append({"rule": rule, "enabled": enabled, "form": form})
        engine_form = bound[1] if bound and bound[0] == ENGINE else rule_form(ENGINE, conf[ENGINE][1])
        history = NeedRuleSetting.history.select_related("history_user").order_by("-history_date", "-history_id")[:20]
        return {"rules": rules, "engine_form": engine_form, "engine": conf[ENGINE][1], "engine_code": ENGINE,
                "can_edit": is_head_office(request.user), "history": history}

    def get(self, request):
        return render(request, "services/rules_settings.html", self._context(request))

    def post(self, request):
        if not is_head_office(request.user):
            raise PermissionDenied(_("Only head office sets the needs rules."))
        code = request.POST.get("rule", "")
        if code != ENGINE and code not in load():
            return HttpResponseNotAllowed(["GET"]) if not code else render(
                request, "services/rules_settings.html", self._context(request), status=400)
        conf = settings_for()
        form = rule_form(code, conf[code][1], enabled=conf[code][0], data=request.POST)
        if form.is_valid():
            data = dict(form.cleaned_data)
            enabled = data.pop("enabled", True)
            try:
                need_service.rule_settings_update(request.user, code, enabled=enabled, params=data)
            except ValidationError as exc:
                apply_to_form(form, exc)
            else:
                messages.success(request, _("Saved. The next run applies the change."))
                return redirect("services:rules")
        return render(request, "services/rules_settings.html", self._context(request, (code, form)), status=400)


# --- the group page's button -----------------------------------------------------------------------------------


class GroupRefreshNeedsView(View):
    """Queue the group's refresh (services.tasks); any role with the group in reach (no client data is
    written). An htmx request gets the run's status; a form post goes back to the group page."""

    def post(self, request, pk):
        from services.tasks import queue_group_refresh

        group = get_object_or_404(groups_in_reach(request.user, GroupClient.objects.all()), pk=pk)
        run = queue_group_refresh(group, user=request.user)
        if is_fragment(request):
            return render(request, "services/needs_refresh_status.html", {"run": run, "group": group}, status=202)
        messages.info(request, _("The needs refresh of this group: %(status)s.") % {"status": run.get_status_display()})
        return redirect("clients:group_detail", pk=group.pk)
