"""Graph rules over guarantees and trade dependence (issue 10 section 4): `guarantee_cycle` and
`contagion`. Both run once per engine run (chunked=False) over an edge list read in one statement
(one per depth level for contagion) and searched in memory with networkx; never a query per entity.

guarantee_cycle
    Active guarantees on the run's date (start <= as_of <= end), the whole bank (every group and
    branch), as edges guarantor -> borrower (several guarantees between the same pair are one edge,
    amounts summed in CNY at the run's date). Every simple cycle up to `max_length` enterprises is
    one finding: A guarantees B and B guarantees A (互保, length 2) is HIGH; a longer loop (连环担保) is
    HIGH, CRITICAL when the smallest guarantee on the loop reaches `critical_amount` (the money that
    really goes round). Subject `cycle:<ids>` in the cycle's order, rotated to start at the smallest id;
    the alert's enterprise is that smallest id and its group that enterprise's group (the lowest group
    id when it is in several). Evidence names the enterprises (name and credit code) and the length;
    the per-edge amounts go in `figures["edges"]` only (pages show an amount only to users who may see
    that guarantee). An incremental run (scope.ids) looks only at cycles through its enterprises and
    answers only for alerts with one of them on the path (`party_scope`).

contagion (stage 1: after the other rules wrote their alerts)
    Sources: enterprises with an open (or acknowledged) alert of severity HIGH or above of any other
    rule but guarantee_cycle (a cycle's alert already names all its enterprises). From each source, one step reaches (a) the guarantors of its debt (active guarantees) and
    (b) the enterprises that depend on it for `min_share` % (30) or more of their sales (the source
    pays them: its payments to them / all payments they received) or of their purchases (they pay the
    source / all they paid), over the last `window_months` (12) whole months of the flow summary, in CNY.
    Steps are followed up to `max_depth` (2); each enterprise reached (not itself a source) is one
    finding on the shortest path found (ties: the lowest ids), subject `e:<id>`, path source ... flagged,
    severity the source alert's less one per step (at least LOW). A full run starts from every source
    and answers for all its alerts; an incremental run (a group on demand, enterprises after new data)
    starts from the sources among its enterprises only and answers for the alerts whose path starts at
    one of them: a source of the scope whose alert closed stops flagging at once, the rest of the bank
    waits for the nightly run."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import networkx as nx
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.fx import cny_sql
from core.money import tile_figure
from risk.rules import (
    Finding,
    Param,
    Rule,
    Scope,
    Severity,
    Unit,
    dec,
    enterprise_key,
    fetch,
    party_scope,
    path_key,
    register,
)

CYCLE = "guarantee_cycle"
CONTAGION = "contagion"


def _tables() -> dict[str, str]:
    from circles.models import Guarantee
    from clients.models import Enterprise, GroupMembership
    from risk.models import RiskAlert

    return {"g": Guarantee._meta.db_table, "e": Enterprise._meta.db_table, "m": GroupMembership._meta.db_table,
            "a": RiskAlert._meta.db_table}


def _zh(value) -> str:
    return tile_figure(value, "zh")


def _en(value) -> str:
    return tile_figure(value, "en")


def _cards(ids) -> dict[int, tuple[str, str, int | None]]:
    """{id: (name, credit code, lowest group id or None)} for the given enterprises, one query."""
    ids = sorted({int(i) for i in ids})
    if not ids:
        return {}
    t = _tables()
    rows = fetch(f"""SELECT e.id, e.name, e.uscc, (SELECT min(m.group_id) FROM {t['m']} m WHERE m.enterprise_id = e.id)
                     FROM {t['e']} e WHERE e.id = ANY(%s)""", [ids])
    return {r[0]: (r[1], r[2], r[3]) for r in rows}


def _named(card) -> str:
    return f"{card[0]}（{card[1]}）"


def _named_en(card) -> str:
    return f"{card[0]} ({card[1]})"


# --- guarantee_cycle ------------------------------------------------------------------------------------


def guarantee_edges(as_of: dt.date) -> dict[tuple[int, int], Decimal]:
    """{(guarantor, borrower): amount in CNY} of the guarantees active on `as_of`, one query. A
    guarantee in a currency without a rate counts as an edge with amount 0."""
    t = _tables()
    rows = fetch(f"""SELECT gu.guarantor_id, gu.borrower_id,
                            coalesce(sum({cny_sql('gu.amount', 'gu.currency', '%(day)s::date')}), 0)
                     FROM {t['g']} gu WHERE gu.start_date <= %(day)s AND gu.end_date >= %(day)s
                       AND gu.guarantor_id <> gu.borrower_id
                     GROUP BY gu.guarantor_id, gu.borrower_id""", {"day": as_of})
    return {(a, b): dec(amount) for a, b, amount in rows}


def canonical(cycle) -> tuple[int, ...]:
    """The cycle rotated to start at its smallest id, order (guarantor -> borrower) kept."""
    cycle = [int(i) for i in cycle]
    i = cycle.index(min(cycle))
    return tuple(cycle[i:] + cycle[:i])


def find_cycles(edges, max_length: int, through=None) -> list[tuple[int, ...]]:
    """Simple cycles of the directed edge list up to `max_length` nodes, canonical and sorted; only
    those through an id of `through` when given. One in-memory pass: only the strongly connected
    components that can hold a cycle (and, when `through` is given, contain one of its ids) are searched."""
    graph = nx.DiGraph()
    graph.add_edges_from(edges)
    wanted = set(through) if through is not None else None
    found = set()
    for component in nx.strongly_connected_components(graph):
        if len(component) < 2 or (wanted is not None and not (component & wanted)):
            continue
        sub = graph.subgraph(component)
        for cycle in nx.simple_cycles(sub, length_bound=max_length):
            if len(cycle) < 2 or (wanted is not None and not (set(cycle) & wanted)):
                continue
            found.add(canonical(cycle))
    return sorted(found, key=lambda c: (len(c), c))


def evaluate_cycles(scope: Scope, params: dict) -> list[Finding]:
    edges = guarantee_edges(scope.as_of)
    cycles = find_cycles(edges, params["max_length"], scope.ids)
    cards = _cards({i for c in cycles for i in c})
    critical = dec(params["critical_amount"])
    out = []
    for cycle in cycles:
        pairs = list(zip(cycle, cycle[1:] + cycle[:1], strict=True))
        amounts = [edges[p] for p in pairs]
        smallest = min(amounts)
        n = len(cycle)
        severity = Severity.HIGH if n == 2 or smallest < critical else Severity.CRITICAL
        names = [_named(cards[i]) for i in cycle]
        names_en = [_named_en(cards[i]) for i in cycle]
        if n == 2:
            zh_text = f"互保：{names[0]}与{names[1]}相互担保（2家企业）。"
            en_text = f"Mutual guarantee (互保): {names_en[0]} and {names_en[1]} guarantee each other (2 enterprises)."
        else:
            chain = " → ".join([*names, names[0]])
            chain_en = " → ".join([*names_en, names_en[0]])
            zh_text = f"连环担保：{chain}，{n}家企业构成担保圈。"
            en_text = f"Guarantee loop (连环担保) of {n} enterprises: {chain_en}."
        if severity == Severity.CRITICAL:
            zh_text += f"圈内每笔担保均不低于{_zh(critical)}。"
            en_text += f" Every guarantee on the loop is at least {_en(critical)}."
        out.append(Finding(
            subject_key=path_key("cycle", cycle), severity=int(severity), evidence=zh_text, evidence_en=en_text,
            enterprise_id=cycle[0], group_id=cards[cycle[0]][2], path=cycle,
            figures={"length": n, "min_amount_cny": str(smallest),
                     "edges": [{"from": a, "to": b, "amount_cny": str(edges[(a, b)])} for a, b in pairs]},
        ))
    return out


register(Rule(
    code=CYCLE,
    label=_("Guarantee cycle"),
    description=_("Enterprises that guarantee each other (互保) or guarantee in a loop (连环担保), across groups "
                  "and branches: active guarantees on the run's date, every loop up to the maximum length."),
    params=(
        Param("max_length", _("Longest loop searched"), Unit.COUNT, 6, 2, 10),
        Param("critical_amount", _("Critical when every guarantee on a loop reaches"), Unit.CNY, "50000000", 0,
              "1000000000000"),
    ),
    evaluate=evaluate_cycles,
    in_scope=party_scope,
    chunked=False,
))


# --- contagion -------------------------------------------------------------------------------------------


def _months_back(as_of: dt.date, months: int) -> dt.date:
    """The first day of the month `months - 1` months before the run's month (a window of `months`
    whole months ending with the run's)."""
    n = as_of.year * 12 + as_of.month - 1 - (months - 1)
    return dt.date(n // 12, n % 12 + 1, 1)


def _sources() -> dict[int, tuple[int, str, int]]:
    """{enterprise id: (severity, rule, alert id)} of the open alerts of HIGH or above of other rules
    (the worst one per enterprise, then the lowest alert id). Not guarantee cycles: a cycle's alert
    already names every enterprise on it, and its subject enterprise (the smallest id) is no more the
    source than the others. One query."""
    from risk.models import OPEN_STATUSES

    t = _tables()
    rows = fetch(f"""SELECT DISTINCT ON (enterprise_id) enterprise_id, severity, rule, id FROM {t['a']}
                     WHERE status = ANY(%s) AND severity >= %s AND rule <> ALL(%s) AND enterprise_id IS NOT NULL
                     ORDER BY enterprise_id, severity DESC, id""",
                 [list(OPEN_STATUSES), int(Severity.HIGH), [CONTAGION, CYCLE]])
    return {e: (s, r, a) for e, s, r, a in rows}


def exposure_steps(frontier: list[int], as_of: dt.date, params: dict) -> list[tuple[int, int, str, str]]:
    """Steps out of the frontier, one statement: (from, to, relation, figure) with relation
    'guarantor' (figure: the guaranteed amount in CNY), 'sales' or 'purchases' (figure: the share in %
    of the dependent's sales or purchases)."""
    from chains.models import FlowSummary

    t = _tables()
    fs = FlowSummary._meta.db_table
    start, end = _months_back(as_of, params["window_months"]), as_of.replace(day=1)
    share = dec(params["min_share"])
    sql = f"""
        WITH pair AS (
            SELECT payer_id, payee_id, sum(amount_cny) AS amt FROM {fs}
            WHERE kind = 'payment' AND month BETWEEN %(start)s AND %(end)s AND payer_id <> payee_id
              AND (payer_id = ANY(%(f)s) OR payee_id = ANY(%(f)s))
            GROUP BY payer_id, payee_id
        ), sales AS (
            SELECT payer_id AS src, payee_id AS x, amt FROM pair WHERE payer_id = ANY(%(f)s)
        ), purchases AS (
            SELECT payee_id AS src, payer_id AS x, amt FROM pair WHERE payee_id = ANY(%(f)s)
        ), received AS (
            SELECT payee_id AS x, sum(amount_cny) AS total FROM {fs}
            WHERE kind = 'payment' AND month BETWEEN %(start)s AND %(end)s AND payer_id <> payee_id
              AND payee_id IN (SELECT x FROM sales) GROUP BY payee_id
        ), paid AS (
            SELECT payer_id AS x, sum(amount_cny) AS total FROM {fs}
            WHERE kind = 'payment' AND month BETWEEN %(start)s AND %(end)s AND payer_id <> payee_id
              AND payer_id IN (SELECT x FROM purchases) GROUP BY payer_id
        )
        SELECT s.src, s.x, 'sales', ROUND(s.amt * 100 / r.total, 1) FROM sales s JOIN received r USING (x)
        WHERE r.total > 0 AND s.amt * 100 >= %(share)s * r.total
        UNION ALL
        SELECT p.src, p.x, 'purchases', ROUND(p.amt * 100 / q.total, 1) FROM purchases p JOIN paid q USING (x)
        WHERE q.total > 0 AND p.amt * 100 >= %(share)s * q.total
        UNION ALL
        SELECT gu.borrower_id, gu.guarantor_id, 'guarantor',
               coalesce(sum({cny_sql('gu.amount', 'gu.currency', '%(day)s::date')}), 0) FROM {t['g']} gu
        WHERE gu.borrower_id = ANY(%(f)s) AND gu.start_date <= %(day)s AND gu.end_date >= %(day)s
          AND gu.guarantor_id <> gu.borrower_id
        GROUP BY gu.borrower_id, gu.guarantor_id"""
    rows = fetch(sql, {"f": list(frontier), "start": start, "end": end, "share": share, "day": as_of})
    order = {"guarantor": 0, "sales": 1, "purchases": 2}
    return sorted(((a, b, rel, str(dec(fig))) for a, b, rel, fig in rows), key=lambda r: (r[0], r[1], order[r[2]]))


def _step_text(step, cards) -> tuple[str, str]:
    a, b, relation, figure = step
    if relation == "guarantor":
        return (f"{_named(cards[b])}为{_named(cards[a])}提供担保",
                f"{_named_en(cards[b])} guarantees the debt of {_named_en(cards[a])}")
    if relation == "sales":
        return (f"{_named(cards[b])}对{_named(cards[a])}的销售占其销售收入的{figure}%",
                f"{_named_en(cards[b])} makes {figure}% of its sales to {_named_en(cards[a])}")
    return (f"{_named(cards[b])}向{_named(cards[a])}的采购占其采购额的{figure}%",
            f"{_named_en(cards[b])} makes {figure}% of its purchases from {_named_en(cards[a])}")


def _rule_names(code: str) -> tuple[str, str]:
    """A rule's name in Chinese and in English, for the evidence (the code when no rule has it)."""
    from django.utils import translation

    from risk.rules import load

    rule = load().get(code)
    if rule is None:
        return code, code
    with translation.override("zh-hans"):
        zh_name = str(rule.label)
    with translation.override("en"):
        en_name = str(rule.label)
    return zh_name, en_name


SEVERITY_ZH = {1: "低", 2: "中", 3: "高", 4: "严重"}
SEVERITY_EN = {1: "low", 2: "medium", 3: "high", 4: "critical"}


def evaluate_contagion(scope: Scope, params: dict) -> list[Finding]:
    every_source = _sources()
    sources = every_source
    if scope.ids is not None:  # incremental: from the scope's sources only (see the module docstring)
        wanted = set(scope.ids)
        sources = {e: v for e, v in every_source.items() if e in wanted}
    if not sources:
        return []
    # Breadth first from every source at once: one statement per level.
    reached: dict[int, tuple[int, ...]] = {}  # flagged -> steps' path (source ... flagged)
    steps_of: dict[int, list[tuple]] = {}
    paths: dict[int, tuple[int, ...]] = {s: (s,) for s in sources}
    step_lists: dict[int, list[tuple]] = {s: [] for s in sources}
    frontier = sorted(sources)
    for _depth in range(params["max_depth"]):
        if not frontier:
            break
        nxt = []
        by_target: dict[int, tuple] = {}
        for step in exposure_steps(frontier, scope.as_of, params):
            a, b = step[0], step[1]
            if b in every_source or b in reached or b in paths.get(a, ()):
                continue
            current = by_target.get(b)
            # Shortest path first; among equals, the lowest source, then the lowest ids along the path.
            if current is None or (paths[a], step[2]) < (paths[current[0]], current[2]):
                by_target[b] = step
        for b, step in sorted(by_target.items()):
            a = step[0]
            paths[b] = (*paths[a], b)
            step_lists[b] = [*step_lists[a], step]
            reached[b] = paths[b]
            steps_of[b] = step_lists[b]
            nxt.append(b)
        frontier = nxt
    if not reached:
        return []
    cards = _cards({i for p in reached.values() for i in p})
    out = []
    for flagged, path in sorted(reached.items()):
        source = path[0]
        severity_src, rule, alert_id = sources[source]
        severity = max(int(Severity.LOW), severity_src - (len(path) - 1))
        texts = [_step_text(s, cards) for s in steps_of[flagged]]
        rule_zh, rule_en = _rule_names(rule)
        zh_text = (f"风险传染：{_named(cards[source])}有未关闭的{SEVERITY_ZH[severity_src]}级预警（{rule_zh}）；"
                   + "；".join(t[0] for t in texts) + f"。传染路径共{len(path) - 1}步。")
        en_text = (f"Contagion: {_named_en(cards[source])} has an open {SEVERITY_EN[severity_src]} alert ({rule_en}); "
                   + "; ".join(t[1] for t in texts) + f". Path of {len(path) - 1} step(s).")
        steps = [{"from": a, "to": b, "relation": rel,
                  **({"amount_cny": fig} if rel == "guarantor" else {"share_pct": fig})}
                 for a, b, rel, fig in steps_of[flagged]]
        out.append(Finding(
            subject_key=enterprise_key(flagged), severity=severity, evidence=zh_text, evidence_en=en_text,
            enterprise_id=flagged, group_id=cards[flagged][2], path=path,
            figures={"source_alert": alert_id, "source_rule": rule, "source_severity": severity_src,
                     "depth": len(path) - 1, "steps": steps},
        ))
    return out


def _contagion_scope(scope: Scope) -> Q:
    """A full run answers for every contagion alert; an incremental one for those whose path starts at
    one of its enterprises (the source)."""
    if scope.ids is None:
        return Q()
    from risk.models import AlertParty

    return Q(pk__in=AlertParty.objects.filter(position=0, enterprise_id__in=list(scope.ids)).values("alert_id"))


register(Rule(
    code=CONTAGION,
    label=_("Contagion"),
    description=_("Enterprises exposed to one with a high-severity alert: its guarantors, and those that "
                  "depend on it for a large share of their sales or purchases, step by step."),
    params=(
        Param("min_share", _("Dependence from: percent of sales or purchases"), Unit.PCT, "30", 1, 100),
        Param("window_months", _("Flows over the last"), Unit.MONTHS, 12, 1, 36),
        Param("max_depth", _("Steps followed"), Unit.COUNT, 2, 1, 4),
    ),
    evaluate=evaluate_contagion,
    in_scope=_contagion_scope,
    chunked=False,
    stage=1,
))

