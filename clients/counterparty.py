"""The counterparty page (DESIGN.md section 4): an enterprise's registry card, its roles in the user's
circles and chains, and only the flows, guarantees and links between it and the user's full record.

The page is composed of panels that each app registers (`register_panel`), so that clients shows
circles' and chains' rows without importing them: a panel is a template and a function
`(user, enterprise) -> context` that reads through the app's own scoped querysets."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Panel:
    order: int
    template: str
    context: Callable[..., dict]


_panels: list[Panel] = []


def register_panel(*, order: int, template: str):
    def decorator(fn: Callable[..., dict]) -> Callable[..., dict]:
        if not any(p.context is fn for p in _panels):
            _panels.append(Panel(order, template, fn))
            _panels.sort(key=lambda p: p.order)
        return fn

    return decorator


def panels_for(*, user, enterprise) -> list[tuple[str, dict]]:
    """(template, context) of every registered panel, in order."""
    return [(p.template, p.context(user=user, enterprise=enterprise)) for p in _panels]


@register_panel(order=90, template="clients/partials/counterparty_links.html")
def control_links_panel(*, user, enterprise) -> dict:
    from clients.selectors import counterparty_control_links

    return {"control_links": counterparty_control_links(user=user, enterprise=enterprise)}
