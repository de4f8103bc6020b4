from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StaffConfig(AppConfig):
    name = "staff"
    verbose_name = _("Staff and branches")

    def ready(self):
        from staff import schema, signals  # noqa: F401 - schema: the token scheme of the API schema

        signals.connect()
