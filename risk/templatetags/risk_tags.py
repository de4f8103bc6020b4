"""Template filters of the risk pages: a rule's label from its code, an alert's days open."""

from __future__ import annotations

from django import template
from django.utils import timezone

register = template.Library()


@register.filter
def rule_label(code: str):
    """The rule's translated label (the code itself for a rule no longer declared)."""
    from risk.rules import load

    rule = load().get(code)
    return rule.label if rule is not None else code


@register.filter
def days_open(opened_at) -> int:
    if not opened_at:
        return 0
    return max(0, (timezone.now() - opened_at).days)
