"""API for chain links: /api/v1/chain-links/.

Enterprises are addressed by credit code (`supplier_uscc`, `buyer_uscc`), the group by id. Writes go
through chains.services; status changes only through the `confirm` and `dismiss` actions. Errors name
the field, the same as on the chain page.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import permissions, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from chains import services
from chains.filtersets import ChainLinkFilterSet
from chains.forms import SERVICE_FIELD_NAMES
from chains.models import ChainLink
from chains.selectors import enterprise_for_uscc
from clients.models import Enterprise, GroupClient
from config.api import ScopedModelViewSet
from staff.access import scope_for

# --- fields --------------------------------------------------------------------------------------------


@extend_schema_field(OpenApiTypes.STR)
class UsccField(serializers.RelatedField):
    """An enterprise by its unified social credit code; unknown or malformed codes are refused by name."""

    def __init__(self, **kwargs):
        if not kwargs.get("read_only"):
            kwargs.setdefault("queryset", Enterprise.objects.all())
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            raise serializers.ValidationError(_("A credit code is a string of 18 characters."))
        try:
            return enterprise_for_uscc(data)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from None

    def to_representation(self, value):
        return value.uscc


@extend_schema_field(OpenApiTypes.INT)
class VisibleGroupField(serializers.PrimaryKeyRelatedField):
    """A group client by id, among the groups the requesting user covers."""

    def get_queryset(self):
        return GroupClient.objects.for_user(self.context["request"].user)


TIER_FIELD = {"min_value": -2, "max_value": 2, "help_text": _("-2, -1 upstream; 0 core; +1, +2 downstream.")}

# --- serializers --------------------------------------------------------------------------------------------


class ChainLinkSerializer(serializers.ModelSerializer):
    supplier_uscc = UsccField(source="supplier", read_only=True)
    supplier_name = serializers.CharField(source="supplier.name", read_only=True)
    buyer_uscc = UsccField(source="buyer", read_only=True)
    buyer_name = serializers.CharField(source="buyer.name", read_only=True)

    class Meta:
        model = ChainLink
        fields = ["id", "group", "supplier_uscc", "supplier_name", "buyer_uscc", "buyer_name", "tier", "goods",
                  "status", "created_at"]
        read_only_fields = fields


class ChainLinkCreateSerializer(serializers.Serializer):
    group = VisibleGroupField()
    supplier_uscc = UsccField()
    buyer_uscc = UsccField()
    tier = serializers.IntegerField(**TIER_FIELD)
    goods = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")

    def validate(self, attrs):
        if attrs["supplier_uscc"].pk == attrs["buyer_uscc"].pk:
            raise serializers.ValidationError({"buyer_uscc": [_("Supplier and buyer must differ.")]})
        return attrs


class ChainLinkUpdateSerializer(serializers.Serializer):
    """Only tier and goods change; the group and the pair are fixed (delete and declare instead)."""

    tier = serializers.IntegerField(required=False, **TIER_FIELD)
    goods = serializers.CharField(max_length=200, required=False, allow_blank=True)


class ChainLinkConfirmSerializer(serializers.Serializer):
    tier = serializers.IntegerField(required=False, allow_null=True, **TIER_FIELD)
    goods = serializers.CharField(max_length=200, required=False, allow_blank=True)


# --- permissions and errors -----------------------------------------------------------------------------------


class ClientEditorOrReadOnly(permissions.BasePermission):
    """Reading follows scope; writing needs a role that edits client data (risk officers read only).

    The object check runs after the scoped lookup, so an out-of-scope link is 404 before it is 403."""

    def has_permission(self, request, view):
        if request.method in permissions.SAFE_METHODS or getattr(view, "detail", False):
            return True
        return scope_for(request.user).can_edit_clients

    def has_object_permission(self, request, view, obj):
        return request.method in permissions.SAFE_METHODS or scope_for(request.user).can_edit_clients


def _call(service, **kwargs):
    """Run a service; its field errors come back under the API's field names."""
    try:
        return service(**kwargs)
    except DjangoValidationError as exc:
        if hasattr(exc, "error_dict"):
            detail = {
                ("non_field_errors" if k == "__all__" else SERVICE_FIELD_NAMES.get(k, k)): v
                for k, v in exc.message_dict.items()
            }
        else:
            detail = {"non_field_errors": exc.messages}
        raise serializers.ValidationError(detail) from None


# --- viewset ------------------------------------------------------------------------------------------------------


@extend_schema(tags=["chains"])
class ChainLinkViewSet(ScopedModelViewSet):
    """Supplier -> buyer links of group clients' chains, with tier relative to the core and goods."""

    queryset = ChainLink.objects.all()
    serializer_class = ChainLinkSerializer
    filterset_class = ChainLinkFilterSet
    permission_classes = [permissions.IsAuthenticated, ClientEditorOrReadOnly]

    def optimize(self, queryset):
        return queryset.select_related("supplier", "buyer").order_by("group_id", "tier", "id")

    @extend_schema(request=ChainLinkCreateSerializer, responses={201: ChainLinkSerializer})
    def create(self, request, *args, **kwargs):
        data = ChainLinkCreateSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        v = data.validated_data
        link = _call(services.chain_link_declare, user=request.user, group=v["group"],
                     supplier=v["supplier_uscc"], buyer=v["buyer_uscc"], tier=v["tier"], goods=v["goods"])
        return Response(ChainLinkSerializer(link).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ChainLinkUpdateSerializer, responses=ChainLinkSerializer)
    def update(self, request, *args, **kwargs):
        link = self.get_object()
        data = ChainLinkUpdateSerializer(data=request.data, partial=kwargs.get("partial", False))
        data.is_valid(raise_exception=True)
        link = _call(services.chain_link_update, user=request.user, link=link, **data.validated_data)
        return Response(ChainLinkSerializer(link).data)

    @extend_schema(request=ChainLinkUpdateSerializer, responses=ChainLinkSerializer)
    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, partial=True, **kwargs)

    def destroy(self, request, *args, **kwargs):
        _call(services.chain_link_delete, user=request.user, link=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=ChainLinkConfirmSerializer, responses=ChainLinkSerializer)
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        """Accept a detected (or dismissed) link, optionally correcting tier and goods."""
        link = self.get_object()
        data = ChainLinkConfirmSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        link = _call(services.chain_link_confirm, user=request.user, link=link,
                     tier=data.validated_data.get("tier"), goods=data.validated_data.get("goods"))
        return Response(ChainLinkSerializer(link).data)

    @extend_schema(request=None, responses=ChainLinkSerializer)
    @action(detail=True, methods=["post"])
    def dismiss(self, request, pk=None):
        """Reject a detected link; detection never proposes the pair again."""
        link = _call(services.chain_link_dismiss, user=request.user, link=self.get_object())
        return Response(ChainLinkSerializer(link).data)
