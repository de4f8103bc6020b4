"""Pages for group clients and enterprises. Reads go through selectors, writes through services.

Reach (clients.access): an enterprise's page shows its full record to those who have it, its
counterparty view (card, roles, the flows and links with the user's own record) to those who have
that, and answers 404 to everyone else, exactly like an id that does not exist; a registry card is
only ever found by its exact credit code (`RegistryLookupView`). Roles that may not make a change get
403 (core.permissions), before any form is read.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView, ListView, TemplateView

from clients import access, approvals, selectors, services
from clients import mixins as clients_mixins
from clients.counterparty import panels_for
from clients.filtersets import (
    ENTERPRISE_SORTING,
    GROUP_SORTING,
    EnterpriseFilterSet,
    GroupClientFilterSet,
)
from clients.forms import (
    ControlLinkForm,
    EnterpriseForm,
    FinancialStatementForm,
    GroupClientForm,
    InteractionForm,
    LimitForm,
    RatingForm,
    RegistryLookupForm,
    TransferForm,
)
from clients.mixins import ObjectFirstMixin
from clients.models import ChangeRequest, ControlLink, Enterprise, GroupClient
from clients.tree_chart import control_tree_chart
from clients.tree_chart import controllers as tree_controllers
from core.history import change_history
from core.htmx import HtmxTemplateMixin
from core.permissions import (
    ClientEditorRequiredMixin,
    LimitSetterRequiredMixin,
    RequestParticipantRequiredMixin,
)
from core.views import EditorFormMixin, ServiceFormMixin, query_without_page
from risk.exposure import group_limit_section
from risk.panels import enterprise_alerts_section, group_risk_section
from risk.views_facilities import enterprise_facilities_section
from risk.views_proposals import group_proposals_section
from services.views_advice import enterprise_section as enterprise_needs_section
from services.views_advice import group_section as group_needs_section
from staff.scope import scope_for

PAGE_SIZE = 25
MEMBER_PAGE_SIZE = 50


# --- lists ------------------------------------------------------------------------------------------


class GroupListView(HtmxTemplateMixin, ListView):
    """The user's groups: filters (clients.filtersets), sortable columns (core.sorting), a totals row
    over the whole filtered list (its one aggregate query also counts the pages) and limit use."""

    template_name = "clients/group_list.html"
    partial_template_name = "clients/partials/group_table.html"
    paginate_by = PAGE_SIZE
    context_object_name = "groups"

    def get_queryset(self):
        return selectors.group_client_list(user=self.request.user, filters=self.request.GET)

    def get_paginator(self, queryset, per_page, orphans=0, allow_empty_first_page=True, **kwargs):
        self.totals = selectors.group_client_totals(queryset)
        paginator = super().get_paginator(queryset, per_page, orphans, allow_empty_first_page, **kwargs)
        paginator.count = self.totals.count  # the totals query counted the rows already
        return paginator

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["filter_form"] = GroupClientFilterSet(self.request.GET, user=self.request.user).page_form()
        ctx["query"] = query_without_page(self.request)
        ctx["sort"] = GROUP_SORTING.state(self.request)
        ctx["totals"] = self.totals
        ctx["can_edit"] = scope_for(self.request.user).can_edit_clients
        return ctx


class EnterpriseListView(HtmxTemplateMixin, ListView):
    """The user's full record, filtered (counterparties are reached through circles and chains)."""

    template_name = "clients/enterprise_list.html"
    partial_template_name = "clients/partials/enterprise_table.html"
    paginate_by = PAGE_SIZE
    context_object_name = "enterprises"

    def get_queryset(self):
        return selectors.enterprise_list(user=self.request.user, filters=self.request.GET)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        form = EnterpriseFilterSet(self.request.GET, user=self.request.user).form
        form.fields.pop("group", None)
        form.fields.pop("sort", None)
        ctx["filter_form"] = form
        ctx["query"] = query_without_page(self.request)
        ctx["sort"] = ENTERPRISE_SORTING.state(self.request)
        ctx["can_edit"] = scope_for(self.request.user).can_edit_clients
        ctx["lookup_form"] = RegistryLookupForm()
        return ctx


# --- objects in reach ----------------------------------------------------------------------------------


class GroupObjectMixin(clients_mixins.GroupObjectMixin):
    group_detail = True

    def success_url_for(self, obj):
        return reverse("clients:group_detail", args=[self.get_group().pk])


