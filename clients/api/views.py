"""API viewsets of the clients app.

Reads start from `Model.objects.for_user(user)` (config.api's base viewset) and add the joins a
list needs, so a list costs the same number of queries for 3 rows or 3,000. Writes validate in the
serializer, then call the service in `clients.services` with the acting user: the service checks
the permission again, writes atomically and records the user in the change history.

Deletion: enterprises, group clients, persons, statements, accounts and interactions cannot be
deleted over the API (they anchor history, flows and memberships; retiring them is an admin act).
Control links can: they are facts that go out of date, and their delete refreshes membership.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import permissions, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from clients import services
from clients.api.serializers import (
    AccountBalanceSerializer,
    BankAccountSerializer,
    ControlLinkSerializer,
    EnterpriseSerializer,
    FinancialStatementSerializer,
    GroupClientDetailSerializer,
    GroupClientSerializer,
    InteractionSerializer,
    PersonSerializer,
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
    ControlLink,
    Enterprise,
    FinancialStatement,
    GroupClient,
    GroupMembership,
    Interaction,
    Person,
)
from clients.validators import normalize_uscc
from config.api import ScopedModelViewSet
from staff.access import scope_for

READ_CREATE = ["get", "post", "head", "options"]
NO_DELETE = ["get", "post", "put", "patch", "head", "options"]


class ClientEditorOrReadOnly(permissions.BasePermission):
    """Anyone in scope reads; only roles that may change client data write (risk officers read).

    Checked before validation so that a read-only role gets 403, not a 400 about its payload."""

    message = _("Your role may not change client data.")

    def has_permission(self, request, view):
        return request.method in permissions.SAFE_METHODS or scope_for(request.user).can_edit_clients


def run_service(serializer, service, **kwargs):
    """Call a service; turn the model-level errors it raises into errors named by the API's fields
    (the model says `core_enterprise`, the API says `core_enterprise_uscc`)."""
    try:
        return service(**kwargs)
    except DjangoValidationError as exc:
        if not hasattr(exc, "error_dict"):
            raise
        names = {}
        for name, field in serializer.fields.items():
            if not field.read_only:
                names[field.source] = name
        detail: dict[str, list[str]] = {}
        for field, errors in exc.error_dict.items():
            key = "non_field_errors" if field == "__all__" else names.get(field, field)
            detail.setdefault(key, []).extend(m for e in errors for m in e.messages)
        raise serializers.ValidationError(detail) from exc


class ClientsViewSetMixin:
    permission_classes = [permissions.IsAuthenticated, ClientEditorOrReadOnly]


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
class EnterpriseViewSet(ClientsViewSetMixin, ScopedModelViewSet):
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
        serializer.instance = run_service(
            serializer, services.enterprise_create, user=self.request.user, **serializer.validated_data
        )

    def perform_update(self, serializer):
        serializer.instance = run_service(
            serializer,
            services.enterprise_update,
            user=self.request.user,
            enterprise=serializer.instance,
            **serializer.validated_data,
        )


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
class GroupClientViewSet(ClientsViewSetMixin, ScopedModelViewSet):
    """Group clients (集团客户). Membership is derived from control links, never written here."""

    queryset = GroupClient.objects.all()
    filterset_class = GroupClientFilterSet
    http_method_names = NO_DELETE

    def get_serializer_class(self):
        return GroupClientSerializer if self.action == "list" else GroupClientDetailSerializer

    def optimize(self, queryset):
        member_count = (
            GroupMembership.objects.filter(group=OuterRef("pk"))
            .order_by()
            .values("group")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return (
            queryset.select_related("core_enterprise", "lead_rm", "branch")
            .prefetch_related("team")
            .annotate(member_count=Coalesce(Subquery(member_count), 0))
            .order_by("name", "pk")
        )

    def perform_create(self, serializer):
        serializer.instance = run_service(
            serializer, services.group_client_create, user=self.request.user, **serializer.validated_data
        )

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        team = data.pop("team", None)
        serializer.instance = run_service(
            serializer,
            services.group_client_update,
            user=self.request.user,
            group=serializer.instance,
            team=team,
            **data,
        )


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
class ControlLinkViewSet(ClientsViewSetMixin, ScopedModelViewSet):
    """Who holds or controls whom: parent enterprise or person -> child enterprise."""

    queryset = ControlLink.objects.all()
    serializer_class = ControlLinkSerializer
    filterset_class = ControlLinkFilterSet

    def optimize(self, queryset):
        return queryset.select_related("parent_enterprise", "parent_person", "child").order_by(
            "child__name", "pk"
        )

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        data.setdefault("share_pct", Decimal("0"))
        serializer.instance = run_service(
            serializer, services.control_link_create, user=self.request.user, **data
        )

    def perform_update(self, serializer):
        serializer.instance = run_service(
            serializer,
            services.control_link_update,
            user=self.request.user,
            link=serializer.instance,
            **serializer.validated_data,
        )

    def perform_destroy(self, instance):
        services.control_link_delete(user=self.request.user, link=instance)


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
class FinancialStatementViewSet(ClientsViewSetMixin, ScopedModelViewSet):
    queryset = FinancialStatement.objects.all()
    serializer_class = FinancialStatementSerializer
    filterset_class = FinancialStatementFilterSet
    http_method_names = READ_CREATE

    def optimize(self, queryset):
        return queryset.select_related("enterprise").order_by("enterprise__name", "-period_end", "pk")

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        existed = FinancialStatement.objects.filter(
            enterprise=data["enterprise"], period_end=data["period_end"], period_type=data["period_type"]
        ).exists()
        serializer.instance = run_service(
            serializer, services.financial_statement_upsert, user=request.user, **data
        )
        return Response(serializer.data, status=status.HTTP_200_OK if existed else status.HTTP_201_CREATED)


# --- accounts and balances -------------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="List bank accounts with their latest balance"),
    retrieve=extend_schema(summary="Get a bank account"),
    create=extend_schema(summary="Open (record) a bank account"),
)
class BankAccountViewSet(ClientsViewSetMixin, ScopedModelViewSet):
    queryset = BankAccount.objects.all()
    serializer_class = BankAccountSerializer
    filterset_class = BankAccountFilterSet
    http_method_names = READ_CREATE

    def optimize(self, queryset):
        latest = AccountBalance.objects.filter(account=OuterRef("pk")).order_by("-date")
        return (
            queryset.select_related("enterprise")
            .annotate(
                latest_balance=Subquery(latest.values("balance")[:1]),
                latest_balance_date=Subquery(latest.values("date")[:1]),
            )
            .order_by("account_no")
        )

    def perform_create(self, serializer):
        serializer.instance = run_service(
            serializer, services.bank_account_create, user=self.request.user, **serializer.validated_data
        )

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
        account = get_object_or_404(self.get_queryset(), pk=pk)
        if request.method == "POST":
            serializer = self.get_serializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            serializer.instance = run_service(
                serializer,
                services.account_balance_record,
                user=request.user,
                account=account,
                **serializer.validated_data,
            )
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
class PersonViewSet(ClientsViewSetMixin, ScopedModelViewSet):
    """Natural persons; `id_number` is masked in every answer except to head office."""

    queryset = Person.objects.all()
    serializer_class = PersonSerializer
    http_method_names = READ_CREATE

    def optimize(self, queryset):
        return queryset.order_by("name", "pk")

    def perform_create(self, serializer):
        serializer.instance = run_service(
            serializer, services.person_create, user=self.request.user, **serializer.validated_data
        )


@extend_schema_view(
    list=extend_schema(summary="List interactions (visits, calls, interviews), newest first"),
    retrieve=extend_schema(summary="Get an interaction"),
    create=extend_schema(summary="Log an interaction; the acting user is its staff member"),
)
class InteractionViewSet(ClientsViewSetMixin, ScopedModelViewSet):
    queryset = Interaction.objects.all()
    serializer_class = InteractionSerializer
    filterset_class = InteractionFilterSet
    http_method_names = READ_CREATE

    def optimize(self, queryset):
        return queryset.select_related("enterprise", "staff").order_by("-occurred_at", "pk")

    def perform_create(self, serializer):
        serializer.instance = run_service(
            serializer, services.interaction_log, user=self.request.user, **serializer.validated_data
        )
