"""Admin for head-office staff: every model with its change history (SimpleHistoryAdmin).

The admin is a back-office tool; RMs and branch staff work through the pages, which go through the
services. Only head office (or superusers) may open these admin pages, whatever their Django
permissions say.
"""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from clients.models import (
    AccountBalance,
    BankAccount,
    ControlLink,
    Enterprise,
    FinancialStatement,
    GroupClient,
    GroupMembership,
    Interaction,
    KeyPerson,
    Person,
)
from staff.scope import scope_for


class HeadOfficeOnly:
    def _hq(self, request) -> bool:
        return request.user.is_active and request.user.is_staff and scope_for(request.user).sees_all

    def has_module_permission(self, request):
        return self._hq(request) and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return self._hq(request) and super().has_view_permission(request, obj)

    def has_add_permission(self, request, *args):
        return self._hq(request) and super().has_add_permission(request, *args)

    def has_change_permission(self, request, obj=None):
        return self._hq(request) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._hq(request) and super().has_delete_permission(request, obj)


class KeyPersonInline(HeadOfficeOnly, admin.TabularInline):
    model = KeyPerson
    extra = 0
    autocomplete_fields = ["person"]


@admin.register(Enterprise)
class EnterpriseAdmin(HeadOfficeOnly, SimpleHistoryAdmin):
    list_display = ["name", "uscc", "industry", "region", "size", "is_client", "branch", "rm", "internal_rating"]
    list_filter = ["is_client", "size", "region", "internal_rating"]
    search_fields = ["name", "=uscc"]
    list_select_related = ["branch", "rm"]
    raw_id_fields = ["rm"]
    inlines = [KeyPersonInline]


@admin.register(Person)
class PersonAdmin(HeadOfficeOnly, SimpleHistoryAdmin):
    list_display = ["name", "id_number"]
    search_fields = ["name", "=id_number"]


@admin.register(GroupClient)
class GroupClientAdmin(HeadOfficeOnly, SimpleHistoryAdmin):
    list_display = ["name", "core_enterprise", "tier", "branch", "lead_rm", "unified_credit_limit",
                    "membership_refreshed_at"]
    list_filter = ["tier"]
    search_fields = ["name", "core_enterprise__name", "=core_enterprise__uscc"]
    list_select_related = ["core_enterprise", "branch", "lead_rm"]
    raw_id_fields = ["core_enterprise", "lead_rm"]
    filter_horizontal = ["team"]
    readonly_fields = ["membership_refreshed_at", "membership_warnings"]


@admin.register(ControlLink)
class ControlLinkAdmin(HeadOfficeOnly, SimpleHistoryAdmin):
    list_display = ["__str__", "control_type", "share_pct"]
    list_filter = ["control_type"]
    search_fields = ["child__name", "=child__uscc", "parent_enterprise__name", "parent_person__name"]
    raw_id_fields = ["parent_enterprise", "parent_person", "child"]
    list_select_related = ["parent_enterprise", "parent_person", "child"]


@admin.register(GroupMembership)
class GroupMembershipAdmin(HeadOfficeOnly, admin.ModelAdmin):
    """Derived rows: read-only (rebuilt by group_membership_refresh)."""

    list_display = ["group", "enterprise", "reason", "controlled_share", "depth"]
    list_filter = ["reason"]
    list_select_related = ["group", "enterprise"]
    search_fields = ["group__name", "enterprise__name"]

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(FinancialStatement)
class FinancialStatementAdmin(HeadOfficeOnly, SimpleHistoryAdmin):
    list_display = ["enterprise", "period_end", "period_type", "revenue", "net_profit", "total_assets"]
    list_filter = ["period_type"]
    search_fields = ["enterprise__name", "=enterprise__uscc"]
    raw_id_fields = ["enterprise"]
    list_select_related = ["enterprise"]


class AccountBalanceInline(HeadOfficeOnly, admin.TabularInline):
    model = AccountBalance
    extra = 0
    ordering = ["-date"]


@admin.register(BankAccount)
class BankAccountAdmin(HeadOfficeOnly, SimpleHistoryAdmin):
    list_display = ["account_no", "enterprise", "kind", "currency", "opened_on", "closed_on"]
    list_filter = ["kind", "currency"]
    search_fields = ["=account_no", "enterprise__name"]
    raw_id_fields = ["enterprise"]
    list_select_related = ["enterprise"]
    inlines = [AccountBalanceInline]


@admin.register(Interaction)
class InteractionAdmin(HeadOfficeOnly, SimpleHistoryAdmin):
    list_display = ["occurred_at", "kind", "enterprise", "subject", "staff"]
    list_filter = ["kind"]
    search_fields = ["subject", "enterprise__name"]
    raw_id_fields = ["enterprise", "staff"]
    list_select_related = ["enterprise", "staff"]
    date_hierarchy = "occurred_at"
