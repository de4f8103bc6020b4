from django.contrib import admin

from core.admin_tools import HeadOfficeOnlyMixin, ServiceAdminMixin
from core.models import FxRate, JobRun, OutboxMessage


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


@admin.register(OutboxMessage)
class OutboxMessageAdmin(HeadOfficeOnlyMixin, admin.ModelAdmin):
    """Follow-up work waiting for (or handed to) the broker; written by core.outbox, read here."""

    list_display = ["task", "dedup_key", "created_at", "attempts", "next_attempt_at", "sent_at"]
    list_filter = ["task", ("sent_at", admin.EmptyFieldListFilter)]
    search_fields = ["=task", "dedup_key"]
    date_hierarchy = "created_at"
    readonly_fields = ["task", "args", "kwargs", "dedup_key", "created_at", "attempts", "next_attempt_at", "sent_at",
                       "last_error"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # deleting follow-up work is exactly what the outbox exists to prevent


@admin.register(FxRate)
class FxRateAdmin(HeadOfficeOnlyMixin, ServiceAdminMixin, admin.ModelAdmin):
    """Daily exchange rates, written through services.catalogue.fx_rate_set (head office; the flow
    summary of the currency is re-converted from that day on). A rate is corrected, never deleted."""

    list_display = ["currency", "date", "rate", "source", "updated_at"]
    list_filter = ["currency"]
    date_hierarchy = "date"
    readonly_on_change = ("currency", "date")

    def service_create(self, request, form):
        from services.catalogue import fx_rate_set

        data = form.cleaned_data
        return fx_rate_set(request.user, currency=data["currency"], date=data["date"], rate=data["rate"],
                           source=data.get("source", ""))

    def service_update(self, request, form, obj):
        from services.catalogue import fx_rate_set

        data = form.cleaned_data
        return fx_rate_set(request.user, currency=obj.currency, date=obj.date, rate=data["rate"],
                           source=data.get("source", ""))
