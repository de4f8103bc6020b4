"""Four eyes on ownership and on control links that cross branches (DESIGN.md section 4).

A change request (clients.models.ChangeRequest) names its *sides*: the branches whose heads must agree
(the giving and the receiving branch of a transfer; the owning branch of each enterprise a control
link would bring into another branch's group). A side is approved by a branch head whose subtree
holds it, or by head office; the requester's own approval never counts, so at least two people
agree on every change. When every side has approved, the change is applied in the same transaction,
with the approver as the author in the subject's history and the request as the reason.

Head office's own requests are applied at once (head office approves every side).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from clients.models import (
    ChangeApproval,
    ChangeRequest,
    ChangeRequestKind,
    ChangeRequestStatus,
    ControlLink,
    Enterprise,
    GroupClient,
    Person,
)
from core.history import set_history_user
from core.permissions import ensure_can_edit_clients
from staff.models import Branch, BranchLevel, staff_name
from staff.scope import scope_for

User = get_user_model()


# --- who sees and who approves ---------------------------------------------------------------------------


def requests_in_reach(user, queryset: QuerySet) -> QuerySet:
    """Requests the user made, and requests with a side in the user's branch subtree (branch heads and
    risk officers see them; head office sees all)."""
    scope = scope_for(user)
    if scope.sees_all:
        return queryset
    if scope.sees_nothing:
        return queryset.none()
    own = Q(requested_by_id=scope.user_id)
    if scope.is_branch_wide:
        sides = ChangeRequest.sides.through.objects.filter(
            changerequest_id=OuterRef("pk"), branch__path__startswith=scope.branch_path or "-"
        )
        return queryset.filter(own | Q(Exists(sides)))
    return queryset.filter(own)


def pending_sides(request: ChangeRequest) -> list[Branch]:
    approved = set(request.approvals.values_list("branch_id", flat=True))
    return [side for side in request.sides.all() if side.pk not in approved]


def sides_user_may_approve(user, request: ChangeRequest) -> list[Branch]:
    """The pending sides this user may approve (none for the requester: four eyes)."""
    scope = scope_for(user)
    if not scope.can_approve or request.requested_by_id == user.pk or request.status != ChangeRequestStatus.PENDING:
        return []
    return [side for side in pending_sides(request) if scope.covers_branch(side)]


def waiting_for(user) -> QuerySet:
    """Pending requests with a side the user may approve (one query; used by the list page)."""
    scope = scope_for(user)
    qs = ChangeRequest.objects.filter(status=ChangeRequestStatus.PENDING).exclude(requested_by_id=user.pk)
    if scope.sees_all:
        return qs
    if not scope.can_approve:
        return qs.none()
    approved = ChangeApproval.objects.filter(request_id=OuterRef("changerequest_id"), branch_id=OuterRef("branch_id"))
    open_sides = ChangeRequest.sides.through.objects.filter(
        changerequest_id=OuterRef("pk"), branch__path__startswith=scope.branch_path or "-"
    ).exclude(Exists(approved))
    return qs.filter(Exists(open_sides))


def _head_office() -> Branch:
    return Branch.objects.get(level=BranchLevel.HEAD_OFFICE)


# --- the workflow --------------------------------------------------------------------------------------------


def _open(*, user, kind: str, sides: set[int], enterprise=None, group=None, payload: dict, before: dict,
          reason: str = "") -> ChangeRequest:
    if not sides:
        raise ValidationError(_("Nothing to approve: the change does not concern any branch."))
    request = ChangeRequest.objects.create(kind=kind, enterprise=enterprise, group=group, payload=payload,
                                           before=before, reason=(reason or "").strip()[:500], requested_by=user)
    request.sides.set(sides)
    if scope_for(user).sees_all:
        _record_approvals(request, user, [side for side in request.sides.all()])
        _apply(request, approver=user)
    return request


def _record_approvals(request: ChangeRequest, user, sides) -> None:
    ChangeApproval.objects.bulk_create(
        [ChangeApproval(request=request, branch=side, approved_by=user) for side in sides], ignore_conflicts=True
    )


@transaction.atomic
def approve(*, user, request: ChangeRequest) -> ChangeRequest:
    """Approve the sides of a pending request that the user speaks for; apply it when none is left."""
    request = ChangeRequest.objects.select_for_update().get(pk=request.pk)
    if request.status != ChangeRequestStatus.PENDING:
        raise ValidationError(_("This request is no longer waiting for approval (%(status)s).")
                              % {"status": request.get_status_display()}, code="decided")
    if request.requested_by_id == user.pk:
        raise PermissionDenied(_("A request is approved by someone other than its requester."))
    sides = sides_user_may_approve(user, request)
    if not sides:
        raise PermissionDenied(_("None of the branches this request waits for is yours to approve."))
    _record_approvals(request, user, sides)
    if not pending_sides(request):
        _apply(request, approver=user)
    return request


@transaction.atomic
def reject(*, user, request: ChangeRequest, note: str = "") -> ChangeRequest:
    request = ChangeRequest.objects.select_for_update().get(pk=request.pk)
    if request.status != ChangeRequestStatus.PENDING:
        raise ValidationError(_("This request is no longer waiting for approval (%(status)s).")
                              % {"status": request.get_status_display()}, code="decided")
    if not sides_user_may_approve(user, request):
        raise PermissionDenied(_("None of the branches this request waits for is yours to decide."))
    return _close(request, user, ChangeRequestStatus.REJECTED, note)


@transaction.atomic
def cancel(*, user, request: ChangeRequest) -> ChangeRequest:
    request = ChangeRequest.objects.select_for_update().get(pk=request.pk)
    if request.requested_by_id != user.pk:
        raise PermissionDenied(_("Only the requester cancels a request."))
    if request.status != ChangeRequestStatus.PENDING:
        raise ValidationError(_("This request is no longer waiting for approval (%(status)s).")
                              % {"status": request.get_status_display()}, code="decided")
    return _close(request, user, ChangeRequestStatus.CANCELLED, "")


def _close(request: ChangeRequest, user, status: str, note: str) -> ChangeRequest:
    request.status = status
    request.decided_by = user
    request.decided_at = timezone.now()
    request.decision_note = (note or "").strip()[:500]
    set_history_user(request, user)
    request.save()
    return request


def _apply(request: ChangeRequest, *, approver) -> None:
    APPLIERS[request.kind](request, approver)
    _close(request, approver, ChangeRequestStatus.APPLIED, request.decision_note)


def _reason(request: ChangeRequest) -> str:
    return f"{request.get_kind_display()} #{request.pk}"


# --- transfers ----------------------------------------------------------------------------------------------


def _branch_of(user_obj) -> Branch:
    """The branch of a member of staff (`_check_staff` made sure they have one)."""
    return user_obj.profile.branch


def _check_staff(user_obj, field: str) -> None:
    if user_obj is not None and getattr(user_obj, "profile", None) is None:
        raise ValidationError({field: _("No staff member with this username.")})


@transaction.atomic
def transfer_request(*, user, enterprise: Enterprise | None = None, group: GroupClient | None = None,
                     branch: Branch | None = None, rm=None, lead_rm=None, team=None,
                     reason: str = "") -> ChangeRequest:
    """Ask to change the owning branch and RM of an enterprise, or the branch, lead RM and team of a
    group client. The user must have the subject in their full record; the giving branch (the
    subject's) and every receiving branch (the new branch, the new RM's, each new team member's)
    approve. Head office's requests apply at once."""
    from clients.services import ensure_full_record

    ensure_can_edit_clients(user)
    if (enterprise is None) == (group is None):
        raise ValidationError(_("Name either an enterprise or a group client."))
    subject = enterprise or group
    ensure_full_record(user, subject)
    _check_staff(rm, "rm")
    _check_staff(lead_rm, "lead_rm")
    for member in team or []:
        _check_staff(member, "team")
    payload: dict = {}
    before: dict = {}
    receiving: set[int] = set()
    giving: int = 0
    if enterprise is not None:
        enterprise = Enterprise.objects.select_for_update(of=("self",)).select_related("branch").get(pk=enterprise.pk)
        if enterprise.branch is None:
            raise ValidationError(_("An unowned prospect is claimed, not transferred."), code="unowned")
        giving = enterprise.branch.pk
        before = {"branch": enterprise.branch_id, "rm": enterprise.rm_id}
        if branch is not None and branch.pk != enterprise.branch_id:
            payload["branch"] = branch.pk
            receiving.add(branch.pk)
        if rm is not None and rm.pk != enterprise.rm_id:
            payload["rm"] = rm.pk
            receiving.add(_branch_of(rm).pk)
        target: Branch = branch or enterprise.branch
        if rm is not None and not str(_branch_of(rm).path).startswith(target.path):
            raise ValidationError({"rm": _("The new RM must work in the receiving branch.")})
    elif group is not None:
        group = GroupClient.objects.select_for_update().get(pk=group.pk)
        giving = group.branch_id
        current_team = set(group.team.values_list("pk", flat=True))
        before = {"branch": group.branch_id, "lead_rm": group.lead_rm_id, "team": sorted(current_team)}
        if branch is not None and branch.pk != group.branch_id:
            payload["branch"] = branch.pk
            receiving.add(branch.pk)
        if lead_rm is not None and lead_rm.pk != group.lead_rm_id:
            payload["lead_rm"] = lead_rm.pk
            receiving.add(_branch_of(lead_rm).pk)
        if team is not None and {u.pk for u in team} != current_team:
            payload["team"] = sorted(u.pk for u in team)
            receiving.update(_branch_of(u).pk for u in team if u.pk not in current_team)
    if not payload:
        raise ValidationError(_("Nothing to transfer: the values asked for are the current ones."), code="no_change")
    return _open(user=user, kind=ChangeRequestKind.TRANSFER, sides={giving, *receiving} - {0}, enterprise=enterprise,
                 group=group, payload=payload, before=before, reason=reason)


def _apply_transfer(request: ChangeRequest, approver) -> None:
    data = request.payload
    reason = _reason(request)
    if request.group_id:
        group = GroupClient.objects.select_for_update().get(pk=request.group_id)
        if "branch" in data:
            group.branch_id = data["branch"]
        if "lead_rm" in data:
            group.lead_rm_id = data["lead_rm"]
        set_history_user(group, approver, reason)
        group.save()
        if "team" in data:
            group.team.set(User.objects.filter(pk__in=data["team"]))
    else:
        enterprise = Enterprise.objects.select_for_update().get(pk=request.enterprise_id or 0)
        if "branch" in data:
            enterprise.branch_id = data["branch"]
        if "rm" in data:
            enterprise.rm_id = data["rm"]
        set_history_user(enterprise, approver, reason)
        enterprise.save()


# --- control links that cross branches --------------------------------------------------------------------------


def control_link_propose(*, user, link: ControlLink, enterprise_ids: set[int], group_ids: set[int]) -> ChangeRequest:
    """Turn a control link into a request: the owning branch of each enterprise it would bring into the
    user's groups (head office for an unowned one) and the branch of each group outside the user's
    reach whose membership it would change must approve."""
    owners = dict(Enterprise.objects.filter(pk__in=enterprise_ids).values_list("pk", "branch_id"))
    sides = {branch_id for branch_id in owners.values() if branch_id}
    if any(branch_id is None for branch_id in owners.values()):
        sides.add(_head_office().pk)
    sides.update(GroupClient.objects.filter(pk__in=group_ids).values_list("branch_id", flat=True))
    payload = {
        "parent_enterprise": link.parent_enterprise_id,
        "parent_person": link.parent_person_id,
        "child": link.child_id,
        "share_pct": str(link.share_pct),
        "control_type": link.control_type,
        "note": link.note,
        "brings_in": sorted(enterprise_ids),
        "groups": sorted(group_ids),
    }
    return _open(user=user, kind=ChangeRequestKind.CONTROL_LINK, sides=sides, enterprise=link.child,
                 payload=payload, before={})


def _apply_control_link(request: ChangeRequest, approver) -> None:
    from clients.services import control_link_write

    data = request.payload
    exists = ControlLink.objects.filter(child_id=data["child"]).filter(
        Q(parent_enterprise_id=data["parent_enterprise"]) if data["parent_enterprise"]
        else Q(parent_person_id=data["parent_person"])
    )
    if exists.exists():
        raise ValidationError(_("This parent already has a link to this child."), code="duplicate")
    link = ControlLink(
        parent_enterprise_id=data["parent_enterprise"],
        parent_person=Person.objects.filter(pk=data["parent_person"]).first() if data["parent_person"] else None,
        child_id=data["child"], share_pct=Decimal(data["share_pct"]), control_type=data["control_type"],
        note=data.get("note", ""),
    )
    control_link_write(link, user=approver, reason=_reason(request))


APPLIERS: dict[str, Callable[[ChangeRequest, Any], None]] = {
    ChangeRequestKind.TRANSFER: _apply_transfer,
    ChangeRequestKind.CONTROL_LINK: _apply_control_link,
}


def describe(request: ChangeRequest) -> list[tuple[str, str, str]]:
    """(what, before, after) lines naming branches and staff, for the request pages."""
    from clients.models import ChangeRequestKind as Kind

    def name_of_staff(pk):
        return staff_name(User.objects.select_related("profile").filter(pk=pk).first()) or "—"

    def branch_name(pk):
        return Branch.objects.filter(pk=pk).values_list("name", flat=True).first() or "—"

    lines = []
    if request.kind == Kind.TRANSFER:
        for key, label, name in (("branch", _("Owning branch"), branch_name), ("rm", _("Relationship manager"), name_of_staff),
                                 ("lead_rm", _("Lead RM"), name_of_staff)):
            if key in request.payload:
                lines.append((label, name(request.before.get(key)), name(request.payload[key])))
        if "team" in request.payload:
            lines.append((_("Coverage team"),
                          ", ".join(name_of_staff(p) for p in request.before.get("team", [])) or "—",
                          ", ".join(name_of_staff(p) for p in request.payload["team"]) or "—"))
    else:
        data = request.payload
        if data.get("parent_enterprise"):
            parent = Enterprise.objects.filter(pk=data["parent_enterprise"]).values_list("name", flat=True).first()
        else:
            parent = Person.objects.filter(pk=data.get("parent_person")).values_list("name", flat=True).first()
        child = Enterprise.objects.filter(pk=data["child"]).values_list("name", flat=True).first()
        lines.append((_("Control link"), "—", f"{parent} → {child} ({data['share_pct']} %)"))
        brought = Enterprise.objects.filter(pk__in=data.get("brings_in", [])).values_list("name", flat=True)
        if brought:
            lines.append((_("Brings into the group"), "—", ", ".join(brought)))
    return lines
