"""Head office's detection thresholds: only pairs at or above all three are proposed, with their figures."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from chains.models import ChainLink, DetectionSettings, LinkStatus
from chains.services import chain_link_dismiss, chain_links_detect, detection_settings_update
from tests.chains.conftest import END, START, flow
from tests.factories import EnterpriseFactory


@pytest.fixture
def thresholds(chain, bank):
    """100,000 yuan, 3 payments, 2 months (the defaults), set by head office."""
    return detection_settings_update(user=bank.hq, min_volume=Decimal("100000"), min_payments=3, min_months=2)


def pay(payer, payee, amounts_and_days):
    from chains.models import Flow

    Flow.objects.bulk_create(flow(payer, payee, a, d) for a, d in amounts_and_days)


def detected_pairs(group):
    return {(link.supplier_id, link.buyer_id): link
            for link in ChainLink.objects.filter(group=group, status=LinkStatus.DETECTED)}


def test_defaults_before_head_office_sets_anything(db):
    DetectionSettings.objects.all().delete()
    current = DetectionSettings.current()
    assert (current.min_volume, current.min_payments, current.min_months) == (Decimal("100000"), 3, 2)


def test_only_pairs_at_or_above_every_threshold_are_proposed(chain, thresholds):
    names = ["恰好达标", "金额差一分", "笔数不足", "月份不足", "远超门槛"]
    at, volume_short, count_short, months_short, big = (EnterpriseFactory(name=n, is_client=False) for n in names)
    m2 = chain.m2
    pay(m2, at, [("40000", date(2026, 1, 5)), ("30000", date(2026, 1, 25)), ("30000", date(2026, 2, 5))])
    pay(m2, volume_short, [("40000", date(2026, 1, 5)), ("30000", date(2026, 1, 25)), ("29999.99", date(2026, 2, 5))])
    pay(m2, count_short, [("500000", date(2026, 1, 5)), ("500000", date(2026, 2, 5))])
    pay(m2, months_short, [("50000", date(2026, 3, 1)), ("50000", date(2026, 3, 2)), ("50000", date(2026, 3, 31))])
    pay(big, m2, [("900000", date(2026, 1, 5)), ("900000", date(2026, 2, 5)), ("900000", date(2026, 3, 5)),
                  ("900000", date(2026, 3, 6))])
    assert chain_links_detect(group=chain.group, start=START, end=END)["proposed"] == 2
    found = detected_pairs(chain.group)
    assert set(found) == {(at.pk, m2.pk), (m2.pk, big.pk)}  # the fixture's single payments are not proposed
    exact = found[(at.pk, m2.pk)]
    assert (exact.volume, exact.payment_count, exact.months_active, exact.tier) == (Decimal("100000.00"), 3, 2, -1)
    sold = found[(m2.pk, big.pk)]
    assert (sold.volume, sold.payment_count, sold.months_active, sold.tier) == (Decimal("3600000.00"), 4, 3, 1)


@pytest.mark.parametrize(("field", "value", "expected"), [
    ("min_volume", Decimal("100000.01"), False), ("min_volume", Decimal("100000"), True),
    ("min_payments", 4, False), ("min_payments", 3, True),
    ("min_months", 3, False), ("min_months", 2, True),
])
def test_each_threshold_on_its_own(chain, bank, thresholds, field, value, expected):
    partner = EnterpriseFactory(name="门槛测试", is_client=False)
    pay(chain.m2, partner, [("40000", date(2026, 1, 5)), ("30000", date(2026, 1, 25)), ("30000", date(2026, 2, 5))])
    detection_settings_update(user=bank.hq, **{field: value})
    chain_links_detect(group=chain.group, start=START, end=END)
    assert ((partner.pk, chain.m2.pk) in detected_pairs(chain.group)) is expected


def test_rerun_refreshes_figures_of_links_awaiting_review_only(chain, bank, thresholds):
    a, b = EnterpriseFactory(name="待审", is_client=False), EnterpriseFactory(name="已驳回", is_client=False)
    for partner in (a, b):
        pay(chain.m2, partner, [("60000", date(2026, 1, 5)), ("60000", date(2026, 2, 5)), ("60000", date(2026, 3, 5))])
    chain_links_detect(group=chain.group, start=START, end=END)
    dismissed = ChainLink.objects.get(group=chain.group, supplier=b)
    chain_link_dismiss(user=bank.rm_gy1, link=dismissed)
    for partner in (a, b):
        pay(chain.m2, partner, [("1000", date(2026, 3, 20))])
    counts = chain_links_detect(group=chain.group, start=START, end=END)
    assert (counts["proposed"], counts["refreshed"]) == (0, 1)
    pending = ChainLink.objects.get(group=chain.group, supplier=a)
    assert (pending.volume, pending.payment_count, pending.history.count()) == (Decimal("181000.00"), 4, 1)
    dismissed.refresh_from_db()
    assert (dismissed.status, dismissed.payment_count) == (LinkStatus.DISMISSED, 3)  # never revived


def test_only_head_office_sets_thresholds_and_the_change_keeps_its_history(chain, bank):
    with pytest.raises(PermissionDenied):
        detection_settings_update(user=bank.rm_gy1, min_payments=1)
    with pytest.raises(PermissionDenied):
        detection_settings_update(user=bank.head_gy, min_payments=1)
    detection_settings_update(user=bank.hq, min_volume=Decimal("500000"), min_payments=5, min_months=3)
    row = DetectionSettings.objects.get()
    assert row.history.first().history_user == bank.hq


def test_the_settings_page_is_head_office_s(chain, bank, client_as):
    url = reverse("chains:detection_settings")
    for persona in ("rm_gy1", "head_gy", "risk_gy"):
        assert client_as(getattr(bank, persona)).get(url).status_code == 403
        assert client_as(getattr(bank, persona)).post(url, {"min_volume": "1", "min_payments": "1",
                                                            "min_months": "1"}).status_code == 403
    hq = client_as(bank.hq)
    assert hq.get(url).status_code == 200
    response = hq.post(url, {"min_volume": "50万", "min_payments": "4", "min_months": "3"})
    assert response.status_code == 302
    row = DetectionSettings.current()
    assert (row.min_volume, row.min_payments, row.min_months) == (Decimal("500000"), 4, 3)
    body = hq.get(url).content.decode()
    assert "id=\"threshold-history\"" in body and "500,000" in body


@pytest.mark.parametrize("bad", [
    {"min_volume": "<script>alert(1)</script>", "min_payments": "3", "min_months": "2"},
    {"min_volume": "1" * 300, "min_payments": "3", "min_months": "2"},
    {"min_volume": "-5", "min_payments": "3", "min_months": "2"},
    {"min_volume": "100000", "min_payments": "0", "min_months": "2"},
    {"min_volume": "100000", "min_payments": "3", "min_months": "61"},
    {"min_volume": "100000", "min_payments": "9" * 40, "min_months": "2"},
])
def test_hostile_threshold_input_is_refused_and_changes_nothing(chain, bank, client_as, bad):
    before = DetectionSettings.current()
    response = client_as(bank.hq).post(reverse("chains:detection_settings"), bad)
    assert response.status_code == 400
    assert "field-error" in response.content.decode()
    after = DetectionSettings.current()
    assert (after.min_volume, after.min_payments, after.min_months) == (
        before.min_volume, before.min_payments, before.min_months)


def test_nul_in_a_threshold_is_refused(chain, bank, client_as):
    response = client_as(bank.hq).post(reverse("chains:detection_settings"),
                                       {"min_volume": "1\x00", "min_payments": "3", "min_months": "2"})
    assert response.status_code == 400


def test_proposals_that_no_longer_reach_the_thresholds_are_withdrawn(chain, bank, thresholds):
    """The flood of one-payment proposals made before the thresholds leaves the queue on the next run;
    declared, confirmed and dismissed links stay whatever their payments."""
    old = [ChainLink.objects.create(group=chain.group, supplier=EnterpriseFactory(name=f"旧候选{i}"),
                                    buyer=chain.core, tier=-1, status=LinkStatus.DETECTED) for i in range(3)]
    dismissed = ChainLink.objects.create(group=chain.group, supplier=EnterpriseFactory(name="已忽略旧候选"),
                                         buyer=chain.core, tier=-1, status=LinkStatus.DISMISSED)
    good = EnterpriseFactory(name="达标伙伴", is_client=False)
    pay(chain.m2, good, [("60000", date(2026, 1, 5)), ("60000", date(2026, 2, 5)), ("60000", date(2026, 3, 5))])
    counts = chain_links_detect(group=chain.group, start=START, end=END)
    assert (counts["proposed"], counts["withdrawn"]) == (1, 3)
    assert set(detected_pairs(chain.group)) == {(good.pk, chain.m2.pk)}
    assert not ChainLink.objects.filter(pk__in=[link.pk for link in old]).exists()
    gone = ChainLink.history.filter(id=old[0].pk).order_by("-history_date").first()
    assert (gone.history_type, gone.history_user_id, gone.history_change_reason) == (
        "-", None, "below the detection thresholds")
    assert ChainLink.objects.filter(pk=dismissed.pk, status=LinkStatus.DISMISSED).exists()
    assert ChainLink.objects.filter(group=chain.group, status=LinkStatus.DECLARED).count() == 4
    # A second run changes nothing.
    again = chain_links_detect(group=chain.group, start=START, end=END)
    assert (again["proposed"], again["refreshed"], again["withdrawn"]) == (0, 1, 0)