class EnterpriseObjectMixin(clients_mixins.EnterpriseObjectMixin):
    def success_url_for(self, obj):
        return reverse("clients:enterprise_detail", args=[self.get_enterprise().pk])


# --- group 360 ---------------------------------------------------------------------------------------


class GroupDetailView(HtmxTemplateMixin, GroupObjectMixin, TemplateView):
    """The group 360 page: a fixed number of queries whatever the size of the group."""

    template_name = "clients/group_detail.html"
    partial_template_name = "clients/partials/group_members.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        group = self.get_group()
        scope = scope_for(self.request.user)
        members = list(selectors.group_members(group=group))
        tree = selectors.group_control_tree(group=group, members=members)
        member_ids = selectors.group_member_enterprise_ids(group=group)
        ctx.update(
            figures=selectors.group_key_figures(group=group),
            tree=tree,
            tree_data=control_tree_chart(tree),
            controllers=tree_controllers(tree),
            member_page=Paginator(members, MEMBER_PAGE_SIZE).get_page(self.request.GET.get("mpage")),
            member_total=len(members),
            financials=list(selectors.enterprise_latest_financials(enterprise_ids=[group.core_enterprise_id])),
            interactions=list(selectors.recent_interactions(enterprise_ids=member_ids, limit=10)),
            history=change_history(instance=group),
            can_edit=scope.can_edit_clients,
            can_set_limit=scope.can_set_limits_and_ratings,
            na=group_needs_section(self.request.user, group),  # services.views_advice: needs analysis
            risk=group_risk_section(self.request.user, group),  # risk alerts
            limits=group_limit_section(self.request.user, group),  # risk.exposure: the limit tree
            proposals=group_proposals_section(self.request.user, group),  # risk: proposed members
        )
        return ctx


# --- enterprise page: full record or counterparty ----------------------------------------------------------


class EnterpriseDetailView(TemplateView):
    template_name = "clients/enterprise_detail.html"
    counterparty_template_name = "clients/enterprise_counterparty.html"

    def get(self, request, *args, **kwargs):
        user = request.user
        enterprise = Enterprise.objects.select_related("branch").filter(pk=kwargs["pk"]).first()
        level = access.reach(user, enterprise) if enterprise is not None else None
        if level == access.Reach.FULL:
            return self.render_to_response(self.full_context(enterprise.pk))
        if level == access.Reach.COUNTERPARTY:
            self.template_name = self.counterparty_template_name
            return self.render_to_response(self.counterparty_context(enterprise))
        raise Http404

    def full_context(self, pk: int) -> dict:
        user = self.request.user
        enterprise = selectors.enterprise_get(user=user, pk=pk)
        parents, children = selectors.enterprise_control_links(enterprise=enterprise)
        key_people = [
            {"person": kp.person, "role": kp.get_role_display(), "id_number": kp.person.id_number_for(user)}
            for kp in enterprise.key_people.all()
        ]
        for link in parents:
            link.parent_id_number = link.parent_person.id_number_for(user) if link.parent_person_id else ""
        scope = scope_for(user)
        return self.get_context_data(
            enterprise=enterprise,
            parents=parents,
            children=children,
            key_people=key_people,
            financials=list(selectors.enterprise_financials(enterprise=enterprise)),
            accounts=list(selectors.enterprise_accounts(enterprise=enterprise)),
            interactions=list(selectors.recent_interactions(enterprise_ids=[enterprise.pk], limit=20)),
            history=change_history(instance=enterprise),
            link_history=selectors.control_link_history(enterprise=enterprise),
            can_edit=scope.can_edit_clients,
            can_set_rating=scope.can_set_limits_and_ratings,
            na=enterprise_needs_section(user, enterprise),  # services.views_advice: needs analysis
            risk_alerts=enterprise_alerts_section(user, enterprise),  # risk alerts
            facilities_section=enterprise_facilities_section(user, enterprise),  # risk: facilities, other banks
        )

    def counterparty_context(self, enterprise) -> dict:
        user = self.request.user
        return self.get_context_data(
            enterprise=enterprise,
            panels=panels_for(user=user, enterprise=enterprise),
            can_claim=enterprise.is_unowned and scope_for(user).can_edit_clients,
        )


