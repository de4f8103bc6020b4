"""Admin for head-office staff: every client model with its change history (SimpleHistoryAdmin).

The admin is a back-office tool; RMs and branch staff work through the pages. Only head office (or
superusers) may open these admin pages, whatever their Django permissions say, and every write goes
through clients.services / clients.approvals (core.admin_tools). What has no service is read-only
here: derived rows (group membership), claims and change requests (decided through the approval
services), key people and balances (inlines).
"""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from clients import approvals, services
from clients.models import (
    AccountBalance,
    BankAccount,
    ChangeApproval,
    ChangeRequest,
    ControlLink,
    Enterprise,
    EnterpriseClaim,
    FinancialStatement,
    GroupClient,
    GroupMembership,
    Interaction,
    KeyPerson,
    Person,
)
from core.admin_tools import HeadOfficeOnlyMixin, ReadOnlyAdminMixin, ServiceAdminMixin, run_service_action


class KeyPersonInline(HeadOfficeOnlyMixin, ReadOnlyAdminMixin, admin.TabularInline):
    model = KeyPerson
    extra = 0


@admin.register(Enterprise)
class EnterpriseAdmin(HeadOfficeOnlyMixin, ServiceAdminMixin, SimpleHistoryAdmin):
    list_display = ["name", "uscc", "industry", "region", "size", "is_client", "branch", "rm", "internal_rating"]
    list_filter = ["is_client", "size", "region", "internal_rating"]
    search_fields = ["name", "=uscc"]
    list_select_related = ["branch", "rm"]
    raw_id_fields = ["rm"]
    readonly_fields = ["recorded_by"]
    inlines = [KeyPersonInline]
    create_service = services.enterprise_create

    def service_update(self, request, form, obj):
        """The ordinary edit, then the rating through its own service."""
        changes = self.update_kwargs(request, form, obj)
        rating_changed = "internal_rating" in changes
        rating = changes.pop("internal_rating", "")
        enterprise = services.enterprise_update(user=request.user, enterprise=obj, **changes)
        if rating_changed:
            enterprise = services.enterprise_rating_set(user=request.user, enterprise=enterprise, rating=rating)
        return enterprise


@admin.register(Person)
class PersonAdmin(HeadOfficeOnlyMixin, ServiceAdminMixin, SimpleHistoryAdmin):
    """Recorded through person_create; there is no service to change or remove a person."""

    list_display = ["name", "id_number", "recorded_by"]
    search_fields = ["name", "=id_number"]
    readonly_fields = ["recorded_by"]
    create_service = services.person_create


class GroupClientAdminForm(forms.ModelForm):
    confirm_limit_change = forms.BooleanField(
        label=_("Confirm a large limit change"), required=False,
        help_text=_("Needed when the new unified credit limit is far above or below the current one."),
    )

    class Meta:
        model = GroupClient
        fields = ["name", "core_enterprise", "tier", "branch", "lead_rm", "team", "unified_credit_limit"]


@admin.register(GroupClient)
class GroupClientAdmin(HeadOfficeOnlyMixin, ServiceAdminMixin, SimpleHistoryAdmin):
    form = GroupClientAdminForm
    list_display = ["name", "core_enterprise", "tier", "branch", "lead_rm", "unified_credit_limit",
                    "membership_refreshed_at"]
    list_filter = ["tier"]
    search_fields = ["name", "core_enterprise__name", "=core_enterprise__uscc"]
    list_select_related = ["core_enterprise", "branch", "lead_rm"]
    raw_id_fields = ["core_enterprise", "lead_rm"]
    filter_horizontal = ["team"]
    readonly_fields = ["membership_refreshed_at", "membership_warnings"]

    def create_kwargs(self, request, form):
        kwargs = super().create_kwargs(request, form)
        kwargs.pop("confirm_limit_change", None)
        return kwargs

    def service_create(self, request, form):
        return services.group_client_create(user=request.user, **self.create_kwargs(request, form))

    def service_update(self, request, form, obj):
        """The ordinary edit (head office may change branch, lead RM and team directly), then the
        limit through group_limit_set, which asks for confirmation of a large change."""
        changes = self.update_kwargs(request, form, obj)
        changes.pop("confirm_limit_change", None)
        limit_changed = "unified_credit_limit" in changes
        limit = changes.pop("unified_credit_limit", None)
        group = services.group_client_update(user=request.user, group=obj, **changes)
        if limit_changed:
            group = services.group_limit_set(user=request.user, group=group, limit=limit,
                                             confirm=form.cleaned_data.get("confirm_limit_change", False))
        return group


@admin.register(ControlLink)
class ControlLinkAdmin(HeadOfficeOnlyMixin, ServiceAdminMixin, SimpleHistoryAdmin):
    """Every write refreshes the membership of the groups the link touches (the services do)."""

    list_display = ["__str__", "control_type", "share_pct"]
    list_filter = ["control_type"]
    search_fields = ["child__name", "=child__uscc", "parent_enterprise__name", "parent_person__name"]
    raw_id_fields = ["parent_enterprise", "parent_person", "child"]
    list_select_related = ["parent_enterprise", "parent_person", "child"]
    create_service = services.control_link_create
    update_service = services.control_link_update
    delete_service = services.control_link_delete
    service_object = "link"


