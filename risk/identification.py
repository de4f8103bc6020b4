"""Group identification (issue 10 part 1): the regulator's four tests of group-client membership applied to
control links, persons, guarantees and flows; proposals of new members with the evidence of the test that
fired; people confirm or reject them (DESIGN.md section 4: a candidate owned by another branch needs that
branch's consent too).

`refresh(ids | None, as_of=)` reads the edge lists once (memberships, control links with their persons,
key persons, active guarantees, and one aggregate of the flow summary per non-fair test) and applies the
tests in memory, per group, to enterprises that are not yet members:

1. CONTROL: the candidate controls a member or is controlled by one, directly or through a chain of
   controlling links (a link controls when its share is above 50 % or its type is agreement, actual
   controller or kinship) -- e.g. the core's own parent, or a subsidiary of a confirmed member that the
   membership derivation (which starts from the core) leaves out. The look-through share (the product of
   the equity shares along the chain) is shown.
2. COMMON_CONTROL: a third party -- an enterprise outside the group, or a natural person (the same
   identity number) -- controls both a member and the candidate directly (share above 50 %, agreement
   or actual control).
3. KEY_PERSONS: the same natural person is a controlling key person (legal representative, chairman or
   general manager) of, or holds through kinship (a control link of type kinship: their close relatives),
   both a member and the candidate, at least one side being such a role or kinship link (pure equity
   control on both sides is test 2).
4. NON_FAIR: (a) members paid the candidate at least `flow_min_amount` (CNY) over the last
   `window_months` whole months, one way (what came back is at most `one_way_max_pct` % of it) and
   without a trade basis (no invoice, order or shipment between the candidate and any member in the
   window); (b) a member guarantees the candidate's debt (active on the run's date) without
   consideration (over the window no invoice, order or shipment between guarantor and borrower either
   way, and no payment from the borrower to the guarantor, e.g. a fee).

Each (group, candidate, test) is one proposal whose evidence lists every basis found and whose
`evidence_key` is a hash of that basis (sorted link, key-person and guarantee ids; for flows the rule and
the counterparty): a rejected or confirmed proposal is never raised again on the same key, a new basis
(a new link) gives a new key and a new proposal. A pending proposal whose evidence is gone (or whose
candidate has become a member) is withdrawn: deleted, its history keeping a deletion row ("withdrawn").

Thresholds: `PARAMS` (core.rulekit), defaults here; head office's values are kept in the
`risk.AlertRule` row with code `group_identification` (not an early-warning rule: the engine never runs
it), edited through `thresholds_update` (the proposals page, head office only).

An incremental run (`ids`) re-examines the groups with a member among `ids` (the group refresh passes the
group's core, members and circle; a new control link, both its ends) and answers only for their
proposals; a full run, every group."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict, deque
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from core.fx import cny_sql
from core.money import tile_figure
from core.rulekit import Param, Unit, dec, fetch, validate
from risk.models import GroupProposal, IdentificationTest, ProposalStatus

SETTINGS_CODE = "group_identification"
CONTROL_TYPES = {"agreement", "actual", "kinship"}
PERSON_CONTROL_TYPES = {"agreement", "actual"}
KEY_ROLES = {"legal_rep", "chairman", "gm"}
MAJORITY = Decimal("50")
TRADE_KINDS = ("invoice", "order", "shipment")
UPDATE_FIELDS = ["evidence", "evidence_en", "figures"]
WITHDRAWN = "withdrawn: the evidence is gone"

PARAMS = (
    Param("flow_min_amount", _("One-way payments from members from"), Unit.CNY, "10000000", 0, "1000000000000"),
    Param("one_way_max_pct", _("Paid back at most: percent of what was paid"), Unit.PCT, "10", 0, 100),
    Param("window_months", _("Flows over the last"), Unit.MONTHS, 12, 1, 36),
)

ROLE_ZH = {"legal_rep": "法定代表人", "chairman": "董事长", "gm": "总经理"}
ROLE_EN = {"legal_rep": "legal representative", "chairman": "chairman", "gm": "general manager"}
TYPE_ZH = {"agreement": "协议控制", "actual": "实际控制", "kinship": "亲属关系控制"}
TYPE_EN = {"agreement": "controls by agreement", "actual": "is the actual controller of",
           "kinship": "controls through kinship"}


# --- thresholds ---------------------------------------------------------------------------------------------


def thresholds() -> dict:
    """Head office's thresholds (the defaults where unset or out of range). One query."""
    from risk.models import AlertRule

    stored = AlertRule.objects.filter(code=SETTINGS_CODE).values_list("params", flat=True).first()
    try:
        return validate(PARAMS, stored or {})
    except ValidationError:
        return validate(PARAMS, {})


