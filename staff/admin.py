"""Admin for head office: the branch tree and staff profiles (core.admin_tools: head office only).

A branch is created through staff.services.branch_create, which sets its materialised path; once it
exists, its level and parent (which the path and every subtree rule depend on) are fixed here, and
only its code and name may change. Staff profiles have no service yet and are saved as the admin
does, by head office only.
"""

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from core.admin_tools import HeadOfficeOnlyMixin, ServiceAdminMixin
from staff import services
from staff.models import Branch, StaffProfile


@admin.register(Branch)
class BranchAdmin(HeadOfficeOnlyMixin, ServiceAdminMixin, admin.ModelAdmin):
    list_display = ["code", "name", "level", "parent", "path"]
    list_filter = ["level"]
    search_fields = ["code", "name"]
    readonly_fields = ["path"]
    readonly_on_change = ("level", "parent")

    def service_create(self, request, form):
        data = form.cleaned_data
        try:
            return services.branch_create(code=data["code"], name=data["name"], level=data["level"],
                                          parent=data.get("parent"))
        except ValueError as exc:
            raise ValidationError({"parent": _("The head office, and only the head office, has no parent.")}) from exc

    def service_update(self, request, form, obj):
        """Code and name only: the path does not depend on them."""
        obj.full_clean()
        obj.save(update_fields=["code", "name"])
        return obj


@admin.register(StaffProfile)
class StaffProfileAdmin(HeadOfficeOnlyMixin, admin.ModelAdmin):
    list_display = ["user", "display_name", "role", "branch"]
    list_filter = ["role", "branch"]
    list_select_related = ["user", "branch"]
    search_fields = ["user__username", "display_name"]
    raw_id_fields = ["user"]
