"""Deterministic demo and benchmark data (`python manage.py seed_demo`).

`build(seed=..., groups=..., flows=..., password=...)` creates the branch tree and the demo logins
through the staff services, then generates group clients group by group (core, control tree,
financials, accounts and balances, interactions, circle, chain links, flows, product holdings; the
daily exchange rates once: demo.catalogue) into buffered sinks
that are written in chunks: PostgreSQL COPY when available, bulk_create otherwise. Memory stays flat
whatever the size; the same seed gives the same names, credit codes and counts.

Then, in order: every bulk-written row of a tracked model gets its first history record
(`demo.history`); group membership is derived from the control links (the clients service); and the
workflow states the demo logins should find (a pending cross-branch transfer) are opened through the
services (`demo.scenarios`).

Seed data is head-office data: enterprises and persons have no `recorded_by`, and prospects (not
clients) have no owning branch and no RM, so they are counterparties of the RMs whose circles and
chains name them and any branch may claim them (clients.access).
"""

from __future__ import annotations

import datetime as dt
import random
import time

from django.db import connection
from django.utils import timezone

from .branches_staff import DEMO_LOGINS, FIXED_LEADS, build_bank
from .catalogue import Catalogue, add_sinks, build_fx_rates, build_holdings
from .circles_chains import build_circle_and_chain
from .flows import Calendar, build_flows, quota
from .groups import build_bank_data, build_tree, new_group
from .history import write_baseline
from .reset import demo_data_exists, demo_data_state, reset
from .scenarios import TRANSFER, pending_transfer, try_these
from .state import BuildState, make_writer

__all__ = ["DEMO_LOGINS", "build", "default_as_of", "demo_data_exists", "demo_data_state", "reset"]


def default_as_of(today: dt.date | None = None) -> dt.date:
    """The last month end before today: the data's "now"."""
    today = today or timezone.localdate()
    return today.replace(day=1) - dt.timedelta(days=1)


def _seed_risk(state: BuildState, say) -> dict:
    """Risk (issue 10): facilities, sub-limits, pledges, other banks' financing and the conditions every
    early-warning rule looks for (risk.demo), then the risk job once at the data's date (PostgreSQL
    only: see risk.engine)."""
    from risk import demo as risk_demo

    mark = time.monotonic()
    if connection.vendor == "postgresql" and state.writer.skip_fk_triggers and connection.in_atomic_block:
        # The loader may have switched triggers off for this transaction (demo.writer): the few flows
        # risk.demo adds must reach the flow summary through its triggers.
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = origin")
    added = risk_demo.seed(as_of=state.as_of, seed=state.seed, log=say)
    if connection.vendor == "postgresql":
        from risk.tasks import refresh_risk_all

        result = refresh_risk_all(as_of=state.as_of.isoformat())
        opened = ", ".join(f"{code} {n}" for code, n in sorted(result.get("opened_by_rule", {}).items()))
        say(f"risk alerts: {result.get('opened', 0)} opened ({opened})")
    else:
        say("risk alerts skipped: the early-warning rules need PostgreSQL (set DATABASE_URL)")
    # Facilities, pledges, guarantees and alerts were written in bulk: their first history record (after
    # fresh planner statistics: the baseline's anti-joins would otherwise be planned for empty tables).
    if connection.vendor == "postgresql":
        from django.apps import apps

        tables = [m._meta.db_table for m in apps.get_app_config("risk").get_models()]
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE " + ", ".join(connection.ops.quote_name(t) for t in tables))
    write_baseline(when=state.now, reason="seed", skip_fk_triggers=state.writer.skip_fk_triggers)
    say(f"risk data ready ({time.monotonic() - mark:.1f} s)")
    return added


def _team(rng: random.Random, lead, colleagues: list) -> list[int]:
    others = [u.pk for u in colleagues if u.pk != lead.pk]
    return [lead.pk, *rng.sample(others, min(len(others), rng.randint(0, 2)))]


