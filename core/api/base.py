"""Shared API pieces: the scoped base viewset, the one error shape and the honest schema.

Errors are JSON: validation errors map each field (or `non_field_errors`) to a list of messages,
other errors carry `detail`. Django's own ValidationError and PermissionDenied raised by services
are turned into the same shape (400 and 403); a body over Django's upload limit answers 413. Errors
outside DRF's views (unknown URLs, 500s, the database down) answer the same shape through
core.api.handlers.
"""

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, RequestDataTooBig
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from rest_framework import exceptions, permissions, serializers, viewsets
from rest_framework.views import exception_handler as drf_exception_handler

from core.api.parsers import too_large
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
    elif isinstance(exc, RequestDataTooBig):
        # A form or multipart body over DATA_UPLOAD_MAX_MEMORY_SIZE (JSON has its own limit: parsers).
        exc = too_large(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
    elif isinstance(exc, ObjectDoesNotExist):
        # The object went between the view's lookup and the service's locked re-read (a concurrent
        # delete): it does not exist any more, which is a 404 like any other.
        exc = exceptions.NotFound()
    return drf_exception_handler(exc, context)


class ErrorSerializer(serializers.Serializer):
    """The shape of every error that is not a validation error (401, 403, 404, 413, 429, 5xx, and 400
    for a body that cannot be parsed)."""

    detail = serializers.CharField()


VALIDATION_ERROR_SCHEMA = {
    "type": "object",
    "description": "Validation failed: each field name (or `non_field_errors`) maps to a list of messages.",
    "additionalProperties": {"type": "array", "items": {"type": "string"}},
    "example": {"uscc": ["The check character is wrong (GB 32100-2015)."]},
}

ID_REGEX = "[0-9]+"  # the URL pattern of an object id (viewsets' lookup_value_regex)

RETRY_AFTER = {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait before retrying."}}

# status -> (description, when it applies); the body is always ErrorSerializer except 400 (see below).
COMMON_ERRORS = {
    "401": "Authentication credentials were not provided or are invalid.",
    "429": "Too many requests: the rate limit of this user, token or operation was reached.",
    "500": "A server error occurred (JSON, the `detail` shape).",
    "503": "The database is unavailable; retry after the Retry-After header's seconds.",
}
BODY_ERRORS = {
    "413": "The request body is larger than this operation accepts.",
    "415": "Unsupported media type: send JSON (`Content-Type: application/json`).",
}


class ErrorDocumentingAutoSchema(AutoSchema):
    """Documents every error answer the API gives, in the two shapes clients rely on:

    - `ValidationErrors` (400): each input field (or `non_field_errors`) -> a list of messages; an
      operation may document its own 400 body (the flows import's row errors) instead;
    - `Error` (`{"detail": ...}`): 400 for a body that cannot be parsed (bad JSON, nested too deep,
      text refused), 401, 403, 404, 413, 415, 429, 500 and 503.

    401, 429, 500 and 503 on every operation; 403 on writes (the role may not write); 400, 413 and
    415 on operations with a body, 400 also on operations with query parameters (a filter value that
    does not parse is named); 404 on paths with an object id and on lists (a page past the end).
    Responses an operation documents itself win, except that a documented 400 also admits `Error`."""

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        responses = operation["responses"]
        method = self.method
        has_body = "requestBody" in operation or method in ("POST", "PUT", "PATCH")
        has_query = any(p.get("in") == "query" for p in operation.get("parameters", []))
        error = self._error_ref()
        extra = dict(COMMON_ERRORS)
        if method in ("POST", "PUT", "PATCH", "DELETE"):
            extra["403"] = "The user's role may not make this change."
        if has_body:
            extra.update(BODY_ERRORS)
        if "{" in self.path or (method == "GET" and self._is_list_view()):
            extra["404"] = "No such object (or page), or not visible to this user."
        for code, description in extra.items():
            if code not in responses or "content" not in responses[code]:
                responses[code] = {"content": {"application/json": {"schema": error}}, "description": description}
            if code in ("429", "503"):
                responses[code].setdefault("headers", {}).update(RETRY_AFTER)
        if has_body or has_query or method == "DELETE":  # a service may refuse a deletion, naming why
            self._document_400(responses, error)
        for parameter in operation.get("parameters", []):
            if parameter.get("in") == "path" and parameter.get("schema", {}).get("pattern") == f"^{ID_REGEX}$":
                parameter["schema"] = {"type": "integer", "format": "int64"}  # an object id (lookup_value_regex)
            if parameter.get("in") == "query" and not parameter.get("required"):
                # Filters and pagination read an empty value as "not given" (`?kind=`), like a form.
                parameter["allowEmptyValue"] = True
        operation["responses"] = dict(sorted(responses.items()))
        return operation

    def _document_400(self, responses, error):
        own = responses.get("400", {}).get("content", {}).get("application/json", {}).get("schema")
        if own is None or own == error:
            own = self._component("ValidationErrors", VALIDATION_ERROR_SCHEMA)
            description = "Invalid input; errors name the field (or query parameter)."
        else:
            description = responses["400"].get("description", "")
        schema = {"anyOf": [own, error]}
        description += " A body or query string that cannot be parsed answers `{\"detail\": ...}`."
        responses["400"] = {"content": {"application/json": {"schema": schema}}, "description": description}

    def _error_ref(self):
        return self.resolve_serializer(ErrorSerializer, "response").ref

    def _component(self, name, schema):
        component = ResolvedComponent(name=name, type=ResolvedComponent.SCHEMA, schema=schema, object=name)
        self.registry.register_on_missing(component)
        return component.ref


class ScopedViewSetMixin:
    """Every API viewset starts from `Model.objects.for_user(request.user)`: the rules of
    clients.access, the same as the pages. Objects out of reach answer 404, as if they did not exist.
    Writes call services through `call`, so their errors name this API's input fields."""

    queryset = None
    schema = ErrorDocumentingAutoSchema()
    # Object ids are integers: anything else is an unknown URL (a JSON 404), never a query that fails.
    lookup_value_regex = ID_REGEX
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


