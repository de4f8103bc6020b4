"""API viewsets of the clients app.

Reads start from `Model.objects.for_user(user)` (core.api.base's viewset) and add the joins a
list needs, so a list costs the same number of queries for 3 rows or 3,000. Writes validate in the
serializer, then call the service in `clients.services` with the acting user: the service checks
the permission again, writes atomically and records the user in the change history.

Deletion: enterprises, group clients, persons, statements, accounts and interactions cannot be
deleted over the API (they anchor history, flows and memberships; retiring them is an admin act).
Control links can: they are facts that go out of date, and their delete refreshes membership.
"""

from __future__ import annotations

from decimal import Decimal

from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle

from clients import access, approvals, services
from clients.api.serializers import (
    AccountBalanceSerializer,
    BankAccountSerializer,
    ChangeRequestSerializer,
    ControlLinkSerializer,
    DecisionSerializer,
    EnterpriseSerializer,
    FinancialStatementSerializer,
    GroupClientDetailSerializer,
    GroupClientSerializer,
    InteractionSerializer,
    LimitSerializer,
    PersonSerializer,
    RatingSerializer,
    RegistryCardSerializer,
    TransferRequestSerializer,
)
from clients.filtersets import (
    AccountBalanceFilterSet,
    BankAccountFilterSet,
    ControlLinkFilterSet,
    EnterpriseFilterSet,
    FinancialStatementFilterSet,
    GroupClientFilterSet,
    InteractionFilterSet,
)
from clients.models import (
    AccountBalance,
    BankAccount,
    ChangeRequest,
    ControlLink,
    Enterprise,
    FinancialStatement,
    GroupClient,
    Interaction,
    Person,
)
from clients.selectors import with_latest_balance, with_member_count
from clients.validators import normalize_uscc
from core.api.base import ID_REGEX, ErrorDocumentingAutoSchema, ScopedModelViewSet
from core.errors import call_service
from core.permissions import ClientEditorOrReadOnly, LimitSetter, RequestParticipant
from risk.api import jobs as risk_jobs_api
from services.api import needs as needs_api
from services.api.needs import REFRESH_NEEDS_SCHEMA as NEEDS_REFRESH_SCHEMA

READ_CREATE = ["get", "post", "head", "options"]
NO_DELETE = ["get", "post", "put", "patch", "head", "options"]


# --- enterprises -------------------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="List enterprises", description="Filter by `uscc` (exact) or `q` (name or code)."
    ),
    retrieve=extend_schema(summary="Get an enterprise by its credit code"),
    create=extend_schema(
        summary="Create an enterprise",
        description="Only `name` and `uscc` are required; an RM creating it becomes its RM.",
    ),
    update=extend_schema(summary="Replace an enterprise's data"),
    partial_update=extend_schema(summary="Change some of an enterprise's data"),
)
class EnterpriseViewSet(ScopedModelViewSet):
    """Enterprises (法人客户), addressed by their unified social credit code. No deletion."""

    queryset = Enterprise.objects.all()
    serializer_class = EnterpriseSerializer
    filterset_class = EnterpriseFilterSet
    lookup_field = "uscc"
    lookup_value_regex = "[0-9A-Za-z]{1,18}"
    http_method_names = NO_DELETE

    def optimize(self, queryset):
        return queryset.select_related("branch", "rm").order_by("name", "pk")

    def get_object(self):
        self.kwargs[self.lookup_field] = normalize_uscc(self.kwargs[self.lookup_field])
        return super().get_object()

    def perform_create(self, serializer):
        serializer.instance = self.call(services.enterprise_create, serializer=serializer,
                                        **serializer.validated_data)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("claim", None)
        serializer.instance = self.call(services.enterprise_update, serializer=serializer,
                                        enterprise=serializer.instance, **data)

    @extend_schema(summary="Set or clear the internal rating (risk officers and head office)",
                   request=RatingSerializer, responses=EnterpriseSerializer)
    @action(detail=True, methods=["post"], permission_classes=[permissions.IsAuthenticated, LimitSetter])
    def rating(self, request, uscc=None):
        enterprise = self.get_object()
        data = RatingSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        enterprise = self.call(services.enterprise_rating_set, serializer=data, enterprise=enterprise,
                               rating=data.validated_data["internal_rating"])
        return Response(EnterpriseSerializer(enterprise, context=self.get_serializer_context()).data)


