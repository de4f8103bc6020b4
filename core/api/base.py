"""Shared API pieces: the scoped base viewset, the one error shape and the honest schema.

Errors are JSON: validation errors map each field (or `non_field_errors`) to a list of messages,
other errors carry `detail`. Django's own ValidationError and PermissionDenied raised by services
are turned into the same shape (400 and 403).
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, permissions, serializers, viewsets
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import api_names, call_service, to_api_detail
from core.permissions import ClientEditorOrReadOnly


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        # A service error that no viewset mapped: name the fields after the view's serializer inputs.
        view = context.get("view")
        serializer = None
        if view is not None and hasattr(view, "get_serializer"):
            try:
                serializer = view.get_serializer()
            except Exception:  # noqa: BLE001 - a view whose serializer needs arguments: model names then
                serializer = None
        exc = exceptions.ValidationError(to_api_detail(exc, api_names(serializer)))
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    return drf_exception_handler(exc, context)


class ErrorSerializer(serializers.Serializer):
    """The shape of every error that is not a validation error (401, 403, 404, 405, ...)."""

    detail = serializers.CharField()


VALIDATION_ERROR_SCHEMA = {
    "type": "object",
    "description": "Validation failed: each field name (or `non_field_errors`) maps to a list of messages.",
    "additionalProperties": {"type": "array", "items": {"type": "string"}},
    "example": {"uscc": ["The check character is wrong (GB 32100-2015)."]},
}


class ErrorDocumentingAutoSchema(AutoSchema):
    """Adds the error answers the API really gives to every operation, so the schema is honest:
    401 everywhere (no or bad credentials), 404 on a path with an object id (unknown or out of
    scope), 400 on writes and filtered lists (the field-keyed shape), 403 on writes (role may not
    write). Responses an endpoint documents itself (`extend_schema(responses=...)`) win."""

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        method = self.method.upper()
        writes = method in ("POST", "PUT", "PATCH", "DELETE")
        extra = {"401": (ErrorSerializer, "Authentication credentials were not provided or are invalid.")}
        if writes:
            extra["403"] = (ErrorSerializer, "The user's role may not make this change.")
        if writes and method != "DELETE" or (method == "GET" and self._is_list_view()):
            extra["400"] = (VALIDATION_ERROR_SCHEMA, "Invalid input; errors name the field.")
        if "{" in self.path or (method == "GET" and self._is_list_view()):
            # A list answers 404 for a page number past the end.
            extra["404"] = (ErrorSerializer, "No such object (or page), or not visible to this user.")
        for code, (body, description) in extra.items():
            if code not in responses:
                responses[code] = self._get_response_for_code(
                    OpenApiResponse(response=body, description=description), code, direction=direction
                )
        return responses


class ScopedViewSetMixin:
    """Every API viewset starts from `Model.objects.for_user(request.user)`: the rules of
    clients.access, the same as the pages. Objects out of reach answer 404, as if they did not exist.
    Writes call services through `call`, so their errors name this API's input fields."""

    queryset = None
    schema = ErrorDocumentingAutoSchema()
    permission_classes = [permissions.IsAuthenticated, ClientEditorOrReadOnly]

    def get_queryset(self):
        qs = self.queryset.model.objects.for_user(self.request.user)
        return self.optimize(qs)

    def optimize(self, queryset):
        """Subclasses add select_related/prefetch_related here."""
        return queryset

    def call(self, service, *, serializer=None, **kwargs):
        """Run a service as the requesting user; its ValidationError names the serializer's inputs."""
        return call_service(service, serializer=serializer, user=self.request.user, **kwargs)


class ScopedModelViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    pass


