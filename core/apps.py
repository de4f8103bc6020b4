from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Operations")

    def ready(self):
        from core.schedules import ensure_default_schedules

        post_migrate.connect(ensure_default_schedules, sender=self)
