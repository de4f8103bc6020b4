from django.contrib import admin

from core.admin_tools import HeadOfficeOnlyMixin
from core.models import JobRun


@admin.register(JobRun)
class JobRunAdmin(HeadOfficeOnlyMixin, admin.ModelAdmin):
    list_display = ["job", "status", "started_at", "finished_at", "counts"]
    list_filter = ["job", "status"]
    readonly_fields = ["job", "status", "started_at", "finished_at", "counts", "error"]
