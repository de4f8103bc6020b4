"""Pages of group identification (risk.identification): the proposals list (filters status, test, group;
pending by default) with confirm and reject through htmx (the row comes back re-rendered), each row showing
the evidence and the candidate's registry card; the group page's block of pending proposals; head
office's thresholds of the non-fair test. Views are thin: risk.identification does the work."""

from __future__ import annotations

from decimal import Decimal

import django_filters
from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from clients.access import groups_in_reach
from core.errors import apply_to_form
from core.htmx import is_fragment, template_for
from core.permissions import is_head_office
from core.rulekit import UNIT_LABELS
from risk import identification
from risk.models import GroupProposal, IdentificationTest, ProposalStatus
from staff.scope import scope_for

PAGE_SIZE = 50
GROUP_BLOCK_SIZE = 10


class ProposalFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(label=gettext_lazy("Status"), method="filter_status", empty_label=None,
                                         choices=[*ProposalStatus.choices, ("all", gettext_lazy("All"))])
    test = django_filters.ChoiceFilter(label=gettext_lazy("Test"), choices=IdentificationTest.choices,
                                       empty_label=gettext_lazy("All"))
    group = django_filters.NumberFilter(field_name="group_id", label=gettext_lazy("Group client"),
                                        widget=forms.Select)

    class Meta:
        model = GroupProposal
        fields = ["status", "test", "group"]

    def __init__(self, data=None, *args, user=None, **kwargs):
        data = data.copy() if data is not None else {}
        data.setdefault("status", ProposalStatus.PENDING)
        super().__init__(data, *args, **kwargs)
        groups = list(groups_in_reach(user).order_by("name").values_list("pk", "name")[:500])
        self.filters["group"].field.widget.choices = [("", _("All")), *groups]

    def filter_status(self, queryset, name, value):
        return queryset if value == "all" else queryset.filter(status=value)


def proposals_for(user):
    return (GroupProposal.objects.for_user(user)
            .select_related("group", "enterprise__branch", "decided_by", "group_confirmed_by", "owner_confirmed_by"))


def _row(proposal, user, error=None, *, can_decide=None) -> dict:
    if can_decide is None:
        can_decide = proposal.pk in identification.decidable_ids(user, [proposal])
    return {"proposal": proposal, "waiting": identification.waiting_for(proposal), "proposal_error": error,
            "can_decide": can_decide}


def _rows(proposals, user) -> list[dict]:
    decidable = identification.decidable_ids(user, proposals)
    return [_row(p, user, can_decide=p.pk in decidable) for p in proposals]


class ProposalListView(View):
    def get(self, request):
        user = request.user
        base = proposals_for(user)
        filterset = ProposalFilterSet(request.GET, queryset=base, user=user)
        queryset = filterset.qs.order_by("-created_at", "-pk") if filterset.is_valid() else base.none()
        page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
        query = request.GET.copy()
        query.pop("page", None)
        rows = _rows(list(page.object_list), user)
        context = {"filter": filterset, "page": page, "rows": rows, "query": query.urlencode(),
                   "head_office": is_head_office(user)}
        return render(request, template_for(request, "risk/proposals_list.html", "risk/proposals_results.html"),
                      context)


class ProposalActionView(View):
    """POST confirm or reject (with `note`): the row again, with the new state or the error."""

    services = {"confirm": identification.proposal_confirm, "reject": identification.proposal_reject}

    def post(self, request, pk, action):
        service = self.services.get(action)
        if service is None:
            raise Http404
        proposal = get_object_or_404(proposals_for(request.user), pk=pk)
        error = None
        try:
            service(request.user, proposal, request.POST.get("note", ""))
        except ValidationError as exc:
            error = " ".join(m for ms in exc.message_dict.values() for m in ms) if hasattr(exc, "error_dict") \
                else " ".join(exc.messages)
        except GroupProposal.DoesNotExist:
            raise Http404 from None
        except PermissionDenied as exc:
            error = str(exc)
        proposal = proposals_for(request.user).filter(pk=pk).first()
        if proposal is None:
            raise Http404
        if is_fragment(request):
            return render(request, "risk/_proposal_row.html", _row(proposal, request.user, error))
        if error:
            messages.error(request, error)
        return redirect(reverse("risk:proposals"))


def group_proposals_section(user, group) -> dict:
    """The group page's block: the group's newest pending proposals (at most GROUP_BLOCK_SIZE) and
    whether there are more. One query, whatever their number."""
    qs = proposals_for(user).filter(group=group, status=ProposalStatus.PENDING).order_by("-created_at", "-pk")
    found = list(qs[:GROUP_BLOCK_SIZE + 1])
    # The group page is in the user's reach: they decide for the group's side.
    rows = [_row(p, user, can_decide=not scope_for(user).sees_nothing) for p in found[:GROUP_BLOCK_SIZE]]
    return {"rows": rows, "more": len(found) > GROUP_BLOCK_SIZE, "group": group}


# --- head office's thresholds of the non-fair test -----------------------------------------------------------


def _field(param):
    label = f"{param.label}（{UNIT_LABELS.get(param.unit, '')}）"
    if param.unit in ("months", "count", "days"):
        return forms.IntegerField(label=label, min_value=param.minimum, max_value=param.maximum)
    return forms.DecimalField(label=label, min_value=Decimal(str(param.minimum)),
                              max_value=Decimal(str(param.maximum)), max_digits=16, decimal_places=2)


def thresholds_form(data=None, initial=None):
    fields = {p.key: _field(p) for p in identification.PARAMS}
    return type("IdentificationThresholdsForm", (forms.Form,), fields)(data=data, initial=initial)


class ThresholdsView(View):
    """Everyone with a role reads the thresholds; head office changes them."""

    def get(self, request):
        if scope_for(request.user).sees_nothing:
            raise PermissionDenied(_("Your role may not read these thresholds."))
        form = thresholds_form(initial=identification.thresholds())
        return render(request, "risk/proposals_thresholds.html", {"form": form, "head_office": is_head_office(request.user)})

    def post(self, request):
        if not is_head_office(request.user):
            raise PermissionDenied(_("Only head office changes these thresholds."))
        form = thresholds_form(data=request.POST)
        if form.is_valid():
            try:
                identification.thresholds_update(request.user, {k: str(v) for k, v in form.cleaned_data.items()})
            except ValidationError as exc:
                apply_to_form(form, exc)
            else:
                messages.success(request, _("The thresholds are saved."))
                return redirect(reverse("risk:proposal_thresholds"))
        return render(request, "risk/proposals_thresholds.html", {"form": form, "head_office": True}, status=400)
