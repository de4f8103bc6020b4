"""`/api/v1/needs/`, `/api/v1/job-runs/` and the group clients' `refresh-needs` action.

Needs follow the full-record reach of their enterprise (Need.objects.for_user), like the pages. PATCH
changes the status (`status`, `reason`) through services.needs.need_set_status; POST records a need by
hand through services.needs.need_record; risk officers read (403 on writes). Job runs: head office
sees every run; others the runs about groups in their reach, the runs they started, and the jobs of
the system (no subject, no user). `POST /api/v1/group-clients/{id}/refresh-needs/` queues the
group's refresh (any role with the group in reach: it writes no client data, only the derived needs
and profiles) and answers 202 with the run's id and status (with eager tasks, the run has finished)."""

from __future__ import annotations

import django_filters
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.response import Response

from clients.access import groups_in_reach
from clients.models import GroupClient
from clients.validators import normalize_uscc
from core.api.base import ErrorSerializer, ScopedViewSetMixin
from core.api.pagination import PageNumberPagination
from core.api.serializers import ModelSerializer, Serializer
from core.models import JobRun, JobStatus
from core.permissions import is_head_office
from services import needs as need_service
from services.models import Need, NeedStatus

# --- needs -------------------------------------------------------------------------------------------------


class NeedFilterSet(django_filters.FilterSet):
    group = django_filters.NumberFilter(field_name="group_id", label=_("group client id"))
    enterprise = django_filters.CharFilter(method="filter_enterprise", label=_("enterprise credit code"))
    product = django_filters.CharFilter(field_name="product__code", label=_("product code"))
    status = django_filters.ChoiceFilter(choices=NeedStatus.choices)

    class Meta:
        model = Need
        fields = ["group", "enterprise", "product", "status"]

    def filter_enterprise(self, queryset, name, value):
        return queryset.filter(enterprise__uscc=normalize_uscc(value))


class NeedSerializer(ModelSerializer):
    product = serializers.CharField(source="product.code", read_only=True, help_text=_("Product code."))
    product_name = serializers.CharField(source="product.name", read_only=True)
    enterprise = serializers.CharField(source="enterprise.uscc", read_only=True,
                                       help_text=_("The enterprise's unified social credit code."))
    enterprise_name = serializers.CharField(source="enterprise.name", read_only=True)
    reason = serializers.CharField(source="status_reason", read_only=True)
    evidence = serializers.CharField(source="evidence_text", read_only=True,
                                     help_text=_("The evidence, in the request's language where both exist."))

    class Meta:
        model = Need
        fields = ["id", "product", "product_name", "enterprise", "enterprise_name", "group", "score", "value",
                  "status", "reason", "evidence", "rule", "is_current", "created_at", "refreshed_at"]
        read_only_fields = fields


class NeedStatusSerializer(Serializer):
    status = serializers.ChoiceField(choices=NeedStatus.choices)
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=need_service.REASON_MAX,
                                   trim_whitespace=False, help_text=_("Required when dismissing."))


class NeedInSerializer(Serializer):
    enterprise = serializers.CharField(max_length=64, help_text=_("Credit code of an enterprise in your clients."))
    product = serializers.CharField(max_length=40, help_text=_("Product code."))
    score = serializers.IntegerField(min_value=0, max_value=100)
    value = serializers.DecimalField(max_digits=19, decimal_places=2, min_value=0,
                                     help_text=_("Estimated annual value to the bank, CNY."))
    evidence = serializers.CharField(max_length=need_service.EVIDENCE_MAX, trim_whitespace=False)
    group = serializers.IntegerField(required=False, allow_null=True, default=None,
                                     help_text=_("Group client id (default: the enterprise's group)."))


class NeedPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


