"""API for chain links: /api/v1/chain-links/.

Enterprises are addressed by credit code (`supplier_uscc`, `buyer_uscc`), the group by id. Writes go
through chains.services; status changes only through the `confirm` and `dismiss` actions. Errors name
the field, the same as on the chain page.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from chains import services
from chains.filtersets import ChainLinkFilterSet
from chains.models import ChainLink
from clients.api.fields import EnterpriseCodeField, GroupInReachField
from core.api.base import ScopedModelViewSet
from core.api.serializers import FlatListField, ModelSerializer, Serializer

TIER_FIELD = {"min_value": -2, "max_value": 2, "help_text": _("-2, -1 upstream; 0 core; +1, +2 downstream.")}

# --- serializers --------------------------------------------------------------------------------------------


class ChainLinkSerializer(ModelSerializer):
    supplier_uscc = EnterpriseCodeField(source="supplier", read_only=True)
    supplier_name = serializers.CharField(source="supplier.name", read_only=True)
    buyer_uscc = EnterpriseCodeField(source="buyer", read_only=True)
    buyer_name = serializers.CharField(source="buyer.name", read_only=True)

    class Meta:
        model = ChainLink
        fields = ["id", "group", "supplier_uscc", "supplier_name", "buyer_uscc", "buyer_name", "tier", "goods",
                  "status", "volume", "payment_count", "months_active", "created_at"]
        read_only_fields = fields
        extra_kwargs = {
            "volume": {"help_text": _("Payments buyer -> supplier in the detection period, in yuan (detected links).")},
            "payment_count": {"help_text": _("Number of those payments.")},
            "months_active": {"help_text": _("Distinct calendar months with a payment.")},
        }


class ChainLinkCreateSerializer(Serializer):
    group = GroupInReachField()
    supplier_uscc = EnterpriseCodeField(source="supplier")
    buyer_uscc = EnterpriseCodeField(source="buyer")
    tier = serializers.IntegerField(**TIER_FIELD)
    goods = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")

    def validate(self, attrs):
        if attrs["supplier"].pk == attrs["buyer"].pk:
            raise serializers.ValidationError({"buyer_uscc": [_("Supplier and buyer must differ.")]})
        return attrs


class ChainLinkUpdateSerializer(Serializer):
    """Only tier and goods change; the group and the pair are fixed (delete and declare instead)."""

    tier = serializers.IntegerField(required=False, **TIER_FIELD)
    goods = serializers.CharField(max_length=200, required=False, allow_blank=True)


class ChainLinkConfirmSerializer(Serializer):
    tier = serializers.IntegerField(required=False, allow_null=True, **TIER_FIELD)
    goods = serializers.CharField(max_length=200, required=False, allow_blank=True)


class ChainLinkBulkSerializer(Serializer):
    ids = FlatListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1), min_length=1, max_length=services.BULK_MAX,
        help_text=_("Ids of links awaiting review (confirm: or dismissed), all in groups you cover; all or none."),
    )


class ChainLinkBulkResultSerializer(Serializer):
    count = serializers.IntegerField(help_text=_("How many links changed."))
    links = ChainLinkSerializer(many=True)


# --- viewset ------------------------------------------------------------------------------------------------------


@extend_schema(tags=["chains"])
class ChainLinkViewSet(ScopedModelViewSet):
    """Supplier -> buyer links of group clients' chains, with tier relative to the core and goods."""

    queryset = ChainLink.objects.all()
    serializer_class = ChainLinkSerializer
    filterset_class = ChainLinkFilterSet

    def optimize(self, queryset):
        return queryset.select_related("supplier", "buyer").order_by("group_id", "tier", "id")

    @extend_schema(request=ChainLinkCreateSerializer, responses={201: ChainLinkSerializer})
    def create(self, request, *args, **kwargs):
        data = ChainLinkCreateSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        link = self.call(services.chain_link_declare, serializer=data, **data.validated_data)
        return Response(ChainLinkSerializer(link).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ChainLinkUpdateSerializer, responses=ChainLinkSerializer)
    def update(self, request, *args, **kwargs):
        link = self.get_object()
        data = ChainLinkUpdateSerializer(data=request.data, partial=kwargs.get("partial", False))
        data.is_valid(raise_exception=True)
        link = self.call(services.chain_link_update, serializer=data, link=link, **data.validated_data)
        return Response(ChainLinkSerializer(link).data)

    @extend_schema(request=ChainLinkUpdateSerializer, responses=ChainLinkSerializer)
    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, partial=True, **kwargs)

    def destroy(self, request, *args, **kwargs):
        self.call(services.chain_link_delete, link=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=ChainLinkConfirmSerializer, responses=ChainLinkSerializer)
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        """Accept a detected (or dismissed) link, optionally correcting tier and goods."""
        link = self.get_object()
        data = ChainLinkConfirmSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        link = self.call(services.chain_link_confirm, serializer=data, link=link,
                         tier=data.validated_data.get("tier"), goods=data.validated_data.get("goods"))
        return Response(ChainLinkSerializer(link).data)

    @extend_schema(request=None, responses=ChainLinkSerializer)
    @action(detail=True, methods=["post"])
    def dismiss(self, request, pk=None):
        """Reject a detected link; detection never proposes the pair again."""
        link = self.call(services.chain_link_dismiss, link=self.get_object())
        return Response(ChainLinkSerializer(link).data)

    def _bulk(self, request, service):
        data = ChainLinkBulkSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        links = self.call(service, serializer=data, ids=data.validated_data["ids"])
        return Response({"count": len(links), "links": ChainLinkSerializer(self._with_parties(links), many=True).data})

    def _with_parties(self, links):
        by_id = {link.pk: link for link in ChainLink.objects.filter(pk__in=[lk.pk for lk in links])
                 .select_related("supplier", "buyer")}
        return [by_id[link.pk] for link in links]

    @extend_schema(request=ChainLinkBulkSerializer, responses=ChainLinkBulkResultSerializer)
    @action(detail=False, methods=["post"], url_path="bulk-confirm")
    def bulk_confirm(self, request):
        """Confirm many links awaiting review (or dismissed) at once, all or none: every id must be a link
        of a group you cover in one of those statuses, else nothing changes and `ids` says which. Partners
        outside the group join its circle (suppliers upstream; distributors at +1, customers at +2)."""
        return self._bulk(request, services.chain_links_confirm_many)

    @extend_schema(request=ChainLinkBulkSerializer, responses=ChainLinkBulkResultSerializer)
    @action(detail=False, methods=["post"], url_path="bulk-dismiss")
    def bulk_dismiss(self, request):
        """Dismiss many links awaiting review at once, all or none; detection never proposes them again."""
        return self._bulk(request, services.chain_links_dismiss_many)
