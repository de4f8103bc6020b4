"""`/api/v1/group-proposals/`: proposed new group members (risk.identification), read by those who work
the group or hold the candidate's full record (GroupProposal.objects.for_user); actions `confirm` and
`reject` (a `note`, required to reject) call the same services as the pages. A candidate owned by another
branch needs both sides' confirmation (`waiting_for` says which is missing); head office confirms alone."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from clients.validators import normalize_uscc
from core.api.base import ScopedViewSetMixin
from core.api.pagination import PageNumberPagination
from core.api.serializers import ModelSerializer, Serializer
from core.errors import call_service
from risk import identification
from risk.models import GroupProposal, IdentificationTest, ProposalStatus
from staff.scope import scope_for


class ProposalFilterSet(django_filters.FilterSet):
    group = django_filters.NumberFilter(field_name="group_id", label=_("group client id"))
    enterprise = django_filters.CharFilter(method="filter_enterprise", label=_("candidate credit code"))
    status = django_filters.ChoiceFilter(choices=ProposalStatus.choices)
    test = django_filters.ChoiceFilter(choices=IdentificationTest.choices)

    class Meta:
        model = GroupProposal
        fields = ["group", "enterprise", "status", "test"]

    def filter_enterprise(self, queryset, name, value):
        return queryset.filter(enterprise__uscc=normalize_uscc(value))


class ProposalSerializer(ModelSerializer):
    enterprise = serializers.CharField(source="enterprise.uscc", read_only=True,
                                       help_text=_("The candidate's unified social credit code."))
    enterprise_name = serializers.CharField(source="enterprise.name", read_only=True)
    group_name = serializers.CharField(source="group.name", read_only=True)
    evidence = serializers.CharField(source="evidence_text", read_only=True,
                                     help_text=_("The evidence, in the request's language."))
    decided_by = serializers.CharField(source="decided_by.username", read_only=True, default=None, allow_null=True)
    waiting_for = serializers.SerializerMethodField(help_text=_("Sides still to confirm: group, owner."))

    class Meta:
        model = GroupProposal
        fields = ["id", "group", "group_name", "enterprise", "enterprise_name", "test", "status", "evidence",
                  "evidence_key", "needs_owner_consent", "waiting_for", "created_at", "decided_by", "decided_at",
                  "decision_note"]
        read_only_fields = fields

    def get_waiting_for(self, proposal) -> list[str]:
        return identification.waiting_for(proposal)


class NoteSerializer(Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=500, trim_whitespace=False)


class RequiredNoteSerializer(Serializer):
    note = serializers.CharField(max_length=500, trim_whitespace=False, help_text=_("Why it is rejected."))


class ProposalPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


class DecidesProposals(permissions.BasePermission):
    """Every role reads the proposals in its reach and may decide them; a login without a role gets nothing."""

    message = _("Your role may not decide group proposals.")

    def has_permission(self, request, view):
        return request.method in permissions.SAFE_METHODS or not scope_for(request.user).sees_nothing


@extend_schema_view(
    list=extend_schema(summary="List group-membership proposals in your reach (newest first)"),
    retrieve=extend_schema(summary="One group-membership proposal"),
)
class GroupProposalViewSet(ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                           viewsets.GenericViewSet):
    queryset = GroupProposal.objects.all()
    serializer_class = ProposalSerializer
    filterset_class = ProposalFilterSet
    pagination_class = ProposalPagination
    permission_classes = [permissions.IsAuthenticated, DecidesProposals]

    def optimize(self, queryset):
        return queryset.select_related("enterprise", "group", "decided_by").order_by("-created_at", "-pk")

    def _act(self, service, serializer_class):
        proposal = self.get_object()
        data = serializer_class(data=self.request.data)
        data.is_valid(raise_exception=True)
        call_service(service, serializer=data, user=self.request.user, proposal=proposal, **data.validated_data)
        fresh = self.get_queryset().get(pk=proposal.pk)
        return Response(ProposalSerializer(fresh, context=self.get_serializer_context()).data)

    @extend_schema(summary="Confirm a proposal for your side (optional note)", request=NoteSerializer,
                   responses={200: ProposalSerializer})
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        return self._act(identification.proposal_confirm, NoteSerializer)

    @extend_schema(summary="Reject a proposal (note required)", request=RequiredNoteSerializer,
                   responses={200: ProposalSerializer})
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        return self._act(identification.proposal_reject, RequiredNoteSerializer)