@extend_schema_view(
    list=extend_schema(summary="List needs of enterprises whose full record you have (by value)"),
    retrieve=extend_schema(summary="One need"),
)
class NeedViewSet(ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    queryset = Need.objects.all()
    serializer_class = NeedSerializer
    filterset_class = NeedFilterSet
    pagination_class = NeedPagination
    http_method_names = ["get", "post", "patch", "head", "options"]

    def optimize(self, queryset):
        return queryset.select_related("enterprise", "product").order_by("-value", "-score", "pk")

    @extend_schema(summary="Change a need's status (new > contacted > converted or dismissed, with a reason)",
                   request=NeedStatusSerializer, responses={200: NeedSerializer})
    def partial_update(self, request, *args, **kwargs):
        need = self.get_object()
        data = NeedStatusSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        need = self.call(need_service.need_set_status, serializer=data, need=need, **data.validated_data)
        return Response(NeedSerializer(self.get_queryset().get(pk=need.pk), context=self.get_serializer_context()).data)

    @extend_schema(summary="Record a need by hand (from a visit or an interview)", request=NeedInSerializer,
                   responses={201: NeedSerializer})
    def create(self, request, *args, **kwargs):
        data = NeedInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        need = self.call(need_service.need_record, serializer=data, **data.validated_data)
        return Response(NeedSerializer(self.get_queryset().get(pk=need.pk), context=self.get_serializer_context()).data,
                        status=status.HTTP_201_CREATED)


# --- job runs ------------------------------------------------------------------------------------------------


class JobRunFilterSet(django_filters.FilterSet):
    job = django_filters.CharFilter(field_name="job", label=_("job name"))
    status = django_filters.ChoiceFilter(choices=JobStatus.choices)

    class Meta:
        model = JobRun
        fields = ["job", "status"]


class JobRunSerializer(ModelSerializer):
    subject_type = serializers.SerializerMethodField()
    error = serializers.SerializerMethodField()

    class Meta:
        model = JobRun
        fields = ["id", "job", "status", "subject_type", "subject_id", "started_at", "finished_at", "counts",
                  "error", "note"]
        read_only_fields = fields

    def get_subject_type(self, run) -> str | None:
        return None if run.subject_type_id is None else ContentType.objects.get_for_id(run.subject_type_id).model

    def get_error(self, run) -> str:
        """The whole trace for head office; the first line for the user's own and their groups' runs;
        nothing of a system-wide run's error for anyone else."""
        if not run.error:
            return ""
        if self.context.get("head_office"):
            return run.error
        request = self.context.get("request")
        if run.subject_type_id is None and (request is None or run.user_id != request.user.pk):
            return ""  # a system-wide run's error may name anyone's data: head office reads it
        return run.error.splitlines()[0]


def runs_for_user(user):
    runs = JobRun.objects.all()
    if is_head_office(user):
        return runs
    group_type = ContentType.objects.get_for_model(GroupClient)
    return runs.filter(Q(subject_type__isnull=True, user__isnull=True) | Q(user_id=user.pk)
                       | Q(subject_type=group_type, subject_id__in=groups_in_reach(user).values("pk")))


@extend_schema_view(
    list=extend_schema(summary="List background job runs (yours, your groups' and the system's)"),
    retrieve=extend_schema(summary="One job run"),
)
class JobRunViewSet(ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    queryset = JobRun.objects.all()
    serializer_class = JobRunSerializer
    filterset_class = JobRunFilterSet
    pagination_class = NeedPagination
    permission_classes = [permissions.IsAuthenticated]

    def get_queryset(self):
        return runs_for_user(self.request.user).order_by("-started_at", "-pk")

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "head_office": is_head_office(self.request.user)}


# --- the group clients' refresh-needs action ----------------------------------------------------------------


class RefreshQueuedSerializer(Serializer):
    job_run = serializers.IntegerField(help_text=_("The run's id (GET /api/v1/job-runs/{id}/)."))
    status = serializers.ChoiceField(choices=JobStatus.choices)


REFRESH_NEEDS_SCHEMA = extend_schema(
    summary="Refresh the group's needs and profiles now (queued; 202 with the run)",
    description="Any role with the group in reach may ask (it writes no client data). The run is a "
                "job-runs record about the group; with eager tasks it has finished when the answer comes.",
    request=None,
    responses={202: RefreshQueuedSerializer, 404: OpenApiResponse(ErrorSerializer, description=_("No such group."))},
)


def refresh_needs(group: GroupClient, request) -> Response:
    from services.tasks import queue_group_refresh

    run = queue_group_refresh(group, user=request.user)
    return Response({"job_run": run.pk, "status": run.status}, status=status.HTTP_202_ACCEPTED)
