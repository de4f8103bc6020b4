"""Who the main menu's "Risk alerts" item (core.menu) is shown to: every role (RM, branch head, risk
officer, head office) works the alerts in its reach; the rules page is read by all and edited by head
office on the page itself."""

from __future__ import annotations

from risk.alert_actions import ensure_works_alerts


def works_alerts(user) -> bool:
    """The pages' own check (AlertQueueView, AlertRulesView): any role; a login without one is refused."""
    try:
        ensure_works_alerts(user)
    except Exception:  # noqa: BLE001 - PermissionDenied: not shown
        return False
    return True

