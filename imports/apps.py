from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImportsConfig(AppConfig):
    name = "imports"
    verbose_name = _("Imports")

    def ready(self):
        # Each domain app declares its importers next to its services (`<app>/importers.py`); they
        # register themselves with imports.registry when imported. Found like the admin finds
        # `admin.py`, so this app names no domain app and no import cycle arises.
        from django.utils.module_loading import autodiscover_modules

        autodiscover_modules("importers")
