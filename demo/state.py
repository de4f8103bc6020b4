"""The state of one demo build: sinks, id allocators, counters and the generators of identifiers."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from stdnum.cn import ric

from chains.models import ChainLink, Flow
from circles.models import CircleMember, Guarantee
from clients.models import (
    AccountBalance,
    BankAccount,
    ControlLink,
    Enterprise,
    FinancialStatement,
    GroupClient,
    Interaction,
    KeyPerson,
    Person,
)
from clients.validators import make_uscc

from .writer import IdAllocator, Writer

ENTERPRISE_FIELDS = (
    "id",
    "name",
    "uscc",
    "industry",
    "size",
    "region",
    "is_client",
    "branch_id",
    "rm_id",
    "internal_rating",
    "created_at",
    "updated_at",
)

# Area codes (GB/T 2260) that existed throughout 1955-1985, the birth years generated: an ID number
# keeps the code of the county where it was first issued (python-stdnum checks this).
ID_AREAS = (
    "520100",
    "520201",
    "520202",
    "522101",
    "522121",
    "522122",
    "522501",
    "522622",
    "522701",
    "510121",
)


def _valid_ric(number: str) -> bool:
    try:
        return ric.is_valid(number)
    except KeyError:  # stdnum's lookup of a prefecture-level code
        return False


def make_writer(*, use_copy: bool | None, flush_rows: int, fk_check: str = "set") -> Writer:
    w = Writer(use_copy=use_copy, flush_rows=flush_rows, fk_check=fk_check)
    w.sink("enterprises", Enterprise, ENTERPRISE_FIELDS)
    w.sink("persons", Person, ("id", "name", "id_number"))
    w.sink("key_people", KeyPerson, ("enterprise_id", "person_id", "role"))
    w.sink(
        "groups",
        GroupClient,
        (
            "id",
            "name",
            "core_enterprise_id",
            "lead_rm_id",
            "branch_id",
            "tier",
            "unified_credit_limit",
            "membership_refreshed_at",
            "membership_warnings",
            "created_at",
            "updated_at",
        ),
    )
    w.sink("teams", GroupClient.team.through, ("groupclient_id", "user_id"))
    w.sink(
        "control_links",
        ControlLink,
        ("parent_enterprise_id", "parent_person_id", "child_id", "share_pct", "control_type", "note"),
    )
    w.sink(
        "financials",
        FinancialStatement,
        (
            "enterprise_id",
            "period_end",
            "period_type",
            "revenue",
            "net_profit",
            "total_assets",
            "total_liabilities",
            "current_assets",
            "current_liabilities",
            "receivables",
            "inventory",
            "operating_cash_flow",
            "source",
        ),
    )
    w.sink(
        "accounts",
        BankAccount,
        ("id", "enterprise_id", "account_no", "kind", "currency", "opened_on", "closed_on"),
    )
    w.sink("balances", AccountBalance, ("account_id", "date", "balance"))
    w.sink(
        "interactions", Interaction, ("enterprise_id", "staff_id", "kind", "occurred_at", "subject", "notes")
    )
    w.sink(
        "circle_members",
        CircleMember,
        ("group_id", "enterprise_id", "role", "tier", "source", "since", "note"),
    )
    w.sink(
        "guarantees",
        Guarantee,
        ("guarantor_id", "borrower_id", "amount", "currency", "start_date", "end_date"),
    )
    w.sink(
        "chain_links",
        ChainLink,
        ("group_id", "supplier_id", "buyer_id", "tier", "goods", "status", "created_at"),
    )
    w.sink(
        "flows",
        Flow,
        (
            "payer_id",
            "payee_id",
            "amount",
            "currency",
            "value_date",
            "kind",
            "channel",
            "source_system",
            "external_ref",
            "imported_at",
        ),
    )
    return w


@dataclass
class BuildState:
    seed: int
    as_of: dt.date  # the last month end of the data
    now: dt.datetime
    writer: Writer
    faker: object
    enterprise_ids: IdAllocator = field(init=False)
    person_ids: IdAllocator = field(init=False)
    group_ids: IdAllocator = field(init=False)
    account_ids: IdAllocator = field(init=False)
    enterprise_count: int = 0
    account_count: int = 0
    used_person_ids: set[str] = field(default_factory=set)
    used_group_names: set[str] = field(default_factory=set)
    # A bounded pool of recent suppliers per industry, so that some suppliers serve several groups.
    supplier_pool: dict[str, list[tuple[int, str]]] = field(default_factory=dict)
    uscc_offset: int = 0
    last_core: object = None  # the previous group's core (for mutual guarantees)

    def __post_init__(self):
        self.enterprise_ids = IdAllocator(Enterprise)
        self.person_ids = IdAllocator(Person)
        self.group_ids = IdAllocator(GroupClient)
        self.account_ids = IdAllocator(BankAccount)
        self.uscc_offset = random.Random(f"{self.seed}:uscc").randrange(10**9)

    # --- identifiers -------------------------------------------------------------------------------

    def next_uscc(self, area: str) -> str:
        """A valid, unique credit code: 91 (enterprise registered with the market regulator), the
        6-digit area, a 9-digit organisation code, and the GB 32100-2015 check character.

        The organisation code is n * 7919 + offset modulo 10^9: a bijection, so codes never repeat."""
        self.enterprise_count += 1
        org = (self.enterprise_count * 7919 + self.uscc_offset) % 10**9
        return make_uscc(f"91{area}{org:09d}")

    def next_account_no(self) -> str:
        self.account_count += 1
        return f"52{self.seed % 1000:03d}{self.account_count:011d}"

    def new_person_id(self, rng: random.Random) -> str:
        while True:
            birth = dt.date(1955, 1, 1) + dt.timedelta(days=rng.randrange(30 * 365))
            body = f"{rng.choice(ID_AREAS)}{birth:%Y%m%d}{rng.randrange(1000):03d}"
            # stdnum's calc_check_digit expects a full-length number and ignores its last character.
            number = body + ric.calc_check_digit(body + "0")
            # is_valid also checks that the county code existed in the birth year.
            if number not in self.used_person_ids and _valid_ric(number):
                self.used_person_ids.add(number)
                return number

    # --- rows ---------------------------------------------------------------------------------------

    def add_enterprise(
        self,
        *,
        name,
        area,
        industry,
        size="",
        region="52",
        is_client=True,
        branch_id=None,
        rm_id=None,
        rating="",
    ) -> int:
        pk = self.enterprise_ids()
        self.writer["enterprises"].add(
            (
                pk,
                name,
                self.next_uscc(area),
                industry,
                size,
                region,
                is_client,
                branch_id,
                rm_id,
                rating,
                self.now,
                self.now,
            )
        )
        return pk

    def add_person(self, rng: random.Random) -> int:
        pk = self.person_ids()
        self.writer["persons"].add((pk, self.faker.name(), self.new_person_id(rng)))
        return pk
