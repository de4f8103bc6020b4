"""Pagination whose query parameters are as strict as the filters (core.api.filters): `page=abc` or
`page_size=0` answer 400 naming the parameter instead of being ignored. A page past the end still
answers 404 (documented on every list); a page size above the maximum is cut to the maximum."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import pagination
from rest_framework.exceptions import ValidationError

POSITIVE_MESSAGE = _("Enter a whole number of 1 or more.")


def positive_int(request, name: str) -> int | None:
    """The query parameter `name` as a positive integer; None when absent or empty; else a 400."""
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    if not (raw.isascii() and raw.isdigit()) or int(raw) < 1:
        raise ValidationError({name: [POSITIVE_MESSAGE]})
    return int(raw)


def _with_minimum(parameters: list[dict]) -> list[dict]:
    for parameter in parameters:
        if parameter.get("schema", {}).get("type") == "integer":
            parameter["schema"]["minimum"] = 1
    return parameters


class PageNumberPagination(pagination.PageNumberPagination):
    def get_page_number(self, request, paginator):
        if request.query_params.get(self.page_query_param) in self.last_page_strings:
            return paginator.num_pages
        return positive_int(request, self.page_query_param) or 1

    def get_page_size(self, request):
        if self.page_size_query_param:
            size = positive_int(request, self.page_size_query_param)
            if size is not None:
                return min(size, self.max_page_size) if self.max_page_size else size
        return self.page_size

    def get_schema_operation_parameters(self, view):
        return _with_minimum(super().get_schema_operation_parameters(view))


class CursorPagination(pagination.CursorPagination):
    """Cursor pagination with a strict `page_size`; an unreadable cursor answers 404 (DRF's
    "Invalid cursor"), like a page past the end."""

    def get_page_size(self, request):
        if self.page_size_query_param:
            size = positive_int(request, self.page_size_query_param)
            if size is not None:
                return min(size, self.max_page_size) if self.max_page_size else size
        return self.page_size

    def get_schema_operation_parameters(self, view):
        return _with_minimum(super().get_schema_operation_parameters(view))
