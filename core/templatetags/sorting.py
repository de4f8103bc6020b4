"""`{% load sorting %}`: sortable column headers drawn from a list's `SortState` (core.sorting).

    {% sort_th sort "name" _("Name") %}
    {% money_unit as unit %}{% sort_th sort "limit" _("Unified limit") suffix=unit num=True %}

Each header is a link (htmx: swaps `target`, pushes the URL) to the same list sorted by that key,
ascending on a first click (amounts and counts: descending), the other way on the next; the active
header carries `aria-sort` and an arrow.
"""

from django import template
from django.utils.html import format_html

register = template.Library()

ARROWS = {False: "▲", True: "▼"}


@register.simple_tag
def sort_th(state, key, label, suffix="", num=False, target="#results"):
    active = state.key == key
    classes = "sortable num" if num else "sortable"
    if active:
        classes += " sorted"
    url = state.url(key)
    aria = ("descending" if state.descending else "ascending") if active else "none"
    mark = ARROWS[state.descending] if active else ""
    return format_html(
        '<th class="{}" aria-sort="{}" data-sort-key="{}"><a href="{}" hx-get="{}" hx-target="{}" hx-push-url="true">'
        '{}{}<span class="sort-mark" aria-hidden="true">{}</span></a></th>',
        classes, aria, key, url, url, target, label, suffix, mark,
    )
