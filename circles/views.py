"""The circle page of a group client and the small views around its forms.

Reads go through circles.selectors, writes through circles.services. The group is looked up among
those the user sees (else 404); a role that may not change client data gets 403 on every write.
The page runs a fixed number of SQL queries whatever the number of members, flows and guarantees.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View

from circles import selectors, services
from circles.filtersets import CircleMemberFilterSet
from circles.forms import CircleMemberAddForm, GuaranteeForm
from circles.models import CircleMember, CircleRole
from clients.models import GroupClient
from core.errors import apply_to_form
from core.htmx import is_fragment
from core.permissions import ensure_can_edit_clients
from staff.scope import scope_for

MEMBER_PAGE_SIZE = 25
TEMPLATE = "circles/group_circle.html"
PARTIAL = "circles/partials/member_table.html"


def _group_or_404(request, group_pk) -> GroupClient:
    try:
        return selectors.circle_group_get(user=request.user, pk=group_pk)
    except GroupClient.DoesNotExist:
        raise Http404 from None


def _query_without_page(request) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


def _member_table_context(request, group) -> dict:
    members = selectors.circle_member_list(user=request.user, group=group, filters=request.GET, with_volume=True)
    filter_form = CircleMemberFilterSet(request.GET).form
    for name in ("group", "enterprise_uscc"):
        filter_form.fields.pop(name, None)
    return {
        "group": group,
        "member_page": Paginator(members, MEMBER_PAGE_SIZE).get_page(request.GET.get("page")),
        "filter_form": filter_form,
        "query": _query_without_page(request),
        "can_edit": scope_for(request.user).can_edit_clients,
    }


def _graph_categories() -> list[dict]:
    return (
        [{"name": "core", "label": _("Core enterprise")}]
        + [{"name": role, "label": str(label)} for role, label in CircleRole.choices]
        + [{"name": selectors.OUTSIDE, "label": _("Outside the circle")}]
    )


def render_circle_page(request, group, *, member_form=None, guarantee_form=None, status=200):
    ctx = _member_table_context(request, group)
    guarantees = selectors.circle_guarantees(user=request.user, group=group)
    graph = selectors.circle_graph(group=group, guarantees=guarantees)
    graph["categories"] = _graph_categories()
    graph["labels"] = {
        "client": _("Client of the bank"), "prospect": _("Prospect"), "volume": _("Flow volume (12 months)"),
        "flows": _("Flows"), "guarantee": _("Guarantee"), "roles": _("Roles"),
    }
    ctx.update(
        graph=graph,
        penetration=selectors.circle_penetration(group=group),
        acquisition=selectors.circle_acquisition_list(group=group),
        guarantees=guarantees,
        volume_since=selectors.volume_since(),
        member_form=member_form or CircleMemberAddForm(),
        guarantee_form=guarantee_form or GuaranteeForm(),
    )
    return render(request, TEMPLATE, ctx, status=status)


class GroupCircleView(View):
    """GET: the circle page, or only the member table for an htmx request (filters, pages)."""

    def get(self, request, group_pk):
        group = _group_or_404(request, group_pk)
        if is_fragment(request):
            return render(request, PARTIAL, _member_table_context(request, group))
        return render_circle_page(request, group)


class CircleMemberAddView(View):
    """POST a member to the circle of the group in the URL, or (from a registry card) in the form."""

    def post(self, request, group_pk=None):
        if group_pk is None:
            group_pk = request.POST.get("group", "")
            if not str(group_pk).isdigit():
                raise Http404
        group = _group_or_404(request, int(group_pk))
        ensure_can_edit_clients(request.user)
        form = CircleMemberAddForm(request.POST, user=request.user)
        if form.is_valid():
            data = dict(form.cleaned_data)
            try:
                services.circle_member_add(
                    user=request.user, group=group, enterprise=data.pop("enterprise_uscc"), **data
                )
            except ValidationError as exc:
                apply_to_form(form, exc)
            else:
                messages.success(request, _("Member added to the circle."))
                return redirect(reverse("circles:group_circle", args=[group.pk]))
        return render_circle_page(request, group, member_form=form)


class CircleMemberRemoveView(View):
    def post(self, request, group_pk, pk):
        group = _group_or_404(request, group_pk)
        member = CircleMember.objects.for_user(request.user).filter(group=group, pk=pk).first()
        if member is None:
            raise Http404
        ensure_can_edit_clients(request.user)
        try:
            services.circle_member_remove(user=request.user, member=member)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Member removed from the circle."))
        return redirect(reverse("circles:group_circle", args=[group.pk]))


class GuaranteeAddView(View):
    def post(self, request, group_pk):
        group = _group_or_404(request, group_pk)
        ensure_can_edit_clients(request.user)
        form = GuaranteeForm(request.POST, user=request.user)
        if form.is_valid():
            data = dict(form.cleaned_data)
            try:
                services.guarantee_create(
                    user=request.user, guarantor=data.pop("guarantor_uscc"), borrower=data.pop("borrower_uscc"),
                    **data,
                )
            except ValidationError as exc:
                apply_to_form(form, exc)
            else:
                messages.success(request, _("Guarantee recorded."))
                return redirect(reverse("circles:group_circle", args=[group.pk]) + "#guarantees")
        return render_circle_page(request, group, guarantee_form=form)
