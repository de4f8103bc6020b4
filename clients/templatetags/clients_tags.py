"""The control tree as nested lists, and form fields. Amounts and shares: the `money` library (core.money)."""

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from core import money

register = template.Library()


def _share_html(node) -> str:
    if node.share is None:
        return ""
    return format_html('<span class="share">{}</span>', money.percent(node.share, money.SHARE_PLACES))


def _controller_badge(node) -> str:
    return format_html(' <span class="badge controller">{}</span>', _("Actual controller")) if node.controller else ""


def _node_html(node) -> str:
    if node.kind == "person":
        label = format_html('<span class="person" title="{}">&#128100; {}</span>', _("Natural person"), node.name)
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
    controlled = ""
    if node.kind == "enterprise" and node.controlled is not None and node.reason != "core" \
            and node.controlled != node.share:  # joint control: the group's total differs from this holding
        controlled = format_html(
            ' <span class="controlled">{}</span>',
            _("controlled by the group: %(share)s") % {"share": money.percent(node.controlled, money.SHARE_PLACES)},
        )
    children = ""
    if node.children:
        children = format_html("<ul>{}</ul>", mark_safe("".join(_node_html(c) for c in node.children)))  # noqa: S308
    share = "" if node.reason == "core" else _share_html(node)  # a person's share in the core is listed above
    return format_html('<li data-kind="{}">{}{}{}{}{}</li>', node.kind, label, _controller_badge(node), share,
                       controlled, children)


def _core_node(root):
    todo = [root]
    while todo:
        node = todo.pop(0)
        if node.kind == "enterprise":
            return node
        todo.extend(node.children)
    return None


@register.simple_tag
def control_tree(root):
    """The tree from `selectors.group_control_tree` as text: the shareholders and actual controller of
    the core (persons, with the share each holds in the core), then the core's outward investments as
    nested lists (<ul class="tree">), each with the share its parent holds and the share the group
    controls. The chart's text alternative, for screen readers and print."""
    core = _core_node(root)
    persons = [c for c in root.children if c.kind == "person"]
    if persons:
        owners = format_html(
            '<ul class="tree-owners">{}</ul>',
            mark_safe("".join(  # noqa: S308
                format_html('<li data-kind="person"><span class="person" title="{}">&#128100; {}</span>{}{}</li>',
                            _("Natural person"), p.name, _controller_badge(p),
                            _share_html(p.children[0]) if p.children else "")
                for p in persons
            )),
        )
    else:
        owners = format_html("<p>{}</p>", _("No natural person controls the core enterprise on file: the core "
                                             "enterprise is the top entity of the group."))
    invest = format_html('<ul class="tree">{}</ul>', mark_safe(_node_html(core))) if core else ""  # noqa: S308
    return format_html('<h3>{}</h3>{}<h3>{}</h3>{}', _("Shareholders and actual controller"), owners,
                       _("Outward investments"), invest)


@register.inclusion_tag("clients/partials/form_fields.html")
def form_fields(form):
    return {"form": form}


