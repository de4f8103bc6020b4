"""Pages for group clients and enterprises. Reads go through selectors, writes through services.

Out-of-scope objects answer 404 (every lookup starts from `for_user`); roles that may not change
client data get 403 on edit pages (ClientEditorRequiredMixin) and from the services.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.generic import FormView, ListView, TemplateView

from clients import selectors, services
from clients.filtersets import EnterpriseFilterSet, GroupClientFilterSet
from clients.forms import (
    ControlLinkForm,
    EnterpriseForm,
    FinancialStatementForm,
    GroupClientForm,
    InteractionForm,
    apply_validation_error,
)
from clients.models import ControlLink, Enterprise, GroupClient
from staff.access import scope_for
from staff.mixins import ClientEditorRequiredMixin, HtmxTemplateMixin

PAGE_SIZE = 25
MEMBER_PAGE_SIZE = 50


def _query_without_page(request) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


# --- lists ------------------------------------------------------------------------------------------


class GroupListView(HtmxTemplateMixin, ListView):
    template_name = "clients/group_list.html"
    partial_template_name = "clients/partials/group_table.html"
    paginate_by = PAGE_SIZE
    context_object_name = "groups"

    def get_queryset(self):
        return selectors.group_client_list(user=self.request.user, filters=self.request.GET)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["filter_form"] = GroupClientFilterSet(self.request.GET).form
        ctx["query"] = _query_without_page(self.request)
        ctx["can_edit"] = scope_for(self.request.user).can_edit_clients
        return ctx


class EnterpriseListView(HtmxTemplateMixin, ListView):
    template_name = "clients/enterprise_list.html"
    partial_template_name = "clients/partials/enterprise_table.html"
    paginate_by = PAGE_SIZE
    context_object_name = "enterprises"

    def get_queryset(self):
        return selectors.enterprise_list(user=self.request.user, filters=self.request.GET)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        form = EnterpriseFilterSet(self.request.GET).form
        form.fields.pop("group", None)
        ctx["filter_form"] = form
        ctx["query"] = _query_without_page(self.request)
        ctx["can_edit"] = scope_for(self.request.user).can_edit_clients
        return ctx


# --- group 360 ---------------------------------------------------------------------------------------


class GroupDetailView(HtmxTemplateMixin, TemplateView):
    """The group 360 page: a fixed number of queries whatever the size of the group."""

    template_name = "clients/group_detail.html"
    partial_template_name = "clients/partials/group_members.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        try:
            group = selectors.group_client_get(user=self.request.user, pk=kwargs["pk"])
        except GroupClient.DoesNotExist:
            raise Http404 from None
        members = list(selectors.group_members(group=group))
        tree = selectors.group_control_tree(group=group, members=members)
        member_ids = selectors.group_member_enterprise_ids(group=group)
        ctx.update(
            group=group,
            figures=selectors.group_key_figures(group=group),
            tree=tree,
            tree_data=tree.as_dict(),
            member_page=Paginator(members, MEMBER_PAGE_SIZE).get_page(self.request.GET.get("mpage")),
            member_total=len(members),
            financials=list(selectors.enterprise_latest_financials(enterprise_ids=[group.core_enterprise_id])),
            interactions=list(selectors.recent_interactions(enterprise_ids=member_ids, limit=10)),
            history=selectors.change_history(instance=group),
            can_edit=scope_for(self.request.user).can_edit_clients,
        )
        return ctx


# --- enterprise page ---------------------------------------------------------------------------------


class EnterpriseDetailView(TemplateView):
    template_name = "clients/enterprise_detail.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user = self.request.user
        try:
            enterprise = selectors.enterprise_get(user=user, pk=kwargs["pk"])
        except Enterprise.DoesNotExist:
            raise Http404 from None
        parents, children = selectors.enterprise_control_links(enterprise=enterprise)
        key_people = [
            {"person": kp.person, "role": kp.get_role_display(), "id_number": kp.person.id_number_for(user)}
            for kp in enterprise.key_people.all()
        ]
        for link in parents:
            link.parent_id_number = link.parent_person.id_number_for(user) if link.parent_person_id else ""
        ctx.update(
            enterprise=enterprise,
            parents=parents,
            children=children,
            key_people=key_people,
            financials=list(enterprise.financials.order_by("-period_end")[:12]),
            accounts=list(selectors.enterprise_accounts(enterprise=enterprise)),
            interactions=list(selectors.recent_interactions(enterprise_ids=[enterprise.pk], limit=20)),
            history=selectors.change_history(instance=enterprise),
            link_history=selectors.control_link_history(enterprise=enterprise),
            can_edit=scope_for(user).can_edit_clients,
        )
        return ctx


# --- writes ------------------------------------------------------------------------------------------


class ServiceFormMixin(ClientEditorRequiredMixin):
    """A form page whose valid submission calls a service; its ValidationError becomes form errors.

    PermissionDenied from the service propagates and Django answers 403."""

    success_message = ""

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        if getattr(self.form_class, "needs_user", False):
            kwargs["user"] = self.request.user
        return kwargs

    def form_valid(self, form):
        try:
            obj = self.perform(form)
        except ValidationError as exc:
            apply_validation_error(form, exc, getattr(form, "field_map", None))
            return self.form_invalid(form)
        messages.success(self.request, self.success_message)
        return redirect(self.success_url_for(obj))

    # Subclasses define perform(form) -> object and success_url_for(object) -> URL (the latter may
    # come from an object mixin listed after this one, hence no stub here).


def _model_form_changes(form) -> dict:
    return {name: form.cleaned_data[name] for name in form.fields}


class EnterpriseCreateView(ServiceFormMixin, FormView):
    template_name = "clients/enterprise_form.html"
    form_class = EnterpriseForm

    def perform(self, form):
        data = _model_form_changes(form)
        self.success_message = _("Enterprise created.")
        return services.enterprise_create(user=self.request.user, **data)

    def success_url_for(self, obj):
        return reverse("clients:enterprise_detail", args=[obj.pk])


class EnterpriseObjectMixin:
    """The enterprise named in the URL, among those the user sees (else 404)."""

    def dispatch(self, request, *args, **kwargs):
        # Listed after ClientEditorRequiredMixin: a role that may not edit gets 403 first, then an
        # object out of the user's scope gets 404 before any form is read.
        self.get_enterprise()
        return super().dispatch(request, *args, **kwargs)

    def get_enterprise(self):
        if not hasattr(self, "_enterprise"):
            self._enterprise = get_object_or_404(Enterprise.objects.for_user(self.request.user),
                                                 pk=self.kwargs["pk"])
        return self._enterprise

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["enterprise"] = self.get_enterprise()
        return ctx

    def success_url_for(self, obj):
        return reverse("clients:enterprise_detail", args=[self.get_enterprise().pk])


class EnterpriseEditView(ServiceFormMixin, EnterpriseObjectMixin, FormView):
    template_name = "clients/enterprise_form.html"
    form_class = EnterpriseForm

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["instance"] = self.get_enterprise()
        return kwargs

    def perform(self, form):
        self.success_message = _("Enterprise saved.")
        return services.enterprise_update(user=self.request.user, enterprise=self.get_enterprise(),
                                          **_model_form_changes(form))


class GroupObjectMixin:
    def dispatch(self, request, *args, **kwargs):
        self.get_group()
        return super().dispatch(request, *args, **kwargs)

    def get_group(self):
        if not hasattr(self, "_group"):
            try:
                self._group = selectors.group_client_get(user=self.request.user, pk=self.kwargs["pk"])
            except GroupClient.DoesNotExist:
                raise Http404 from None
        return self._group


class GroupCreateView(ServiceFormMixin, FormView):
    template_name = "clients/group_form.html"
    form_class = GroupClientForm

    def get_initial(self):
        initial = super().get_initial()
        scope = scope_for(self.request.user)
        initial.update(lead_rm=self.request.user.pk if scope.role == "rm" else None, branch=scope.branch_id)
        if self.request.GET.get("core"):
            initial["core_uscc"] = self.request.GET["core"]
        return initial

    def perform(self, form):
        self.success_message = _("Group client created.")
        return services.group_client_create(user=self.request.user, **form.service_kwargs())

    def success_url_for(self, obj):
        return reverse("clients:group_detail", args=[obj.pk])


class GroupEditView(ServiceFormMixin, GroupObjectMixin, FormView):
    template_name = "clients/group_form.html"
    form_class = GroupClientForm

    def get_initial(self):
        return GroupClientForm.initial_for(self.get_group())

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["group"] = self.get_group()
        return ctx

    def perform(self, form):
        self.success_message = _("Group client saved.")
        return services.group_client_update(user=self.request.user, group=self.get_group(),
                                            **form.service_kwargs())

    def success_url_for(self, obj):
        return reverse("clients:group_detail", args=[obj.pk])


class ControlLinkRedirectMixin:
    def success_url_for(self, link):
        """Back to the child's page, unless the change took the child out of the user's coverage
        (e.g. the share fell below control): then to the parent's page or the group list."""
        user = self.request.user
        child = self.get_enterprise()
        if Enterprise.objects.for_user(user).filter(pk=child.pk).exists():
            return reverse("clients:enterprise_detail", args=[child.pk])
        messages.info(self.request, _("%(name)s is no longer in your coverage.") % {"name": child.name})
        parent_id = getattr(link, "parent_enterprise_id", None)
        if parent_id and Enterprise.objects.for_user(user).filter(pk=parent_id).exists():
            return reverse("clients:enterprise_detail", args=[parent_id])
        return reverse("clients:group_list")


