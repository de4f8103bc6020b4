"""API viewsets of the circles app: circle members and guarantees.

Reads start from `Model.objects.for_user(user)` (core.api.base's viewset) with the joins a list
needs, so a list costs the same number of queries for 3 rows or 3,000. Writes validate in the
serializer, then call circles.services with the acting user (permission, rules, history).
"""

from __future__ import annotations

from circles import services
from circles.api.serializers import CircleMemberSerializer, CircleMemberUpdateSerializer, GuaranteeSerializer
from circles.filtersets import CircleMemberFilterSet, GuaranteeFilterSet
from circles.models import CircleMember, Guarantee
from core.api.base import ScopedModelViewSet


class CircleMemberViewSet(ScopedModelViewSet):
    """Members of group clients' circles. Members with source `control` mirror the control tree:
    they are listed, but change only with the control links (their tier, since and note may be set)."""

    queryset = CircleMember.objects.all()
    serializer_class = CircleMemberSerializer
    filterset_class = CircleMemberFilterSet

    def optimize(self, queryset):
        return queryset.select_related("enterprise").order_by("group_id", "role", "enterprise__name", "pk")

    def get_serializer_class(self):
        if self.action in ("update", "partial_update"):
            return CircleMemberUpdateSerializer
        return CircleMemberSerializer

    def perform_create(self, serializer):
        serializer.instance = self.call(services.circle_member_add, serializer=serializer,
                                        **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = self.call(services.circle_member_update, serializer=serializer,
                                        member=serializer.instance, **serializer.validated_data)

    def perform_destroy(self, instance):
        self.call(services.circle_member_remove, member=instance)


class GuaranteeViewSet(ScopedModelViewSet):
    """Guarantees between enterprises (guarantor -> borrower, amount, period)."""

    queryset = Guarantee.objects.all()
    serializer_class = GuaranteeSerializer
    filterset_class = GuaranteeFilterSet

    def optimize(self, queryset):
        return queryset.select_related("guarantor", "borrower").order_by("-start_date", "pk")

    def perform_create(self, serializer):
        serializer.instance = self.call(services.guarantee_create, serializer=serializer,
                                        **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = self.call(services.guarantee_update, serializer=serializer,
                                        guarantee=serializer.instance, **serializer.validated_data)

    def perform_destroy(self, instance):
        self.call(services.guarantee_delete, guarantee=instance)



