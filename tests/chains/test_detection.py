"""Detection proposes undeclared pairs from the payments, once, and never revives dismissed ones."""

from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from chains import services
from chains.models import LINK_DETECTION_JOB, ChainLink, LinkStatus
from chains.services import chain_link_dismiss, chain_links_detect
from chains.tasks import detect_all_chain_links, detect_chain_links, detect_chain_links_for_groups
from clients.models import GroupClient
from core.jobs import last_refreshed, last_run
from core.models import JobRun, JobStatus
from tests.chains.conftest import END, START, detected, flow


def proposed(group, **period) -> int:
    return chain_links_detect(group=group, **period)["proposed"]


def detection_runs(group):
    return JobRun.objects.filter(job=LINK_DETECTION_JOB, subject_type=ContentType.objects.get_for_model(GroupClient),
                                 subject_id=group.pk)


def test_detection_proposes_undeclared_pairs_with_the_tier_inferred_from_direction(chain):
    assert proposed(chain.group, start=START, end=END) == 3
    assert detected(chain.group) == {
        (chain.x.pk, chain.m2.pk, -1),  # a member pays an outsider: the outsider supplies the group
        (chain.core.pk, chain.s1.pk, 1),  # an outsider pays the core: it buys from the group
        (chain.y.pk, chain.s2.pk, -2),  # circle supplier S2 pays circle member Y: Y supplies a supplier
    }
    # Declared links are left as they were.
    assert ChainLink.objects.filter(group=chain.group, status=LinkStatus.DECLARED).count() == 4


def test_detection_ignores_other_kinds_and_payments_outside_the_period(chain):
    assert proposed(chain.group, start=START, end=START + timedelta(days=30)) == 0
    assert detected(chain.group) == set()


def test_rerunning_detection_proposes_nothing_twice(chain):
    chain_links_detect(group=chain.group, start=START, end=END)
    assert proposed(chain.group, start=START, end=END) == 0
    assert ChainLink.objects.filter(group=chain.group).count() == 7


def test_dismissed_pairs_stay_dismissed_when_detection_runs_again(chain):
    chain_links_detect(group=chain.group, start=START, end=END)
    link = ChainLink.objects.get(group=chain.group, supplier=chain.x, buyer=chain.m2)
    chain_link_dismiss(user=chain.group.lead_rm, link=link)
    assert proposed(chain.group, start=START, end=END) == 0
    link.refresh_from_db()
    assert link.status == LinkStatus.DISMISSED
    assert ChainLink.objects.filter(group=chain.group, supplier=chain.x, buyer=chain.m2).count() == 1


def test_detection_records_history_through_simple_history(chain):
    counts = chain_links_detect(group=chain.group, start=START, end=END)
    assert counts == {"proposed": 3, "refreshed": 0, "withdrawn": 0, "period_start": "2026-01-01",
                      "period_end": "2026-03-31"}
    for link in ChainLink.objects.filter(group=chain.group, status=LinkStatus.DETECTED):
        entry = link.history.get()
        assert (entry.history_type, entry.status, entry.history_user_id) == ("+", "detected", None)
        assert entry.history_change_reason == "detected from flows"
        assert (entry.supplier_id, entry.buyer_id, entry.tier, entry.created_at) == (
            link.supplier_id, link.buyer_id, link.tier, link.created_at)
    # A re-run adds no history (nothing new was inserted).
    chain_links_detect(group=chain.group, start=START, end=END)
    assert ChainLink.history.filter(group_id=chain.group.pk, status=LinkStatus.DETECTED).count() == 3


def test_detection_history_has_no_author_even_when_a_user_triggered_it(chain, bank, client_as,
                                                                        django_capture_on_commit_callbacks):
    """The request middleware knows the user who pressed "detect now": the proposals are still the
    system's (tasks run eagerly in tests, inside that request)."""
    from django.urls import reverse

    with django_capture_on_commit_callbacks(execute=True):
        client_as(bank.rm_gy1).post(reverse("chains:group_detect", args=[chain.group.pk]))
    assert ChainLink.history.filter(group_id=chain.group.pk, history_type="+", status=LinkStatus.DETECTED,
                                    history_user__isnull=False).count() == 0


def test_the_task_records_one_run_per_group_with_the_group_as_subject(chain):
    detect_chain_links.apply(args=[chain.group.pk]).get()
    run = detection_runs(chain.group).get()
    assert run.subject == chain.group
    assert run.status == JobStatus.SUCCESS and run.finished_at is not None and run.error == ""
    assert run.counts["proposed"] == len(detected(chain.group))
    assert run.counts["period_end"] == timezone.localdate().isoformat()
    assert last_run(LINK_DETECTION_JOB, subject=chain.group) == run
    assert last_refreshed(LINK_DETECTION_JOB, subject=chain.group) == run


