"""The circle page of a group client and the small views around its forms.

Reads go through circles.selectors, writes through circles.services. The group is looked up among
those in the user's reach (else 404, for every role); a role that may not change client data gets
403 on every write. The page runs a fixed number of SQL queries whatever the number of members,
flows and guarantees; an htmx request for the member table gets the table alone.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from circles import selectors, services
from circles.filtersets import CircleMemberFilterSet
from circles.forms import CircleMemberAddForm, GuaranteeForm
from circles.models import CircleMember, CircleRole
from clients.mixins import GroupObjectMixin, ObjectFirstMixin
from core.errors import apply_to_form
from core.htmx import HtmxTemplateMixin, is_fragment
from core.permissions import ClientEditorRequiredMixin
from core.views import query_without_page
from staff.scope import scope_for

MEMBER_PAGE_SIZE = 25


class CirclePageMixin(GroupObjectMixin):
    """Renders the circle page (also after a refused form, with the form's errors)."""

    group_url_kwarg = "group_pk"
    template_name = "circles/group_circle.html"
    partial_template_name = "circles/partials/member_table.html"

    def member_table_context(self) -> dict:
        request, group = self.request, self.get_group()
        members = selectors.circle_member_list(user=request.user, group=group, filters=request.GET, with_volume=True)
        filter_form = CircleMemberFilterSet(request.GET).form
        for name in ("group", "enterprise_uscc"):
            filter_form.fields.pop(name, None)
        return {
            "group": group,
            "member_page": Paginator(members, MEMBER_PAGE_SIZE).get_page(request.GET.get("page")),
            "filter_form": filter_form,
            "query": query_without_page(request),
            "can_edit": scope_for(request.user).can_edit_clients,
        }

    def page_context(self, *, member_form=None, guarantee_form=None) -> dict:
        group = self.get_group()
        guarantees = selectors.circle_guarantees(user=self.request.user, group=group)
        graph = selectors.circle_graph(group=group, guarantees=guarantees)
        graph["categories"] = (
            [{"name": "core", "label": _("Core enterprise")}]
            + [{"name": role, "label": str(label)} for role, label in CircleRole.choices]
            + [{"name": selectors.OUTSIDE, "label": _("Outside the circle")}]
        )
        graph["labels"] = {
            "client": _("Client of the bank"), "prospect": _("Prospect"), "volume": _("Flow volume (12 months)"),
            "flows": _("Flows"), "guarantee": _("Guarantee"), "roles": _("Roles"),
        }
        return {
            **self.member_table_context(),
            "graph": graph,
            "penetration": selectors.circle_penetration(group=group),
            "acquisition": selectors.circle_acquisition_list(group=group),
            "guarantees": guarantees,
            "volume_since": selectors.volume_since(),
            "member_form": member_form or CircleMemberAddForm(),
            "guarantee_form": guarantee_form or GuaranteeForm(),
        }

    def render_page(self, **forms):
        return render(self.request, self.template_name, self.page_context(**forms))

    def back_to_circle(self, anchor: str = ""):
        return redirect(reverse("circles:group_circle", args=[self.get_group().pk]) + anchor)


class GroupCircleView(ObjectFirstMixin, HtmxTemplateMixin, CirclePageMixin, TemplateView):
    """GET: the circle page, or only the member table for an htmx request (filters, pages)."""

    def get_context_data(self, **kwargs):
        return self.member_table_context() if is_fragment(self.request) else self.page_context()


class CircleMemberAddView(ObjectFirstMixin, CirclePageMixin, ClientEditorRequiredMixin, TemplateView):
    """POST a member to the circle of the group in the URL, or (from a registry card) in the form."""

    http_method_names = ["post", "options"]

    def group_pk(self):
        pk = super().group_pk() or self.request.POST.get("group", "")
        if not str(pk).isdigit():
            raise Http404
        return int(pk)

    def post(self, request, *args, **kwargs):
        form = CircleMemberAddForm(request.POST, user=request.user)
        if form.is_valid():
            data = dict(form.cleaned_data)
            try:
                services.circle_member_add(user=request.user, group=self.get_group(),
                                           enterprise=data.pop("enterprise_uscc"), **data)
            except ValidationError as exc:
                apply_to_form(form, exc)
            else:
                messages.success(request, _("Member added to the circle."))
                return self.back_to_circle()
        return self.render_page(member_form=form)


class CircleMemberRemoveView(ObjectFirstMixin, CirclePageMixin, ClientEditorRequiredMixin, TemplateView):
    http_method_names = ["post", "options"]

    def get_member(self) -> CircleMember:
        member = CircleMember.objects.for_user(self.request.user).filter(group=self.get_group(),
                                                                         pk=self.kwargs["pk"]).first()
        if member is None:
            raise Http404
        return member

    object_getters = (*ObjectFirstMixin.object_getters, "get_member")

    def post(self, request, *args, **kwargs):
        try:
            services.circle_member_remove(user=request.user, member=self.get_member())
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Member removed from the circle."))
        return self.back_to_circle()


class GuaranteeAddView(ObjectFirstMixin, CirclePageMixin, ClientEditorRequiredMixin, TemplateView):
    http_method_names = ["post", "options"]

    def post(self, request, *args, **kwargs):
        form = GuaranteeForm(request.POST, user=request.user)
        if form.is_valid():
            data = dict(form.cleaned_data)
            try:
                services.guarantee_create(user=request.user, guarantor=data.pop("guarantor_uscc"),
                                          borrower=data.pop("borrower_uscc"), **data)
            except ValidationError as exc:
                apply_to_form(form, exc)
            else:
                messages.success(request, _("Guarantee recorded."))
                return self.back_to_circle("#guarantees")
        return self.render_page(guarantee_form=form)
