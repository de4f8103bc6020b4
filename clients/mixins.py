"""View mixins for pages about one group client or enterprise: every app's pages (clients, circles,
chains, and the apps to come) look their object up the same way, in the user's reach, so an object
out of reach answers 404 for every role, before any role check or form."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import get_object_or_404

from clients import selectors
from clients.models import Enterprise, GroupClient


class GroupObjectMixin:
    """The group named by the URL keyword `group_url_kwarg`, among the groups in the user's reach.
    `group_detail` adds what the 360 page shows (lead RM, branch, team)."""

    group_url_kwarg = "pk"
    group_detail = False

    def group_pk(self):
        return self.kwargs.get(self.group_url_kwarg)

    def get_group(self) -> GroupClient:
        if not hasattr(self, "_group"):
            try:
                self._group = selectors.group_in_reach_get(user=self.request.user, pk=self.group_pk(),
                                                           detail=self.group_detail)
            except (GroupClient.DoesNotExist, ValueError, TypeError):
                raise Http404 from None
        return self._group

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["group"] = self.get_group()
        return ctx


class EnterpriseObjectMixin:
    """The enterprise named in the URL, in the user's full record (else 404)."""

    def get_enterprise(self) -> Enterprise:
        if not hasattr(self, "_enterprise"):
            self._enterprise = get_object_or_404(Enterprise.objects.for_user(self.request.user),
                                                 pk=self.kwargs["pk"])
        return self._enterprise

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["enterprise"] = self.get_enterprise()
        return ctx


class ObjectFirstMixin:
    """Look the view's objects up before the role check and the form (list it first among the bases):
    out of reach is 404 for every role."""

    object_getters = ("get_group", "get_enterprise", "get_link", "get_request_object")

    def dispatch(self, request, *args, **kwargs):
        if request.method.lower() not in self.http_method_names:
            return self.http_method_not_allowed(request, *args, **kwargs)
        for getter in self.object_getters:
            if hasattr(self, getter):
                getattr(self, getter)()
        return super().dispatch(request, *args, **kwargs)
