"""Circle members imported in bulk, with the rules of `circles.services` (via `circles.rules`): a member
belongs to a group in the importer's reach, may be any enterprise on file (it becomes the group
coverage's counterparty, never more), is never the group's core, and is recorded with source
"imported" and its initial history row."""

from __future__ import annotations

import pandas as pd
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.utils import bulk_create_with_history

from circles import rules
from circles.models import CircleMember, CircleRole, CircleSource
from clients.importers import GROUP_COLUMN, resolve_code_column, resolve_group_column
from imports import checks
from imports.columns import CHOICE, CODE, DATE, INTEGER, TEXT, Column
from imports.errors import ImportResult
from imports.frame import FrameImporter, compare
from imports.reader import Columns
from imports.registry import register


@register
class CircleMemberImporter(FrameImporter):
    kind = "circle_members"
    label = gettext_lazy("Circle members")
    order = 20
    columns = Columns(
        required=(
            GROUP_COLUMN,
            Column("enterprise", "成员企业统一社会信用代码", type=CODE,
                   aliases=("统一社会信用代码", "企业统一社会信用代码", "成员企业", "成员统一社会信用代码", "信用代码",
                            "enterprise_uscc", "uscc", "credit code"),
                   help=gettext_lazy("The member's unified social credit code; any enterprise on file.")),
            Column("role", "角色", type=CHOICE, choices=CircleRole,
                   aliases=("圈内角色", "成员角色", "成员类型"),
                   synonyms={CircleRole.SUPPLIER: ("上游供应商",), CircleRole.DISTRIBUTOR: ("下游经销商",),
                             CircleRole.CUSTOMER: ("下游客户",), CircleRole.SUBSIDIARY: ("控股子公司",),
                             CircleRole.INVESTEE: ("对外投资", "参股企业"), CircleRole.GUARANTOR: ("担保方",),
                             CircleRole.PARTNER: ("合作伙伴",)},
                   help=gettext_lazy("The member's role in the group's circle.")),
        ),
        optional=(
            Column("tier", "级次", type=INTEGER, aliases=("层级",),
                   help=gettext_lazy("Optional: a whole number from 0 to 9.")),
            Column("since", "起始日期", type=DATE, aliases=("加入日期", "开始日期", "起始时间"),
                   help=gettext_lazy("Optional: since when, year first (2026-11-22, 20261122, 2026年11月22日).")),
            Column("note", "备注", type=TEXT, aliases=("说明",),
                   help=gettext_lazy("Optional: at most 200 characters.")),
        ),
    )

    def check_chunk(self, df, errors):
        bad = checks.required(df, "group", errors)
        bad |= checks.credit_code(df, "enterprise", errors)
        bad |= checks.choice(df, "role", self.columns.spec("role"), errors)
        bad |= checks.integer(df, "tier", errors, low=0, high=9, optional=True)
        bad |= checks.iso_date(df, "since", errors, optional=True)
        bad |= checks.max_length(df, "note", 200, errors)
        return df.loc[~bad]

    def finish(self, result: ImportResult, *, commit: bool) -> None:
        df, errors = self.frame(), result.errors
        df["group_id"] = resolve_group_column(self, df, errors)
        df["enterprise_id"] = resolve_code_column(self, df, "enterprise", errors)
        df = df[df["group_id"].notna() & df["enterprise_id"].notna()].copy()
        df[["group_id", "enterprise_id"]] = df[["group_id", "enterprise_id"]].astype("int64")
        core = rules.core_pairs(zip(df["group_id"], df["enterprise_id"], strict=True))
        is_core = pd.Series([(g, e) in core for g, e in zip(df["group_id"], df["enterprise_id"], strict=True)],
                            index=df.index, dtype=bool)
        self.report(df, is_core, "enterprise", str(rules.CORE_MESSAGE), errors)
        df = df[~is_core]
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
        present, conflict, merged = compare(df, existing, key, ["tier", "since"])
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
        bulk_create_with_history(objs, CircleMember, default_user=self.user, default_change_reason=self.change_reason)