def test_a_failing_detection_leaves_a_failed_run_with_the_group_as_subject(chain, monkeypatch):
    monkeypatch.setattr(services, "DETECT_SQL", "SELECT * FROM no_such_table_for_detection")
    monkeypatch.setattr(services, "DETECT_SQL_SQLITE", "SELECT * FROM no_such_table_for_detection")
    with pytest.raises(Exception, match="no_such_table_for_detection"):
        detect_chain_links.apply(args=[chain.group.pk]).get()
    run = detection_runs(chain.group).get()
    assert run.subject == chain.group
    assert run.status == JobStatus.FAILED and run.finished_at is not None
    assert "no_such_table_for_detection" in run.error_line
    assert "Traceback" in run.error
    assert detected(chain.group) == set()
    # The chain page's "last refreshed" shows the failure; the latest success is still none.
    assert last_refreshed(LINK_DETECTION_JOB, subject=chain.group) == run
    assert last_run(LINK_DETECTION_JOB, subject=chain.group) is None


def test_a_failing_group_does_not_stop_detection_for_the_others(chain, bank, monkeypatch):
    real = services.chain_links_detect

    def flaky(*, group, **kwargs):
        if group.pk == chain.group.pk:
            raise RuntimeError("detection broke for this group")
        return real(group=group, **kwargs)

    monkeypatch.setattr("chains.tasks.chain_links_detect", flaky)
    with pytest.raises(RuntimeError):
        detect_chain_links_for_groups.apply(args=[[chain.group.pk, bank.group_zy.pk]]).get()
    assert detection_runs(chain.group).get().status == JobStatus.FAILED
    assert detection_runs(bank.group_zy).get().status == JobStatus.SUCCESS


def test_detection_leaves_other_groups_alone(chain, bank):
    chain_links_detect(group=bank.group_zy, start=START, end=END)
    assert not ChainLink.objects.filter(group=bank.group_zy).exists()


def test_the_celery_task_runs_detection_for_one_group_over_the_last_twelve_months(chain):
    from chains.models import Flow

    recent = timezone.localdate() - timedelta(days=10)
    Flow.objects.bulk_create([flow(chain.m1, chain.x, "1000", recent)])
    result = detect_chain_links.apply(args=[chain.group.pk])
    assert result.successful()
    # The fixture's 2026-Q1 payments may or may not fall in the last twelve months: count what is there.
    assert result.get() == len(detected(chain.group))
    assert (chain.x.pk, chain.m1.pk, -1) in detected(chain.group)
    assert detection_runs(chain.group).get().counts["period_end"] == timezone.localdate().isoformat()


def test_the_celery_task_for_a_missing_group_does_nothing(db):
    assert detect_chain_links.apply(args=[987654]).get() == 0
    assert not JobRun.objects.exists()


def test_detect_all_queues_one_detection_per_group(chain, bank, django_capture_on_commit_callbacks):
    """The fan-out writes one outbox message per group (core.outbox), dispatched after commit."""
    recent = timezone.localdate() - timedelta(days=3)
    from chains.models import Flow

    Flow.objects.bulk_create([flow(chain.m2, chain.y, "1000", recent)])
    with django_capture_on_commit_callbacks(execute=True):
        assert detect_all_chain_links.apply().get() == 2
    assert (chain.y.pk, chain.m2.pk, -1) in detected(chain.group)
    assert detection_runs(bank.group_zy).filter(status=JobStatus.SUCCESS).exists()
    assert JobRun.objects.get(job="detect_all_chain_links").counts == {"queued": 2, "groups": 2}


def test_task_settings_make_it_safe_to_retry():
    assert detect_chain_links.acks_late is True
    assert detect_chain_links.time_limit


def test_a_dismissed_proposal_gives_no_reach_into_the_counterparty(bank):
    """Detected counterparties are the group RM's counterparties (to review them), never their full
    record; dismissed ones give no reach at all."""
    from chains.models import ChainLink, LinkStatus
    from clients.models import Enterprise
    from tests.factories import EnterpriseFactory

    outsider = EnterpriseFactory(name="被驳回的对手方")
    link = ChainLink.objects.create(group=bank.group_gy, supplier=outsider, buyer=bank.group_gy.core_enterprise,
                                    tier=-1, status=LinkStatus.DETECTED)
    assert Enterprise.objects.counterparties_for(bank.rm_gy1).filter(pk=outsider.pk).exists()
    assert not Enterprise.objects.for_user(bank.rm_gy1).filter(pk=outsider.pk).exists()
    link.status = LinkStatus.DISMISSED
    link.save()
    assert not Enterprise.objects.counterparties_for(bank.rm_gy1).filter(pk=outsider.pk).exists()