def build(
    *,
    seed: int = 2026,
    groups: int = 30,
    flows: int = 20_000,
    password: str = "demo-pass-2026",
    as_of: dt.date | None = None,
    use_copy: bool | None = None,
    flush_rows: int = 50_000,
    fk_check: str = "set",
    log=None,
) -> dict[str, int]:
    """Generate the demo data set into an empty database; returns the row counts per table.

    fk_check="set" (default) lets PostgreSQL skip the per-row foreign-key triggers during COPY when the
    role may, and checks every reference with one query per foreign key at the end; "row" keeps the
    ordinary per-row checks."""
    from faker import Faker

    from clients.models import GroupMembership
    from clients.services import group_membership_refresh

    started = time.monotonic()
    say = log or (lambda message: None)
    faker = Faker("zh_CN")
    faker.seed_instance(seed)
    as_of = as_of or default_as_of()
    state = BuildState(
        seed=seed,
        as_of=as_of,
        now=timezone.now(),
        writer=make_writer(use_copy=use_copy, flush_rows=flush_rows, fk_check=fk_check),
        faker=faker,
    )
    add_sinks(state.writer)
    bank = build_bank(groups=groups, password=password, faker=faker)
    users = bank.users
    say(f"branches and staff ready ({len(bank.rms)} RMs)")

    # Lead RMs: the named demo RMs get their fixed groups, the others go round the remaining RMs.
    named = {u.pk for name, u in users.items() if name in FIXED_LEADS.values()}
    pool = [u for u in bank.rms if u.pk not in named] or bank.rms
    calendar = Calendar(as_of)
    first_year, first_month = calendar.months[0]
    build_fx_rates(state, dt.date(first_year, first_month, 1) - dt.timedelta(days=31))
    catalogue = Catalogue()
    flows_written = 0
    for number in range(groups):
        lead = users[FIXED_LEADS[number]] if number in FIXED_LEADS else pool[number % len(pool)]
        branch = bank.rm_branch[lead.pk]
        colleagues = bank.rms_by_branch[branch.code]
        rng = random.Random(f"{seed}:team:{number}")
        ctx = new_group(
            state,
            number,
            lead_rm_id=lead.pk,
            branch=branch,
            staff_ids=_team(rng, lead, colleagues),
            branch_code=branch.code,
        )
        build_tree(state, ctx)
        build_bank_data(state, ctx)
        pairs = build_circle_and_chain(state, ctx)
        flows_written += build_flows(state, ctx, pairs, quota(flows, groups, number), calendar)
        build_holdings(state, ctx, pairs, catalogue)
        state.writer.maybe_flush()
        if number and number % 1000 == 0:
            say(f"{number} groups, {flows_written} flows ({time.monotonic() - started:.0f} s)")
    state.writer.flush()
    state.writer.reset_sequences()
    if state.writer.skip_fk_triggers:
        state.writer.verify_foreign_keys()
    say(f"rows written ({time.monotonic() - started:.0f} s; writing: {state.writer.timings()})")

    # The rows were written without model signals: give each its first history record ("+", dated
    # the seed time, reason "seed", no author), so the first edit of a seeded record shows its diff.
    mark = time.monotonic()
    baseline = write_baseline(when=state.now, reason="seed", skip_fk_triggers=state.writer.skip_fk_triggers)
    say(
        f"history baseline: {sum(b.records + b.m2m_records for b in baseline)} records "
        f"({time.monotonic() - mark:.1f} s)"
    )

    # Membership follows the control links just written: one call of the clients service over all
    # groups (it reads the link graph once and writes in chunks).
    mark = time.monotonic()
    group_membership_refresh(groups=None)
    say(f"group membership derived ({time.monotonic() - mark:.1f} s)")
    # The flow summary (chains.summary): its triggers do not fire under COPY with the foreign-key
    # triggers off, so it is recomputed from the flows in one set-based pass.
    mark = time.monotonic()
    from chains.summary import rebuild

    summary_rows = rebuild()
    say(f"flow summary rebuilt: {summary_rows} rows ({time.monotonic() - mark:.1f} s)")
    if connection.vendor == "postgresql":
        mark = time.monotonic()
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        say(f"planner statistics refreshed ({time.monotonic() - mark:.1f} s)")
    # Workflow states the demo logins find waiting, through the services (after ANALYZE: they read
    # the reach of the requester).
    mark = time.monotonic()
    request = pending_transfer(users)
    if request is not None:
        say(
            f"pending transfer request #{request.pk}: {request.requested_by.username} asks to hand "
            f"{request.enterprise.name} to {TRANSFER[1]} (head_gy and head_zy approve at /clients/requests/)"
        )
    for line in try_these(users):
        say(line)
    say(f"demo scenario ready ({time.monotonic() - mark:.1f} s)")
    # Needs, client profiles and contribution (issue 9): the nightly job's work, done once now so the
    # workbench and the group pages have something to show (PostgreSQL only: see services.engine).
    if connection.vendor == "postgresql":
        mark = time.monotonic()
        from services.tasks import refresh_needs_all

        result = refresh_needs_all()
        # The engine writes needs in bulk: they get their first history record like every seeded row.
        write_baseline(when=state.now, reason="seed", skip_fk_triggers=state.writer.skip_fk_triggers)
        say(f"needs analysis: {result.get('raised', 0)} needs raised, {result.get('profiles', 0)} profiles, "
            f"{result.get('contribution_rows', 0)} monthly contribution rows ({time.monotonic() - mark:.1f} s)")
    else:
        say("needs analysis skipped: it needs PostgreSQL (set DATABASE_URL)")
    risk_added = _seed_risk(state, say)
    say(f"done ({time.monotonic() - started:.0f} s), data as of {as_of}")
    counts = state.writer.counts()
    # The few guarantees and flows risk.demo adds for its rules (a cycle, an outflow, a spike) count too.
    for table in ("guarantees", "flows"):
        counts[table] += risk_added.get(table, 0)
    # Holdings and exchange rates (issue 9) are reported in the log, not in the counts table.
    say(f"product holdings {counts.pop('holdings')}, exchange rates {counts.pop('fx_rates')}")
    return {
        "branches": len(bank.branches),
        "staff": len(users),
        **counts,
        "memberships": GroupMembership.objects.count(),
    }