# --- group clients ------------------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="List group clients", description="Brief rows with `member_count`, no members."
    ),
    retrieve=extend_schema(summary="Get a group client with members, control tree and key figures"),
    create=extend_schema(
        summary="Create a group client",
        request=GroupClientSerializer,
        responses={201: GroupClientDetailSerializer},
    ),
    update=extend_schema(
        summary="Replace a group client's data",
        request=GroupClientSerializer,
        responses={200: GroupClientDetailSerializer},
    ),
    partial_update=extend_schema(
        summary="Change some of a group client's data",
        request=GroupClientSerializer,
        responses={200: GroupClientDetailSerializer},
    ),
)
class GroupClientViewSet(ScopedModelViewSet):
    """Group clients (集团客户). Membership is derived from control links, never written here."""

    queryset = GroupClient.objects.all()
    filterset_class = GroupClientFilterSet
    http_method_names = NO_DELETE

    def get_serializer_class(self):
        return GroupClientSerializer if self.action == "list" else GroupClientDetailSerializer

    def optimize(self, queryset):
        return with_member_count(
            queryset.select_related("core_enterprise", "lead_rm", "branch").prefetch_related("team")
        ).order_by("name", "pk")

    def perform_create(self, serializer):
        # The service's instance has no member_count annotation: the serializer counts the members.
        serializer.instance = self.call(services.group_client_create, serializer=serializer,
                                        **serializer.validated_data)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        team = data.pop("team", None)
        serializer.instance = self.call(services.group_client_update, serializer=serializer,
                                        group=serializer.instance, team=team, **data)

    @NEEDS_REFRESH_SCHEMA
    @action(detail=True, methods=["post"], url_path="refresh-needs", permission_classes=[permissions.IsAuthenticated])
    def refresh_needs(self, request, pk=None):
        """Queue the group's needs refresh (services.api.needs)."""
        return needs_api.refresh_needs(self.get_object(), request)

    @risk_jobs_api.REFRESH_RISK_SCHEMA
    @action(detail=True, methods=["post"], url_path="refresh-risk", permission_classes=[permissions.IsAuthenticated])
    def refresh_risk(self, request, pk=None):
        """Queue the group's risk refresh (risk.api.jobs)."""
        return risk_jobs_api.refresh_risk(self.get_object(), request)

    @extend_schema(summary="Set the unified credit limit (risk officers and head office)",
                   description="A limit more than LIMIT_CHANGE_CONFIRM_FACTOR times above or below the current one "
                               "is refused on `unified_credit_limit` until `confirm` is true.",
                   request=LimitSerializer, responses=GroupClientDetailSerializer)
    @action(detail=True, methods=["post"], permission_classes=[permissions.IsAuthenticated, LimitSetter])
    def limit(self, request, pk=None):
        group = self.get_object()
        data = LimitSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        group = self.call(services.group_limit_set, serializer=data, group=group,
                          limit=data.validated_data["unified_credit_limit"], confirm=data.validated_data["confirm"])
        return Response(GroupClientDetailSerializer(self.get_queryset().get(pk=group.pk),
                                                    context=self.get_serializer_context()).data)


# --- control links -------------------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="List control links"),
    retrieve=extend_schema(summary="Get a control link"),
    create=extend_schema(
        summary="Record a control link",
        description="Refreshes the membership of the group clients it touches.",
    ),
    update=extend_schema(summary="Replace a control link"),
    partial_update=extend_schema(summary="Change a control link"),
    destroy=extend_schema(summary="Delete a control link"),
)
class ControlLinkViewSet(ScopedModelViewSet):
    """Who holds or controls whom: parent enterprise or person -> child enterprise."""

    queryset = ControlLink.objects.all()
    serializer_class = ControlLinkSerializer
    filterset_class = ControlLinkFilterSet

    def optimize(self, queryset):
        return queryset.select_related("parent_enterprise", "parent_person", "child").order_by(
            "child__name", "pk"
        )

    @extend_schema(responses={201: ControlLinkSerializer,
                              202: OpenApiResponse(ChangeRequestSerializer, description=_(
                                  "The link would bring enterprises of another branch into a group (or change a "
                                  "group outside your reach): it became a change request for the branch heads "
                                  "concerned."))})
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.setdefault("share_pct", Decimal("0"))
        result = self.call(services.control_link_create, serializer=serializer, **data)
        if isinstance(result, ChangeRequest):
            return Response(ChangeRequestSerializer(result).data, status=status.HTTP_202_ACCEPTED)
        return Response(self.get_serializer(result).data, status=status.HTTP_201_CREATED)

    def perform_update(self, serializer):
        serializer.instance = self.call(services.control_link_update, serializer=serializer,
                                        link=serializer.instance, **serializer.validated_data)

    def perform_destroy(self, instance):
        self.call(services.control_link_delete, link=instance)


