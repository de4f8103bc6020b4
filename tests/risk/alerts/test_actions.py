"""risk.alert_actions: the lifecycle, refused transitions, assignment rules, comments' hostile input,
who may act (out of reach answers like a missing alert), history with who."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from core.rulekit import Scope
from risk import alert_actions as actions
from risk import alerts
from risk.models import AlertComment, AlertStatus, RiskAlert
from risk.rules import Finding, enterprise_key, enterprise_scope
from tests.risk.alerts.conftest import AS_OF


def test_acknowledge_then_resolve_keeps_history_and_holds_back_the_same_evidence(bank, simple):
    actions.alert_acknowledge(bank.rm_gy1, simple, "看一下")
    simple.refresh_from_db()
    assert simple.status == AlertStatus.ACKNOWLEDGED and simple.status_changed_by == bank.rm_gy1
    actions.alert_resolve(bank.risk_gy, simple, "客户已还款")
    simple.refresh_from_db()
    assert simple.status == AlertStatus.RESOLVED and simple.suppresses
    assert simple.resolution_note == "客户已还款" and simple.status_changed_by == bank.risk_gy
    users = list(simple.history.order_by("history_date", "history_id").values_list("history_user__username",
                                                                                  flat=True))
    assert users == [None, "rm_gy1", "risk_gy"]  # the engine's baseline, then each person
    assert list(AlertComment.objects.filter(alert=simple).values_list("text", flat=True)) == ["看一下", "客户已还款"]
    # The next run on the same evidence does not raise it again.
    e = bank.group_gy.core_enterprise
    counts = alerts.sync("test_rule", [Finding(subject_key=enterprise_key(e.pk), enterprise_id=e.pk, severity=3,
                                               evidence="x", evidence_en="x")],
                         enterprise_scope(Scope(as_of=AS_OF, ids=[e.pk])))
    assert counts["held_back"] == 1


def test_false_positive_straight_from_open(bank, simple):
    actions.alert_false_positive(bank.hq, simple, "数据错误")
    simple.refresh_from_db()
    assert simple.status == AlertStatus.FALSE_POSITIVE and simple.suppresses


@pytest.mark.parametrize("closing", ["resolve", "false_positive"])
def test_closing_needs_a_comment(bank, simple, closing):
    with pytest.raises(ValidationError) as err:
        getattr(actions, f"alert_{closing}")(bank.rm_gy1, simple, "   ")
    assert "comment" in err.value.message_dict
    simple.refresh_from_db()
    assert simple.status == AlertStatus.OPEN


def test_transitions_refused(bank, simple):
    actions.alert_resolve(bank.rm_gy1, simple, "done")
    for fn, args in ((actions.alert_acknowledge, ()), (actions.alert_resolve, ("again",)),
                     (actions.alert_false_positive, ("again",))):
        with pytest.raises(ValidationError) as err:
            fn(bank.rm_gy1, simple, *args)
        assert "status" in err.value.message_dict
    actions.alert_comment(bank.rm_gy1, simple, "closed alerts still take comments")
    with pytest.raises(ValidationError) as err:
        actions.alert_assign(bank.rm_gy1, simple, bank.risk_gy)
    assert "assignee" in err.value.message_dict


def test_acknowledged_cannot_be_acknowledged_again(bank, simple):
    actions.alert_acknowledge(bank.rm_gy1, simple)
    with pytest.raises(ValidationError):
        actions.alert_acknowledge(bank.rm_gy1, simple)


def test_assign_only_to_staff_who_can_see_it(bank, simple):
    actions.alert_assign(bank.head_gy, simple, bank.risk_gy)
    simple.refresh_from_db()
    assert simple.assignee == bank.risk_gy
    for other in (bank.rm_gy2, bank.rm_zy1, bank.outsider, 999999, "abc"):
        with pytest.raises(ValidationError) as err:
            actions.alert_assign(bank.head_gy, simple, other)
        assert "assignee" in err.value.message_dict
    actions.alert_assign(bank.head_gy, simple, None)
    simple.refresh_from_db()
    assert simple.assignee is None
    assert simple.history.filter(history_user=bank.head_gy).count() == 2


@pytest.mark.parametrize("text", ["a\x00b", "x\ud800y"])
def test_hostile_comments_refused(bank, simple, text):
    with pytest.raises(ValidationError) as err:
        actions.alert_comment(bank.rm_gy1, simple, text)
    assert "text" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        actions.alert_resolve(bank.rm_gy1, simple, text)
    assert "comment" in err.value.message_dict


def test_comment_length_capped(bank, simple):
    with pytest.raises(ValidationError) as err:
        actions.alert_comment(bank.rm_gy1, simple, "长" * (actions.COMMENT_MAX + 1))
    assert "text" in err.value.message_dict
    with pytest.raises(ValidationError):
        actions.alert_resolve(bank.rm_gy1, simple, "长" * (actions.NOTE_MAX + 1))
    assert actions.alert_comment(bank.rm_gy1, simple, "长" * actions.COMMENT_MAX).pk


@pytest.mark.parametrize("who", ["hq", "head_gy", "risk_gy", "rm_gy1"])
def test_every_role_in_reach_acts(bank, simple, who):
    actions.alert_acknowledge(getattr(bank, who), simple)
    assert RiskAlert.objects.get(pk=simple.pk).status == AlertStatus.ACKNOWLEDGED


@pytest.mark.parametrize("who", ["rm_gy2", "rm_zy1"])
def test_out_of_reach_is_missing(bank, simple, who):
    user = getattr(bank, who)
    for fn, args in ((actions.alert_acknowledge, ()), (actions.alert_resolve, ("x",)),
                     (actions.alert_comment, ("x",)), (actions.alert_assign, (None,))):
        with pytest.raises(RiskAlert.DoesNotExist):
            fn(user, simple, *args)


def test_no_role_no_action(bank, simple):
    with pytest.raises(PermissionDenied):
        actions.alert_acknowledge(bank.outsider, simple)
