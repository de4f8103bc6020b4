"""`/api/v1/alerts/` and `/api/v1/alert-rules/` (issue 10 section 7).

Alerts follow RiskAlert.objects.for_user (the pages' rule): an alert out of reach answers 404. Each
carries its rule's code and name, severity (name and number), status, evidence in the request's
language, the subject's credit code, its group, the path as credit codes (cycles, contagion) and
its figures, filtered by risk.visibility (other branches' enterprises: the registry card only; an
edge's amount only to the branches of its guarantor or borrower). Actions (POST, every role with a
reach): `acknowledge` (optional `comment`), `resolve` and `false-positive` (`comment` required),
`assign` (`assignee`: a user id or null), `comments` (GET lists, POST adds `text`).

Alert rules: every role reads; PATCH `enabled` and `params` (thresholds) is head office's (403 for
others before the body is read; 400 naming each bad threshold)."""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from clients.models import GroupMembership
from clients.validators import normalize_uscc
from core.api.base import ErrorDocumentingAutoSchema, ScopedViewSetMixin
from core.api.pagination import PageNumberPagination
from core.api.serializers import DateTimeField, Serializer
from core.errors import call_service
from core.permissions import is_head_office
from risk import alert_actions
from risk.models import AlertComment, AlertStatus, RiskAlert, Severity
from risk.visibility import alert_views, visible_edges_json
from staff.scope import scope_for

# --- alerts ------------------------------------------------------------------------------------------------


class AlertFilterSet(django_filters.FilterSet):
    group = django_filters.NumberFilter(method="filter_group", label=_("group client id"))
    enterprise = django_filters.CharFilter(method="filter_enterprise", label=_("enterprise credit code"))
    rule = django_filters.CharFilter(field_name="rule", max_length=40, label=_("rule code"))
    severity = django_filters.TypedChoiceFilter(choices=Severity.choices, coerce=int)
    status = django_filters.ChoiceFilter(choices=AlertStatus.choices)

    class Meta:
        model = RiskAlert
        fields = ["group", "enterprise", "rule", "severity", "status"]

    def filter_group(self, queryset, name, value):
        members = GroupMembership.objects.filter(group_id=value).values("enterprise_id")
        return queryset.filter(Q(group_id=value) | Q(enterprise_id__in=members))

    def filter_enterprise(self, queryset, name, value):
        code = normalize_uscc(value)
        return queryset.filter(Q(enterprise__uscc=code) | Q(parties__enterprise__uscc=code)).distinct()


class AlertSerializer(serializers.Serializer):
    """Built from a risk.visibility.AlertView (the alert and what this user may see of it)."""

    id = serializers.IntegerField(source="alert.pk")
    rule = serializers.CharField(source="alert.rule", help_text=_("The rule's code."))
    rule_name = serializers.SerializerMethodField()
    severity = serializers.IntegerField(source="alert.severity", help_text=_("1 low to 4 critical."))
    severity_name = serializers.CharField(source="alert.get_severity_display")
    status = serializers.CharField(source="alert.status")
    evidence = serializers.CharField(help_text=_("In the request's language; another branch's subject: a note."))
    enterprise = serializers.SerializerMethodField(help_text=_("The subject's credit code."))
    group = serializers.IntegerField(source="alert.group_id", allow_null=True)
    path = serializers.ListField(source="path_codes", child=serializers.CharField(),
                                 help_text=_("Credit codes of the path, in order (cycles, contagion)."))
    edges = serializers.SerializerMethodField(help_text=_("Guarantor to borrower; amount null where not yours."))
    figures = serializers.DictField()
    assignee = serializers.IntegerField(source="alert.assignee_id", allow_null=True)
    opened_at = DateTimeField(read_only=True, source="alert.opened_at")
    refreshed_at = DateTimeField(read_only=True, source="alert.refreshed_at")
    status_changed_at = DateTimeField(read_only=True, source="alert.status_changed_at", allow_null=True)
    resolution_note = serializers.CharField(source="alert.resolution_note")

    def get_rule_name(self, view) -> str:
        from risk.rules import load

        rule = load().get(view.alert.rule)
        return str(rule.label) if rule is not None else view.alert.rule

    def get_enterprise(self, view) -> str | None:
        return view.alert.enterprise.uscc if view.alert.enterprise_id else None

    def get_edges(self, view) -> list[dict]:
        return visible_edges_json(view)


class CommentInSerializer(Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=alert_actions.NOTE_MAX,
                                    trim_whitespace=False)


class RequiredCommentSerializer(Serializer):
    comment = serializers.CharField(max_length=alert_actions.NOTE_MAX, trim_whitespace=False)


class AssignSerializer(Serializer):
    assignee = serializers.IntegerField(allow_null=True, min_value=1, help_text=_("A user id, or null."))


class CommentSerializer(serializers.ModelSerializer):
    author = serializers.CharField(source="author.username", read_only=True)

    class Meta:
        model = AlertComment
        fields = ["id", "author", "text", "created_at"]
        read_only_fields = fields


class CommentAddSerializer(Serializer):
    text = serializers.CharField(max_length=alert_actions.COMMENT_MAX, trim_whitespace=False)


class AlertPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


class WorksAlerts(permissions.BasePermission):
    """Every role reads and works the alerts in its reach; a login without a role gets nothing."""

    message = _("Your role may not work risk alerts.")

    def has_permission(self, request, view):
        return request.method in permissions.SAFE_METHODS or not scope_for(request.user).sees_nothing


