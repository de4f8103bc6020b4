"""Formatting for money and shares, and the control tree as nested lists."""

from decimal import Decimal, InvalidOperation

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def cny(value, places=0):
    """1234567.891 -> '1,234,568' (or with `places` decimals); empty for None."""
    if value is None or value == "":
        return "—"
    try:
        number = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return value
    return f"{number:,.{int(places)}f}"


@register.filter
def pct(value, places=1):
    if value is None or value == "":
        return "—"
    try:
        return f"{Decimal(value):.{int(places)}f} %"
    except (InvalidOperation, TypeError, ValueError):
        return value


@register.filter
def ratio_pct(value, places=1):
    """0.634 -> '63.4 %'."""
    if value is None:
        return "—"
    return pct(Decimal(value) * 100, places)


def _node_html(node) -> str:
    share = format_html('<span class="share">{}</span>', pct(node.share, 2)) if node.share is not None else ""
    if node.kind == "person":
        label = format_html('<span class="person" title="{}">&#128100; {}</span>', _("Actual controller"), node.name)
    elif node.kind == "enterprise":
        badge = (
            format_html('<span class="badge client">{}</span>', _("client"))
            if node.is_client
            else format_html('<span class="badge prospect">{}</span>', _("prospect"))
        )
        label = format_html(
            '<a href="{}">{}</a> {}', reverse("clients:enterprise_detail", args=[node.pk]), node.name, badge
        )
    else:
        label = format_html("<strong>{}</strong>", node.name)
    children = ""
    if node.children:
        children = format_html("<ul>{}</ul>", mark_safe("".join(_node_html(c) for c in node.children)))  # noqa: S308
    return format_html('<li data-kind="{}">{}{}{}</li>', node.kind, label, share, children)


@register.simple_tag
def control_tree(root):
    """The tree from `selectors.group_control_tree` as <ul class="tree">, persons marked apart."""
    return format_html('<ul class="tree">{}</ul>', mark_safe(_node_html(root)))  # noqa: S308


@register.inclusion_tag("clients/partials/form_fields.html")
def form_fields(form):
    return {"form": form}


