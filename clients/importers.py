"""Imports of client data: the enterprise importer, and the naming rules every importer shares.

Every importer resolves credit codes and groups here, with the access module's rules (DESIGN.md
section 4): any enterprise on file may be *named* by its exact credit code (`codes_on_file`, the bulk
form of the one "may name" resolver); what a row may touch is the importer's rule, checked against the
importer's full record (`full_record_ids`) or the groups in their reach (`groups_in_reach`). A user of
None is a trusted caller (the command line) with head-office scope.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.utils import bulk_create_with_history

from clients import access
from clients.models import Enterprise, EnterpriseSize, GroupClient, Rating
from clients.reference import REGIONS
from clients.search import pinyin_key
from clients.validators import validate_uscc
from imports import checks
from imports.columns import CHOICE, CODE, TEXT, Column
from imports.errors import ErrorList, ImportResult
from imports.frame import FrameImporter, compare
from imports.reader import Columns
from imports.registry import register
from staff.models import Branch
from staff.scope import scope_for

# --- naming rules shared by every importer ---------------------------------------------------------------

_BATCH = 10_000  # codes or ids per query (a bank-wide file names tens of thousands of enterprises)


def _batches(values: Iterable, size: int = _BATCH):
    values = list(values)
    for start in range(0, len(values), size):
        yield values[start:start + size]


def codes_on_file(user, codes: Iterable[str]) -> dict[str, int]:
    """{credit code: enterprise id} of the codes on file that the user may name (any, for a user with
    a role: the registry card is open to them); batched, one query per batch."""
    found: dict[str, int] = {}
    for batch in _batches({c for c in codes if c}):
        if user is None:
            found.update(Enterprise.objects.filter(uscc__in=batch).values_list("uscc", "pk"))
        else:
            found.update(access.resolve_enterprises(user, batch))
    return found


def full_record_ids(user, ids: Iterable[int]) -> set[int]:
    """Those of the ids that are in the user's full record (all of them for a trusted caller)."""
    ids = {i for i in ids if i is not None}
    if user is None:
        return ids
    found: set[int] = set()
    for batch in _batches(ids):
        found |= access.full_record_ids(user, batch)
    return found


def groups_in_reach(user):
    """The group clients whose circles and chains the user may write to."""
    return GroupClient.objects.all() if user is None else GroupClient.objects.for_user(user)


def unknown_code_message(code: str) -> str:
    """Malformed codes get the validator's reason; well-formed codes that are not on file get the
    resolver's "unknown" message (the same for every user, so it reveals nothing about reach)."""
    try:
        validate_uscc(code)
    except ValidationError as exc:
        return exc.messages[0]
    return str(access.UNKNOWN_CODE % {"code": code})


def resolve_code_column(importer: FrameImporter, df: pd.DataFrame, col: str, errors: ErrorList) -> pd.Series:
    """Map a credit-code column to enterprise ids (the naming rule); unknown or malformed codes are
    row errors on that column."""
    ids = codes_on_file(importer.user, set(df[col]))
    mapped = df[col].map(ids)
    unknown = mapped.isna() & (df[col] != "")
    if unknown.any():
        messages = {c: unknown_code_message(c) for c in set(df.loc[unknown, col])}
        importer.report(df, unknown, col, df[col].map(messages), errors)
    return mapped


# The `group` column of circle members and chain links, declared once.
GROUP_COLUMN = Column(
    "group", "集团客户", aliases=("集团", "集团名称", "集团客户名称", "所属集团", "group name", "group client"),
    help=gettext_lazy("A group you cover: its name, or its core enterprise's unified social credit code."),
)


def resolve_group_column(importer: FrameImporter, df: pd.DataFrame, errors: ErrorList) -> pd.Series:
    """Map the `group` column (a group name or its core enterprise's credit code) to the ids of groups
    in the user's reach. Names shared by several of them must be given by code instead."""
    values = set(df["group"])
    codes = {v.upper().replace(" ", "") for v in values}
    rows = groups_in_reach(importer.user).filter(Q(name__in=values) | Q(core_enterprise__uscc__in=codes)).values_list(
        "id", "name", "core_enterprise__uscc")
    by_code, by_name, ambiguous = {}, {}, set()
    for gid, name, code in rows:
        by_code[code] = gid
        if name in by_name and by_name[name] != gid:
            ambiguous.add(name)
        by_name[name] = gid
    mapped = df["group"].str.upper().str.replace(" ", "", regex=False).map(by_code)
    mapped = mapped.fillna(df["group"].map({k: v for k, v in by_name.items() if k not in ambiguous}))
    amb = mapped.isna() & df["group"].isin(ambiguous)
    importer.report(df, amb, "group",
                    _("Several of your groups have this name: give the core enterprise's credit code."), errors)
    unknown = mapped.isna() & ~amb & (df["group"] != "")
    importer.report(df, unknown, "group",
                    _("Unknown group: no group you cover has this name or core credit code."), errors)
    return mapped


