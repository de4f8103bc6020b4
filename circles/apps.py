from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CirclesConfig(AppConfig):
    name = "circles"
    verbose_name = _("Circles")

    def ready(self):
        from circles import scoping  # noqa: F401  registers the counterparty sources
        from circles.services import on_membership_rebuilt
        from clients.hooks import membership_rebuilt

        membership_rebuilt.connect(on_membership_rebuilt)