# --- financial statements ---------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="List financial statements"),
    retrieve=extend_schema(summary="Get a financial statement"),
    create=extend_schema(
        summary="Create or replace the statement of an enterprise for a period",
        description="An upsert on (enterprise, period_end, period_type): 201 when new, 200 when replaced.",
        responses={201: FinancialStatementSerializer, 200: FinancialStatementSerializer},
    ),
)
class FinancialStatementViewSet(ScopedModelViewSet):
    queryset = FinancialStatement.objects.all()
    serializer_class = FinancialStatementSerializer
    filterset_class = FinancialStatementFilterSet
    http_method_names = READ_CREATE

    def optimize(self, queryset):
        return queryset.select_related("enterprise").order_by("enterprise__name", "-period_end", "pk")

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        serializer.instance, created = self.call(services.financial_statement_upsert, serializer=serializer,
                                                 **serializer.validated_data)
        return Response(serializer.data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


# --- accounts and balances -------------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="List bank accounts with their latest balance"),
    retrieve=extend_schema(summary="Get a bank account"),
    create=extend_schema(summary="Open (record) a bank account"),
)
class BankAccountViewSet(ScopedModelViewSet):
    queryset = BankAccount.objects.all()
    serializer_class = BankAccountSerializer
    filterset_class = BankAccountFilterSet
    http_method_names = READ_CREATE

    def optimize(self, queryset):
        return with_latest_balance(queryset.select_related("enterprise")).order_by("account_no")

    def perform_create(self, serializer):
        serializer.instance = self.call(services.bank_account_create, serializer=serializer,
                                        **serializer.validated_data)

    @extend_schema(
        methods=["GET"],
        summary="List an account's balances, newest first",
        parameters=[
            OpenApiParameter("date_after", OpenApiTypes.DATE, description="On or after this date."),
            OpenApiParameter("date_before", OpenApiTypes.DATE, description="On or before this date."),
        ],
        responses=AccountBalanceSerializer(many=True),
    )
    @extend_schema(
        methods=["POST"],
        summary="Record (or correct) an account's balance for a date",
        request=AccountBalanceSerializer,
        responses={201: AccountBalanceSerializer},
    )
    @action(
        detail=True, methods=["get", "post"], serializer_class=AccountBalanceSerializer, filter_backends=[]
    )
    def balances(self, request, pk=None):
        account = self.get_object()  # the scoped lookup (404 out of reach); the id is an integer (URL)
        if request.method == "POST":
            serializer = self.get_serializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            serializer.instance = self.call(services.account_balance_record, serializer=serializer,
                                            account=account, **serializer.validated_data)
            return Response(serializer.data, status=status.HTTP_201_CREATED)
        filterset = AccountBalanceFilterSet(
            request.query_params, queryset=AccountBalance.objects.filter(account=account).order_by("-date")
        )
        if not filterset.is_valid():
            raise serializers.ValidationError(filterset.errors)
        page = self.paginate_queryset(filterset.qs)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


# --- persons and interactions ------------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="List persons who control or manage visible enterprises"),
    retrieve=extend_schema(summary="Get a person"),
    create=extend_schema(summary="Record a person (then link them with a control link)"),
)
class PersonViewSet(ScopedModelViewSet):
    """Natural persons; `id_number` is masked in every answer except to head office."""

    queryset = Person.objects.all()
    serializer_class = PersonSerializer
    http_method_names = READ_CREATE
    throttle_scope = "persons"

    def get_throttles(self):
        # Recording persons is throttled per user: ID numbers are personal data.
        return [ScopedRateThrottle()] if self.request.method == "POST" else []

    def optimize(self, queryset):
        return queryset.order_by("name", "pk")

    def perform_create(self, serializer):
        serializer.instance = self.call(services.person_create, serializer=serializer,
                                        **serializer.validated_data)


