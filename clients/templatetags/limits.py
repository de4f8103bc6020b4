"""`{% load limits %}`: how a group's limit use reads in a table (clients.limits holds the rule).

    <td class="num {{ g|limit_class }}">{{ g.limit_use_pct|pct }}</td>
"""

from django import template

from clients import limits

register = template.Library()


@register.filter
def limit_class(group) -> str:
    """`limit-near` from the warning level, `limit-over` at 100 % (or loans without a limit)."""
    return limits.css_class(getattr(group, "limit_use_pct", None), loans=getattr(group, "loans", None))


@register.filter
def limit_level(group) -> str:
    return limits.level(getattr(group, "limit_use_pct", None), loans=getattr(group, "loans", None))
