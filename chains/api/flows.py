"""`/api/v1/flows/`: read flows (cursor-paginated, filtered) and push them in bulk.

POST goes through the same import driver and flow importer as files (imports.services.import_records,
chains.importers.FlowImporter): the same checks, all-or-nothing, idempotent on (source_system,
external_ref); each row names an active source system (imports.SourceSystem). Row numbers in errors
are the 0-based indexes of the posted list.
"""

from __future__ import annotations

import django_filters
from django.conf import settings
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.response import Response

from chains.models import Channel, Flow, FlowKind
from clients.validators import normalize_uscc
from core.api.base import ErrorSerializer, ScopedViewSetMixin
from core.api.pagination import CursorPagination
from core.api.parsers import SafeJSONParser
from core.api.serializers import ModelSerializer, Serializer, json_type_error
from imports.services import import_records

# --- filters ----------------------------------------------------------------------------------------


class FlowFilterSet(django_filters.FilterSet):
    payer = django_filters.CharFilter(method="filter_code", label=_("payer credit code"))
    payee = django_filters.CharFilter(method="filter_code", label=_("payee credit code"))
    group = django_filters.NumberFilter(method="filter_group", label=_("group client id"))
    date_from = django_filters.DateFilter(field_name="value_date", lookup_expr="gte", label=_("from"))
    date_to = django_filters.DateFilter(field_name="value_date", lookup_expr="lte", label=_("to"))
    kind = django_filters.ChoiceFilter(choices=FlowKind.choices)
    channel = django_filters.ChoiceFilter(choices=Channel.choices)

    class Meta:
        model = Flow
        fields = ["payer", "payee", "group", "date_from", "date_to", "kind", "channel"]

    def filter_code(self, queryset, name, value):
        return queryset.filter(**{f"{name}__uscc": normalize_uscc(value)})

    def filter_group(self, queryset, name, value):
        """Flows where the payer or the payee is in the group (control tree) or in its circle."""
        from circles.models import CircleMember
        from clients.models import GroupClient, GroupMembership

        # Only a group the user covers: filtering by someone else's group would tell which of the
        # user's own enterprises belong to it.
        if not GroupClient.objects.for_user(self.request.user).filter(pk=value).exists():
            return queryset.none()
        ids = (
            GroupMembership.objects.filter(group_id=value).values("enterprise_id")
            .union(CircleMember.objects.filter(group_id=value).values("enterprise_id"))
            .union(GroupClient.objects.filter(pk=value).values("core_enterprise_id"))
        )
        # A union cannot sit inside `__in` twice on every backend; materialise the (small) id set.
        members = list(ids.values_list("enterprise_id", flat=True))
        return queryset.filter(Q(payer_id__in=members) | Q(payee_id__in=members))


# --- serializers ------------------------------------------------------------------------------------


class FlowSerializer(ModelSerializer):
    payer = serializers.CharField(source="payer.uscc", help_text=_("Payer's unified social credit code."))
    payee = serializers.CharField(source="payee.uscc", help_text=_("Payee's unified social credit code."))
    payer_name = serializers.CharField(source="payer.name", read_only=True)
    payee_name = serializers.CharField(source="payee.name", read_only=True)

    class Meta:
        model = Flow
        fields = ["id", "payer", "payer_name", "payee", "payee_name", "amount", "currency", "value_date", "kind",
                  "channel", "source_system", "external_ref", "imported_at"]
        read_only_fields = fields


class FlowInSerializer(Serializer):
    """One posted flow: its fields' JSON types are checked here (`type_errors`); the values are the
    import engine's to validate."""

    payer = serializers.CharField(help_text=_("Payer's unified social credit code."))
    payee = serializers.CharField(help_text=_("Payee's unified social credit code."))
    amount = serializers.DecimalField(max_digits=18, decimal_places=2, min_value=0)
    currency = serializers.CharField(default="CNY", help_text=_("ISO 4217 code."))
    value_date = serializers.DateField()
    kind = serializers.ChoiceField(choices=FlowKind.choices)
    channel = serializers.ChoiceField(choices=Channel.choices)
    source_system = serializers.CharField(
        max_length=50, help_text=_("The code of an active source system (the list head office keeps)."))
    external_ref = serializers.CharField(max_length=100)


def type_errors(records: list) -> list[dict]:
    """Row errors for values whose JSON type is not the documented one (an amount sent as a number, a
    reference as an integer): the import engine reads every cell as text and would accept them."""
    fields = FlowInSerializer().fields
    errors = []
    for row, record in enumerate(records):
        if not isinstance(record, dict):
            continue  # the engine names a row that is not an object
        for name, field in fields.items():
            message = json_type_error(field, record.get(name))
            if message:
                errors.append({"row": row, "field": name, "message": message})
    return errors


class ImportCountsSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    already_present = serializers.IntegerField()


class RowErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField(allow_null=True, help_text=_("0-based index in the posted list."))
    field = serializers.CharField()
    message = serializers.CharField()


class ImportErrorsSerializer(serializers.Serializer):
    errors = RowErrorSerializer(many=True)
    error_count = serializers.IntegerField(help_text=_("All errors, including those not listed."))


class FlowCursorPagination(CursorPagination):
    ordering = ("-value_date", "-id")
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000


# --- viewset ----------------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="List flows touching enterprises you can see"),
    retrieve=extend_schema(summary="One flow"),
)
class FlowViewSet(ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    queryset = Flow.objects.all()
    serializer_class = FlowSerializer
    filterset_class = FlowFilterSet
    pagination_class = FlowCursorPagination
    parser_classes = [SafeJSONParser]  # JSON only: a form-encoded body answers 415

    @property
    def max_body_bytes(self) -> int:
        """The documented import limit (README: IMPORT_MAX_BYTES, command line and API), not the
        smaller API default: a push of many flows is an import."""
        return settings.IMPORT_MAX_BYTES

    def optimize(self, queryset):
        return queryset.select_related("payer", "payee")

    @extend_schema(
        summary="Push flows: one object or a list, all-or-nothing, idempotent",
        request=FlowInSerializer(many=True),
        responses={
            201: OpenApiResponse(ImportCountsSerializer, description=_("Some flows were created.")),
            200: OpenApiResponse(ImportCountsSerializer, description=_("Nothing new: all already present.")),
            400: OpenApiResponse(ImportErrorsSerializer, description=_("Row errors; nothing was stored.")),
            403: OpenApiResponse(ErrorSerializer, description=_("Your role may not change client data.")),
        },
    )
    def create(self, request, *args, **kwargs):
        if request.content_type != SafeJSONParser.media_type:
            # DRF falls back to a form body another layer already read (request.POST): refuse it here.
            raise exceptions.UnsupportedMediaType(request.content_type)
        data = request.data
        records = data if isinstance(data, list) else [data]
        errors = type_errors(records)
        if errors:
            return Response({"errors": errors[: settings.IMPORT_MAX_ERRORS], "error_count": len(errors)},
                            status=status.HTTP_400_BAD_REQUEST)
        result = import_records(user=request.user, kind="flows", records=records, commit=True)
        if not result.ok:
            errors = [{"row": None, "field": "non_field_errors", "message": m} for m in result.file_errors]
            errors += [{"row": e.row, "field": e.column, "message": e.message} for e in result.errors.sorted()]
            return Response({"errors": errors, "error_count": result.error_count}, status=status.HTTP_400_BAD_REQUEST)
        body = {"created": result.created, "already_present": result.already_present}
        return Response(body, status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK)
