"""Pages of needs analysis for people (issue 9, sections 5, 6 and 8): the sections the group 360 and
enterprise pages show (profile tags, contribution, asset-allocation advice, uncovered playbook items,
open needs), the RM workbench's filtered needs list (an htmx fragment of the landing page), and head
office's settings pages for the allocation advice and the contribution method.

Views are thin: the figures come from services.profile / contribution / allocation / playbooks and
clients.landing; writes go through the services' `settings_update`."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import TemplateView

from core import money
from core.errors import apply_to_form
from core.jobs import last_refreshed, last_run
from core.ops_views import HeadOfficeRequiredMixin
from services import allocation, contribution, playbooks, profile
from services.catalogue import holdings_for
from services.models import AllocationSettings, ContributionSettings
from staff.scope import scope_for

NEEDS_JOB = "refresh_needs"  # services.tasks.NEEDS_JOB (engineer C's tasks record their runs under it)
GROUP_NEEDS_ROWS = 10
ENTERPRISE_NEEDS_ROWS = 20


def _url(name: str, *args) -> str:
    """A URL of a page another part of the app provides, or "" while it is not there."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def _open_needs(user):
    """The needs a person works (clients.landing.open_needs), with what their rows show."""
    from clients.landing import open_needs

    return open_needs(user).select_related("enterprise", "product", "group")


def _latest(*runs):
    """The most recent of the given job runs (the group's own refresh, the last full run)."""
    runs = [r for r in runs if r is not None]
    return max(runs, key=lambda r: r.started_at) if runs else None


def _in_table_unit(value) -> float:
    return float(value / money.WAN) if money.chinese() else float(value)


def allocation_chart(advice) -> dict:
    """The advice's split for static/js/allocation.js, in the page's table unit, with tile texts."""
    if not advice.ok:
        return {}
    rows = [{"key": "liquid", "label": str(_("Liquidity reserve (demand)")), "amount": advice.liquid}]
    rows += [{"key": b.key, "label": str(b.label), "amount": b.amount} for b in advice.buckets]
    return {"unit": money.table_unit(),
            "rows": [{**r, "amount": _in_table_unit(r["amount"]), "text": money.tile_figure(r["amount"])} for r in rows]}


def contribution_chart(figures) -> dict:
    """The monthly contribution for static/js/allocation.js: months, and per income its amounts."""
    parts = (("deposit_income", _("Deposit income")), ("loan_income", _("Loan income")),
             ("fee_income", _("Fee income")))
    return {
        "unit": money.table_unit(),
        "months": [m["month"].strftime("%Y-%m") for m in figures.months],
        "series": [{"name": str(label), "data": [_in_table_unit(m[key]) for m in figures.months],
                    "text": [money.exact(m[key]) for m in figures.months]} for key, label in parts],
    }


def group_section(user, group) -> dict:
    """What the group 360 page shows of needs analysis; a fixed number of queries whatever the size
    of the group (profiles 2, contribution 2, advice 2, playbooks 2, needs 2, last refresh 1)."""
    needs = _open_needs(user).filter(group=group)
    advice = allocation.advice_for_group(group)
    figures = contribution.for_group(group)
    return {
        "core_tags": profile.tags_for(group.core_enterprise_id),
        "group_tags": profile.group_tags(group)["tags"],
        "contribution": figures,
        "contribution_chart": contribution_chart(figures),
        "contribution_method": contribution.method(figures.settings),
        "advice": advice,
        "allocation_chart": allocation_chart(advice),
        "uncovered": playbooks.uncovered_items(group),
        "section": playbooks.section_of(group),
        "needs": list(needs.order_by("-value", "-score", "pk")[:GROUP_NEEDS_ROWS]),
        "needs_count": needs.order_by().count(),
        "last_refresh": _latest(last_refreshed(NEEDS_JOB, subject=group), last_run(NEEDS_JOB)),
        # Any role with the group in reach may refresh it (services.views_needs: it writes no client data).
        "refresh_url": _url("services:group_refresh_needs", group.pk),
        "is_head_office": scope_for(user).sees_all,
        "readonly_needs": not scope_for(user).can_edit_clients,
    }