@admin.register(GroupMembership)
class GroupMembershipAdmin(HeadOfficeOnlyMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Derived rows: read-only (rebuilt by group_membership_refresh)."""

    list_display = ["group", "enterprise", "reason", "controlled_share", "depth"]
    list_filter = ["reason"]
    list_select_related = ["group", "enterprise"]
    search_fields = ["group__name", "enterprise__name"]


@admin.register(FinancialStatement)
class FinancialStatementAdmin(HeadOfficeOnlyMixin, ServiceAdminMixin, SimpleHistoryAdmin):
    """Created and changed through financial_statement_upsert (one statement per enterprise and period)."""

    list_display = ["enterprise", "period_end", "period_type", "revenue", "net_profit", "total_assets"]
    list_filter = ["period_type"]
    search_fields = ["enterprise__name", "=enterprise__uscc"]
    raw_id_fields = ["enterprise"]
    list_select_related = ["enterprise"]
    readonly_on_change = ("enterprise", "period_end", "period_type")

    def service_create(self, request, form):
        statement, _created = services.financial_statement_upsert(user=request.user, **form.cleaned_data)
        return statement

    def service_update(self, request, form, obj):
        statement, _created = services.financial_statement_upsert(
            user=request.user, enterprise=obj.enterprise, period_end=obj.period_end, period_type=obj.period_type,
            **self.update_kwargs(request, form, obj),
        )
        return statement


class AccountBalanceInline(HeadOfficeOnlyMixin, ReadOnlyAdminMixin, admin.TabularInline):
    model = AccountBalance
    extra = 0
    ordering = ["-date"]


@admin.register(BankAccount)
class BankAccountAdmin(HeadOfficeOnlyMixin, ServiceAdminMixin, SimpleHistoryAdmin):
    """Opened through bank_account_create; balances come from the core banking feed (read-only here)."""

    list_display = ["account_no", "enterprise", "kind", "currency", "opened_on", "closed_on"]
    list_filter = ["kind", "currency"]
    search_fields = ["=account_no", "enterprise__name"]
    raw_id_fields = ["enterprise"]
    list_select_related = ["enterprise"]
    inlines = [AccountBalanceInline]
    create_service = services.bank_account_create


@admin.register(Interaction)
class InteractionAdmin(HeadOfficeOnlyMixin, ServiceAdminMixin, SimpleHistoryAdmin):
    """Logged through interaction_log, with the acting user as its staff member."""

    list_display = ["occurred_at", "kind", "enterprise", "subject", "staff"]
    list_filter = ["kind"]
    search_fields = ["subject", "enterprise__name"]
    raw_id_fields = ["enterprise"]
    readonly_fields = ["staff"]
    list_select_related = ["enterprise", "staff"]
    date_hierarchy = "occurred_at"
    create_service = services.interaction_log


@admin.register(EnterpriseClaim)
class EnterpriseClaimAdmin(HeadOfficeOnlyMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Claims are made on the pages (enterprise_claim); listed here."""

    list_display = ["enterprise", "branch", "claimed_by", "claimed_at"]
    list_select_related = ["enterprise", "branch", "claimed_by"]
    search_fields = ["enterprise__name", "=enterprise__uscc"]
    date_hierarchy = "claimed_at"


class ChangeApprovalInline(HeadOfficeOnlyMixin, ReadOnlyAdminMixin, admin.TabularInline):
    model = ChangeApproval
    extra = 0


@admin.register(ChangeRequest)
class ChangeRequestAdmin(HeadOfficeOnlyMixin, ReadOnlyAdminMixin, SimpleHistoryAdmin):
    """Requests are opened on the pages; head office may approve or reject them here, through the
    approval services (four eyes: never their own)."""

    list_display = ["__str__", "kind", "status", "enterprise", "group", "requested_by", "requested_at",
                    "decided_by", "decided_at"]
    list_filter = ["kind", "status"]
    list_select_related = ["enterprise", "group", "requested_by", "decided_by"]
    search_fields = ["enterprise__name", "=enterprise__uscc", "group__name"]
    inlines = [ChangeApprovalInline]
    actions = ["approve_requests", "reject_requests"]

    def has_decide_permission(self, request):
        return self.has_view_permission(request) and request.user.has_perm("clients.change_changerequest")

    @admin.action(description=_("Approve the selected requests"), permissions=["decide"])
    def approve_requests(self, request, queryset):
        run_service_action(self, request, queryset, approvals.approve, "request")

    @admin.action(description=_("Reject the selected requests"), permissions=["decide"])
    def reject_requests(self, request, queryset):
        run_service_action(self, request, queryset, approvals.reject, "request")