# --- enterprises ----------------------------------------------------------------------------------------

_TRUE = {"1", "true", "yes", "y", "是", "x"}
_FALSE = {"0", "false", "no", "n", "否"}
# The words of clients.services.enterprise_create, so an import refuses like the page and the API.
_PROSPECT_OWNED = gettext_lazy("An unowned prospect has no owning branch and no RM.")
_PROSPECT_CLIENT = gettext_lazy("A client of the bank has an owning branch: claim it.")
_RATING = gettext_lazy("Internal ratings are set by risk officers and head office.")


@register
class EnterpriseImporter(FrameImporter):
    """Enterprises put on file in bulk.

    Head office (and a trusted caller) sets the owning branch (`branch`, a branch code) and the RM
    (`rm`, a username) as given. Anyone else records unowned prospects (no branch, no RM, recorded by
    them, so in their full record until a branch claims them): a row that makes an enterprise a client,
    names a branch or an RM, or gives an internal rating is refused, as the page refuses it.

    An enterprise already on file is never changed: with the same data it is "already present", with
    other data a row error. For one outside the user's full record only the registry fields (name,
    client or prospect, owning branch) are compared, so the answer reveals nothing else about it."""

    kind = "enterprises"
    label = gettext_lazy("Enterprises")
    order = 40
    columns = Columns(
        required=(
            Column("name", "企业名称", type=TEXT, aliases=("名称", "客户名称", "公司名称", "企业全称"),
                   help=gettext_lazy("The registered name, at most 200 characters.")),
            Column("uscc", "统一社会信用代码", type=CODE,
                   aliases=("信用代码", "社会信用代码", "企业统一社会信用代码", "credit code", "credit_code"),
                   help=gettext_lazy("18 characters, checked against GB 32100-2015.")),
        ),
        optional=(
            Column("industry", "行业代码", aliases=("行业", "国标行业代码", "行业分类"),
                   help=gettext_lazy("Optional: a GB/T 4754 code, a section letter A-T, optionally followed by "
                                     "2 to 4 digits (e.g. C36)."), example_en="C36"),
            Column("size", "企业规模", type=CHOICE, choices=EnterpriseSize, aliases=("规模",),
                   synonyms={EnterpriseSize.LARGE: ("大型企业",), EnterpriseSize.MEDIUM: ("中型企业",),
                             EnterpriseSize.SMALL: ("小型企业",), EnterpriseSize.MICRO: ("微型企业",)},
                   help=gettext_lazy("Optional: the enterprise's size.")),
            Column("region", "地区代码", aliases=("地区", "省份代码", "所在地区"),
                   help=gettext_lazy("Optional: the two-digit GB/T 2260 province code (e.g. 52 for Guizhou)."),
                   example_en="52"),
            Column("is_client", "是否本行客户", aliases=("本行客户", "是否客户", "client"),
                   help=gettext_lazy("Optional: yes or no (是/否, 1/0); outside head office only prospects (no)."),
                   example_en="no", example_zh="否"),
            Column("internal_rating", "内部评级", aliases=("评级", "信用评级", "rating"),
                   help=gettext_lazy("Optional, head office only: AAA, AA, A, BBB, BB, B, CCC, C or D.")),
            Column("branch", "归属机构代码", aliases=("归属机构", "机构代码", "branch code"),
                   help=gettext_lazy("Optional, head office only: the owning branch's code.")),
            Column("rm", "客户经理", aliases=("客户经理用户名", "客户经理账号", "rm username"),
                   help=gettext_lazy("Optional, head office only: the RM's username.")),
        ),
    )
    compared = ["name", "industry", "size", "region", "is_client", "internal_rating", "branch", "rm"]
    registry_fields = ["name", "is_client", "branch"]

    @property
    def head_office(self) -> bool:
        return self.user is None or scope_for(self.user).sees_all

    def check_chunk(self, df, errors):
        bad = checks.required(df, "name", errors) | checks.max_length(df, "name", 200, errors)
        bad |= checks.credit_code(df, "uscc", errors)
        df["industry"] = df["industry"].str.upper()
        bad_industry = ~df["industry"].str.fullmatch(r"([A-T](\d{2}|\d{3}|\d{4})?)?")
        self.report(df, bad_industry, "industry",
                    _("Industry must be a GB/T 4754 code: a section letter A-T, optionally followed by 2 to "
                      "4 digits (e.g. C36)."), errors)
        bad |= bad_industry
        bad |= checks.choice(df, "size", self.columns.spec("size"), errors, optional=True)
        bad_region = ~df["region"].isin(["", *REGIONS])
        self.report(df, bad_region, "region",
                    _("Region must be the two-digit GB/T 2260 province code (e.g. 52 for Guizhou)."), errors)
        bad |= bad_region
        flag = df["is_client"].str.lower()
        bad_flag = ~flag.isin(_TRUE | _FALSE | {""})
        self.report(df, bad_flag, "is_client", _("Must be yes or no (1/0, true/false)."), errors)
        df["is_client"] = flag.map(lambda v: "1" if v in _TRUE else "0" if v in _FALSE else "")
        bad |= bad_flag
        df["internal_rating"] = df["internal_rating"].str.upper()
        bad_rating = ~df["internal_rating"].isin(["", *Rating.values])
        self.report(df, bad_rating, "internal_rating",
                    _("Must be one of: %(values)s.") % {"values": ", ".join(Rating.values)}, errors)
        bad |= bad_rating
        if not self.head_office:
            bad |= self._prospect_rules(df, errors)
        # The checksum, per distinct code (new enterprises have no stored code to vouch for them).
        messages = {}
        for code in set(df.loc[~bad, "uscc"]):
            try:
                validate_uscc(code)
            except ValidationError as exc:
                messages[code] = exc.messages[0]
        malformed = df["uscc"].isin(messages.keys()) & ~bad
        self.report(df, malformed, "uscc", df["uscc"].map(messages), errors)
        return df.loc[~(bad | malformed)]

    def _prospect_rules(self, df: pd.DataFrame, errors: ErrorList) -> pd.Series:
        """What a user other than head office may not put in a row: they record unowned prospects."""
        owned = (df["branch"] != "") | (df["rm"] != "")
        self.report(df, owned, "branch", str(_PROSPECT_OWNED), errors)
        client = df["is_client"] == "1"
        self.report(df, client, "is_client", str(_PROSPECT_CLIENT), errors)
        rated = df["internal_rating"] != ""
        self.report(df, rated, "internal_rating", str(_RATING), errors)
        return owned | client | rated

    def _owners(self, df: pd.DataFrame, errors: ErrorList) -> tuple[pd.Series, pd.Series]:
        """Branch ids and RM user ids for the `branch` and `rm` columns (head office only)."""
        branches = dict(Branch.objects.filter(code__in=set(df["branch"]) - {""}).values_list("code", "pk"))
        users = dict(get_user_model().objects.filter(username__in=set(df["rm"]) - {""})
                     .values_list("username", "pk"))
        branch_ids, rm_ids = df["branch"].map(branches), df["rm"].map(users)
        self.report(df, branch_ids.isna() & (df["branch"] != ""), "branch", _("No branch has this code."), errors)
        self.report(df, rm_ids.isna() & (df["rm"] != ""), "rm", _("No user has this username."), errors)
        return branch_ids, rm_ids

    def finish(self, result: ImportResult, *, commit: bool) -> None:
        df, errors = self.frame(), result.errors
        checks.duplicates(df, ["uscc"], errors, column="uscc",
                          message=_("This credit code repeats an earlier row of the file."))
        branch_ids, rm_ids = self._owners(df, errors)
        codes = set(df["uscc"])
        stored = pd.DataFrame(
            Enterprise.objects.filter(uscc__in=codes).values_list(
                "uscc", "pk", "name", "industry", "size", "region", "is_client", "internal_rating",
                "branch__code", "rm__username"),
            columns=["uscc", "pk", *self.compared],
        ).fillna("")
        stored["is_client"] = stored["is_client"].map({True: "1", False: "0"})
        full = full_record_ids(self.user, stored["pk"])
        stored["full"] = stored["pk"].isin(full)
        _present, _conflict, merged = compare(df, stored, ["uscc"], [])
        both = merged["_merge"] == "both"
        # Empty optional cells say nothing, so they never differ; outside the user's full record only
        # the registry fields are compared.
        differs = pd.Series(False, index=merged.index)
        for f in self.compared:
            given = merged[f] != ""
            if f not in self.registry_fields:
                given &= merged["full"].fillna(False).astype(bool)
            differs |= given & (merged[f].astype(str) != merged[f + "__db"].astype(str))
        self.report(merged, both & differs, "uscc",
                    _("This enterprise is already stored with a different name or details; it is not "
                      "overwritten."), errors)
        result.already_present = int((both & ~differs).sum())
        new = merged[~both]
        result.created = len(new)
        if errors or not commit:
            return
        head_office = self.head_office
        owners = pd.DataFrame({"uscc": df["uscc"], "branch_id": branch_ids, "rm_id": rm_ids})
        new = new.merge(owners, on="uscc", how="left")
        recorder_id = self.user.pk if self.user is not None else None
        objs = [
            Enterprise(name=r.name, uscc=r.uscc, industry=r.industry, size=r.size, region=r.region,
                       is_client=r.is_client == "1", internal_rating=r.internal_rating,
                       branch_id=_id(r.branch_id) if head_office else None,
                       rm_id=_id(r.rm_id) if head_office else None, recorded_by_id=recorder_id,
                       search_pinyin=pinyin_key(r.name))
            for r in new.itertuples()
        ]
        bulk_create_with_history(objs, Enterprise, default_user=self.user, default_change_reason=self.change_reason)


def _id(value) -> int | None:
    return None if value is None or pd.isna(value) else int(value)
