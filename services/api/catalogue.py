"""`/api/v1/products/`, `partners/`, `holdings/` and `fx-rates/`.

- Products and partners: the catalogue, read-only, for every logged-in user; products are addressed
  by their stable code (`/api/v1/products/cash_pool/`), partners by theirs.
- Holdings: the full record's (clients.access: `Holding.objects.for_user`); filters `enterprise`
  (credit code), `product` (code), `group` (a group in the user's reach); each with its CNY
  equivalent at today's rate. POST pushes holdings in bulk through the import driver
  (imports.services.import_records, kind "holdings"): all-or-nothing, idempotent on (source_system,
  external_ref); a stored reference with a new balance, amount or end date is updated. Rows for
  enterprises out of the user's full record are row errors, never written.
- Exchange rates: read by everyone logged in (filters `currency`, `date_from`, `date_to`); POST in
  bulk (kind "fx_rates") by head office only.

Row numbers in errors are the 0-based indexes of the posted list.
"""

from __future__ import annotations

import django_filters
from django.conf import settings
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, permissions, serializers, status, viewsets
from rest_framework.response import Response

from chains.api.flows import ImportErrorsSerializer
from clients.api.fields import EnterpriseCodeField
from clients.models import GroupClient, GroupMembership
from clients.validators import normalize_uscc
from core.api.base import ErrorSerializer, ScopedViewSetMixin
from core.api.pagination import CursorPagination
from core.api.parsers import SafeJSONParser
from core.api.serializers import ModelSerializer, Serializer, json_type_error
from core.fx import cny_sql
from core.models import FxRate
from core.permissions import is_head_office
from imports.services import import_records
from services.models import Holding, Partner, Product, ProductFamily

CODE_REGEX = "[a-z0-9_-]+"

# --- catalogue -------------------------------------------------------------------------------------------


class ProductFilterSet(django_filters.FilterSet):
    family = django_filters.ChoiceFilter(choices=ProductFamily.choices)

    class Meta:
        model = Product
        fields = ["family"]


class ProductSerializer(ModelSerializer):
    partners = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True,
                                            help_text=_("Codes of the partners delivering this service."))

    class Meta:
        model = Product
        fields = ["code", "name_zh", "name_en", "family", "description_zh", "description_en", "annual_margin_pct",
                  "active", "partners"]
        read_only_fields = fields


class PartnerSerializer(ModelSerializer):
    products = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True,
                                            help_text=_("Codes of the services the partner delivers."))

    class Meta:
        model = Partner
        fields = ["code", "name", "kind", "uscc", "products", "active"]
        read_only_fields = fields


class CatalogueViewSet(ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                       viewsets.GenericViewSet):
    """The catalogue is the bank's, not client data: everyone logged in reads all of it."""

    lookup_field = "code"
    lookup_value_regex = CODE_REGEX
    permission_classes = [permissions.IsAuthenticated]

    def get_queryset(self):
        return self.optimize(self.queryset.model.objects.all())


@extend_schema_view(
    list=extend_schema(summary="List the products of the catalogue"),
    retrieve=extend_schema(summary="One product, by its code"),
)
class ProductViewSet(CatalogueViewSet):
    queryset = Product.objects.all()
    serializer_class = ProductSerializer
    filterset_class = ProductFilterSet

    def optimize(self, queryset):
        return queryset.prefetch_related("partners").order_by("family", "code")


@extend_schema_view(
    list=extend_schema(summary="List the partners delivering value-added services"),
    retrieve=extend_schema(summary="One partner, by its code"),
)
class PartnerViewSet(CatalogueViewSet):
    queryset = Partner.objects.all()
    serializer_class = PartnerSerializer
    filterset_class = None

    def optimize(self, queryset):
        return queryset.prefetch_related("products").order_by("code")


# --- bulk pushes (holdings, rates) ------------------------------------------------------------------------


