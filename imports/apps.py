from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImportsConfig(AppConfig):
    name = "imports"
    verbose_name = _("Imports")
    # Each domain app declares its importers next to its services (`<app>/importers.py`); the registry
    # finds them on first use (imports.registry), so this app names no domain app and no import cycle
    # arises, and processes that never import do not load pandas.
