"""Who may change what: the role checks of DESIGN.md section 4, one definition for pages, API,
imports, admin and services. Reach (which objects) is `clients.access`; this module is about roles."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from rest_framework import permissions

from staff.scope import scope_for


def ensure_can_edit_clients(user) -> None:
    """Client records are changed by RMs, branch heads and head office; risk officers read them."""
    if not scope_for(user).can_edit_clients:
        raise PermissionDenied(_("Your role may not change client data."))


def ensure_can_set_limits_and_ratings(user) -> None:
    if not scope_for(user).can_set_limits_and_ratings:
        raise PermissionDenied(_("Unified credit limits and internal ratings are set by risk officers and head office."))


def ensure_can_approve(user) -> None:
    if not scope_for(user).can_approve:
        raise PermissionDenied(_("Only branch heads and head office approve these requests."))


# --- pages ---------------------------------------------------------------------------------------------


class ClientEditorRequiredMixin:
    """Pages that change client data: other roles get 403 before any form is read."""

    def dispatch(self, request, *args, **kwargs):
        ensure_can_edit_clients(request.user)
        return super().dispatch(request, *args, **kwargs)


class LimitSetterRequiredMixin:
    def dispatch(self, request, *args, **kwargs):
        ensure_can_set_limits_and_ratings(request.user)
        return super().dispatch(request, *args, **kwargs)


class ApproverRequiredMixin:
    def dispatch(self, request, *args, **kwargs):
        ensure_can_approve(request.user)
        return super().dispatch(request, *args, **kwargs)


# --- API -------------------------------------------------------------------------------------------------


class ClientEditorOrReadOnly(permissions.BasePermission):
    """Anyone in reach reads; only roles that change client data write.

    A write to a collection is refused before its payload is validated (a read-only role gets 403,
    not a 400 about its payload); a write to one object is refused after the scoped lookup, so an
    object out of reach answers 404 as if it did not exist."""

    message = _("Your role may not change client data.")

    def has_permission(self, request, view):
        if request.method in permissions.SAFE_METHODS or getattr(view, "detail", False):
            return True
        return scope_for(request.user).can_edit_clients

    def has_object_permission(self, request, view, obj):
        return request.method in permissions.SAFE_METHODS or scope_for(request.user).can_edit_clients


class LimitSetter(permissions.BasePermission):
    message = _("Unified credit limits and internal ratings are set by risk officers and head office.")

    def has_permission(self, request, view):
        return request.method in permissions.SAFE_METHODS or getattr(view, "detail", False) or (
            scope_for(request.user).can_set_limits_and_ratings
        )

    def has_object_permission(self, request, view, obj):
        return request.method in permissions.SAFE_METHODS or scope_for(request.user).can_set_limits_and_ratings
