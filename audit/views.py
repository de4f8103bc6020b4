"""The audit log page for head office: /audit/."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from django.views.generic import ListView

from audit.filtersets import AuditEventFilterSet
from audit.models import AuditEvent
from core.htmx import HtmxTemplateMixin
from core.views import query_without_page
from staff.scope import scope_for

EVENTS_PAGE_SIZE = 50


class AuditEventListView(HtmxTemplateMixin, ListView):
    """GET /audit/?user=&event=&date_from=&date_to=&address=: events, newest first, 50 a page, a fixed
    number of queries per page. Head office only: every other role gets 403."""

    template_name = "audit/event_list.html"
    partial_template_name = "audit/partials/event_table.html"
    context_object_name = "events"
    paginate_by = EVENTS_PAGE_SIZE

    def dispatch(self, request, *args, **kwargs):
        if not scope_for(request.user).sees_all:
            raise PermissionDenied(_("Only head office reads the audit log."))
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        events = AuditEvent.objects.order_by("-at", "-pk")
        self.filterset = AuditEventFilterSet(self.request.GET or None, queryset=events)
        if self.filterset.is_bound and not self.filterset.is_valid():
            return events.none()  # the form says which field is wrong
        return self.filterset.qs

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["filter_form"] = self.filterset.form
        ctx["query"] = query_without_page(self.request)
        return ctx