class RegistryLookupView(TemplateView):
    """The registry card by exact credit code (客户认领): name, code, client or prospect, owning branch;
    with a link to the full record or counterparty page where the user has that reach."""

    template_name = "clients/registry_lookup.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user = self.request.user
        form = RegistryLookupForm(self.request.GET or None)
        ctx["form"] = form
        if form.is_valid():
            enterprise = access.registry_lookup(user, form.cleaned_data["uscc"])
            ctx["searched"] = form.cleaned_data["uscc"]
            ctx["card"] = enterprise
            if enterprise is not None:
                scope = scope_for(user)
                ctx["reach"] = str(access.reach(user, enterprise))
                ctx["can_claim"] = enterprise.is_unowned and scope.can_edit_clients
                if scope.can_edit_clients:
                    ctx["groups"] = list(GroupClient.objects.for_user(user).order_by("name").only("pk", "name")[:200])
                    from circles.models import CircleRole

                    ctx["roles"] = CircleRole.choices
        return ctx


class EnterpriseClaimView(ClientEditorRequiredMixin, View):
    """POST a credit code: claim that unowned prospect for the user's branch."""

    def post(self, request):
        form = RegistryLookupForm(request.POST)
        enterprise = access.registry_lookup(request.user, form.data.get("uscc", "")) if form.is_valid() else None
        if enterprise is None:
            raise Http404
        try:
            services.enterprise_claim(user=request.user, enterprise=enterprise)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect(f"{reverse('clients:registry_lookup')}?uscc={enterprise.uscc}")
        messages.success(request, _("%(name)s is now your branch's client.") % {"name": enterprise.name})
        return redirect("clients:enterprise_detail", pk=enterprise.pk)


# --- writes ------------------------------------------------------------------------------------------


def _changes(form) -> dict:
    return {name: form.cleaned_data[name] for name in form.fields if name in form.cleaned_data}


class EnterpriseCreateView(EditorFormMixin, FormView):
    template_name = "clients/enterprise_form.html"
    form_class = EnterpriseForm
    success_message = ""

    def perform(self, form):
        data = _changes(form)
        claim = data.pop("claim", True)
        self.success_message = _("Enterprise created.")
        return services.enterprise_create(user=self.request.user, claim=claim, **data)

    def success_url_for(self, obj):
        return reverse("clients:enterprise_detail", args=[obj.pk])


class EnterpriseEditView(ObjectFirstMixin, EnterpriseObjectMixin, EditorFormMixin, FormView):
    template_name = "clients/enterprise_form.html"
    form_class = EnterpriseForm

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["instance"] = self.get_enterprise()
        return kwargs

    def perform(self, form):
        self.success_message = _("Enterprise saved.")
        return services.enterprise_update(user=self.request.user, enterprise=self.get_enterprise(),
                                          **_changes(form))


class EnterpriseRatingView(ObjectFirstMixin, EnterpriseObjectMixin, LimitSetterRequiredMixin, ServiceFormMixin,
                           FormView):
    template_name = "clients/simple_form.html"
    form_class = RatingForm

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs.pop("user")
        return kwargs

    def get_initial(self):
        return {"internal_rating": self.get_enterprise().internal_rating}

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx.update(title=_("Internal rating of %(name)s") % {"name": self.get_enterprise().name},
                   cancel_url=self.success_url_for(None))
        return ctx

    def perform(self, form):
        self.success_message = _("Internal rating saved.")
        return services.enterprise_rating_set(user=self.request.user, enterprise=self.get_enterprise(),
                                              rating=form.cleaned_data["internal_rating"])


class GroupCreateView(EditorFormMixin, FormView):
    template_name = "clients/group_form.html"
    form_class = GroupClientForm

    def get_initial(self):
        initial = super().get_initial()
        scope = scope_for(self.request.user)
        initial.update(lead_rm=self.request.user.pk, branch=scope.branch_id)
        if self.request.GET.get("core"):
            initial["core_uscc"] = self.request.GET["core"]
        return initial

    def perform(self, form):
        self.success_message = _("Group client created.")
        return services.group_client_create(user=self.request.user, **form.service_kwargs())

    def success_url_for(self, obj):
        return reverse("clients:group_detail", args=[obj.pk])


