"""Where the circle graph puts its nodes and what colour each role has (pure functions, no database).

The layout is computed, not simulated: ECharts' force layout starts from random positions, so the same
circle looked different on every visit. Here the core sits at the centre and each role owns a sector of
the rings around it (roles in a fixed order, clockwise from the top). Inside its sector a role's members
fill rings from the inside out: first the members drawn without a label, then the labelled ones (see
`mark_important`), so labels sit on the outermost ring and point outwards, into free space. Within each
group the order is the largest flow volume first, then the name, so the same circle always gets the
same coordinates. Coordinates are in units of the first ring's radius; the script stretches them to the
card's shape and ECharts fits them to the card.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

#: One colour per role, fixed, no two alike (tests check the distance between every pair). The core and
#: the parties outside the circle (guarantors or borrowers named only by a guarantee) have their own.
ROLE_COLOURS = {
    "core": "#b3261e",
    "subsidiary": "#0b5cad",
    "affiliate": "#6b46c1",
    "supplier": "#2f855a",
    "distributor": "#dd6b20",
    "customer": "#b7950b",
    "partner": "#d53f8c",
    "investee": "#7b4a2a",
    "guarantor": "#0f9fb5",
    "outside": "#a0aec0",
}

FIRST_RING = 1.0
RING_STEP = 0.5
NODE_SPACING = 0.3  # arc length between two neighbours on a ring
SECTOR_GAP = 0.12  # share of each sector left empty on its sides, so the roles stand apart
MIN_WEIGHT = 3  # a role with one member still gets a readable sector
LABELLED = 14  # besides the core and the parties of guarantees, the members with most volume are labelled
LABEL_ALL_UP_TO = 24  # a circle this small labels every node


def importance(node: dict) -> tuple:
    """The order of a role's members: the largest flow volume first, then by name."""
    return (-(node.get("volume") or 0), node["name"], int(node["id"]))


def layout(nodes: Sequence[dict], order: Sequence[str]) -> None:
    """Sets `x` and `y` on every node (in place). `order` is the sector order of categories."""
    sectors: dict[str, list[dict]] = {}
    for node in nodes:
        if node.get("core"):
            node["x"], node["y"] = 0.0, 0.0
            continue
        sectors.setdefault(node["category"], []).append(node)
    present = [c for c in order if c in sectors] + sorted(c for c in sectors if c not in order)
    if not present:
        return
    weights = {c: max(len(sectors[c]), MIN_WEIGHT) for c in present}
    total = sum(weights.values())
    start = -math.pi / 2  # the first role starts at the top and the roles go clockwise
    for category in present:
        span = 2 * math.pi * weights[category] / total
        gap = span * SECTOR_GAP if len(present) > 1 else 0.0
        members = sorted(sectors[category], key=lambda n: (bool(n.get("important")), importance(n)))
        _fill_sector(members, start + gap, span - 2 * gap)
        start += span


def _fill_sector(members: list[dict], start: float, span: float) -> None:
    ring, placed = 0, 0
    while placed < len(members):
        radius = FIRST_RING + ring * RING_STEP
        capacity = max(1, math.floor(span * radius / NODE_SPACING))
        batch = members[placed:placed + capacity]
        step = span / len(batch)
        # Odd rings shift by a quarter of a step (a lone node by a quarter of the sector), so a node does
        # not sit on the same ray as the one on the ring inside it.
        shift = 0.5 if ring % 2 == 0 else (0.25 if len(batch) == 1 else 0.0)
        for i, node in enumerate(batch):
            angle = start + (i + shift) * step
            node["x"] = round(radius * math.cos(angle), 4)
            node["y"] = round(radius * math.sin(angle), 4)
        placed += len(batch)
        ring += 1


def mark_important(nodes: Sequence[dict], guarantee_parties: set[str]) -> None:
    """Sets `important` (always labelled) on the core, the parties of guarantees and the members with
    the largest flow volume; a small circle labels every node. The others show their label on hover."""
    if len(nodes) <= LABEL_ALL_UP_TO:
        for node in nodes:
            node["important"] = True
        return
    by_volume = sorted((n for n in nodes if n.get("volume")), key=importance)[:LABELLED]
    top = {n["id"] for n in by_volume}
    for node in nodes:
        node["important"] = bool(node.get("core")) or node["id"] in guarantee_parties or node["id"] in top
