"""The admin site is head office's (core.permissions.is_admin_site_user: active staff with head-office
scope). Anyone else who is logged in gets the 403 page inside the layout, on every admin address and
on the admin's login page, instead of Django's second login form; anonymous visitors of admin pages
are sent to the main login page by the login middleware, as for any page.

Installed as the default admin site by `core.admin_apps.CrmAdminConfig` (INSTALLED_APPS), so every
app's `admin.site.register` uses it. Per-model rules stay in core.admin_tools.HeadOfficeOnlyMixin.
"""

from __future__ import annotations

from functools import update_wrapper

from django.contrib.admin import AdminSite
from django.contrib.auth.decorators import login_not_required
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from core.error_pages import forbidden
from core.permissions import is_admin_site_user


def refusal(request):
    return forbidden(request, _("The administration site is for head office administrators."))


class CrmAdminSite(AdminSite):
    def has_permission(self, request):
        return is_admin_site_user(request.user)

    def admin_view(self, view, cacheable=False):
        wrapped = super().admin_view(view, cacheable)

        def inner(request, *args, **kwargs):
            if request.user.is_authenticated and not self.has_permission(request):
                return refusal(request)
            return wrapped(request, *args, **kwargs)

        return update_wrapper(inner, wrapped)

    @method_decorator(never_cache)
    @login_not_required
    def login(self, request, extra_context=None):
        if request.user.is_authenticated and not self.has_permission(request):
            return refusal(request)
        return super().login(request, extra_context)