class ControlLinkCreateView(ServiceFormMixin, ControlLinkRedirectMixin, EnterpriseObjectMixin, FormView):
    template_name = "clients/control_link_form.html"
    form_class = ControlLinkForm

    def perform(self, form):
        self.success_message = _("Control link added; group membership refreshed.")
        return services.control_link_create(user=self.request.user, child=self.get_enterprise(),
                                            **form.service_kwargs())


class ControlLinkObjectMixin(EnterpriseObjectMixin):
    def dispatch(self, request, *args, **kwargs):
        self.get_enterprise()
        self.get_link()
        return super().dispatch(request, *args, **kwargs)

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


class ControlLinkEditView(ServiceFormMixin, ControlLinkRedirectMixin, ControlLinkObjectMixin, FormView):
    template_name = "clients/control_link_form.html"
    form_class = ControlLinkForm

    def get_initial(self):
        return ControlLinkForm.initial_for(self.get_link())

    def perform(self, form):
        self.success_message = _("Control link saved; group membership refreshed.")
        return services.control_link_update(user=self.request.user, link=self.get_link(),
                                            **form.service_kwargs())


class ControlLinkDeleteView(ClientEditorRequiredMixin, ControlLinkRedirectMixin, ControlLinkObjectMixin, TemplateView):
    """GET asks for confirmation; POST deletes."""

    template_name = "clients/control_link_confirm_delete.html"

    def post(self, request, *args, **kwargs):
        link = self.get_link()
        services.control_link_delete(user=request.user, link=link)
        messages.success(request, _("Control link deleted; group membership refreshed."))
        return redirect(self.success_url_for(link))


class InteractionCreateView(ServiceFormMixin, EnterpriseObjectMixin, FormView):
    template_name = "clients/interaction_form.html"
    form_class = InteractionForm

    def perform(self, form):
        self.success_message = _("Interaction logged.")
        return services.interaction_log(user=self.request.user, enterprise=self.get_enterprise(),
                                        **_model_form_changes(form))


class FinancialStatementCreateView(ServiceFormMixin, EnterpriseObjectMixin, FormView):
    template_name = "clients/financial_statement_form.html"
    form_class = FinancialStatementForm

    def perform(self, form):
        self.success_message = _("Financial statement saved.")
        return services.financial_statement_upsert(user=self.request.user, enterprise=self.get_enterprise(),
                                                   **_model_form_changes(form))
