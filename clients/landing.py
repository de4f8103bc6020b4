"""The landing page's figures, per role: the one place its numbers come from (`staff.views.home` shows
them as panels, `templates/home/`). It grows into the RM workbench: a new panel is a figure function
here, a template under `templates/home/panels/` and a line in `panels_for`.

- RM: tiles (groups covered, clients, their unified limits, pending requests), their groups by limit
  use, their own pending requests;
- branch head: tiles for the branch subtree (groups, clients, unified limits, requests awaiting their
  approval), a table per sub-branch, the requests awaiting them;
- risk officer: tiles and the groups near or over their limit (clients.limits: the rule of the 360 page);
- head office: tiles and a table per branch.

Every figure is an aggregate or a bounded list: the page runs the same number of queries for 3 groups
or 30,000 (tests/test_query_counts.py pins it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, DecimalField, F, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from clients import limits
from clients.approvals import waiting_for
from clients.models import ChangeRequest, ChangeRequestStatus, Enterprise, GroupClient
from clients.selectors import with_member_count
from core import money
from core.sorting import Pinyin
from risk import panels as risk_panels
from staff.scope import scope_for

StrOrPromise = str | Promise  # a label, translated when shown
LIST_ROWS = 10
ZERO = Value(Decimal("0"), output_field=DecimalField(max_digits=20, decimal_places=2))


@dataclass
class Panel:
    """One block of the landing page: its id, title, template and figures."""

    key: str
    title: StrOrPromise
    template: str
    context: dict = field(default_factory=dict)
    wide: bool = False


@dataclass(frozen=True)
class Tile:
    label: StrOrPromise
    value: object
    kind: str = "count"  # "count" (|num) or "money" (|money_tile)
    url: str = ""
    level: str = ""  # "near" / "over": coloured like the limit use


# --- figures ----------------------------------------------------------------------------------------------


def _covered(user):
    """The groups the user leads or is on the coverage team of (whatever their role)."""
    on_team = GroupClient.team.through.objects.filter(user_id=user.pk).values("groupclient_id")
    return GroupClient.objects.for_user(user).filter(Q(lead_rm_id=user.pk) | Q(pk__in=on_team))


def group_totals(groups) -> dict:
    """Count and unified limits of a set of groups (one query)."""
    return groups.order_by().aggregate(groups=Count("pk"), limit=Coalesce(Sum("unified_credit_limit"), ZERO))


def client_count(user) -> int:
    """The bank's clients (not prospects) in the user's full record (one query)."""
    return Enterprise.objects.for_user(user).filter(is_client=True).order_by().count()


def groups_by_limit_use(groups, *, rows: int = LIST_ROWS) -> list:
    """Groups with their limit use, the most used first (one query)."""
    qs = limits.with_limit_use(with_member_count(groups.select_related("branch", "lead_rm__profile")))
    return list(qs.order_by(F("limit_use_pct").desc(nulls_last=True), Pinyin("name"), "pk")[:rows])


@dataclass(frozen=True)
class NearLimit:
    groups: list  # the most used first, at most `rows`
    near: int  # from the warning level to 100 %
    over: int  # 100 % and above, or loans without a limit


def near_limit(user, *, rows: int = 20) -> NearLimit:
    """The user's groups at or past the warning level of limit use (or with loans and no limit), the most
    used first, and how many are near and over. Two queries: the limit use of every group in reach is
    computed once (ids and figures only), then the rows shown are read with their details."""
    flagged = limits.flagged(GroupClient.objects.for_user(user))
    levels = [limits.level(pct, loans=loans) for _pk, pct, loans in flagged]
    shown = [pk for pk, _pct, _loans in flagged[:rows]]
    # `0` (no such id) keeps the query when nothing is flagged: the page's query count never depends on the data.
    details = limits.with_limit_use(
        GroupClient.objects.filter(pk__in=[*shown, 0]).select_related("branch", "lead_rm__profile"))
    by_pk = {g.pk: g for g in details}
    return NearLimit([by_pk[pk] for pk in shown if pk in by_pk], levels.count(limits.NEAR), levels.count(limits.OVER))


def my_pending_requests_qs(user):
    return ChangeRequest.objects.filter(requested_by=user, status=ChangeRequestStatus.PENDING)


def my_pending_requests(user, *, rows: int = LIST_ROWS) -> list:
    """The user's own requests still waiting for approval, newest first (one query)."""
    return list(my_pending_requests_qs(user).select_related("enterprise", "group").order_by("-requested_at", "-pk")[:rows])


