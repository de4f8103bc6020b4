"""Admin for chain links (detection runs are core.JobRun rows). Status changes go through the services (admin actions)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from chains import services
from chains.models import ChainLink
from core.admin_tools import HeadOfficeOnlyMixin, ServiceAdminMixin, run_service_action


@admin.register(ChainLink)
class ChainLinkAdmin(HeadOfficeOnlyMixin, ServiceAdminMixin, SimpleHistoryAdmin):
    """Head office only; declared, changed and deleted through chains.services (core.admin_tools)."""

    list_display = ["group", "supplier", "buyer", "tier", "goods", "status", "volume", "created_at"]
    list_filter = ["status", "tier"]
    search_fields = ["group__name", "supplier__name", "supplier__uscc", "buyer__name", "buyer__uscc"]
    raw_id_fields = ["group", "supplier", "buyer"]
    list_select_related = ["group", "supplier", "buyer"]
    actions = ["confirm_links", "dismiss_links"]
    readonly_fields = ["status", "volume", "payment_count", "months_active"]  # detection's figures
    readonly_on_change = ("group", "supplier", "buyer")
    create_service = services.chain_link_declare
    update_service = services.chain_link_update
    delete_service = services.chain_link_delete
    service_object = "link"

    @admin.action(description=_("Confirm selected detected links"), permissions=["change"])
    def confirm_links(self, request, queryset):
        run_service_action(self, request, queryset, services.chain_link_confirm, "link")

    @admin.action(description=_("Dismiss selected detected links"), permissions=["change"])
    def dismiss_links(self, request, queryset):
        run_service_action(self, request, queryset, services.chain_link_dismiss, "link")

