"""Shared API pieces: the scoped base viewset and the one error shape.

Errors are JSON: validation errors map each field (or `non_field_errors`) to a list of messages,
other errors carry `detail`. Django's own ValidationError and PermissionDenied raised by services
are turned into the same shape (400 and 403).
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, viewsets
from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            detail = {field: [str(m) for e in errs for m in e.messages] for field, errs in exc.error_dict.items()}
            detail = {("non_field_errors" if k == "__all__" else k): v for k, v in detail.items()}
        else:
            detail = {"non_field_errors": exc.messages}
        exc = exceptions.ValidationError(detail)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    return drf_exception_handler(exc, context)


class ScopedViewSetMixin:
    """Every API viewset starts from `Model.objects.for_user(request.user)`: the rules of
    staff.access, the same as the pages. Objects out of scope answer 404, as if they did not exist."""

    queryset = None

    def get_queryset(self):
        qs = self.queryset.model.objects.for_user(self.request.user)
        return self.optimize(qs)

    def optimize(self, queryset):
        """Subclasses add select_related/prefetch_related here."""
        return queryset


class ScopedModelViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    pass


class ScopedReadOnlyViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    pass
