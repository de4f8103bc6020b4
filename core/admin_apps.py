"""django.contrib.admin's app config with the head office's admin site (core.admin_site) as the default
site. Its own module: INSTALLED_APPS imports it before the models are ready."""

from django.contrib.admin.apps import AdminConfig


class CrmAdminConfig(AdminConfig):
    default_site = "core.admin_site.CrmAdminSite"