def _count(queryset) -> int:
    """How many there are beyond the rows shown (one count query, so the page's queries never depend on
    how many rows there are)."""
    return queryset.order_by().count()


def awaiting_my_approval(user, *, rows: int = LIST_ROWS) -> list:
    """Requests with a side the user may approve, newest first (one query)."""
    return list(waiting_for(user).select_related("enterprise", "group", "requested_by__profile")
                .order_by("-requested_at", "-pk")[:rows])


@dataclass
class BranchRow:
    """One line of a per-branch table: a child of the user's branch with its whole subtree."""

    branch_id: int
    name: str
    groups: int = 0
    limit: Decimal = Decimal("0")
    clients: int = 0


def branch_table(user) -> tuple[list[BranchRow], BranchRow]:
    """Per child branch of the user's branch (head office: each branch; a branch: each sub-branch), the
    groups, their unified limits and the clients of its subtree; and the total row. Three queries,
    whatever the number of branches, groups and clients (grouped in SQL, rolled up by path here)."""
    from staff.models import Branch

    scope = scope_for(user)
    top_filter = {"parent__isnull": True} if scope.sees_all else {"pk": scope.branch_id}
    own = Branch.objects.filter(**top_filter).order_by("path").values_list("path", flat=True)
    nodes = list(Branch.objects.filter(path__startswith=own[:1]).order_by("path").values("pk", "name", "path", "parent_id"))
    if not nodes:
        return [], BranchRow(0, "")
    top = nodes[0]
    rows = {n["pk"]: BranchRow(n["pk"], n["name"]) for n in nodes if n["parent_id"] == top["pk"]}
    own_row = BranchRow(top["pk"], top["name"])  # groups and clients held at the user's branch itself
    path_of = {n["pk"]: n["path"] for n in nodes}
    child_paths = sorted(((path_of[pk], row) for pk, row in rows.items()), key=lambda item: -len(item[0]))

    def row_for(branch_id):
        path = path_of.get(branch_id, "")
        return next((row for p, row in child_paths if path.startswith(p)), own_row)

    groups = GroupClient.objects.for_user(user).order_by().values("branch_id").annotate(
        n=Count("pk"), limit=Coalesce(Sum("unified_credit_limit"), ZERO))
    for g in groups:
        row = row_for(g["branch_id"])
        row.groups += g["n"]
        row.limit += g["limit"]
    clients = (Enterprise.objects.for_user(user).filter(is_client=True).order_by().values("branch_id")
               .annotate(n=Count("pk")))
    for c in clients:
        row_for(c["branch_id"]).clients += c["n"]
    table = list(rows.values())
    if own_row.groups or own_row.clients:
        table.insert(0, own_row)
    total = BranchRow(top["pk"], top["name"], sum(r.groups for r in table), sum((r.limit for r in table), Decimal("0")),
                      sum(r.clients for r in table))
    return table, total


# --- the RM workbench: open needs (services.Need) ---------------------------------------------------------

NEEDS_PAGE_SIZE = 20


