"""The chain page: what it shows, who sees it, and confirming, dismissing and declaring links on it."""

import pytest
from django.urls import reverse

from chains.models import ChainLink, LinkStatus
from chains.services import chain_links_detect
from tests.chains.conftest import END, START
from tests.factories import uscc_for

HTMX = {"HTTP_HX_REQUEST": "true"}
PERIOD = {"start": START.isoformat(), "end": END.isoformat()}


def chain_url(group):
    return reverse("chains:group_chain", args=[group.pk])


@pytest.fixture
def proposed(chain):
    chain_links_detect(group=chain.group, start=START, end=END)
    return ChainLink.objects.get(group=chain.group, supplier=chain.x, buyer=chain.m2)


# --- viewing ---------------------------------------------------------------------------------------


def test_rm_sees_the_chain_with_sankey_metrics_and_hhi(chain, bank, client_as):
    response = client_as(bank.rm_gy1).get(chain_url(chain.group), PERIOD)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="sankey-data"' in html and "chain-sankey.js" in html
    assert chain.s1.name in html and "steel" in html
    assert ">500,000<" in html  # steel volume (English: whole yuan)
    assert "+25.0%" in html and "-20.0%" in html  # trends
    assert "17.7" in html and "60.0%" in html
    assert "3,600" in html and "hhi-high" in html
    overview = response.context["overview"]
    assert overview.period.start == START and overview.previous.end.isoformat() == "2025-12-31"


def test_period_defaults_to_the_last_twelve_months(chain, bank, client_as):
    from chains.selectors import default_period

    response = client_as(bank.rm_gy1).get(chain_url(chain.group))
    assert response.status_code == 200
    assert response.context["period"] == default_period()


def test_a_reversed_period_is_refused_with_a_message_and_the_default_is_shown(chain, bank, client_as):
    response = client_as(bank.rm_gy1).get(chain_url(chain.group), {"start": "2026-03-01", "end": "2026-01-01"})
    assert response.status_code == 200
    assert "end" in response.context["period_form"].errors


def test_rm_of_other_branch_gets_404(chain, bank, client_as):
    assert client_as(bank.rm_zy1).get(chain_url(chain.group)).status_code == 404


def test_anonymous_is_sent_to_login(chain, client):
    response = client.get(chain_url(chain.group))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_risk_officer_sees_the_chain_without_review_buttons(chain, proposed, bank, client_as):
    response = client_as(bank.risk_gy).get(chain_url(chain.group), PERIOD)
    assert response.status_code == 200
    html = response.content.decode()
    assert chain.x.name in html
    assert reverse("chains:link_confirm", args=[proposed.pk]) not in html
    assert 'id="declare-link"' not in html


def test_detected_links_show_with_confirm_and_dismiss_for_the_rm(chain, proposed, bank, client_as):
    html = client_as(bank.rm_gy1).get(chain_url(chain.group), PERIOD).content.decode()
    assert reverse("chains:link_confirm", args=[proposed.pk]) in html
    assert reverse("chains:link_dismiss", args=[proposed.pk]) in html


def test_group_360_page_links_to_the_chain(chain, bank, client_as):
    from django.template import TemplateDoesNotExist
    from django.template.loader import get_template

    try:
        get_template("clients/group_detail.html")
    except TemplateDoesNotExist:
        pytest.skip("the group 360 page is not there yet")
    html = client_as(bank.rm_gy1).get(reverse("clients:group_detail", args=[chain.group.pk])).content.decode()
    assert chain_url(chain.group) in html


# --- confirm and dismiss (htmx) ----------------------------------------------------------------------------


