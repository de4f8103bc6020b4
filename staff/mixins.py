"""Base view mixins for pages: every page that shows client data starts from `for_user`."""

from django.core.exceptions import PermissionDenied

from staff.scope import scope_for


class ScopedQuerysetMixin:
    """Restrict a generic view's queryset to the user's scope; out of scope objects are 404."""

    model = None

    def get_base_queryset(self):
        return self.model.objects.all()

    def get_queryset(self):
        return self.get_base_queryset().for_user(self.request.user)


class ClientEditorRequiredMixin:
    """Pages that change client data: risk officers and users without a role get 403."""

    def dispatch(self, request, *args, **kwargs):
        if not scope_for(request.user).can_edit_clients:
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class HtmxTemplateMixin:
    """One view answers the full page and its htmx fragment (`partial_template_name`)."""

    partial_template_name = None

    def get_template_names(self):
        if self.partial_template_name and getattr(self.request, "htmx", False) and not self.request.htmx.boosted:
            return [self.partial_template_name]
        return super().get_template_names()
