"""`/api/v1/tokens/`: API tokens over the API (the page is `/account/tokens/`).

List (yours; head office: everyone's, `?user=` filters), create (the secret is in the answer once and
never again), read, revoke (DELETE: the owner or head office), rotate (POST .../rotate/: the owner only;
a new secret, same name and lifetime, the old one stops at once). Another user's token answers 404."""

from __future__ import annotations

from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api import serializers as api_serializers
from core.api.base import ErrorDocumentingAutoSchema, ErrorSerializer
from core.errors import call_service
from staff import tokens
from staff.models import ApiToken


class ApiTokenSerializer(api_serializers.ModelSerializer):
    key = serializers.CharField(source="token_key", read_only=True,
                                help_text="The secret's first characters: names the token, is not the secret.")
    user = serializers.CharField(source="user.username", read_only=True)
    expired = serializers.BooleanField(source="is_expired", read_only=True)

    class Meta:
        model = ApiToken
        fields = ["key", "name", "user", "created", "expiry", "expired", "last_used_at", "last_used_ip"]
        read_only_fields = fields


class ApiTokenCreateSerializer(api_serializers.Serializer):
    name = serializers.CharField(max_length=100, help_text="What or who uses the token.")
    expires_in_days = serializers.IntegerField(
        required=False, min_value=1, max_value=3650,
        help_text="Lifetime in days (default API_TOKEN_DEFAULT_DAYS, at most API_TOKEN_MAX_DAYS).")


class NewApiTokenSerializer(ApiTokenSerializer):
    token = serializers.CharField(read_only=True, help_text="The secret: shown in this answer only, never stored.")

    class Meta(ApiTokenSerializer.Meta):
        fields = [*ApiTokenSerializer.Meta.fields, "token"]
        read_only_fields = fields


def _with_secret(token: ApiToken, secret: str) -> dict:
    data = NewApiTokenSerializer(token).data
    data["token"] = secret
    return data


@extend_schema_view(
    list=extend_schema(summary="List API tokens: yours (head office: everyone's)",
                       parameters=[OpenApiParameter("user", str, description="Head office: one user's tokens.")]),
    retrieve=extend_schema(summary="Get an API token (never its secret)"),
    create=extend_schema(summary="Create an API token; the answer holds its secret, once",
                         request=ApiTokenCreateSerializer, responses={201: NewApiTokenSerializer}),
    destroy=extend_schema(summary="Revoke an API token (yours; head office: anyone's)"),
)
class ApiTokenViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin,
                      viewsets.GenericViewSet):
    serializer_class = ApiTokenSerializer
    schema = ErrorDocumentingAutoSchema()
    queryset = ApiToken.objects.none()
    lookup_field = "token_key"
    lookup_url_kwarg = "key"
    lookup_value_regex = "[^/.]+"
    filter_backends: list = []

    def get_queryset(self):
        qs = tokens.tokens_visible_to(self.request.user)
        username = self.request.query_params.get("user")
        if username:
            qs = qs.filter(user__username=username)
        return qs

    def get_serializer_class(self):
        return ApiTokenCreateSerializer if self.action == "create" else ApiTokenSerializer

    def create(self, request):
        form = ApiTokenCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        token, secret = call_service(tokens.token_create, serializer=form, user=request.user,
                                     name=form.validated_data["name"],
                                     days=form.validated_data.get("expires_in_days"), request=request)
        return Response(_with_secret(token, secret), status=status.HTTP_201_CREATED)

    def destroy(self, request, key=None):
        try:
            call_service(tokens.token_revoke, user=request.user, key=key, request=request)
        except ObjectDoesNotExist:
            raise Http404 from None
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(summary="Rotate one of your API tokens: a new secret (in the answer, once), same name and "
                           "lifetime; the old secret stops at once",
                   request=None,
                   responses={201: NewApiTokenSerializer,
                              403: OpenApiResponse(ErrorSerializer, description="Not your token (head office).")})
    @action(detail=True, methods=["post"])
    def rotate(self, request, key=None):
        try:
            token, secret = call_service(tokens.token_rotate, user=request.user, key=key, request=request)
        except ObjectDoesNotExist:
            raise Http404 from None
        return Response(_with_secret(token, secret), status=status.HTTP_201_CREATED)