@extend_schema_view(
    list=extend_schema(summary="List interactions (visits, calls, interviews), newest first"),
    retrieve=extend_schema(summary="Get an interaction"),
    create=extend_schema(summary="Log an interaction; the acting user is its staff member"),
)
class InteractionViewSet(ScopedModelViewSet):
    queryset = Interaction.objects.all()
    serializer_class = InteractionSerializer
    filterset_class = InteractionFilterSet
    http_method_names = READ_CREATE

    def optimize(self, queryset):
        return queryset.select_related("enterprise", "staff").order_by("-occurred_at", "pk")

    def perform_create(self, serializer):
        serializer.instance = self.call(services.interaction_log, serializer=serializer,
                                        **serializer.validated_data)


# --- registry card -------------------------------------------------------------------------------------------


@extend_schema_view(
    retrieve=extend_schema(
        summary="The registry card of an enterprise, by its exact credit code",
        description="Name, credit code, client or prospect, owning branch, and your reach on it (full, "
                    "counterparty or registry). Open to every role: the client-claiming rule (客户认领) needs "
                    "every RM to learn that a company is already another branch's client.",
    ),
)
class RegistryViewSet(viewsets.GenericViewSet):
    serializer_class = RegistryCardSerializer
    schema = ErrorDocumentingAutoSchema()
    lookup_field = "uscc"
    lookup_value_regex = "[0-9A-Za-z-]{1,40}"
    throttle_scope = "registry"
    throttle_classes = [ScopedRateThrottle]
    queryset = Enterprise.objects.none()

    def retrieve(self, request, uscc=None):
        enterprise = access.registry_lookup(request.user, normalize_uscc(uscc))
        if enterprise is None:
            raise Http404
        return Response(self.get_serializer(enterprise).data)

    @extend_schema(summary="Claim an unowned prospect for your branch", request=None,
                   responses={200: RegistryCardSerializer})
    @action(detail=True, methods=["post"])
    def claim(self, request, uscc=None):
        enterprise = access.registry_lookup(request.user, normalize_uscc(uscc))
        if enterprise is None:
            raise Http404
        call_service(services.enterprise_claim, user=request.user, enterprise=enterprise)
        enterprise.refresh_from_db()
        return Response(self.get_serializer(enterprise).data)


# --- change requests (four eyes) -------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="List change requests: yours and those of your branch subtree"),
    retrieve=extend_schema(summary="Get a change request"),
    create=extend_schema(summary="Request a transfer of ownership", request=TransferRequestSerializer,
                         responses={201: ChangeRequestSerializer}),
)
class ChangeRequestViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                           viewsets.GenericViewSet):
    """Transfers of ownership and control links that cross branches, approved by the branch heads of
    each side (or head office); applied when every side has approved."""

    queryset = ChangeRequest.objects.all()
    serializer_class = ChangeRequestSerializer
    schema = ErrorDocumentingAutoSchema()
    lookup_value_regex = ID_REGEX
    permission_classes = [permissions.IsAuthenticated, RequestParticipant, ClientEditorOrReadOnly]

    def get_queryset(self):
        return (ChangeRequest.objects.for_user(self.request.user)
                .select_related("enterprise", "requested_by", "decided_by")
                .prefetch_related("sides", "approvals__branch", "approvals__approved_by")
                .order_by("-requested_at", "-pk"))

    def create(self, request, *args, **kwargs):
        data = TransferRequestSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        change = call_service(approvals.transfer_request, serializer=data, user=request.user, **data.validated_data)
        return Response(ChangeRequestSerializer(self.get_queryset().get(pk=change.pk)).data,
                        status=status.HTTP_201_CREATED)

    def _decide(self, request, service, **kwargs):
        change = self.get_object()
        call_service(service, user=request.user, request=change, **kwargs)
        return Response(ChangeRequestSerializer(self.get_queryset().get(pk=change.pk)).data)

    @extend_schema(summary="Approve the sides you speak for", request=None, responses=ChangeRequestSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._decide(request, approvals.approve)

    @extend_schema(summary="Reject the request", request=DecisionSerializer, responses=ChangeRequestSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        data = DecisionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._decide(request, approvals.reject, note=data.validated_data["note"])

    @extend_schema(summary="Cancel your own request", request=None, responses=ChangeRequestSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        return self._decide(request, approvals.cancel)
