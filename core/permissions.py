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


# --- what a role may open: the pages' checks and the main menu read the same rules -------------------------


def can_import(user) -> bool:
    """Imports write client data (flows, circles, chains, enterprises): the roles that edit clients."""
    return scope_for(user).can_edit_clients


def takes_part_in_requests(user) -> bool:
    """Transfer requests and control-link proposals: asked by roles that edit clients, decided by
    approvers. Risk officers do neither, so the requests pages are not theirs."""
    scope = scope_for(user)
    return scope.can_edit_clients or scope.can_approve


def is_head_office(user) -> bool:
    """Operations, the audit log and the API documentation are head office's (branch staff work in
    the pages; internal systems are set up by head office)."""
    return scope_for(user).sees_all


def is_admin_site_user(user) -> bool:
    """The Django admin: active members of staff (is_staff) with head-office scope."""
    return bool(getattr(user, "is_active", False) and getattr(user, "is_staff", False) and is_head_office(user))


def ensure_takes_part_in_requests(user) -> None:
    if not takes_part_in_requests(user):
        raise PermissionDenied(_("Requests are made by the roles that change client data and decided by branch "
                                 "heads and head office."))


def ensure_head_office(user, message: str | None = None) -> None:
    if not is_head_office(user):
        raise PermissionDenied(message or _("Only head office may open this page."))


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


class RequestParticipantRequiredMixin:
    """The requests pages: roles that ask for or decide requests."""

    def dispatch(self, request, *args, **kwargs):
        ensure_takes_part_in_requests(request.user)
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


class RequestParticipant(permissions.BasePermission):
    """The change-requests API: the same roles as the requests pages (`takes_part_in_requests`)."""

    message = _("Requests are made by the roles that change client data and decided by branch heads and head office.")

    def has_permission(self, request, view):
        return takes_part_in_requests(request.user)