def test_rm_confirms_a_detected_link_with_htmx_choosing_tier_and_goods(chain, proposed, bank, client_as):
    url = reverse("chains:link_confirm", args=[proposed.pk])
    response = client_as(bank.rm_gy1).post(url, {**PERIOD, "tier": "-1", "goods": "tyres"}, **HTMX)
    assert response.status_code == 200
    assert b"<html" not in response.content and b'id="detected-links"' in response.content
    proposed.refresh_from_db()
    assert (proposed.status, proposed.tier, proposed.goods) == (LinkStatus.CONFIRMED, -1, "tyres")
    latest = proposed.history.first()
    assert (latest.status, latest.history_user_id) == ("confirmed", bank.rm_gy1.pk)
    # The confirmed link moved into the link table.
    assert any(r.id == proposed.pk for r in response.context["overview"].links)


def test_rm_dismisses_a_detected_link_with_htmx_and_it_stays_dismissed(chain, proposed, bank, client_as):
    url = reverse("chains:link_dismiss", args=[proposed.pk])
    response = client_as(bank.rm_gy1).post(url, PERIOD, **HTMX)
    assert response.status_code == 200
    proposed.refresh_from_db()
    assert proposed.status == LinkStatus.DISMISSED
    assert proposed.history.first().history_user_id == bank.rm_gy1.pk
    assert all(link.id != proposed.pk for link in response.context["overview"].queue)
    chain_links_detect(group=chain.group, start=START, end=END)
    proposed.refresh_from_db()
    assert proposed.status == LinkStatus.DISMISSED


def test_plain_form_post_confirms_and_redirects_back_to_the_period(chain, proposed, bank, client_as):
    url = reverse("chains:link_confirm", args=[proposed.pk])
    response = client_as(bank.rm_gy1).post(url, {**PERIOD, "tier": "-1"})
    assert response.status_code == 302
    assert response["Location"].startswith(chain_url(chain.group)) and "start=2026-01-01" in response["Location"]
    proposed.refresh_from_db()
    assert proposed.status == LinkStatus.CONFIRMED


def test_confirming_a_declared_link_says_why_not(chain, bank, client_as):
    url = reverse("chains:link_confirm", args=[chain.steel.pk])
    response = client_as(bank.rm_gy1).post(url, PERIOD, **HTMX)
    assert response.status_code == 200
    assert "Only a detected" in response.context["error"]
    chain.steel.refresh_from_db()
    assert chain.steel.status == LinkStatus.DECLARED


def test_risk_officer_may_not_confirm_or_dismiss(chain, proposed, bank, client_as):
    api = client_as(bank.risk_gy)
    assert api.post(reverse("chains:link_confirm", args=[proposed.pk]), PERIOD, **HTMX).status_code == 403
    assert api.post(reverse("chains:link_dismiss", args=[proposed.pk]), PERIOD, **HTMX).status_code == 403
    proposed.refresh_from_db()
    assert proposed.status == LinkStatus.DETECTED


def test_rm_of_other_branch_gets_404_on_confirm(chain, proposed, bank, client_as):
    response = client_as(bank.rm_zy1).post(reverse("chains:link_confirm", args=[proposed.pk]), PERIOD)
    assert response.status_code == 404
    proposed.refresh_from_db()
    assert proposed.status == LinkStatus.DETECTED


# --- declaring ----------------------------------------------------------------------------------------------


def declare(client, chain, **data):
    payload = {**PERIOD, "supplier_uscc": chain.x.uscc, "buyer_uscc": chain.m2.uscc, "tier": "-1",
               "goods": "paint", **data}
    return client.post(reverse("chains:link_declare", args=[chain.group.pk]), payload, **HTMX)


def test_rm_declares_a_link_by_credit_codes(chain, bank, client_as):
    response = declare(client_as(bank.rm_gy1), chain)
    assert response.status_code == 200 and response.context["feedback"]
    link = ChainLink.objects.get(group=chain.group, supplier=chain.x, buyer=chain.m2)
    assert (link.status, link.tier, link.goods) == (LinkStatus.DECLARED, -1, "paint")
    assert link.history.first().history_user_id == bank.rm_gy1.pk


