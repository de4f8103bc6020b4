"""The data of the 360 page's control-tree chart (static/js/control-tree.js), from the drawn tree.

A pure function of `selectors.group_control_tree`'s nodes: no query. Shares are formatted here, by
`core.money.percent` at `SHARE_PLACES`, the same call the member table's `share_pct` filter makes, so
the chart, its text alternative and the table can never show one share two ways.

Each node carries the share its parent in the tree holds in it (`share`) and, for member enterprises,
the share the group controls in total (`controlled`: the member table's figure; it differs from
`share` when control is joint, e.g. 30 % held by the core plus 25 % by a subsidiary).
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from clients.names import short_name
from clients.selectors import TreeNode
from core import money


def share_text(value) -> str:
    """An ownership share as every page shows it (`51.00%`); "" for none."""
    return "" if value is None else money.percent(value, money.SHARE_PLACES)


def _kind_label(node: TreeNode, core_pk: int | None) -> str:
    if node.kind == "group":
        return _("Group client")
    if node.kind == "person":
        return _("Natural person")
    if node.pk == core_pk:
        return _("Core enterprise")
    return _("Client of the bank") if node.is_client else _("Prospect")


def _node(node: TreeNode, core_pk: int | None) -> dict:
    children = sorted(node.children, key=lambda c: (-(c.share or 0), c.name, c.pk))
    return {
        "kind": node.kind,
        "id": node.pk,
        "name": node.name,
        "short": short_name(node.name) if node.kind == "enterprise" else node.name,
        "uscc": node.uscc,
        "core": node.kind == "enterprise" and node.pk == core_pk,
        "is_client": node.is_client,
        "controller": node.controller,
        "share": share_text(node.share),
        "controlled": share_text(node.controlled) if node.kind == "enterprise" and node.pk != core_pk else "",
        "what": _kind_label(node, core_pk),
        "children": [_node(c, core_pk) for c in children],
    }


def _core_pk(root: TreeNode) -> int | None:
    """The core enterprise: the first enterprise met from the top (under the group, or under a person)."""
    todo = [root]
    while todo:
        node = todo.pop(0)
        if node.kind == "enterprise":
            return node.pk
        todo.extend(node.children)
    return None


def _shape(node: dict, depth: int = 0) -> tuple[int, int, int]:
    """(levels, leaves, nodes) of a chart node's subtree."""
    if not node["children"]:
        return depth + 1, 1, 1
    levels, leaves, count = depth + 1, 0, 1
    for child in node["children"]:
        child_levels, child_leaves, child_count = _shape(child, depth + 1)
        levels, leaves, count = max(levels, child_levels), leaves + child_leaves, count + child_count
    return levels, leaves, count


def control_tree_chart(root: TreeNode) -> dict:
    """The chart's tree, its size (levels, leaves, nodes: the script sizes the chart to them) and the
    words its tooltips and controls use, in the active language."""
    tree = _node(root, _core_pk(root))
    levels, leaves, count = _shape(tree)
    return {
        "tree": tree,
        "levels": levels,
        "leaves": leaves,
        "nodes": count,
        "labels": {
            "controller": _("Actual controller"),
            "share": _("Share held by the shareholder above"),
            "controlled": _("Share controlled by the group"),
            "uscc": _("Credit code"),
            "hidden": _("Click to show its %(n)s entities"),
            "open": _("Click to hide its entities"),
        },
    }


def controllers(root: TreeNode) -> list[TreeNode]:
    """The nodes marked as actual controller (persons, or the core when no person controls it)."""
    found, todo = [], [root]
    while todo:
        node = todo.pop(0)
        if node.controller:
            found.append(node)
        todo.extend(node.children)
    return found
