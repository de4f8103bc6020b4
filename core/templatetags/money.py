"""`{% load money %}`: the only way pages show amounts, percentages and counts (core.money).

    <th class="num">{% translate "Unified limit" %}{% money_unit %}</th>   -> 统一授信额度（万元） / Unified limit (CNY)
    <td class="num">{{ g.unified_credit_limit|money }}</td>                 -> 1,250.00 (title "12,500,000.00 元")
    <div class="tile">{{ total|money_tile }}</div>                          -> 1.25亿元 / CNY 125.00 m
    {{ share|pct }} {{ ratio|ratio_pct }} {{ n|num }}                       -> 51.00% 84.4% 12,345
"""

from django import template
from django.utils.html import format_html

from core import money as m

register = template.Library()


@register.filter
def money(value, currency="CNY"):
    """A table cell: the figure in the column's unit, the exact amount on hover."""
    if m.to_decimal(value) is None:
        return "—"
    return format_html('<span class="money" title="{}">{}</span>', m.exact(value, currency or "CNY"),
                       m.table_figure(value))


@register.filter
def money_tile(value, currency="CNY"):
    """A headline figure with its unit (亿元 / 万元, m / bn), the exact amount on hover."""
    if m.to_decimal(value) is None:
        return "—"
    return format_html('<span class="money" title="{}">{}</span>', m.exact(value, currency or "CNY"),
                       m.tile_figure(value, currency=currency or "CNY"))


@register.simple_tag
def money_unit(currency="CNY"):
    """The unit after a column header or label: `（万元）` in Chinese, ` (CNY)` in English; for a column
    whose rows carry their own currency, `"original"`: `（万，原币）` / ` (account currency)`."""
    if currency == "original":
        return "（万，原币）" if m.chinese() else " (account currency)"
    unit = m.table_unit(currency=currency or "CNY")
    return f"（{unit}）" if m.chinese() else f" ({unit})"


@register.simple_tag
def money_unit_bare(currency="CNY"):
    """The unit alone (`万元` / `CNY`), for charts and inputs."""
    return m.table_unit(currency=currency or "CNY")


@register.filter
def pct(value, places=m.PERCENT_PLACES):
    """A figure already in percent: `84.4%`."""
    return m.percent(value, places)


@register.filter
def ratio_pct(value, places=m.PERCENT_PLACES):
    """A ratio as a percentage: 0.844 -> `84.4%`."""
    return m.ratio_percent(value, places)


@register.filter
def share_pct(value):
    """An ownership share (already in percent), at the one precision shares are shown: `51.00%`."""
    return m.percent(value, m.SHARE_PLACES)


@register.filter
def num(value):
    """A count, grouped: `12,345`."""
    return m.count(value)
