"""Operations pages for head office: the record of background job runs (DESIGN.md section 3)."""

from __future__ import annotations

import django_filters
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import ListView

from core.htmx import HtmxTemplateMixin
from core.jobs import job_names
from core.models import JobRun, JobStatus
from core.views import query_without_page
from staff.scope import scope_for

RUNS_PAGE_SIZE = 50


class HeadOfficeRequiredMixin:
    """Operations pages are head office's: every other role gets 403."""

    def dispatch(self, request, *args, **kwargs):
        if not scope_for(request.user).sees_all:
            raise PermissionDenied(_("Only head office sees the operations pages."))
        return super().dispatch(request, *args, **kwargs)


class JobRunFilterSet(django_filters.FilterSet):
    """Runs of one job and/or in one status. The job names are read once per request (one query)."""

    job = django_filters.ChoiceFilter(label=gettext_lazy("Job"), choices=[])
    status = django_filters.ChoiceFilter(label=gettext_lazy("Status"), choices=JobStatus.choices)

    class Meta:
        model = JobRun
        fields = ["job", "status"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["job"].extra["choices"] = [(name, name) for name in job_names()]


class JobRunListView(HeadOfficeRequiredMixin, HtmxTemplateMixin, ListView):
    """GET /ops/runs/?job=&status=: job runs, newest first, with their subject, duration, counts and
    error. A fixed number of queries per page (one more per kind of subject on the page)."""

    template_name = "core/job_run_list.html"
    partial_template_name = "core/partials/job_run_table.html"
    context_object_name = "runs"
    paginate_by = RUNS_PAGE_SIZE

    def get_queryset(self):
        runs = JobRun.objects.select_related("subject_type", "user__profile").order_by("-started_at", "-pk")
        self.filterset = JobRunFilterSet(self.request.GET or None, queryset=runs)
        if self.filterset.is_bound and not self.filterset.is_valid():
            return runs.none()  # e.g. a job with no run on record: nothing matches (the form says why)
        return self.filterset.qs.prefetch_related("subject")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["filter_form"] = self.filterset.form
        ctx["query"] = query_without_page(self.request)
        return ctx
