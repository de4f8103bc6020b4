from django.contrib import admin

from core.admin_tools import HeadOfficeOnlyMixin
from imports.models import SourceSystem


@admin.register(SourceSystem)
class SourceSystemAdmin(HeadOfficeOnlyMixin, admin.ModelAdmin):
    """The list of source systems imports may name: head office only. A code is fixed once it exists
    and a system is never deleted (flows keep its code): deactivate it instead."""

    list_display = ["code", "name", "active"]
    list_filter = ["active"]
    search_fields = ["code", "name"]

    def get_readonly_fields(self, request, obj=None):
        return ["code"] if obj is not None else []

    def has_delete_permission(self, request, obj=None):
        return False
