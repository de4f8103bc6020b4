"""The few demo records that go through the clients services rather than the bulk writer: they are
workflow states the demo logins should find waiting, and the services check the rules and write their
history like any user's action.

- a cross-branch transfer request: rm_gy1 (贵阳分行) asks to hand a subsidiary of one of their
  groups to rm_zy1 (遵义分行); it waits for head_gy (the giving side) and head_zy (the receiving
  side) at /clients/requests/, and is applied when both have approved.
"""

from __future__ import annotations

from django.db.models import Case, IntegerField, Value, When

# (requester, receiving RM): the receiving branch is the receiving RM's.
TRANSFER = ("rm_gy1", "rm_zy1")


def pending_transfer(users: dict):
    """Open the demo's pending transfer request (clients.approvals.transfer_request); returns it.

    The subject is deterministic: the requester's first controlled subsidiary (not a core) by id,
    preferring one based in 遵义, where the receiving branch is."""
    from clients.approvals import transfer_request
    from clients.models import Enterprise, GroupMembership

    requester, receiver = (users[name] for name in TRANSFER)
    branch = receiver.profile.branch
    members = GroupMembership.objects.filter(group__lead_rm=requester).values("enterprise_id")
    subject = (
        Enterprise.objects.filter(pk__in=members, rm=requester, led_group__isnull=True)
        .annotate(
            local=Case(When(name__startswith="遵义", then=Value(0)), default=Value(1), output_field=IntegerField())
        )
        .order_by("local", "pk")
        .first()
    )
    if subject is None:
        return None
    where = "主要经营地在遵义，" if subject.name.startswith("遵义") else ""
    return transfer_request(
        user=requester,
        enterprise=subject,
        branch=branch,
        rm=receiver,
        reason=f"{where}申请移交{branch.parent.name}（{branch.name}）就近服务；集团授信仍由牵头行统一管理。",
    )


def try_these(users: dict) -> list[str]:
    """Pointers printed after the build: what the demo logins can try on this data set."""
    from circles.models import CircleMember
    from clients.models import Enterprise, GroupClient

    lines = []
    core = (
        Enterprise.objects.filter(led_group__lead_rm=users["rm_gy1"]).order_by("pk").values("uscc", "name").first()
    )
    if core:
        lines.append(
            f"registry card: as rm_zy1, look up {core['uscc']} at /clients/lookup/ "
            f"({core['name']}, a client of another branch)"
        )
    groups = GroupClient.objects.filter(lead_rm=users["rm_gy1"]).values("pk")
    prospect = (
        CircleMember.objects.filter(group__in=groups, enterprise__branch__isnull=True, enterprise__rm__isnull=True)
        .order_by("enterprise_id")
        .values("enterprise__uscc", "enterprise__name")
        .first()
    )
    if prospect:
        lines.append(
            f"claim: {prospect['enterprise__name']} ({prospect['enterprise__uscc']}) is an unowned prospect "
            "in rm_gy1's circle; any branch may claim it at /clients/lookup/"
        )
    return lines