def test_declaring_a_detected_pair_turns_it_into_a_declared_link(chain, proposed, bank, client_as):
    declare(client_as(bank.rm_gy1), chain)
    proposed.refresh_from_db()
    assert (proposed.status, proposed.goods) == (LinkStatus.DECLARED, "paint")
    assert ChainLink.objects.filter(group=chain.group, supplier=chain.x, buyer=chain.m2).count() == 1


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"supplier_uscc": uscc_for(999999)}, "supplier_uscc", "is on file; create it first"),
        ({"supplier_uscc": "91520100000000000X"}, "supplier_uscc", "check character"),
        ({"tier": "3"}, "tier", "valid choice"),
        ({"buyer_uscc": "SUPPLIER"}, "buyer_uscc", "must differ"),
    ],
)
def test_bad_input_is_refused_naming_the_field(chain, bank, client_as, data, field, message):
    if data.get("buyer_uscc") == "SUPPLIER":
        data = {"buyer_uscc": chain.x.uscc}
    before = ChainLink.objects.count()
    response = declare(client_as(bank.rm_gy1), chain, **data)
    assert response.status_code == 200
    errors = response.context["declare_form"].errors
    assert field in errors and message in " ".join(errors[field])
    assert message in response.content.decode()
    assert ChainLink.objects.count() == before


def test_duplicate_link_is_refused_on_the_buyer_field(chain, bank, client_as):
    response = declare(client_as(bank.rm_gy1), chain, supplier_uscc=chain.s1.uscc, buyer_uscc=chain.core.uscc)
    errors = response.context["declare_form"].errors
    assert "already exists" in " ".join(errors["buyer_uscc"])
    chain.steel.refresh_from_db()
    assert chain.steel.goods == "steel"


def test_risk_officer_may_not_declare(chain, bank, client_as):
    response = declare(client_as(bank.risk_gy), chain)
    assert response.status_code == 403
    assert not ChainLink.objects.filter(supplier=chain.x).exists()


def test_rm_of_other_branch_gets_404_on_declare(chain, bank, client_as):
    assert declare(client_as(bank.rm_zy1), chain).status_code == 404


def test_detect_now_queues_detection_for_the_group(chain, bank, client_as, django_capture_on_commit_callbacks):
    from chains.models import LINK_DETECTION_JOB
    from core.jobs import last_refreshed

    with django_capture_on_commit_callbacks(execute=True):
        response = client_as(bank.rm_gy1).post(reverse("chains:group_detect", args=[chain.group.pk]), PERIOD)
    assert response.status_code == 302
    assert last_refreshed(LINK_DETECTION_JOB, subject=chain.group).status == "success"


def test_the_page_shows_the_latest_detection_run_as_last_refreshed(chain, bank, client_as):
    from datetime import datetime, timedelta

    from django.utils import timezone

    from chains.models import LINK_DETECTION_JOB
    from core.models import JobRun, JobStatus

    client = client_as(bank.rm_gy1)
    assert "Detection has not run yet" in client.get(chain_url(chain.group)).content.decode()
    started = timezone.make_aware(datetime(2026, 4, 2, 3, 30))
    JobRun.objects.create(job=LINK_DETECTION_JOB, subject=chain.group, status=JobStatus.SUCCESS,
                          started_at=started, finished_at=started + timedelta(minutes=1))
    JobRun.objects.create(job=LINK_DETECTION_JOB, subject=bank.group_zy, status=JobStatus.FAILED,
                          started_at=started + timedelta(days=1), finished_at=started + timedelta(days=1))
    body = client.get(chain_url(chain.group)).content.decode()
    assert "Last refreshed 2026-04-02 03:31" in body and "Succeeded" in body
    # A later failed run of this group is what the page shows, with its status.
    JobRun.objects.create(job=LINK_DETECTION_JOB, subject=chain.group, status=JobStatus.FAILED,
                          started_at=started + timedelta(days=2), finished_at=started + timedelta(days=2, seconds=5))
    body = client.get(chain_url(chain.group)).content.decode()
    assert "Last refreshed 2026-04-04 03:30" in body and "Failed" in body
