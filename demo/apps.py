from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """No models: the `seed_demo` command and the builder it runs."""

    name = "demo"
    verbose_name = _("Demo data")
