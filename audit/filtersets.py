"""Searching the audit log: by user, event, date range and client address."""

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from audit.models import AuditEvent, AuditEventKind


class AuditEventFilterSet(django_filters.FilterSet):
    user = django_filters.CharFilter(label=_("User"), field_name="username", lookup_expr="iexact", max_length=150)
    event = django_filters.ChoiceFilter(label=_("Event"), choices=AuditEventKind.choices)
    date_from = django_filters.DateFilter(label=_("From"), field_name="at", lookup_expr="date__gte",
                                          widget=forms.DateInput(attrs={"type": "date"}))
    date_to = django_filters.DateFilter(label=_("To"), field_name="at", lookup_expr="date__lte",
                                        widget=forms.DateInput(attrs={"type": "date"}))
    address = django_filters.CharFilter(label=_("Client address"), field_name="ip", lookup_expr="startswith",
                                        max_length=45, help_text=_("An address or its beginning, e.g. 10.2."))

    class Meta:
        model = AuditEvent
        fields = ["user", "event", "date_from", "date_to", "address"]
