"""Admin for head office: circle members and guarantees, written through circles.services
(core.admin_tools). Members from the control tree are derived from the control links: read-only."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from circles import services
from circles.models import CircleMember, CircleSource, Guarantee
from core.admin_tools import HeadOfficeOnlyMixin, ServiceAdminMixin


@admin.register(CircleMember)
class CircleMemberAdmin(HeadOfficeOnlyMixin, ServiceAdminMixin, SimpleHistoryAdmin):
    list_display = ["enterprise", "group", "role", "tier", "source", "since"]
    list_filter = ["role", "source"]
    search_fields = ["enterprise__name", "enterprise__uscc", "group__name"]
    raw_id_fields = ["group", "enterprise"]
    list_select_related = ["enterprise", "group"]
    create_service = services.circle_member_add
    update_service = services.circle_member_update
    delete_service = services.circle_member_remove
    service_object = "member"
    readonly_on_change = ("group", "enterprise")

    @staticmethod
    def _derived(obj) -> bool:
        return obj is not None and obj.source == CircleSource.CONTROL

    def has_change_permission(self, request, obj=None):
        return not self._derived(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not self._derived(obj) and super().has_delete_permission(request, obj)


@admin.register(Guarantee)
class GuaranteeAdmin(HeadOfficeOnlyMixin, ServiceAdminMixin, SimpleHistoryAdmin):
    list_display = ["guarantor", "borrower", "amount", "currency", "start_date", "end_date"]
    search_fields = ["guarantor__name", "guarantor__uscc", "borrower__name", "borrower__uscc"]
    raw_id_fields = ["guarantor", "borrower"]
    list_select_related = ["guarantor", "borrower"]
    create_service = services.guarantee_create
    update_service = services.guarantee_update
    delete_service = services.guarantee_delete
    service_object = "guarantee"
