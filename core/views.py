"""View plumbing shared by every app: one style (class-based views), one way to call a service from
a form, one answer for objects out of reach (404)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect

from core.errors import apply_to_form
from core.permissions import ClientEditorRequiredMixin


class ServiceFormMixin:
    """A form page whose valid submission calls a service (`perform(form)`); the service's
    ValidationError lands on the form's fields, its PermissionDenied answers 403. Forms that act for
    a user (core.forms.UserFormMixin) get the requesting user."""

    success_message = ""

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["user"] = self.request.user
        return kwargs

    def form_valid(self, form):
        try:
            obj = self.perform(form)
        except ValidationError as exc:
            apply_to_form(form, exc)
            return self.form_invalid(form)
        if self.success_message:
            messages.success(self.request, self.success_message)
        return redirect(self.success_url_for(obj))

    def perform(self, form):  # pragma: no cover - every subclass defines it
        raise NotImplementedError

    def success_url_for(self, obj) -> str:  # pragma: no cover - every subclass defines it
        raise NotImplementedError


class EditorFormMixin(ClientEditorRequiredMixin, ServiceFormMixin):
    """A service form that changes client data (RMs, branch heads, head office)."""


def query_without_page(request, page_param: str = "page") -> str:
    """The current query string minus the page number (for pagination links)."""
    params = request.GET.copy()
    params.pop(page_param, None)
    return params.urlencode()
