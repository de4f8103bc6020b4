"""Main-menu items of the risk alerts, for the integrator to add to core.menu.MENU (helper delta does
not edit core/menu.py). Every role (RM, branch head, risk officer, head office) works the alerts in
its reach; the rules page is read by all and edited by head office on the page itself."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from risk.alert_actions import ensure_works_alerts


def works_alerts(user) -> bool:
    """The pages' own check (AlertQueueView, AlertRulesView): any role; a login without one is refused."""
    try:
        ensure_works_alerts(user)
    except Exception:  # noqa: BLE001 - PermissionDenied: not shown
        return False
    return True


def items():
    """MenuItem("alerts", _("Risk alerts"), "risk:alerts", works_alerts, namespace=None) — 风险预警."""
    from core.menu import MenuItem

    return (MenuItem("risk_alerts", _("Risk alerts"), "risk:alerts", works_alerts),)