@extend_schema_view(
    list=extend_schema(summary="List risk alerts in your reach (most severe first)"),
    retrieve=extend_schema(summary="One risk alert"),
)
class AlertViewSet(ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    queryset = RiskAlert.objects.all()
    serializer_class = AlertSerializer
    filterset_class = AlertFilterSet
    pagination_class = AlertPagination
    permission_classes = [permissions.IsAuthenticated, WorksAlerts]

    def optimize(self, queryset):
        return queryset.select_related("enterprise").order_by("-severity", "opened_at", "pk")

    def _views(self, alerts):
        return alert_views(self.request.user, alerts)

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        data = AlertSerializer(self._views(page), many=True, context=self.get_serializer_context()).data
        return self.get_paginated_response(data)

    def retrieve(self, request, *args, **kwargs):
        return Response(self._one(self.get_object()))

    def _one(self, alert):
        alert = self.get_queryset().get(pk=alert.pk)
        return AlertSerializer(self._views([alert])[0], context=self.get_serializer_context()).data

    def _act(self, service, serializer_class):
        alert = self.get_object()
        data = serializer_class(data=self.request.data)
        data.is_valid(raise_exception=True)
        call_service(service, serializer=data, user=self.request.user, alert=alert, **data.validated_data)
        return Response(self._one(alert))

    @extend_schema(summary="Acknowledge an open alert (optional comment)", request=CommentInSerializer,
                   responses={200: AlertSerializer})
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        return self._act(alert_actions.alert_acknowledge, CommentInSerializer)

    @extend_schema(summary="Resolve an alert (comment required)", request=RequiredCommentSerializer,
                   responses={200: AlertSerializer})
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        return self._act(alert_actions.alert_resolve, RequiredCommentSerializer)

    @extend_schema(summary="Mark an alert a false positive (comment required)", request=RequiredCommentSerializer,
                   responses={200: AlertSerializer})
    @action(detail=True, methods=["post"], url_path="false-positive")
    def false_positive(self, request, pk=None):
        return self._act(alert_actions.alert_false_positive, RequiredCommentSerializer)

    @extend_schema(summary="Assign an open alert to a member of staff who can see it", request=AssignSerializer,
                   responses={200: AlertSerializer})
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        return self._act(alert_actions.alert_assign, AssignSerializer)

    @extend_schema(methods=["GET"], summary="An alert's comments", responses={200: CommentSerializer(many=True)})
    @extend_schema(methods=["POST"], summary="Comment on an alert", request=CommentAddSerializer,
                   responses={201: CommentSerializer})
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def comments(self, request, pk=None):
        alert = self.get_object()
        if request.method == "GET":
            rows = AlertComment.objects.filter(alert=alert).select_related("author")
            return Response(CommentSerializer(rows, many=True).data)
        data = CommentAddSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        comment = call_service(alert_actions.alert_comment, serializer=data, user=request.user, alert=alert,
                               **data.validated_data)
        return Response(CommentSerializer(comment).data, status=201)


# --- alert rules ------------------------------------------------------------------------------------------


class AlertRuleParamSerializer(Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    unit = serializers.CharField()
    default = serializers.JSONField()
    minimum = serializers.JSONField(allow_null=True)
    maximum = serializers.JSONField(allow_null=True)


class AlertRuleSerializer(Serializer):
    code = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)
    description = serializers.CharField(read_only=True)
    enabled = serializers.BooleanField(required=False)
    params = serializers.DictField(required=False, help_text=_("Threshold key -> value."))
    spec = AlertRuleParamSerializer(many=True, read_only=True, help_text=_("Each threshold's unit and range."))


class AlertRuleEditor(permissions.BasePermission):
    """Every role reads; head office alone writes (refused before the body is read)."""

    message = _("Only head office sets the early-warning rules.")

    def has_permission(self, request, view):
        if request.method in permissions.SAFE_METHODS:
            return not scope_for(request.user).sees_nothing
        return is_head_office(request.user)


def _rule_rows():
    from risk.rules import load, settings_for

    conf = settings_for()
    rows = []
    for n, (code, rule) in enumerate(sorted(load().items()), start=1):
        enabled, params = conf[code]
        rows.append({"id": n, "code": code, "name": str(rule.label), "description": str(rule.description),
                     "enabled": enabled, "params": params,
                     "spec": [{"key": p.key, "label": str(p.label), "unit": p.unit, "default": p.clean(p.default),
                               "minimum": None if p.minimum is None else str(p.minimum),
                               "maximum": None if p.maximum is None else str(p.maximum)} for p in rule.params]})
    return rows


@extend_schema_view(
    list=extend_schema(summary="The early-warning rules, their thresholds and whether they are on"),
    retrieve=extend_schema(summary="One early-warning rule (by its code)"),
    partial_update=extend_schema(summary="Set a rule's thresholds or switch it on or off (head office)"),
)
class AlertRuleViewSet(viewsets.ViewSet):
    schema = ErrorDocumentingAutoSchema()
    permission_classes = [permissions.IsAuthenticated, AlertRuleEditor]
    serializer_class = AlertRuleSerializer
    lookup_field = "code"
    lookup_value_regex = "[a-z0-9_]{1,40}"
    http_method_names = ["get", "patch", "head", "options"]

    def list(self, request):
        return Response(AlertRuleSerializer(_rule_rows(), many=True).data)

    def _row(self, code):
        for row in _rule_rows():
            if row["code"] == code:
                return row
        raise NotFound()

    def retrieve(self, request, code=None):
        return Response(AlertRuleSerializer(self._row(code)).data)

    def partial_update(self, request, code=None):
        from risk.rule_settings import alert_rule_update

        self._row(code)
        data = AlertRuleSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        names = {p["key"]: f"params.{p['key']}" for p in self._row(code)["spec"]}
        call_service(alert_rule_update, serializer=data, names=names, user=request.user, code=code,
                     enabled=data.validated_data.get("enabled"), params=data.validated_data.get("params"))
        return Response(AlertRuleSerializer(self._row(code)).data)
