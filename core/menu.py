"""The main menu: the pages a user's role may open, and only those.

Each item names the rule of core.permissions that its page checks, so the menu and the page's own
refusal (403) come from one definition; tests/core/test_menus.py walks every role and item and checks
that a hidden item is a refused page and a shown one opens. base.html lists `{% main_menu %}`
(core/templatetags/menu.py); no role logic lives in the template.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from core import permissions


def _everyone(user) -> bool:
    return True


def _works_alerts(user) -> bool:
    from risk.menu import works_alerts

    return works_alerts(user)


@dataclass(frozen=True)
class MenuItem:
    key: str
    label: str | Promise
    url_name: str
    allowed: Callable[[object], bool] = _everyone
    # The item is highlighted on pages of this namespace, or on the page `url_name` itself.
    namespace: str | None = None

    def is_active(self, match) -> bool:
        if match is None:
            return False
        if self.namespace:
            return match.namespace == self.namespace
        return match.view_name == self.url_name


MENU: tuple[MenuItem, ...] = (
    MenuItem("groups", _("Group clients"), "clients:group_list"),
    MenuItem("enterprises", _("Enterprises"), "clients:enterprise_list"),
    MenuItem("lookup", _("Look up"), "clients:registry_lookup"),
    MenuItem("catalogue", _("Products"), "services:catalogue"),
    MenuItem("risk_alerts", _("Risk alerts"), "risk:alerts", _works_alerts),
    MenuItem("facilities", _("Credit facilities"), "risk:facilities"),
    MenuItem("proposals", _("Group identification"), "risk:proposals"),
    MenuItem("requests", _("Requests"), "clients:request_list", permissions.takes_part_in_requests),
    MenuItem("imports", _("Import"), "imports:upload", permissions.can_import, namespace="imports"),
    MenuItem("operations", _("Operations"), "core:job_runs", permissions.is_head_office),
    MenuItem("audit", _("Audit log"), "audit:event_list", permissions.is_head_office, namespace="audit"),
    MenuItem("api_docs", _("API"), "api-docs", permissions.is_head_office),
    MenuItem("admin", _("Administration"), "admin:index", permissions.is_admin_site_user, namespace="admin"),
)


@dataclass(frozen=True)
class ShownItem:
    key: str
    label: str | Promise
    url: str
    active: bool


def menu_for(user, match=None) -> list[ShownItem]:
    """The items `user` may open, in menu order; `match` (request.resolver_match) marks the current one."""
    if not getattr(user, "is_authenticated", False):
        return []
    return [
        ShownItem(item.key, item.label, reverse(item.url_name), item.is_active(match))
        for item in MENU
        if item.allowed(user)
    ]
