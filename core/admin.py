from django.contrib import admin

from core.admin_tools import HeadOfficeOnlyMixin
from core.models import JobRun


@admin.register(JobRun)
class JobRunAdmin(HeadOfficeOnlyMixin, admin.ModelAdmin):
    """Runs are written by the jobs (core.jobs.record_run) only: the admin reads them."""

    list_display = ["job", "subject_type", "subject_id", "status", "started_at", "finished_at", "counts"]
    list_filter = ["status", "subject_type"]
    search_fields = ["=job"]
    list_select_related = ["subject_type"]
    date_hierarchy = "started_at"
    readonly_fields = ["job", "subject_type", "subject_id", "status", "started_at", "finished_at", "counts", "error"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
