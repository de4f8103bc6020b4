"""`/api/v1/facilities/`, `exposures/`, `sub-limits/`, `pledges/`, `other-bank-financing/` and
`risk-settings/` (issue 10 parts 2 and 3).

Reads follow the full record (`for_user` querysets: facilities, pledges and other banks' financing by
their enterprise; sub-limits and exposures by the groups in reach); out of reach answers 404. Writes go
through risk.facilities and risk.pledges: facilities, sub-limits and pledges by risk officers and head
office (others 403 before their payload is read), other banks' financing by the roles that edit client
data and risk officers, the concentration limits by head office. Enterprises travel by credit code
(full record only: anything else is an unknown code), products by code. A pledge of an asset already
financed is a 400 naming the earlier financing."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from clients.access import Reach
from clients.api.fields import EnterpriseCodeField, GroupInReachField
from clients.models import GroupClient
from clients.validators import normalize_uscc
from core.api.base import ErrorSerializer, ScopedViewSetMixin
from core.api.pagination import PageNumberPagination
from core.api.serializers import FlatListField, ModelSerializer, Serializer
from core.permissions import LimitSetter, is_head_office
from risk import exposure, facilities, pledges
from risk.models import (
    Facility,
    FacilityStatus,
    OtherBankFinancing,
    Pledge,
    PledgeKind,
    RiskSettings,
    SubLimit,
)
from staff.scope import scope_for


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


def _money(**kwargs):
    return serializers.DecimalField(max_digits=20, decimal_places=2, **kwargs)


# --- facilities -----------------------------------------------------------------------------------------


class FacilityFilterSet(django_filters.FilterSet):
    group = django_filters.NumberFilter(field_name="enterprise__memberships__group_id", label=_("group client id"))
    enterprise = django_filters.CharFilter(method="filter_enterprise", label=_("enterprise credit code"))
    product = django_filters.CharFilter(field_name="product__code", label=_("product code"))
    status = django_filters.ChoiceFilter(choices=FacilityStatus.choices)

    class Meta:
        model = Facility
        fields = ["group", "enterprise", "product", "status"]

    def filter_enterprise(self, queryset, name, value):
        return queryset.filter(enterprise__uscc=normalize_uscc(value))


class FacilitySerializer(ModelSerializer):
    enterprise = EnterpriseCodeField(reach=Reach.FULL, help_text=_("Credit code of an enterprise in your full record."))
    enterprise_name = serializers.CharField(source="enterprise.name", read_only=True)
    product = serializers.CharField(max_length=40, write_only=True,
                                    help_text=_("Product code (GET /api/v1/products/)."))
    product_code = serializers.CharField(source="product.code", read_only=True)
    guarantee_ids = serializers.SerializerMethodField()
    limit_amount = _money(min_value=0)
    drawn = _money(min_value=0, required=False)
    past_due_amount = _money(min_value=0, required=False)
    currency = serializers.CharField(max_length=3, default="CNY", help_text=_("ISO 4217 code, e.g. CNY."))
    guarantees = FlatListField(child=serializers.IntegerField(min_value=1, max_value=2**62), required=False,
                                       write_only=True,
                                       help_text=_("Ids of guarantees given for this enterprise."))

    class Meta:
        model = Facility
        fields = ["id", "reference", "enterprise", "enterprise_name", "product", "product_code", "guarantee_ids",
                  "limit_amount", "drawn", "currency",
                  "start_date", "end_date", "status", "guarantees", "collateral", "past_due_amount",
                  "past_due_since", "created_at", "updated_at"]
        read_only_fields = ["id", "status", "created_at", "updated_at", "enterprise_name"]
        validators: list = []
        extra_kwargs = {"reference": {"validators": []}}

    def get_guarantee_ids(self, instance) -> list[int]:
        return sorted(g.pk for g in instance.guarantees.all())


class FacilityUpdateSerializer(FacilitySerializer):
    enterprise = serializers.CharField(source="enterprise.uscc", read_only=True)

    class Meta(FacilitySerializer.Meta):
        pass


@extend_schema_view(
    list=extend_schema(summary="List credit facilities of your full record"),
    retrieve=extend_schema(summary="One credit facility"),
    create=extend_schema(summary="Record a credit facility (risk officers and head office)"),
    update=extend_schema(summary="Change a credit facility"),
    partial_update=extend_schema(summary="Change some fields of a credit facility"),
    destroy=extend_schema(summary="Close a credit facility (nothing drawn; its pledges are released)"),
)
class FacilityViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    queryset = Facility.objects.all()
    serializer_class = FacilitySerializer
    filterset_class = FacilityFilterSet
    pagination_class = Pagination
    permission_classes = [permissions.IsAuthenticated, LimitSetter]

    def optimize(self, queryset):
        return (queryset.select_related("enterprise", "product").prefetch_related("guarantees")
                .order_by("enterprise__name", "reference").distinct())

    def get_serializer_class(self):
        if self.action in ("update", "partial_update"):
            return FacilityUpdateSerializer
        return FacilitySerializer

    def perform_create(self, serializer):
        serializer.instance = self.call(facilities.facility_create, serializer=serializer, **serializer.validated_data)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("enterprise", None)
        serializer.instance = self.call(facilities.facility_update, serializer=serializer,
                                        facility=serializer.instance, **data)

    def perform_destroy(self, instance):
        self.call(facilities.facility_close, facility=instance)

    def destroy(self, request, *args, **kwargs):
        facility = self.get_object()
        self.perform_destroy(facility)
        return Response(FacilitySerializer(Facility.objects.get(pk=facility.pk), context=self.get_serializer_context())
                        .data)

    @extend_schema(summary="What a new facility would do to the member's and the group's limit use (nothing saved)",
                   request=None, parameters=[
                       OpenApiParameter("enterprise", str, required=True, description=_("Credit code.")),
                       OpenApiParameter("limit", str, required=True, description=_("The facility's limit.")),
                       OpenApiParameter("currency", str, description=_("ISO 4217 code (default CNY).")),
                       OpenApiParameter("group", int, description=_("Group client id (default: the enterprise's)."))],
                   responses={200: OpenApiResponse(description=_("Before and after figures."))})
    @action(detail=False, methods=["get"], filter_backends=[], pagination_class=None)
    def preview(self, request):
        data = PreviewSerializer(data=request.query_params, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        out = self.call(exposure.preview_facility, serializer=data, **data.validated_data)
        return Response({k: (str(v) if v is not None and not isinstance(v, bool) else v)
                         for k, v in out.items() if k not in ("enterprise", "group")}
                        | {"enterprise": out["enterprise"].uscc, "group": getattr(out["group"], "pk", None)})


class PreviewSerializer(Serializer):
    enterprise = EnterpriseCodeField(reach=Reach.FULL)
    limit = _money(min_value=0)
    currency = serializers.CharField(max_length=3, default="CNY")
    group = GroupInReachField(required=False, allow_null=True, default=None)


# --- exposures --------------------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="A group's exposure roll-up: limit, used, headroom and use % per level (group, members, facilities)",
        parameters=[OpenApiParameter("group", int, required=True, description=_("Group client id."))],
        responses={200: OpenApiResponse(description=_("The limit tree, the concentration figures and other banks' "
                                                      "financing.")),
                   404: OpenApiResponse(ErrorSerializer, description=_("No such group (or not in your reach)."))}),
)
class ExposureViewSet(viewsets.ViewSet):
    permission_classes = [permissions.IsAuthenticated]
    schema = ScopedViewSetMixin.schema

    def list(self, request):
        raw = request.query_params.get("group", "")
        if not raw.strip():
            raise exceptions.ValidationError({"group": [_("Give the group client's id.")]})
        if not raw.strip().isdigit() or len(raw.strip()) > 18:
            raise exceptions.ValidationError({"group": [_("A group client id is a whole number.")]})
        group = GroupClient.objects.for_user(request.user).filter(pk=int(raw)).first()
        if group is None:
            raise exceptions.NotFound()
        return Response(exposure.group_limit_tree(group).as_dict())


# --- sub-limits ------------------------------------------------------------------------------------------


class SubLimitSerializer(ModelSerializer):
    group = GroupInReachField()
    enterprise = EnterpriseCodeField(reach=Reach.FULL)
    enterprise_name = serializers.CharField(source="enterprise.name", read_only=True)
    amount = _money(min_value=0, help_text=_("CNY."))

    class Meta:
        model = SubLimit
        fields = ["id", "group", "enterprise", "enterprise_name", "amount", "updated_at"]
        read_only_fields = ["id", "updated_at", "enterprise_name"]
        validators: list = []


class SubLimitUpdateSerializer(SubLimitSerializer):
    group = serializers.PrimaryKeyRelatedField(read_only=True)
    enterprise = serializers.CharField(source="enterprise.uscc", read_only=True)

    class Meta(SubLimitSerializer.Meta):
        pass


class SubLimitFilterSet(django_filters.FilterSet):
    group = django_filters.NumberFilter(field_name="group_id")

    class Meta:
        model = SubLimit
        fields = ["group"]


@extend_schema_view(
    list=extend_schema(summary="List member sub-limits of the groups in your reach"),
    retrieve=extend_schema(summary="One member sub-limit"),
    create=extend_schema(summary="Set a member's sub-limit (risk officers and head office)"),
    partial_update=extend_schema(summary="Change a member's sub-limit"),
    destroy=extend_schema(summary="Remove a member's sub-limit"),
)
class SubLimitViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    queryset = SubLimit.objects.all()
    serializer_class = SubLimitSerializer
    filterset_class = SubLimitFilterSet
    pagination_class = Pagination
    permission_classes = [permissions.IsAuthenticated, LimitSetter]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def optimize(self, queryset):
        return queryset.select_related("enterprise").order_by("group_id", "enterprise__name", "pk")

    def get_serializer_class(self):
        return SubLimitUpdateSerializer if self.action == "partial_update" else SubLimitSerializer

    def perform_create(self, serializer):
        serializer.instance = self.call(facilities.sub_limit_set, serializer=serializer, **serializer.validated_data)

    def perform_update(self, serializer):
        sub = serializer.instance
        serializer.instance = self.call(facilities.sub_limit_set, serializer=serializer, group=sub.group_id,
                                        enterprise=sub.enterprise,
                                        amount=serializer.validated_data.get("amount", sub.amount))

    def perform_destroy(self, instance):
        self.call(facilities.sub_limit_remove, sub_limit=instance)


# --- pledges ---------------------------------------------------------------------------------------------


class PledgeSerializer(ModelSerializer):
    facility = serializers.PrimaryKeyRelatedField(queryset=Facility.objects.none(),
                                                  help_text=_("Id of a facility of your full record."))
    facility_reference = serializers.CharField(source="facility.reference", read_only=True)
    debtor = EnterpriseCodeField(required=False, allow_null=True, default=None,
                                 help_text=_("Credit code of the invoice's debtor (receivables)."))
    kind = serializers.ChoiceField(choices=PledgeKind.choices)
    amount = _money(min_value=0)
    currency = serializers.CharField(max_length=3, default="CNY")

    class Meta:
        model = Pledge
        fields = ["id", "facility", "facility_reference", "kind", "invoice_no", "debtor", "lot_ref", "amount",
                  "currency", "confirmed_on", "confirmation_ref", "released_at", "created_at"]
        read_only_fields = ["id", "released_at", "created_at", "facility_reference"]
        validators: list = []

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None and "facility" in fields and not fields["facility"].read_only:
            fields["facility"].queryset = Facility.objects.for_user(request.user)
        return fields


class PledgeFilterSet(django_filters.FilterSet):
    facility = django_filters.NumberFilter(field_name="facility_id")
    kind = django_filters.ChoiceFilter(choices=PledgeKind.choices)
    active = django_filters.BooleanFilter(field_name="released_at", lookup_expr="isnull")

    class Meta:
        model = Pledge
        fields = ["facility", "kind", "active"]


@extend_schema_view(
    list=extend_schema(summary="List pledged receivables and inventory lots of your full record's facilities"),
    retrieve=extend_schema(summary="One pledge"),
    create=extend_schema(summary="Pledge a receivable or a lot to a facility (400 naming the earlier financing "
                                 "when the asset is already financed)"),
)
class PledgeViewSet(ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                    viewsets.GenericViewSet):
    queryset = Pledge.objects.all()
    serializer_class = PledgeSerializer
    filterset_class = PledgeFilterSet
    pagination_class = Pagination
    permission_classes = [permissions.IsAuthenticated, LimitSetter]

    def optimize(self, queryset):
        return queryset.select_related("facility", "debtor").order_by("-created_at", "pk")

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        data["debtor_uscc"] = data.pop("debtor", None)
        serializer.instance = self.call(pledges.pledge_record, serializer=serializer, names={"debtor": "debtor"},
                                        **data)

    @extend_schema(summary="Release a pledge (the asset may be financed again)", request=None,
                   responses={200: PledgeSerializer})
    @action(detail=True, methods=["post"])
    def release(self, request, pk=None):
        pledge = self.call(pledges.pledge_release, pledge=self.get_object())
        return Response(PledgeSerializer(pledge, context=self.get_serializer_context()).data)


# --- other banks' financing ---------------------------------------------------------------------------------


class OtherBankPermission(permissions.BasePermission):
    message = _("Your role may not record other banks' financing.")

    def has_permission(self, request, view):
        if request.method in permissions.SAFE_METHODS or getattr(view, "detail", False):
            return True
        scope = scope_for(request.user)
        return scope.can_edit_clients or scope.can_set_limits_and_ratings

    def has_object_permission(self, request, view, obj):
        scope = scope_for(request.user)
        return request.method in permissions.SAFE_METHODS or scope.can_edit_clients or scope.can_set_limits_and_ratings


class OtherBankFinancingSerializer(ModelSerializer):
    enterprise = EnterpriseCodeField(reach=Reach.FULL)
    enterprise_name = serializers.CharField(source="enterprise.name", read_only=True)
    amount = _money(min_value=0)
    currency = serializers.CharField(max_length=3, default="CNY")

    class Meta:
        model = OtherBankFinancing
        fields = ["id", "enterprise", "enterprise_name", "lender", "reference", "amount", "currency", "as_of",
                  "maturity", "created_at"]
        read_only_fields = ["id", "created_at", "enterprise_name"]


class OtherBankFinancingUpdateSerializer(OtherBankFinancingSerializer):
    enterprise = serializers.CharField(source="enterprise.uscc", read_only=True)

    class Meta(OtherBankFinancingSerializer.Meta):
        pass


class OtherBankFilterSet(django_filters.FilterSet):
    group = django_filters.NumberFilter(field_name="enterprise__memberships__group_id")
    enterprise = django_filters.CharFilter(method="filter_enterprise")

    class Meta:
        model = OtherBankFinancing
        fields = ["group", "enterprise"]

    def filter_enterprise(self, queryset, name, value):
        return queryset.filter(enterprise__uscc=normalize_uscc(value))


@extend_schema_view(
    list=extend_schema(summary="List other banks' financing of your full record (joint credit monitoring)"),
    retrieve=extend_schema(summary="One financing by another bank"),
    create=extend_schema(summary="Record financing by another bank"),
    update=extend_schema(summary="Change a financing by another bank"),
    partial_update=extend_schema(summary="Change some fields of a financing by another bank"),
    destroy=extend_schema(summary="Delete a financing by another bank"),
)
class OtherBankFinancingViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    queryset = OtherBankFinancing.objects.all()
    serializer_class = OtherBankFinancingSerializer
    filterset_class = OtherBankFilterSet
    pagination_class = Pagination
    permission_classes = [permissions.IsAuthenticated, OtherBankPermission]

    def optimize(self, queryset):
        return queryset.select_related("enterprise").order_by("enterprise__name", "lender", "-as_of", "pk").distinct()

    def get_serializer_class(self):
        if self.action in ("update", "partial_update"):
            return OtherBankFinancingUpdateSerializer
        return OtherBankFinancingSerializer

    def perform_create(self, serializer):
        serializer.instance = self.call(facilities.other_bank_financing_record, serializer=serializer,
                                        **serializer.validated_data)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("enterprise", None)
        serializer.instance = self.call(facilities.other_bank_financing_update, serializer=serializer,
                                        row=serializer.instance, **data)

    def perform_destroy(self, instance):
        self.call(facilities.other_bank_financing_delete, row=instance)


# --- concentration limits ----------------------------------------------------------------------------------


class RiskSettingsSerializer(ModelSerializer):
    net_capital = _money(min_value=0, required=False)
    tier1_capital = _money(min_value=0, required=False)

    class Meta:
        model = RiskSettings
        fields = ["net_capital", "tier1_capital", "client_pct", "group_pct", "connected_group_pct",
                  "large_exposure_pct", "related_client_pct", "related_group_pct", "related_total_pct",
                  "warning_pct", "updated_at"]
        read_only_fields = ["updated_at"]
        extra_kwargs = {name: {"required": False} for name in fields}


class HeadOfficeWrites(permissions.BasePermission):
    message = _("Only head office sets the concentration limits.")

    def has_permission(self, request, view):
        return request.method in permissions.SAFE_METHODS or is_head_office(request.user)


@extend_schema_view(
    list=extend_schema(summary="The bank's capital and concentration limits, as a one-item list (everyone reads)",
                       responses=RiskSettingsSerializer(many=True)),
    retrieve=extend_schema(summary="The bank's capital and concentration limits (the one object, id 1)",
                           responses=RiskSettingsSerializer),
    partial_update=extend_schema(summary="Change the concentration limits (head office; the one object, id 1)",
                                 request=RiskSettingsSerializer, responses=RiskSettingsSerializer),
)
class RiskSettingsViewSet(viewsets.ViewSet):
    """One object (id 1): GET /risk-settings/ lists it, GET or PATCH /risk-settings/1/ reads or changes it."""

    permission_classes = [permissions.IsAuthenticated, HeadOfficeWrites]
    schema = ScopedViewSetMixin.schema
    lookup_value_regex = "[0-9]+"

    def _check(self, pk=None):
        if scope_for(self.request.user).sees_nothing:
            raise exceptions.PermissionDenied()
        if pk is not None and str(pk) != "1":
            raise exceptions.NotFound()

    def list(self, request):
        self._check()
        return Response([{"id": 1, **RiskSettingsSerializer(RiskSettings.current()).data}])

    def retrieve(self, request, pk=None):
        self._check(pk)
        return Response({"id": 1, **RiskSettingsSerializer(RiskSettings.current()).data})

    def partial_update(self, request, pk=None):
        self._check(pk)
        data = RiskSettingsSerializer(RiskSettings.current(), data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        from core.errors import call_service

        conf = call_service(facilities.risk_settings_update, serializer=data, user=request.user, **data.validated_data)
        return Response({"id": 1, **RiskSettingsSerializer(conf).data}, status=status.HTTP_200_OK)
