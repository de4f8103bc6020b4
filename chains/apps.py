from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChainsConfig(AppConfig):
    name = "chains"
    verbose_name = _("Chains")

    def ready(self):
        from chains import scoping  # noqa: F401  registers the counterparty sources