def enterprise_section(user, enterprise) -> dict:
    """What the enterprise page shows: tags, holdings, open needs, contribution."""
    figures = contribution.for_enterprise(enterprise)
    tags, refreshed = profile.profile_tags(enterprise.pk)
    return {
        "tags": tags,
        "profile_refreshed": refreshed,
        "holdings": holdings_for(user, enterprise),
        "needs": list(_open_needs(user).filter(enterprise=enterprise).order_by("-value", "-score", "pk")
                      [:ENTERPRISE_NEEDS_ROWS]),
        "contribution": figures,
        "contribution_chart": contribution_chart(figures),
        "contribution_method": contribution.method(figures.settings),
        "readonly_needs": not scope_for(user).can_edit_clients,
        "is_head_office": scope_for(user).sees_all,
    }


# --- the workbench's needs list (a fragment of the landing page) -----------------------------------------


class WorkbenchNeedsView(View):
    """GET /services/workbench/needs/?product=&group=&page=: the RM's open needs, ranked by value, as
    the landing page's panel swaps them in (htmx), or as a page of its own without htmx."""

    def get(self, request):
        from clients.landing import workbench_needs

        context = {"p": workbench_needs(request.user, request.GET), "title": _("My open needs")}
        if getattr(request, "htmx", None) and not request.htmx.boosted:
            return render(request, "home/panels/needs_list.html", context)
        return render(request, "home/workbench_needs.html", context)


# --- head office's settings -------------------------------------------------------------------------------


class AllocationSettingsForm(forms.ModelForm):
    class Meta:
        model = AllocationSettings
        fields = list(allocation.EDITABLE)


class ContributionSettingsForm(forms.ModelForm):
    class Meta:
        model = ContributionSettings
        fields = list(contribution.EDITABLE)


class _SettingsView(HeadOfficeRequiredMixin, TemplateView):
    """GET/POST: head office's parameters and their history; other roles get 403 (reads and writes)."""

    model = None
    form_class = None
    service = None
    url_name = ""
    saved_message = ""

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        current = self.model.current()
        ctx.setdefault("form", self.form_class(instance=current))
        ctx["current"] = current
        ctx["history"] = self.history()
        return ctx

    def post(self, request, *args, **kwargs):
        form = self.form_class(request.POST, instance=self.model.current())
        if form.is_valid():
            try:
                type(self).service(request.user, **{name: form.cleaned_data[name] for name in form.fields})
            except ValidationError as exc:
                apply_to_form(form, exc)
        if form.errors:
            return self.render_to_response(self.get_context_data(form=form), status=400)
        messages.success(request, self.saved_message)
        return redirect(reverse(self.url_name))


class AllocationSettingsView(_SettingsView):
    """GET/POST /services/settings/allocation/: the asset-allocation advice's parameters."""

    template_name = "services/settings_allocation.html"
    model = AllocationSettings
    form_class = AllocationSettingsForm
    service = allocation.settings_update
    url_name = "services:settings_allocation"
    saved_message = _("Asset-allocation parameters saved; the group pages apply them now.")

    def history(self):
        return allocation.settings_history()


class ContributionSettingsView(_SettingsView):
    """GET/POST /services/settings/contribution/: the contribution method's rates."""

    template_name = "services/settings_contribution.html"
    model = ContributionSettings
    form_class = ContributionSettingsForm
    service = contribution.settings_update
    url_name = "services:settings_contribution"
    saved_message = _("Contribution method saved; the next refresh recomputes the figures with it.")

    def history(self):
        return contribution.settings_history()

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["method"] = contribution.method(ctx["current"])
        return ctx
