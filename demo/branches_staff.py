"""The demo bank: its branch tree and its staff, through the staff services."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password

from staff.models import Branch, BranchLevel, Role
from staff.services import branch_create, staff_create

# code, name, parent code, level
BRANCHES = (
    ("HO", "总行", None, BranchLevel.HEAD_OFFICE),
    ("GY", "贵阳分行", "HO", BranchLevel.BRANCH),
    ("GY01", "贵阳观山湖支行", "GY", BranchLevel.SUB_BRANCH),
    ("GY02", "贵阳南明支行", "GY", BranchLevel.SUB_BRANCH),
    ("GY03", "贵阳云岩支行", "GY", BranchLevel.SUB_BRANCH),
    ("ZY", "遵义分行", "HO", BranchLevel.BRANCH),
    ("ZY01", "遵义汇川支行", "ZY", BranchLevel.SUB_BRANCH),
    ("ZY02", "遵义红花岗支行", "ZY", BranchLevel.SUB_BRANCH),
    ("LPS", "六盘水分行", "HO", BranchLevel.BRANCH),
    ("LPS01", "六盘水钟山支行", "LPS", BranchLevel.SUB_BRANCH),
)

# username, role, branch code, display name
DEMO_LOGINS = (
    ("hq", Role.HQ_ADMIN, "HO", "总行管理员"),
    ("head_gy", Role.BRANCH_HEAD, "GY", "贵阳分行行长"),
    ("risk_gy", Role.RISK_OFFICER, "GY", "贵阳分行风险经理"),
    ("rm_gy1", Role.RM, "GY01", "观山湖支行客户经理一"),
    ("rm_gy2", Role.RM, "GY02", "南明支行客户经理二"),
    ("rm_zy1", Role.RM, "ZY01", "汇川支行客户经理一"),
    ("head_zy", Role.BRANCH_HEAD, "ZY", "遵义分行行长"),
)

# Groups the named demo RMs lead, by group number: rm_gy1 several (the first has a deep tree),
# rm_gy2 some others, rm_zy1 the groups of 遵义分行.
FIXED_LEADS = {0: "rm_gy1", 1: "rm_gy1", 2: "rm_gy1", 3: "rm_gy2", 4: "rm_gy2", 5: "rm_zy1", 6: "rm_zy1"}

GROUPS_PER_RM = 40


@dataclass
class Bank:
    branches: dict[str, Branch]
    users: dict[str, object]  # username -> user
    rms_by_branch: dict[str, list[object]] = field(default_factory=dict)  # sub-branch code -> RMs
    rm_branch: dict[int, Branch] = field(default_factory=dict)  # RM user id -> sub-branch

    @property
    def rms(self) -> list:
        return [u for rms in self.rms_by_branch.values() for u in rms]


def build_bank(*, groups: int, password: str, faker) -> Bank:
    """Branches, the demo logins and enough further RMs for `groups` groups (about 40 each)."""
    branches: dict[str, Branch] = {}
    for code, name, parent, level in BRANCHES:
        branches[code] = branch_create(
            code=code, name=name, level=level, parent=branches[parent] if parent else None
        )
    users = {}
    for username, role, code, display in DEMO_LOGINS:
        # Hashing is slow by design: every demo login gets the same hash, computed once below.
        users[username] = staff_create(
            username=username,
            password=None,
            role=role,
            branch=branches[code],
            display_name=display,
            is_staff=(role == Role.HQ_ADMIN),
        )
    bank = Bank(branches=branches, users=users)
    sub_branches = [code for code, _, _, level in BRANCHES if level == BranchLevel.SUB_BRANCH]
    for code in sub_branches:
        bank.rms_by_branch[code] = []
    for username, role, code, _ in DEMO_LOGINS:
        if role == Role.RM:
            bank.rms_by_branch[code].append(users[username])
    # At least one further RM per sub-branch, then one per 40 groups.
    extra = max(len(sub_branches), -(-groups // GROUPS_PER_RM))
    for n in range(extra):
        code = sub_branches[n % len(sub_branches)]
        user = staff_create(
            username=f"rm{n + 1:04d}",
            password=None,
            role=Role.RM,
            branch=branches[code],
            display_name=f"{faker.name()}（{branches[code].name}）",
        )
        users[user.username] = user
        bank.rms_by_branch[code].append(user)
    for code, rms in bank.rms_by_branch.items():
        for rm in rms:
            bank.rm_branch[rm.pk] = branches[code]
    user_model = get_user_model()
    user_model.objects.filter(pk__in=[u.pk for u in users.values()]).update(password=make_password(password))
    user_model.objects.filter(username="hq").update(is_staff=True, is_superuser=True)
    return bank