class GroupEditView(ObjectFirstMixin, GroupObjectMixin, EditorFormMixin, FormView):
    template_name = "clients/group_form.html"
    form_class = GroupClientForm

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["group"] = self.get_group()
        return kwargs

    def get_initial(self):
        return GroupClientForm.initial_for(self.get_group())

    def perform(self, form):
        self.success_message = _("Group client saved.")
        return services.group_client_update(user=self.request.user, group=self.get_group(),
                                            **form.service_kwargs())


class GroupLimitView(ObjectFirstMixin, GroupObjectMixin, LimitSetterRequiredMixin, ServiceFormMixin, FormView):
    """The unified credit limit: risk officers and head office; a change by more than the configured
    factor needs the confirmation box."""

    template_name = "clients/simple_form.html"
    form_class = LimitForm

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs.pop("user")
        return kwargs

    def get_initial(self):
        return {"unified_credit_limit": self.get_group().unified_credit_limit}

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx.update(title=_("Unified credit limit of %(name)s") % {"name": self.get_group().name},
                   cancel_url=self.success_url_for(None))
        return ctx

    def perform(self, form):
        self.success_message = _("Unified credit limit saved.")
        return services.group_limit_set(user=self.request.user, group=self.get_group(),
                                        limit=form.cleaned_data["unified_credit_limit"],
                                        confirm=form.cleaned_data["confirm"])


class ControlLinkRedirectMixin:
    def success_url_for(self, result):
        """Back to the child's page (a link that became a request: to the request), unless the change took
        the child out of the user's coverage: then to the parent's page or the group list."""
        if isinstance(result, ChangeRequest):
            return reverse("clients:request_detail", args=[result.pk])
        user = self.request.user
        child = self.get_enterprise()
        if Enterprise.objects.for_user(user).filter(pk=child.pk).exists():
            return reverse("clients:enterprise_detail", args=[child.pk])
        messages.info(self.request, _("%(name)s is no longer in your coverage.") % {"name": child.name})
        parent_id = getattr(result, "parent_enterprise_id", None)
        if parent_id and Enterprise.objects.for_user(user).filter(pk=parent_id).exists():
            return reverse("clients:enterprise_detail", args=[parent_id])
        return reverse("clients:group_list")


class ControlLinkCreateView(ObjectFirstMixin, ControlLinkRedirectMixin, EnterpriseObjectMixin, EditorFormMixin,
                            FormView):
    template_name = "clients/control_link_form.html"
    form_class = ControlLinkForm

    def perform(self, form):
        result = services.control_link_create(user=self.request.user, child=self.get_enterprise(),
                                              **form.service_kwargs())
        if isinstance(result, ChangeRequest):
            self.success_message = _("This link would bring enterprises of another branch into a group: it "
                                     "waits for the approval of the branch heads concerned.")
        else:
            self.success_message = _("Control link added; group membership refreshed.")
        return result


class ControlLinkObjectMixin(EnterpriseObjectMixin):
    def get_link(self):
        if not hasattr(self, "_link"):
            self._link = get_object_or_404(
                ControlLink.objects.for_user(self.request.user).select_related("parent_enterprise", "parent_person"),
                pk=self.kwargs["link_pk"], child=self.get_enterprise(),
            )
        return self._link

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["link"] = self.get_link()
        return ctx


class ControlLinkEditView(ObjectFirstMixin, ControlLinkRedirectMixin, ControlLinkObjectMixin, EditorFormMixin,
                          FormView):
    template_name = "clients/control_link_form.html"
    form_class = ControlLinkForm

    def get_initial(self):
        return ControlLinkForm.initial_for(self.get_link())

    def perform(self, form):
        self.success_message = _("Control link saved; group membership refreshed.")
        return services.control_link_update(user=self.request.user, link=self.get_link(),
                                            **form.service_kwargs())


class ControlLinkDeleteView(ObjectFirstMixin, ControlLinkRedirectMixin, ControlLinkObjectMixin,
                            ClientEditorRequiredMixin, TemplateView):
    """GET asks for confirmation; POST deletes."""

    template_name = "clients/control_link_confirm_delete.html"

    def post(self, request, *args, **kwargs):
        link = self.get_link()
        try:
            services.control_link_delete(user=request.user, link=link)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("clients:enterprise_detail", pk=self.get_enterprise().pk)
        messages.success(request, _("Control link deleted; group membership refreshed."))
        return redirect(self.success_url_for(link))