@transaction.atomic
def thresholds_update(user, data: dict) -> dict:
    """Head office sets the non-fair thresholds (ValidationError naming each bad field)."""
    from core.history import set_history_user
    from core.permissions import ensure_head_office
    from risk.models import AlertRule

    ensure_head_office(user)
    cleaned = validate(PARAMS, data)
    row = AlertRule.objects.select_for_update().filter(code=SETTINGS_CODE).first() or AlertRule(code=SETTINGS_CODE)
    row.params = cleaned
    set_history_user(row, user)
    row.save()
    return cleaned


# --- reading the edges (one statement each) -----------------------------------------------------------------


def _t(model_path: str) -> str:
    from django.apps import apps

    return apps.get_model(model_path)._meta.db_table


def _months_back(as_of: dt.date, months: int) -> dt.date:
    n = as_of.year * 12 + as_of.month - 1 - (months - 1)
    return dt.date(n // 12, n % 12 + 1, 1)


def _memberships() -> dict[int, set[int]]:
    members: dict[int, set[int]] = defaultdict(set)
    for group_id, enterprise_id in fetch(f"SELECT group_id, enterprise_id FROM {_t('clients.GroupMembership')}", []):
        members[group_id].add(enterprise_id)
    return members


def _links() -> list[tuple]:
    """(link id, parent enterprise id | None, person key | None, person name, child id, share, type)."""
    return fetch(f"""SELECT cl.id, cl.parent_enterprise_id, p.id_number, p.name, cl.child_id, cl.share_pct,
                            cl.control_type
                     FROM {_t('clients.ControlLink')} cl LEFT JOIN {_t('clients.Person')} p ON p.id = cl.parent_person_id
                     ORDER BY cl.id""", [])


def _key_persons() -> list[tuple]:
    """(key-person row id, enterprise id, person key, person name, role) of the controlling roles."""
    return fetch(f"""SELECT kp.id, kp.enterprise_id, p.id_number, p.name, kp.role
                     FROM {_t('clients.KeyPerson')} kp JOIN {_t('clients.Person')} p ON p.id = kp.person_id
                     WHERE kp.role = ANY(%s) ORDER BY kp.id""", [sorted(KEY_ROLES)])


def _one_way_flows(group_ids: list[int] | None, as_of: dt.date, params: dict) -> list[tuple]:
    """(group, candidate, paid by members, paid back) of non-members that members paid at least the
    threshold over the window, one way, with no invoice, order or shipment with any member. One statement."""
    fs, gm = _t("chains.FlowSummary"), _t("clients.GroupMembership")
    start, end = _months_back(as_of, params["window_months"]), as_of.replace(day=1)
    where_g = "TRUE" if group_ids is None else "group_id = ANY(%(groups)s)"
    sql = f"""
        WITH m AS (SELECT group_id, enterprise_id FROM {gm} WHERE {where_g}),
        paid AS (
            SELECT m.group_id, fs.payee_id AS cand, sum(fs.amount_cny) AS amt
            FROM {fs} fs JOIN m ON m.enterprise_id = fs.payer_id
            WHERE fs.kind = 'payment' AND fs.month BETWEEN %(start)s AND %(end)s
            GROUP BY m.group_id, fs.payee_id
            HAVING sum(fs.amount_cny) >= %(min)s
        ), cand AS (
            SELECT p.* FROM paid p
            WHERE NOT EXISTS (SELECT 1 FROM m WHERE m.group_id = p.group_id AND m.enterprise_id = p.cand)
        ), back AS (
            SELECT m.group_id, fs.payer_id AS cand, sum(fs.amount_cny) AS amt
            FROM {fs} fs JOIN m ON m.enterprise_id = fs.payee_id
            WHERE fs.kind = 'payment' AND fs.month BETWEEN %(start)s AND %(end)s
              AND fs.payer_id IN (SELECT cand FROM cand)
            GROUP BY m.group_id, fs.payer_id
        ), trade AS (
            SELECT m.group_id, fs.payee_id AS cand FROM {fs} fs JOIN m ON m.enterprise_id = fs.payer_id
            WHERE fs.kind = ANY(%(trade)s) AND fs.month BETWEEN %(start)s AND %(end)s
              AND fs.payee_id IN (SELECT cand FROM cand)
            UNION
            SELECT m.group_id, fs.payer_id FROM {fs} fs JOIN m ON m.enterprise_id = fs.payee_id
            WHERE fs.kind = ANY(%(trade)s) AND fs.month BETWEEN %(start)s AND %(end)s
              AND fs.payer_id IN (SELECT cand FROM cand)
        )
        SELECT c.group_id, c.cand, c.amt, coalesce(b.amt, 0) FROM cand c
        LEFT JOIN back b ON b.group_id = c.group_id AND b.cand = c.cand
        WHERE NOT EXISTS (SELECT 1 FROM trade t WHERE t.group_id = c.group_id AND t.cand = c.cand)
          AND coalesce(b.amt, 0) * 100 <= %(pct)s * c.amt
        ORDER BY c.group_id, c.cand"""
    return fetch(sql, {"groups": group_ids, "start": start, "end": end, "min": dec(params["flow_min_amount"]),
                       "trade": list(TRADE_KINDS), "pct": dec(params["one_way_max_pct"])})


def _free_guarantees(as_of: dt.date, params: dict) -> list[tuple]:
    """(guarantee id, guarantor, borrower, amount in CNY) of guarantees active on the run's date without
    consideration over the window: no invoice, order or shipment between guarantor and borrower either
    way, and no payment from the borrower to the guarantor (a fee). One statement."""
    fs, g = _t("chains.FlowSummary"), _t("circles.Guarantee")
    start, end = _months_back(as_of, params["window_months"]), as_of.replace(day=1)
    sql = f"""
        SELECT gu.id, gu.guarantor_id, gu.borrower_id, {cny_sql('gu.amount', 'gu.currency', '%(day)s::date')}
        FROM {g} gu
        WHERE gu.start_date <= %(day)s AND gu.end_date >= %(day)s AND gu.guarantor_id <> gu.borrower_id
          AND NOT EXISTS (SELECT 1 FROM {fs} fs WHERE fs.month BETWEEN %(start)s AND %(end)s
                          AND ((fs.payer_id = gu.guarantor_id AND fs.payee_id = gu.borrower_id
                                AND fs.kind = ANY(%(trade)s))
                               OR (fs.payer_id = gu.borrower_id AND fs.payee_id = gu.guarantor_id)))
        ORDER BY gu.id"""
    return fetch(sql, {"day": as_of, "start": start, "end": end, "trade": list(TRADE_KINDS)})


def _cards(ids) -> dict[int, tuple]:
    """{id: (name, credit code, owning branch path or None)}, one statement."""
    ids = sorted(set(ids))
    if not ids:
        return {}
    rows = fetch(f"""SELECT e.id, e.name, e.uscc, b.path FROM {_t('clients.Enterprise')} e
                     LEFT JOIN {_t('staff.Branch')} b ON b.id = e.branch_id WHERE e.id = ANY(%s)""", [ids])
    return {r[0]: (r[1], r[2], r[3]) for r in rows}


def _groups(ids) -> dict[int, tuple]:
    """{group id: (name, branch path)}, one statement."""
    rows = fetch(f"""SELECT g.id, g.name, b.path FROM {_t('clients.GroupClient')} g
                     JOIN {_t('staff.Branch')} b ON b.id = g.branch_id WHERE g.id = ANY(%s)""", [sorted(set(ids))])
    return {r[0]: (r[1], r[2]) for r in rows}


# --- the tests, in memory -------------------------------------------------------------------------------------


class _Found:
    """The bases of one (group, candidate, test): evidence lines in both languages and basis tokens."""

    def __init__(self):
        self.zh: list[str] = []
        self.en: list[str] = []
        self.tokens: set[str] = set()
        self.figures: dict = defaultdict(list)

    def add(self, zh: str, en: str, tokens, **figures):
        if zh not in self.zh:
            self.zh.append(zh)
            self.en.append(en)
        self.tokens.update(tokens)
        for key, value in figures.items():
            if value not in self.figures[key]:
                self.figures[key].append(value)


def _pct(share) -> str:
    return f"{dec(share).quantize(Decimal('0.01'))}%"


def evidence_key(test: str, tokens) -> str:
    return hashlib.sha256(f"{test}|{','.join(sorted(tokens))}".encode()).hexdigest()


def _control_graph(links):
    """Controlling enterprise links: down[parent] and up[child] lists of (other end, link row)."""
    down, up = defaultdict(list), defaultdict(list)
    for row in links:
        link_id, parent, _key, _name, child, share, ctype = row
        if parent is None or parent == child:
            continue
        if dec(share) > MAJORITY or ctype in CONTROL_TYPES:
            down[parent].append((child, row))
            up[child].append((parent, row))
    return down, up


def _walk(starts, adjacency, members):
    """Breadth first from the members over `adjacency`: {non-member reached: [link rows from a member]}."""
    seen: dict[int, list] = {m: [] for m in starts}
    queue = deque(sorted(starts))
    found = {}
    while queue:
        node = queue.popleft()
        for other, row in sorted(adjacency.get(node, ()), key=lambda pair: pair[1][0]):
            if other in seen:
                continue
            seen[other] = [*seen[node], row]
            if other not in members:
                found[other] = seen[other]
            queue.append(other)
    return found


def _test_control(group_id, members, down, up, names, out):
    for direction, adjacency in (("down", down), ("up", up)):
        for cand, rows in _walk(members, adjacency, members).items():
            look = Decimal("1")
            for r in rows:
                look *= dec(r[5]) / 100 if r[6] == "equity" else Decimal("1")
            chain = [(r[1], r[4], r[5], r[6]) for r in rows]
            steps_zh = "，".join(_link_zh(p, c, s, t, names) for p, c, s, t in chain)
            steps_en = "; ".join(_link_en(p, c, s, t, names) for p, c, s, t in chain)
            if direction == "down":
                zh = f"受成员控制：{steps_zh}（穿透持股{_pct(look * 100)}）。"
                en = f"Controlled by a member: {steps_en} (look-through share {_pct(look * 100)})."
            else:
                zh = f"控制成员：{steps_zh}（穿透持股{_pct(look * 100)}）。"
                en = f"Controls a member: {steps_en} (look-through share {_pct(look * 100)})."
            out[(group_id, cand, IdentificationTest.CONTROL)].add(
                zh, en, [f"link:{r[0]}" for r in rows], links=[r[0] for r in rows])


def _link_zh(parent, child, share, ctype, names) -> str:
    if ctype == "equity":
        return f"{names(parent)}持有{names(child)} {_pct(share)}股权"
    return f"{names(parent)}对{names(child)}{TYPE_ZH.get(ctype, ctype)}"


def _link_en(parent, child, share, ctype, names) -> str:
    if ctype == "equity":
        return f"{names(parent, 'en')} holds {_pct(share)} of {names(child, 'en')}"
    return f"{names(parent, 'en')} {TYPE_EN.get(ctype, ctype)} {names(child, 'en')}"


def _test_common_control(group_id, members, controllers, controllers_of, names, out):
    """controllers: {("e", id) | ("p", id number): [(child, link row, display name)]}; controllers_of:
    {child: controller keys} (only the controllers of the group's members are looked at)."""
    keys = sorted({k for m in members for k in controllers_of.get(m, ())}, key=str)
    for key in keys:
        held = controllers[key]
        if key[0] == "e" and key[1] in members:
            continue
        inside = [h for h in held if h[0] in members]
        if not inside:
            continue
        for cand, row, who in held:
            if cand in members:
                continue
            zh_in = "、".join(f"{names(m)}（{_share_zh(r)}）" for m, r, _ in inside)
            en_in = ", ".join(f"{names(m, 'en')} ({_share_en(r)})" for m, r, _ in inside)
            zh = f"与成员受同一方共同控制：{who}控制成员{zh_in}，并控制{names(cand)}（{_share_zh(row)}）。"
            en = (f"Jointly controlled with a member by the same party: {who} controls the member(s) {en_in} "
                  f"and {names(cand, 'en')} ({_share_en(row)}).")
            ids = [r[0] for _, r, _ in inside] + [row[0]]
            out[(group_id, cand, IdentificationTest.COMMON_CONTROL)].add(
                zh, en, [f"link:{i}" for i in ids], links=ids)


def _share_zh(row) -> str:
    return f"持股{_pct(row[5])}" if row[6] == "equity" else TYPE_ZH.get(row[6], row[6])


SHARE_EN = {"agreement": "by agreement", "actual": "as its actual controller", "kinship": "through kinship"}


def _share_en(row) -> str:
    return f"{_pct(row[5])} of the shares" if row[6] == "equity" else SHARE_EN.get(row[6], row[6])


def _test_key_persons(group_id, members, person_rels, persons_of, names, out):
    """person_rels: {id number: [(enterprise, kind, token, zh, en)]}, kind role | kinship | control;
    persons_of: {enterprise: id numbers} (only the persons of the group's members are looked at)."""
    for pkey in sorted({k for m in members for k in persons_of.get(m, ())}):
        rels = person_rels[pkey]
        inside = [r for r in rels if r[0] in members]
        if not inside:
            continue
        for cand, kind, token, zh_rel, en_rel in rels:
            if cand in members:
                continue
            pairs = [m for m in inside if kind != "control" or m[1] != "control"]
            if not pairs:
                continue
            m = pairs[0]
            zh = f"与成员受同一关键人员或其近亲属控制：{m[3]}；{zh_rel}。"
            en = f"Controlled by the same key person or close relatives as a member: {m[4]}; {en_rel}."
            out[(group_id, cand, IdentificationTest.KEY_PERSONS)].add(zh, en, [m[2], token], bases=[m[2], token])


# --- refresh --------------------------------------------------------------------------------------------------


def refresh(enterprise_ids=None, *, as_of: dt.date | None = None) -> dict:
    """Apply the four tests and write the proposals (see the module docstring). Returns counts:
    proposed, updated, withdrawn, kept (pending unchanged), held (rejected or confirmed on the same evidence)."""
    counts = {"proposed": 0, "updated": 0, "withdrawn": 0, "kept": 0, "held": 0}
    if connection.vendor != "postgresql":
        return {**counts, "skipped": "needs PostgreSQL"}
    as_of = as_of or timezone.localdate()
    params = thresholds()
    ids = {int(i) for i in enterprise_ids} if enterprise_ids is not None else None
    memberships = _memberships()
    if ids is None:
        groups = sorted(memberships)
    else:
        groups = sorted(g for g, m in memberships.items() if m & ids)

    links = _links()
    down, up = _control_graph(links)
    controllers: dict[tuple, list] = defaultdict(list)
    person_rels: dict[str, list] = defaultdict(list)
    person_names: dict[str, str] = {}
    for row in links:
        link_id, parent, pkey, pname, child, share, ctype = row
        controls = dec(share) > MAJORITY or ctype in PERSON_CONTROL_TYPES
        if parent is not None and (dec(share) > MAJORITY or ctype in CONTROL_TYPES):
            controllers[("e", parent)].append((child, row, None))
        elif pkey is not None:
            person_names[pkey] = pname
            if controls:
                controllers[("p", pkey)].append((child, row, pname))
            if ctype == "kinship" or controls:
                person_rels[pkey].append((child, "kinship" if ctype == "kinship" else "control", f"link:{link_id}",
                                          row, pname))
    for kp_id, enterprise, pkey, pname, role in _key_persons():
        person_names[pkey] = pname
        person_rels[pkey].append((enterprise, "role", f"kp:{kp_id}", role, pname))

    flows = _one_way_flows(groups if ids is not None else None, as_of, params)
    free = _free_guarantees(as_of, params)

    # Names of every enterprise the evidence may name: one statement.
    wanted = set()
    for g in groups:
        wanted |= memberships[g]
    for row in links:
        wanted.update(x for x in (row[1], row[4]) if x)
    for _id, a, b, _amt in free:
        wanted.update((a, b))
    wanted.update(row[1] for row in flows)
    for rels in person_rels.values():
        wanted.update(r[0] for r in rels)
    cards = _cards(wanted)

    def names(eid, lang="zh"):
        card = cards.get(eid, (str(eid), "", None))
        return f"{card[0]}（{card[1]}）" if lang == "zh" else f"{card[0]} ({card[1]})"

    # Controllers named for the evidence.
    named_controllers = {}
    for key, held in controllers.items():
        who = names(key[1]) if key[0] == "e" else held[0][2]
        named_controllers[key] = [(c, r, who) for c, r, _ in held]
    # Person relations with their text.
    texts: dict[str, list] = {}
    for pkey, rels in person_rels.items():
        out_rels = []
        for enterprise, kind, token, detail, pname in rels:
            if kind == "role":
                zh, en = (f"{pname}任{names(enterprise)}{ROLE_ZH[detail]}",
                          f"{pname} is {ROLE_EN[detail]} of {names(enterprise, 'en')}")
            elif kind == "kinship":
                zh, en = (f"{pname}通过亲属关系控制{names(enterprise)}",
                          f"{pname} controls {names(enterprise, 'en')} through kinship")
            else:
                zh, en = (f"{pname}控制{names(enterprise)}（{_share_zh(detail)}）",
                          f"{pname} controls {names(enterprise, 'en')} ({_share_en(detail)})")
            out_rels.append((enterprise, kind, token, zh, en))
        texts[pkey] = out_rels

    controllers_of: dict[int, set] = defaultdict(set)
    for key, held in controllers.items():
        for child, _row, _who in held:
            controllers_of[child].add(key)
    persons_of: dict[int, set] = defaultdict(set)
    for pkey, rels in person_rels.items():
        for rel in rels:
            persons_of[rel[0]].add(pkey)

    found: dict[tuple, _Found] = defaultdict(_Found)
    guarantees_by_guarantor: dict[int, list] = defaultdict(list)
    for gid, guarantor, borrower, amount in free:
        guarantees_by_guarantor[guarantor].append((gid, borrower, amount))
    flows_by_group: dict[int, list] = defaultdict(list)
    for g, cand, amt, back in flows:
        flows_by_group[g].append((cand, amt, back))

    for g in groups:
        members = memberships[g]
        _test_control(g, members, down, up, names, found)
        _test_common_control(g, members, named_controllers, controllers_of, names, found)
        _test_key_persons(g, members, texts, persons_of, names, found)
        for cand, amt, back in flows_by_group.get(g, ()):
            found[(g, cand, IdentificationTest.NON_FAIR)].add(
                f"非公允资金往来：{params['window_months']}个月内成员单向支付{names(cand)}{tile_figure(amt, 'zh')}，"
                f"回流{tile_figure(back, 'zh')}，其间无发票、订单或发货记录。",
                f"Non-fair flows: over {params['window_months']} months members paid {names(cand, 'en')} "
                f"{tile_figure(amt, 'en')} one way ({tile_figure(back, 'en')} back) with no invoice, order or "
                f"shipment between them.",
                [f"flow:one_way:{cand}"], paid_cny=str(dec(amt)), paid_back_cny=str(dec(back)))
        for m in sorted(members):
            for gid, borrower, amount in guarantees_by_guarantor.get(m, ()):
                if borrower in members:
                    continue
                found[(g, borrower, IdentificationTest.NON_FAIR)].add(
                    f"无对价担保：成员{names(m)}为{names(borrower)}提供担保{tile_figure(amount, 'zh')}，双方无交易往来。",
                    f"Guarantee without consideration: the member {names(m, 'en')} guarantees "
                    f"{names(borrower, 'en')} for {tile_figure(amount, 'en')} with no trade between them.",
                    [f"guarantee:{gid}"], guarantees=gid)

    return _write(found, groups, ids, cards, counts)


@transaction.atomic
def _write(found, groups, ids, cards, counts) -> dict:
    """Proposals for what was found; pending ones no longer found are withdrawn. Set-based."""
    now = timezone.now()
    qs = GroupProposal.objects.all()
    if ids is not None:
        qs = qs.filter(group_id__in=groups)  # only the groups this run examined answer for their proposals
    existing = {(p.group_id, p.enterprise_id, p.test, p.evidence_key): p for p in qs}
    group_cards = _groups({k[0] for k in found})
    create, update, seen = [], [], set()
    for (g, cand, test), f in sorted(found.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2])):
        key = evidence_key(test, f.tokens)
        seen.add((g, cand, test, key))
        zh, en = "".join(f.zh), " ".join(f.en)
        figures = {k: v for k, v in sorted(f.figures.items())}
        stored = existing.get((g, cand, test, key))
        if stored is not None:
            if stored.status != ProposalStatus.PENDING:
                counts["held"] += 1
            elif (stored.evidence, stored.evidence_en, stored.figures) != (zh, en, figures):
                stored.evidence, stored.evidence_en, stored.figures = zh, en, figures
                update.append(stored)
            else:
                counts["kept"] += 1
            continue
        branch_path = cards.get(cand, (None, None, None))[2]
        group_path = group_cards[g][1]
        create.append(GroupProposal(group_id=g, enterprise_id=cand, test=test, evidence=zh, evidence_en=en,
                                    figures=figures, evidence_key=key, created_at=now,
                                    needs_owner_consent=bool(branch_path) and not branch_path.startswith(group_path)))
    gone = [p for k, p in existing.items() if k not in seen and p.status == ProposalStatus.PENDING]
    if create:
        bulk_create_with_history(create, GroupProposal, default_date=now)
    if update:
        bulk_update_with_history(update, GroupProposal, UPDATE_FIELDS, default_date=now)
    if gone:
        _withdraw(gone, now)
    counts.update(proposed=len(create), updated=len(update), withdrawn=len(gone))
    return counts


