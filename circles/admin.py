from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from circles.models import CircleMember, Guarantee


@admin.register(CircleMember)
class CircleMemberAdmin(SimpleHistoryAdmin):
    list_display = ["enterprise", "group", "role", "tier", "source", "since"]
    list_filter = ["role", "source"]
    search_fields = ["enterprise__name", "enterprise__uscc", "group__name"]
    raw_id_fields = ["group", "enterprise"]
    list_select_related = ["enterprise", "group"]


@admin.register(Guarantee)
class GuaranteeAdmin(SimpleHistoryAdmin):
    list_display = ["guarantor", "borrower", "amount", "currency", "start_date", "end_date"]
    search_fields = ["guarantor__name", "guarantor__uscc", "borrower__name", "borrower__uscc"]
    raw_id_fields = ["guarantor", "borrower"]
    list_select_related = ["guarantor", "borrower"]
