"""The alerts' panels on other apps' pages (issue 10 section 5): the group 360 page (the group's risk
level and its open alerts), the enterprise page (its open alerts), the risk officer's landing (open
alerts by severity, the newest high ones) and the RM workbench ("My alerts"). Each is one context
function with a fixed number of queries whatever the number of alerts."""

from __future__ import annotations

from django.urls import reverse

from risk import selectors

ROWS = 10


def group_risk_section(user, group) -> dict:
    """The group page's block: its level and open alerts (three queries)."""
    alerts = list(selectors.open_alerts_of_group(user, group)[: ROWS + 1])
    return {"level": selectors.group_risk_level(group), "alerts": alerts[:ROWS], "more": len(alerts) > ROWS,
            "queue_url": f"{reverse('risk:alerts')}?group={group.pk}"}


def enterprise_alerts_section(user, enterprise) -> dict:
    alerts = list(selectors.open_alerts_of_enterprise(user, enterprise)[: ROWS + 1])
    return {"alerts": alerts[:ROWS], "more": len(alerts) > ROWS}


def landing_risk_panels(user) -> list:
    """The risk officer's landing: "Open alerts by severity" tiles and the newest high alerts."""
    from django.utils.translation import gettext as _

    from clients.landing import Panel, Tile

    queue = reverse("risk:alerts")
    tiles = [Tile(row["label"], row["n"], url=f"{queue}?severity={row['severity'].value}",
                  level="over" if row["n"] and row["severity"] >= 3 else "")
             for row in selectors.open_by_severity(user)]
    return [
        Panel("alerts-by-severity", _("Open alerts by severity"), "home/panels/tiles.html", {"tiles": tiles},
              wide=True),
        Panel("high-alerts", _("Newest high alerts"), "home/panels/alerts.html",
              {"alerts": selectors.newest_high(user), "more_url": f"{queue}?severity=3",
               "empty": _("No open alert of high or critical severity.")}, wide=True),
    ]


def landing_rm_panels(user) -> list:
    """The RM workbench: "My alerts" (on their full record and groups; assigned to them first)."""
    from django.utils.translation import gettext as _

    from clients.landing import Panel

    return [Panel("my-alerts", _("My alerts"), "home/panels/alerts.html",
                  {"alerts": selectors.my_alerts(user), "more_url": f"{reverse('risk:alerts')}",
                   "show_assignee": True, "empty": _("No open alert on your clients.")}, wide=True)]