def _withdraw(proposals, now, user=None) -> None:
    """Delete pending proposals, each with a history row of the deletion ("withdrawn")."""
    history = GroupProposal.history.model
    fields = [f.attname for f in GroupProposal._meta.fields]
    history.objects.bulk_create([
        history(**{name: getattr(p, name) for name in fields}, history_date=now, history_type="-",
                history_user=user, history_change_reason=WITHDRAWN)
        for p in proposals])
    GroupProposal.objects.filter(pk__in=[p.pk for p in proposals]).delete()


# --- decisions ------------------------------------------------------------------------------------------------


def _sides(user, proposal) -> tuple[bool, bool]:
    """(may act for the group, may act for the candidate's owning branch)."""
    from clients.access import groups_in_reach, in_full_record
    from staff.scope import scope_for

    scope = scope_for(user)
    if scope.sees_all:
        return True, True
    if scope.sees_nothing:
        return False, False
    group_side = groups_in_reach(user).filter(pk=proposal.group_id).exists()
    owner_side = in_full_record(user, proposal.enterprise_id)
    return group_side, owner_side


def _decidable(user, proposal) -> tuple[bool, bool]:
    group_side, owner_side = _sides(user, proposal)
    if not (group_side or owner_side):
        raise GroupProposal.DoesNotExist  # out of reach answers like missing
    if not group_side and not proposal.needs_owner_consent:
        raise PermissionDenied(_("Only those who work the group may decide this proposal."))
    if proposal.status != ProposalStatus.PENDING:
        raise ValidationError({"status": _("This proposal has already been decided.")})
    return group_side, owner_side


