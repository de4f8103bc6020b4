"""Derivation of group membership from control links (pure functions, no database).

The rule follows the regulator's guideline on group-client credit risk: an entity belongs to the
group when the group's core (or the natural persons who control the core) controls it, directly or
indirectly. Control is:
- more than 50 % of the shares, counting together the shares held by every entity already
  controlled (30 % held by the core plus 25 % held by a controlled subsidiary is 55 %: control);
- or a link of type agreement, actual controller or kinship from a controlling party.
Cross-holdings and bad data make cycles; the derivation is a fixed point over a set, so it ends,
and each cycle is reported once as a warning.
"""

from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass, field
from decimal import Decimal

CONTROL_TYPES = {"agreement", "actual", "kinship"}
MAJORITY = Decimal("50")

Node = tuple[str, int | str]  # ("e", enterprise id) or ("p", a person's identity number)


@dataclass(frozen=True)
class Edge:
    parent: Node
    child: Node
    share: Decimal
    control_type: str = "equity"


@dataclass
class Controlled:
    node: Node
    reason: str  # core | majority | actual
    share: Decimal  # the share held by the controlling side when control was established
    depth: int
    via: Node | None  # the controlling parent that holds the largest share (for the tree)
    via_share: Decimal | None = None


@dataclass
class Derivation:
    members: dict[Node, Controlled] = field(default_factory=dict)
    roots: list[Node] = field(default_factory=list)
    cycles: list[list[Node]] = field(default_factory=list)


class Graph:
    """Edges indexed by parent and by child, built once and shared by every group's derivation
    (a refresh of all groups must not rescan every edge for every group)."""

    def __init__(self, edges: list[Edge]):
        self.out: dict[Node, list[Edge]] = defaultdict(list)
        self.into: dict[Node, list[Edge]] = defaultdict(list)
        for edge in edges:
            self.out[edge.parent].append(edge)
            self.into[edge.child].append(edge)


def controlling_persons(core: Node, graph: Graph) -> list[Node]:
    """Natural persons who control the core enterprise directly."""
    return [
        e.parent
        for e in graph.into.get(core, ())
        if e.parent[0] == "p" and (e.share > MAJORITY or e.control_type in CONTROL_TYPES)
    ]


def derive(core: Node, edges: list[Edge] | Graph) -> Derivation:
    """Everything the core (and the persons who control it) control, with the reason and depth."""
    graph = edges if isinstance(edges, Graph) else Graph(edges)
    out = graph.out

    result = Derivation()
    persons = controlling_persons(core, graph)
    result.roots = [core, *[p for p in persons if p != core]]
    result.members[core] = Controlled(core, "core", Decimal("100"), 0, None)
    controlled: set[Node] = {core, *persons}
    depth: dict[Node, int] = {core: 0, **{p: 0 for p in persons}}
    held: dict[Node, Decimal] = defaultdict(Decimal)
    best: dict[Node, tuple[Decimal, Node]] = {}

    queue = deque(result.roots)
    while queue:
        parent = queue.popleft()
        for edge in out.get(parent, ()):
            child = edge.child
            if child in controlled:
                continue
            held[child] += edge.share
            if child not in best or edge.share > best[child][0]:
                best[child] = (edge.share, parent)
            by_type = edge.control_type in CONTROL_TYPES
            if by_type or held[child] > MAJORITY:
                controlled.add(child)
                depth[child] = depth[parent] + 1
                via, via_share = (parent, edge.share) if by_type else (best[child][1], best[child][0])
                result.members[child] = Controlled(
                    child, "actual" if by_type else "majority", min(held[child], Decimal("100")),
                    depth[child], via, via_share,
                )
                queue.append(child)
    result.cycles = find_cycles(set(result.members) | set(persons), out)
    return result


def find_cycles(nodes: set[Node], out: dict[Node, list[Edge]]) -> list[list[Node]]:
    """Cycles among the given nodes' ownership links (iterative DFS; each cycle reported once)."""
    white, grey, black = 0, 1, 2
    colour = dict.fromkeys(nodes, white)
    cycles: list[list[Node]] = []
    seen: set[frozenset] = set()
    for start in sorted(nodes):
        if colour[start] != white:
            continue
        stack: list[tuple[Node, int]] = [(start, 0)]
        path: list[Node] = [start]
        colour[start] = grey
        while stack:
            node, index = stack[-1]
            children = [e.child for e in out.get(node, ()) if e.child in nodes]
            if index < len(children):
                stack[-1] = (node, index + 1)
                child = children[index]
                if colour[child] == grey:
                    cycle = path[path.index(child):]
                    key = frozenset(cycle)
                    if key not in seen:
                        seen.add(key)
                        cycles.append([*cycle, child])
                elif colour[child] == white:
                    colour[child] = grey
                    path.append(child)
                    stack.append((child, 0))
            else:
                colour[node] = black
                stack.pop()
                path.pop()
    return cycles
