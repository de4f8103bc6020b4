"""Circle members, chain links and enterprises: small tables (thousands of rows, not millions).

They share the flows' reader and format checks; staging is a list of checked chunks, resolved against
the database with one query per lookup (credit codes, groups, existing rows) and written with one
`bulk_create` that also writes the change history rows.
"""

from __future__ import annotations

import pandas as pd
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from chains.imports import checks
from chains.imports.engine import Importer
from chains.imports.errors import ErrorList, ImportResult
from chains.imports.flows import unknown_code_message
from chains.imports.reader import ROW, Columns
from staff.scope import scope_for


class _FrameImporter(Importer):
    def begin(self) -> None:
        self.frames: list[pd.DataFrame] = []

    def stage(self, df: pd.DataFrame) -> None:
        self.frames.append(df.copy())

    def frame(self) -> pd.DataFrame:
        return pd.concat(self.frames, ignore_index=True) if self.frames else pd.DataFrame(
            columns=[ROW, *self.columns.all])

    @staticmethod
    def report(df: pd.DataFrame, mask: pd.Series, column: str, messages, errors: ErrorList) -> None:
        """Row errors for `mask`; `messages` is one message or a Series of per-row messages."""
        for i in df.index[mask]:
            msg = messages if isinstance(messages, str) else messages[i]
            errors.add(df.at[i, ROW], column, msg)

    def resolve_codes(self, df: pd.DataFrame, col: str, errors: ErrorList) -> pd.Series:
        """Map a credit-code column to visible enterprise ids; unknown or malformed codes are errors."""
        codes = set(df[col]) - {""}
        ids = dict(self.visible_enterprises().filter(uscc__in=codes).values_list("uscc", "id"))
        mapped = df[col].map(ids)
        unknown = mapped.isna() & (df[col] != "")
        if unknown.any():
            messages = {c: unknown_code_message(c) for c in set(df.loc[unknown, col])}
            self.report(df, unknown, col, df[col].map(messages), errors)
        return mapped

    def resolve_groups(self, df: pd.DataFrame, errors: ErrorList) -> pd.Series:
        """Map the `group` column (a group name or its core enterprise's credit code) to visible group
        ids. Names shared by several visible groups must be given by code instead."""
        values = set(df["group"])
        codes = {v.upper().replace(" ", "") for v in values}
        rows = self.visible_groups().filter(Q(name__in=values) | Q(core_enterprise__uscc__in=codes)).values_list(
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
        self.report(df, amb, "group",
                    _("Several of your groups have this name: give the core enterprise's credit code."), errors)
        unknown = mapped.isna() & ~amb & (df["group"] != "")
        self.report(df, unknown, "group",
                    _("Unknown group: no group you cover has this name or core credit code."), errors)
        return mapped


def _compare(df: pd.DataFrame, existing: pd.DataFrame, key: list[str], fields: list[str]):
    """Join the file rows to stored rows on `key`; returns (present mask, conflict mask, merged)."""
    merged = df.merge(existing, on=key, how="left", suffixes=("", "__db"), indicator=True)
    stored = merged["_merge"] == "both"
    differs = pd.Series(False, index=merged.index)
    for f in fields:
        differs |= merged[f].astype(str) != merged[f + "__db"].astype(str)
    return stored & ~differs, stored & differs, merged


class CircleMemberImporter(_FrameImporter):
    kind = "circle_members"
    columns = Columns(required=("group", "enterprise", "role"), optional=("tier", "since", "note"))

    def check_chunk(self, df, errors):
        from circles.models import CircleRole

        bad = checks.required(df, "group", errors)
        bad |= checks.credit_code(df, "enterprise", errors)
        bad |= checks.choice(df, "role", CircleRole.values, errors)
        bad |= checks.integer(df, "tier", errors, low=0, high=9, optional=True)
        bad |= checks.iso_date(df, "since", errors, optional=True)
        bad |= checks.max_length(df, "note", 200, errors)
        return df.loc[~bad]

    def finish(self, result: ImportResult, *, commit: bool) -> None:
        from circles.models import CircleMember, CircleSource

        df, errors = self.frame(), result.errors
        df["group_id"] = self.resolve_groups(df, errors)
        df["enterprise_id"] = self.resolve_codes(df, "enterprise", errors)
        df = df[df["group_id"].notna() & df["enterprise_id"].notna()].copy()
        df[["group_id", "enterprise_id"]] = df[["group_id", "enterprise_id"]].astype("int64")
        key = ["group_id", "enterprise_id", "role"]
        checks.duplicates(df, key, errors, column="enterprise",
                          message=_("This enterprise already has this role in this group earlier in the file."))
        existing = pd.DataFrame(
            CircleMember.objects.filter(group_id__in=set(df["group_id"]), enterprise_id__in=set(df["enterprise_id"]))
            .values_list("group_id", "enterprise_id", "role", "tier", "since"),
            columns=[*key, "tier", "since"],
        )
        existing["tier"] = existing["tier"].map(lambda t: "" if t is None or pd.isna(t) else str(int(t)))
        existing["since"] = existing["since"].map(lambda d: d.isoformat() if d else "")
        present, conflict, merged = _compare(df, existing, key, ["tier", "since"])
        self.report(merged, conflict, "role",
                    _("This enterprise is already in the circle in this role with another tier or "
                      "since-date; it is not overwritten."), errors)
        result.already_present = int(present.sum())
        new = merged[~present & ~conflict]
        result.created = len(new)
        if errors or not commit:
            return
        objs = [
            CircleMember(group_id=r.group_id, enterprise_id=r.enterprise_id, role=r.role,
                         tier=int(r.tier) if r.tier else None, since=r.since or None, note=r.note,
                         source=CircleSource.IMPORTED)
            for r in new.itertuples()
        ]
        bulk_create_with_history(objs, CircleMember, default_user=self.user)


class ChainLinkImporter(_FrameImporter):
    kind = "chain_links"
    columns = Columns(required=("group", "supplier", "buyer", "tier"), optional=("goods",))

    def check_chunk(self, df, errors):
        bad = checks.required(df, "group", errors)
        bad |= checks.credit_code(df, "supplier", errors)
        bad |= checks.credit_code(df, "buyer", errors)
        bad |= checks.integer(df, "tier", errors, low=-2, high=2)
        bad |= checks.max_length(df, "goods", 200, errors)
        same = (df["supplier"] == df["buyer"]) & (df["supplier"] != "") & ~bad
        self.report(df, same, "buyer", _("Supplier and buyer must differ."), errors)
        return df.loc[~(bad | same)]

    def finish(self, result: ImportResult, *, commit: bool) -> None:
        from chains.models import ChainLink

        df, errors = self.frame(), result.errors
        df["group_id"] = self.resolve_groups(df, errors)
        df["supplier_id"] = self.resolve_codes(df, "supplier", errors)
        df["buyer_id"] = self.resolve_codes(df, "buyer", errors)
        df = df[df[["group_id", "supplier_id", "buyer_id"]].notna().all(axis=1)].copy()
        key = ["group_id", "supplier_id", "buyer_id"]
        df[key] = df[key].astype("int64")
        df["tier"] = df["tier"].astype(int).astype(str)
        checks.duplicates(df, key, errors, column="buyer",
                          message=_("This supplier -> buyer link repeats an earlier row of the file."))
        existing = pd.DataFrame(
            ChainLink.objects.filter(group_id__in=set(df["group_id"]), supplier_id__in=set(df["supplier_id"]))
            .values_list("group_id", "supplier_id", "buyer_id", "tier", "goods"),
            columns=[*key, "tier", "goods"],
        )
        existing["tier"] = existing["tier"].astype(str)
        present, conflict, merged = _compare(df, existing, key, ["tier", "goods"])
        self.report(merged, conflict, "tier",
                    _("This link is already in the chain with another tier or goods; it is not overwritten."),
                    errors)
        result.already_present = int(present.sum())
        new = merged[~present & ~conflict]
        result.created = len(new)
        if errors or not commit:
            return
        objs = [ChainLink(group_id=r.group_id, supplier_id=r.supplier_id, buyer_id=r.buyer_id, tier=int(r.tier),
                          goods=r.goods) for r in new.itertuples()]
        bulk_create_with_history(objs, ChainLink, default_user=self.user)


_TRUE = {"1", "true", "yes", "y", "是", "x"}
_FALSE = {"0", "false", "no", "n", "否", ""}


class EnterpriseImporter(_FrameImporter):
    kind = "enterprises"
    columns = Columns(required=("name", "uscc"),
                      optional=("industry", "size", "region", "is_client", "internal_rating"))
    compared = ["name", "industry", "size", "region", "is_client", "internal_rating"]

    def check_chunk(self, df, errors):
        from clients.models import EnterpriseSize, Rating
        from clients.reference import REGIONS

        bad = checks.required(df, "name", errors) | checks.max_length(df, "name", 200, errors)
        bad |= checks.credit_code(df, "uscc", errors)
        bad_industry = ~df["industry"].str.upper().str.fullmatch(r"([A-T](\d{2}|\d{3}|\d{4})?)?")
        df["industry"] = df["industry"].str.upper()
        self.report(df, bad_industry, "industry",
                    _("Industry must be a GB/T 4754 code: a section letter A-T, optionally followed by 2 to "
                      "4 digits (e.g. C36)."), errors)
        bad |= bad_industry
        bad |= checks.choice(df, "size", EnterpriseSize.values, errors, optional=True)
        bad_region = ~df["region"].isin(["", *REGIONS])
        self.report(df, bad_region, "region",
                    _("Region must be the two-digit GB/T 2260 province code (e.g. 52 for Guizhou)."), errors)
        bad |= bad_region
        flag = df["is_client"].str.lower()
        bad_flag = ~flag.isin(_TRUE | _FALSE)
        self.report(df, bad_flag, "is_client", _("Must be yes or no (1/0, true/false)."), errors)
        df["is_client"] = flag.isin(_TRUE).map({True: "1", False: "0"})
        bad |= bad_flag
        df["internal_rating"] = df["internal_rating"].str.upper()
        bad_rating = ~df["internal_rating"].isin(["", *Rating.values])
        self.report(df, bad_rating, "internal_rating",
                    _("Must be one of: %(values)s.") % {"values": ", ".join(Rating.values)}, errors)
        bad |= bad_rating
        # The checksum, per distinct code (new enterprises have no stored code to vouch for them).
        messages = {}
        for code in set(df.loc[~bad, "uscc"]):
            try:
                from clients.validators import validate_uscc

                validate_uscc(code)
            except ValidationError as exc:
                messages[code] = exc.messages[0]
        malformed = df["uscc"].isin(messages.keys()) & ~bad
        self.report(df, malformed, "uscc", df["uscc"].map(messages), errors)
        return df.loc[~(bad | malformed)]

    def finish(self, result: ImportResult, *, commit: bool) -> None:
        from clients.models import Enterprise
        from staff.models import Role

        df, errors = self.frame(), result.errors
        checks.duplicates(df, ["uscc"], errors, column="uscc",
                          message=_("This credit code repeats an earlier row of the file."))
        codes = set(df["uscc"])
        visible = set(self.visible_enterprises().filter(uscc__in=codes).values_list("uscc", flat=True))
        stored = pd.DataFrame(
            Enterprise.objects.filter(uscc__in=codes).values_list("uscc", *[
                f for f in self.compared]),
            columns=["uscc", *self.compared],
        )
        stored["is_client"] = stored["is_client"].map({True: "1", False: "0"})
        hidden = df["uscc"].isin(set(stored["uscc"]) - visible)
        self.report(df, hidden, "uscc",
                    _("An enterprise with this credit code exists outside your coverage; ask its RM."), errors)
        # Optional columns left empty do not count as a difference.
        present, conflict, merged = _compare(df, stored, ["uscc"], [])
        differs = pd.Series(False, index=merged.index)
        for f in self.compared:
            given = merged[f] != ""
            differs |= given & (merged[f].astype(str) != merged[f + "__db"].astype(str))
        both = merged["_merge"] == "both"
        conflict = both & differs & ~merged["uscc"].isin(set(stored["uscc"]) - visible)
        self.report(merged, conflict, "uscc",
                    _("This enterprise is already stored with a different name or details; it is not "
                      "overwritten."), errors)
        present = both & ~differs
        result.already_present = int(present.sum())
        new = merged[~both]
        result.created = len(new)
        if errors or not commit:
            return
        scope = scope_for(self.user) if self.user is not None else None
        branch_id = scope.branch_id if scope and not scope.sees_all else None
        rm_id = self.user.pk if scope and scope.role == Role.RM else None
        objs = [
            Enterprise(name=r.name, uscc=r.uscc, industry=r.industry, size=r.size, region=r.region,
                       is_client=r.is_client == "1", internal_rating=r.internal_rating,
                       branch_id=branch_id, rm_id=rm_id)
            for r in new.itertuples()
        ]
        bulk_create_with_history(objs, Enterprise, default_user=self.user)
