from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClientsConfig(AppConfig):
    name = "clients"
    verbose_name = _("Clients")

    def ready(self):
        from clients import scoping  # noqa: F401  registers the counterparty sources
        from clients.search import connect_signals

        connect_signals()