def _clean_note(note, *, required: bool) -> str:
    from core.text import text_problem

    note = (note or "").strip()
    if required and not note:
        raise ValidationError({"note": _("Say why the proposal is rejected.")})
    if len(note) > 500:
        raise ValidationError({"note": _("At most 500 characters.")})
    problem = text_problem(note) if note else None
    if problem:
        raise ValidationError({"note": problem})
    return note


@transaction.atomic
def proposal_confirm(user, proposal: GroupProposal, note: str = "") -> GroupProposal:
    """Record the user's confirmation for the side(s) they act for: the group side (the group in reach)
    and, when the candidate is owned by another branch, the owning side (the candidate in their full
    record); head office confirms both. With every needed side confirmed the proposal is confirmed and
    the candidate joins the group (membership reason IDENTIFIED); the group's other pending proposals on
    the same candidate are withdrawn."""
    from clients.models import GroupMembership, MembershipReason
    from core.history import set_history_user

    proposal = GroupProposal.objects.select_for_update().get(pk=proposal.pk)
    note = _clean_note(note, required=False)
    group_side, owner_side = _decidable(user, proposal)
    now = timezone.now()
    if group_side and proposal.group_confirmed_by_id is None:
        proposal.group_confirmed_by, proposal.group_confirmed_at = user, now
    if owner_side and proposal.needs_owner_consent and proposal.owner_confirmed_by_id is None:
        proposal.owner_confirmed_by, proposal.owner_confirmed_at = user, now
    done = proposal.group_confirmed_at is not None and (
        not proposal.needs_owner_consent or proposal.owner_confirmed_at is not None)
    if note:
        proposal.decision_note = note
    if done:
        proposal.status = ProposalStatus.CONFIRMED
        proposal.decided_by, proposal.decided_at = user, now
    set_history_user(proposal, user, "confirmed" if done else "confirmed by one side")
    proposal.save()
    if done:
        GroupMembership.objects.get_or_create(
            group_id=proposal.group_id, enterprise_id=proposal.enterprise_id,
            defaults={"reason": MembershipReason.IDENTIFIED, "depth": 1})
        others = list(GroupProposal.objects.filter(group_id=proposal.group_id, enterprise_id=proposal.enterprise_id,
                                                   status=ProposalStatus.PENDING).exclude(pk=proposal.pk))
        if others:
            _withdraw(others, now, user)
    return proposal