class InteractionCreateView(ObjectFirstMixin, EnterpriseObjectMixin, EditorFormMixin, FormView):
    template_name = "clients/interaction_form.html"
    form_class = InteractionForm

    def perform(self, form):
        self.success_message = _("Interaction logged.")
        return services.interaction_log(user=self.request.user, enterprise=self.get_enterprise(),
                                        **_changes(form))


class FinancialStatementCreateView(ObjectFirstMixin, EnterpriseObjectMixin, EditorFormMixin, FormView):
    template_name = "clients/financial_statement_form.html"
    form_class = FinancialStatementForm

    def perform(self, form):
        self.success_message = _("Financial statement saved.")
        statement, _created = services.financial_statement_upsert(
            user=self.request.user, enterprise=self.get_enterprise(), **_changes(form))
        return statement


# --- transfers and change requests ----------------------------------------------------------------------------


class TransferCreateMixin(ObjectFirstMixin, EditorFormMixin):
    """Ask for a transfer of the subject's ownership (four eyes: clients.approvals)."""

    template_name = "clients/transfer_form.html"
    form_class = TransferForm

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs.pop("user")
        kwargs["subject_is_group"] = self.subject_is_group
        return kwargs

    def perform(self, form):
        self.success_message = _("Transfer requested: it waits for the branch heads concerned.")
        return approvals.transfer_request(user=self.request.user, **{self.subject_kwarg: self.get_subject()},
                                          **form.service_kwargs())

    def success_url_for(self, obj):
        return reverse("clients:request_detail", args=[obj.pk])


class EnterpriseTransferView(TransferCreateMixin, EnterpriseObjectMixin, FormView):
    subject_is_group = False
    subject_kwarg = "enterprise"

    def get_subject(self):
        return self.get_enterprise()

    def get_initial(self):
        e = self.get_enterprise()
        return {"branch": e.branch_id, "rm": e.rm_id}


class GroupTransferView(TransferCreateMixin, GroupObjectMixin, FormView):
    subject_is_group = True
    subject_kwarg = "group"

    def get_subject(self):
        return self.get_group()

    def get_initial(self):
        g = self.get_group()
        return {"branch": g.branch_id, "lead_rm": g.lead_rm_id, "team": [u.pk for u in g.team.all()]}


class ChangeRequestListView(RequestParticipantRequiredMixin, TemplateView):
    """Requests waiting for the user's approval, the user's own, and the others of their reach."""

    template_name = "clients/request_list.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["waiting"], ctx["mine"], ctx["others"] = selectors.change_requests_for(user=self.request.user)
        return ctx


class ChangeRequestObjectMixin:
    def get_request_object(self) -> ChangeRequest:
        if not hasattr(self, "_request_object"):
            self._request_object = get_object_or_404(
                ChangeRequest.objects.for_user(self.request.user).select_related(
                    "enterprise__branch", "group__branch", "requested_by__profile", "decided_by__profile"),
                pk=self.kwargs["pk"],
            )
        return self._request_object


class ChangeRequestDetailView(RequestParticipantRequiredMixin, ChangeRequestObjectMixin, TemplateView):
    template_name = "clients/request_detail.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        request = self.get_request_object()
        ctx.update(
            req=request,
            lines=approvals.describe(request),
            sides=list(request.sides.all()),
            approvals=list(request.approvals.select_related("branch", "approved_by__profile")),
            my_sides=approvals.sides_user_may_approve(self.request.user, request),
            is_requester=request.requested_by_id == self.request.user.pk,
        )
        return ctx


class ChangeRequestDecisionView(RequestParticipantRequiredMixin, ChangeRequestObjectMixin, View):
    """POST approve, reject or cancel."""

    def post(self, request, pk, decision):
        change = self.get_request_object()
        try:
            if decision == "approve":
                approvals.approve(user=request.user, request=change)
                messages.success(request, _("Approved."))
            elif decision == "reject":
                approvals.reject(user=request.user, request=change, note=request.POST.get("note", ""))
                messages.success(request, _("Rejected."))
            elif decision == "cancel":
                approvals.cancel(user=request.user, request=change)
                messages.success(request, _("Cancelled."))
            else:
                raise Http404
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        return redirect("clients:request_detail", pk=change.pk)