@dataclass
class WorkbenchNeeds:
    """One page of the user's open needs, ranked by value, with the filters' choices and values."""

    page: object  # a Paginator page of needs
    products: list  # (code, name) of the products with an open need in reach
    groups: list  # (pk, name) of the groups the user covers
    product: str = ""
    group: int | None = None
    total_value: Decimal = Decimal("0")
    readonly: bool = True  # the status buttons are for roles that edit client data
    last_refresh: object = None  # the latest run of the needs job (core.JobRun), whatever its scope

    @property
    def query(self) -> str:
        from urllib.parse import urlencode

        return urlencode({k: v for k, v in (("product", self.product), ("group", self.group or "")) if v})


def open_needs(user):
    """The needs a person works: open, and still evidenced unless someone already contacted the client;
    in the user's full record (services.Need.for_user)."""
    from services.models import Need, NeedStatus

    return (Need.objects.for_user(user).open()
            .filter(Q(is_current=True) | Q(status=NeedStatus.CONTACTED)))


def workbench_needs(user, params) -> WorkbenchNeeds:
    """The user's open needs, ranked by value (then score), filtered by product code and group id from
    `params` (anything unknown is ignored), one page of NEEDS_PAGE_SIZE. Five queries: the products and
    groups offered, the count and total value, the page."""
    from django.core.paginator import Paginator

    from services.models import Product

    needs = open_needs(user)
    products = list(Product.objects.filter(pk__in=needs.order_by().values("product_id"))
                    .order_by("family", "code").only("code", "name_zh", "name_en"))
    groups = list(_covered(user).order_by(Pinyin("name"), "pk").values_list("pk", "name"))
    product = str(params.get("product", ""))[:40]
    product = product if any(p.code == product for p in products) else ""
    try:
        group = int(str(params.get("group", "")).strip() or 0) or None
    except (TypeError, ValueError):
        group = None
    group = group if any(pk == group for pk, _name in groups) else None
    if product:
        needs = needs.filter(product__code=product)
    if group:
        needs = needs.filter(group_id=group)
    totals = needs.order_by().aggregate(n=Count("pk"), value=Coalesce(Sum("value"), ZERO))
    paginator = Paginator(needs.select_related("enterprise", "product", "group")
                          .order_by("-value", "-score", "pk"), NEEDS_PAGE_SIZE)
    paginator.count = totals["n"]  # counted with the total value above: no second COUNT query
    try:
        number = max(1, min(int(str(params.get("page", "1"))[:9]), paginator.num_pages))
    except (TypeError, ValueError):
        number = 1
    from django.utils.functional import SimpleLazyObject

    from core.jobs import last_refreshed
    from services.tasks import NEEDS_JOB

    # Read only where the panel's header shows it (the htmx list fragment does not).
    last_refresh = SimpleLazyObject(lambda: last_refreshed(NEEDS_JOB))
    return WorkbenchNeeds(page=paginator.page(number), products=[(p.code, p.name) for p in products],
                          groups=groups, product=product, group=group, total_value=totals["value"],
                          readonly=not scope_for(user).can_edit_clients, last_refresh=last_refresh)


def needs_by_product(user) -> dict:
    """Open needs in the user's reach (a branch head: the branch subtree's) by product: count and
    estimated annual value, the most valuable first, and the totals (one query)."""
    from services.models import Product

    rows = list(open_needs(user).order_by().values("product_id").annotate(n=Count("pk"), value=Sum("value"))
                .order_by("-value"))
    names = {p.pk: p.name for p in Product.objects.filter(pk__in=[r["product_id"] for r in rows] or [0])}
    return {"rows": [{"product": names.get(r["product_id"], ""), "count": r["n"], "value": r["value"]} for r in rows],
            "count": sum(r["n"] for r in rows), "value": sum((r["value"] for r in rows), Decimal("0"))}


# --- panels per role ---------------------------------------------------------------------------------------