@transaction.atomic
def proposal_reject(user, proposal: GroupProposal, note: str) -> GroupProposal:
    """The group side, or for another branch's candidate either side, rejects (a note saying why is
    required); the proposal is not raised again on the same evidence."""
    from core.history import set_history_user

    proposal = GroupProposal.objects.select_for_update().get(pk=proposal.pk)
    note = _clean_note(note, required=True)
    _decidable(user, proposal)
    proposal.status = ProposalStatus.REJECTED
    proposal.decided_by, proposal.decided_at = user, timezone.now()
    proposal.decision_note = note
    set_history_user(proposal, user, "rejected")
    proposal.save()
    return proposal


def decidable_ids(user, proposals) -> set[int]:
    """Which of the given proposals the user may confirm or reject now (two queries when any is pending,
    none for head office): pending, and the group in their reach, or another branch's candidate in their full record."""
    from clients.access import full_enterprises, groups_in_reach
    from staff.scope import scope_for

    pending = [p for p in proposals if p.status == ProposalStatus.PENDING]
    scope = scope_for(user)
    if not pending or scope.sees_nothing:
        return set()
    if scope.sees_all:
        return {p.pk for p in pending}
    groups = set(groups_in_reach(user).filter(pk__in={p.group_id for p in pending}).values_list("pk", flat=True))
    # Every pending candidate, not only other branches': the page's count does not depend on the mix.
    owners = set(full_enterprises(user).filter(pk__in={p.enterprise_id for p in pending})
                 .values_list("pk", flat=True))
    return {p.pk for p in pending if p.group_id in groups or (p.needs_owner_consent and p.enterprise_id in owners)}


def waiting_for(proposal) -> list[str]:
    """Which sides still have to confirm: "group", "owner"."""
    out = []
    if proposal.status != ProposalStatus.PENDING:
        return out
    if proposal.group_confirmed_at is None:
        out.append("group")
    if proposal.needs_owner_consent and proposal.owner_confirmed_at is None:
        out.append("owner")
    return out