class UpsertCountsSerializer(Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField(help_text=_("Stored rows whose values changed."))
    already_present = serializers.IntegerField()


class BulkImportMixin:
    """POST of one object or a list, through the import driver of `import_kind`."""

    import_kind = ""
    in_serializer_class: type[Serializer]
    parser_classes = [SafeJSONParser]

    @property
    def max_body_bytes(self) -> int:
        return settings.IMPORT_MAX_BYTES

    def type_errors(self, records: list) -> list[dict]:
        fields = self.in_serializer_class().fields
        errors = []
        for row, record in enumerate(records):
            if not isinstance(record, dict):
                continue  # the engine names a row that is not an object
            for name, field in fields.items():
                message = json_type_error(field, record.get(name))
                if message:
                    errors.append({"row": row, "field": name, "message": message})
        return errors

    def bulk_import(self, request):
        if request.content_type != SafeJSONParser.media_type:
            raise exceptions.UnsupportedMediaType(request.content_type)
        data = request.data
        records = data if isinstance(data, list) else [data]
        errors = self.type_errors(records)
        if errors:
            return Response({"errors": errors[: settings.IMPORT_MAX_ERRORS], "error_count": len(errors)},
                            status=status.HTTP_400_BAD_REQUEST)
        result = import_records(user=request.user, kind=self.import_kind, records=records, commit=True)
        if not result.ok:
            errors = [{"row": None, "field": "non_field_errors", "message": m} for m in result.file_errors]
            errors += [{"row": e.row, "field": e.column, "message": e.message} for e in result.errors.sorted()]
            return Response({"errors": errors, "error_count": result.error_count}, status=status.HTTP_400_BAD_REQUEST)
        updated = getattr(result, "updated", 0)
        body = {"created": result.created, "updated": updated, "already_present": result.already_present}
        return Response(body, status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK)


def _bulk_schema(in_serializer, summary: str, forbidden: str):
    return extend_schema(
        summary=summary,
        request=in_serializer(many=True),
        responses={
            201: OpenApiResponse(UpsertCountsSerializer, description=_("Some rows were created.")),
            200: OpenApiResponse(UpsertCountsSerializer, description=_("Nothing new: rows updated or already present.")),
            400: OpenApiResponse(ImportErrorsSerializer, description=_("Row errors; nothing was stored.")),
            403: OpenApiResponse(ErrorSerializer, description=forbidden),
        },
    )


# --- holdings ---------------------------------------------------------------------------------------------


class HoldingFilterSet(django_filters.FilterSet):
    enterprise = django_filters.CharFilter(method="filter_enterprise", label=_("enterprise credit code"))
    product = django_filters.CharFilter(field_name="product__code", label=_("product code"))
    group = django_filters.NumberFilter(method="filter_group", label=_("group client id"))

    class Meta:
        model = Holding
        fields = ["enterprise", "product", "group"]

    def filter_enterprise(self, queryset, name, value):
        return queryset.filter(enterprise__uscc=normalize_uscc(value))

    def filter_group(self, queryset, name, value):
        """Holdings of the group's members (control tree), for a group in the user's reach only."""
        if not GroupClient.objects.for_user(self.request.user).filter(pk=value).exists():
            return queryset.none()
        return queryset.filter(enterprise_id__in=GroupMembership.objects.filter(group_id=value)
                               .values("enterprise_id"))


class HoldingSerializer(ModelSerializer):
    enterprise = EnterpriseCodeField(read_only=True)
    enterprise_name = serializers.CharField(source="enterprise.name", read_only=True)
    product = serializers.CharField(source="product.code", read_only=True, help_text=_("Product code."))
    partner = serializers.CharField(source="partner.code", read_only=True, allow_null=True, default=None,
                                    help_text=_("Partner code (value-added services)."))
    balance_cny = serializers.DecimalField(max_digits=24, decimal_places=2, read_only=True, allow_null=True,
                                           help_text=_("The balance in CNY at today's rate; null without a rate."))

    class Meta:
        model = Holding
        fields = ["id", "enterprise", "enterprise_name", "product", "since", "until", "amount", "balance",
                  "currency", "balance_cny", "partner", "source_system", "external_ref", "updated_at"]
        read_only_fields = fields


class HoldingInSerializer(Serializer):
    """One posted holding: JSON types are checked here; the values are the import engine's to check."""

    enterprise = serializers.CharField(help_text=_("The holder's unified social credit code."))
    product = serializers.CharField(help_text=_("Product code (or its name in either language)."))
    since = serializers.DateField()
    until = serializers.DateField(required=False, allow_null=True)
    amount = serializers.DecimalField(max_digits=20, decimal_places=2, min_value=0, required=False, allow_null=True)
    balance = serializers.DecimalField(max_digits=20, decimal_places=2, min_value=0)
    currency = serializers.CharField(default="CNY", help_text=_("ISO 4217 code."))
    partner = serializers.CharField(required=False, allow_blank=True, help_text=_("Partner code."))
    source_system = serializers.CharField(
        max_length=50, help_text=_("The code of an active source system (the list head office keeps)."))
    external_ref = serializers.CharField(max_length=100)


class HoldingCursorPagination(CursorPagination):
    ordering = ("-id",)
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000


@extend_schema_view(
    list=extend_schema(summary="List the holdings of enterprises whose full record you have"),
    retrieve=extend_schema(summary="One holding"),
)
class HoldingViewSet(BulkImportMixin, ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                     viewsets.GenericViewSet):
    queryset = Holding.objects.all()
    serializer_class = HoldingSerializer
    filterset_class = HoldingFilterSet
    pagination_class = HoldingCursorPagination
    import_kind = "holdings"
    in_serializer_class = HoldingInSerializer

    def optimize(self, queryset):
        table = Holding._meta.db_table
        return queryset.select_related("enterprise", "product", "partner").annotate(
            balance_cny=RawSQL(cny_sql(f'"{table}"."balance"', f'"{table}"."currency"', "CURRENT_DATE"), []))

    @_bulk_schema(HoldingInSerializer, "Push holdings: one object or a list, all-or-nothing, idempotent",
                  _("Your role may not change client data."))
    def create(self, request, *args, **kwargs):
        return self.bulk_import(request)


# --- exchange rates ----------------------------------------------------------------------------------------


class FxRateFilterSet(django_filters.FilterSet):
    currency = django_filters.CharFilter(method="filter_currency", label=_("ISO 4217 code"))
    date_from = django_filters.DateFilter(field_name="date", lookup_expr="gte", label=_("from"))
    date_to = django_filters.DateFilter(field_name="date", lookup_expr="lte", label=_("to"))

    class Meta:
        model = FxRate
        fields = ["currency", "date_from", "date_to"]

    def filter_currency(self, queryset, name, value):
        return queryset.filter(currency=value.strip().upper())


class FxRateSerializer(ModelSerializer):
    class Meta:
        model = FxRate
        fields = ["id", "currency", "date", "rate", "source", "updated_at"]
        read_only_fields = fields


class FxRateInSerializer(Serializer):
    currency = serializers.CharField(help_text=_("ISO 4217 code, not CNY."))
    date = serializers.DateField()
    rate = serializers.DecimalField(max_digits=18, decimal_places=8, help_text=_("Yuan per one unit."))
    source = serializers.CharField(required=False, allow_blank=True, max_length=50)


class HeadOfficeWrites(permissions.BasePermission):
    message = _("Exchange rates are set by head office.")

    def has_permission(self, request, view):
        return request.method in permissions.SAFE_METHODS or is_head_office(request.user)


class FxRateCursorPagination(CursorPagination):
    ordering = ("-date", "currency")
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000


@extend_schema_view(
    list=extend_schema(summary="List daily exchange rates (CNY per unit)"),
    retrieve=extend_schema(summary="One exchange rate"),
)
class FxRateViewSet(BulkImportMixin, ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                    viewsets.GenericViewSet):
    queryset = FxRate.objects.all()
    serializer_class = FxRateSerializer
    filterset_class = FxRateFilterSet
    pagination_class = FxRateCursorPagination
    permission_classes = [permissions.IsAuthenticated, HeadOfficeWrites]
    import_kind = "fx_rates"
    in_serializer_class = FxRateInSerializer

    def get_queryset(self):
        return FxRate.objects.all()

    @_bulk_schema(FxRateInSerializer, "Push exchange rates (head office): all-or-nothing; a changed rate updates",
                  _("Exchange rates are set by head office."))
    def create(self, request, *args, **kwargs):
        return self.bulk_import(request)