def _rm_panels(user, urls) -> list[Panel]:
    covered = _covered(user)
    totals = group_totals(covered)
    pending = my_pending_requests(user)
    tiles = [
        Tile(_("My groups"), totals["groups"], url=urls["my_groups"]),
        Tile(_("Clients in my book"), client_count(user), url=urls["clients"]),
        Tile(_("Unified limits of my groups"), totals["limit"], kind="money"),
        Tile(_("My pending requests"), _count(my_pending_requests_qs(user)), url=urls["requests"]),
    ]
    return [
        Panel("tiles", _("At a glance"), "home/panels/tiles.html", {"tiles": tiles}, wide=True),
        Panel("my-needs", _("My open needs"), "home/panels/needs.html", workbench_needs(user, {}), wide=True),
        *risk_panels.landing_rm_panels(user),  # risk alerts: "My alerts"
        Panel("my-groups", _("My groups by limit use"), "home/panels/groups.html",
              {"groups": groups_by_limit_use(covered), "more_url": urls["my_groups"], "empty": _("You cover no group yet.")},
              wide=True),
        Panel("my-requests", _("My pending requests"), "home/panels/requests.html",
              {"requests": pending, "more_url": urls["requests"], "empty": _("None of your requests is waiting.")}),
    ]


def _branch_panels(user, urls, *, head_office: bool) -> list[Panel]:
    table, total = branch_table(user)
    waiting = awaiting_my_approval(user)
    tiles = [
        Tile(_("Group clients"), total.groups, url=urls["groups"]),
        Tile(_("Clients"), total.clients, url=urls["clients"]),
        Tile(_("Total unified limit"), total.limit, kind="money"),
        Tile(_("Requests awaiting my approval"), _count(waiting_for(user)), url=urls["requests"]),
    ]
    title = _("Branches") if head_office else _("Sub-branches")
    return [
        Panel("tiles", _("At a glance"), "home/panels/tiles.html", {"tiles": tiles}, wide=True),
        Panel("branches", title, "home/panels/branches.html",
              {"rows": table, "total": total, "head_office": head_office, "groups_url": urls["groups"]}, wide=True),
        Panel("approvals", _("Requests awaiting my approval"), "home/panels/requests.html",
              {"requests": waiting, "more_url": urls["requests"], "show_requester": True,
               "empty": _("Nothing is waiting for your approval.")}),
        Panel("needs-summary", _("Open needs by product"), "home/panels/needs_summary.html",
              {"summary": needs_by_product(user), "head_office": head_office}),
    ]


def _risk_panels(user, urls) -> list[Panel]:
    totals = group_totals(GroupClient.objects.for_user(user))
    flagged = near_limit(user)
    tiles = [
        Tile(_("Group clients"), totals["groups"], url=urls["groups"]),
        Tile(_("Total unified limit"), totals["limit"], kind="money"),
        Tile(_("Near their limit"), flagged.near, url=urls["by_use"], level=limits.NEAR if flagged.near else ""),
        Tile(_("Over their limit"), flagged.over, url=urls["by_use"], level=limits.OVER if flagged.over else ""),
    ]
    return [
        Panel("tiles", _("At a glance"), "home/panels/tiles.html", {"tiles": tiles}, wide=True),
        *risk_panels.landing_risk_panels(user),  # risk alerts by severity, newest high
        Panel("near-limit", _("Groups near or over their limit"), "home/panels/groups.html",
              {"groups": flagged.groups, "more_url": urls["by_use"], "show_branch": True,
               "empty": _("No group uses %(level)s or more of its unified limit.")
               % {"level": money.percent(limits.WARNING_PCT, 0)}}, wide=True),
    ]


def panels_for(user, urls: dict) -> list[Panel]:
    """The landing panels of the user's role (`urls`: the list links the panels point to)."""
    scope = scope_for(user)
    if scope.sees_all:
        return _branch_panels(user, urls, head_office=True)
    if scope.role == "branch_head":
        return _branch_panels(user, urls, head_office=False)
    if scope.role == "risk_officer":
        return _risk_panels(user, urls)
    if scope.is_rm:
        return _rm_panels(user, urls)
    return []
