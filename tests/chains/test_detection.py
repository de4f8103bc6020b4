"""Detection proposes undeclared pairs from the payments, once, and never revives dismissed ones."""

from datetime import timedelta

from django.utils import timezone

from chains.models import ChainLink, LinkDetectionRun, LinkStatus
from chains.services import chain_link_dismiss, chain_links_detect
from chains.tasks import detect_all_chain_links, detect_chain_links
from tests.chains.conftest import END, START, detected, flow


def test_detection_proposes_undeclared_pairs_with_the_tier_inferred_from_direction(chain):
    assert chain_links_detect(group=chain.group, start=START, end=END) == 3
    assert detected(chain.group) == {
        (chain.x.pk, chain.m2.pk, -1),  # a member pays an outsider: the outsider supplies the group
        (chain.core.pk, chain.s1.pk, 1),  # an outsider pays the core: it buys from the group
        (chain.y.pk, chain.s2.pk, -2),  # circle supplier S2 pays circle member Y: Y supplies a supplier
    }
    # Declared links are left as they were.
    assert ChainLink.objects.filter(group=chain.group, status=LinkStatus.DECLARED).count() == 4


def test_detection_ignores_other_kinds_and_payments_outside_the_period(chain):
    assert chain_links_detect(group=chain.group, start=START, end=START + timedelta(days=30)) == 0
    assert detected(chain.group) == set()


def test_rerunning_detection_proposes_nothing_twice(chain):
    chain_links_detect(group=chain.group, start=START, end=END)
    assert chain_links_detect(group=chain.group, start=START, end=END) == 0
    assert ChainLink.objects.filter(group=chain.group).count() == 7


def test_dismissed_pairs_stay_dismissed_when_detection_runs_again(chain):
    chain_links_detect(group=chain.group, start=START, end=END)
    link = ChainLink.objects.get(group=chain.group, supplier=chain.x, buyer=chain.m2)
    chain_link_dismiss(user=chain.group.lead_rm, link=link)
    assert chain_links_detect(group=chain.group, start=START, end=END) == 0
    link.refresh_from_db()
    assert link.status == LinkStatus.DISMISSED
    assert ChainLink.objects.filter(group=chain.group, supplier=chain.x, buyer=chain.m2).count() == 1


def test_detection_records_history_and_the_run(chain):
    chain_links_detect(group=chain.group, start=START, end=END)
    link = ChainLink.objects.get(group=chain.group, supplier=chain.x, buyer=chain.m2)
    entry = link.history.get()
    assert (entry.history_type, entry.status, entry.history_user_id) == ("+", "detected", None)
    run = LinkDetectionRun.objects.get(group=chain.group)
    assert (run.proposed, run.period_start, run.period_end) == (3, START, END)
    assert run.finished_at is not None


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
    assert LinkDetectionRun.objects.get(group=chain.group).period_end == timezone.localdate()


def test_the_celery_task_for_a_missing_group_does_nothing(db):
    assert detect_chain_links.apply(args=[987654]).get() == 0


def test_detect_all_queues_one_detection_per_group(chain, bank):
    recent = timezone.localdate() - timedelta(days=3)
    from chains.models import Flow

    Flow.objects.bulk_create([flow(chain.m2, chain.y, "1000", recent)])
    assert detect_all_chain_links.apply().get() == 2
    assert (chain.y.pk, chain.m2.pk, -1) in detected(chain.group)
    assert LinkDetectionRun.objects.filter(group=bank.group_zy).exists()


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
