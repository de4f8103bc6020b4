"""`POST /api/v1/group-clients/{id}/refresh-risk/` (202 with the run) and the group page's "Refresh
risk" button with the last run: any role with the group in reach, 404 for a group out of reach."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone

from core.models import JobRun, JobStatus
from risk.models import RiskAlert
from risk.tasks import RISK_JOB
from tests.querycount import count_queries, exact_queries
from tests.risk.rules.bravo_data import statement


def _condition(bank):
    statement(bank.group_gy.core_enterprise, timezone.localdate().year - 1, assets=100, liabilities=90)


def test_refresh_risk_answers_202_with_the_finished_run(bank, api_as, django_capture_on_commit_callbacks):
    _condition(bank)
    url = f"/api/v1/group-clients/{bank.group_gy.pk}/refresh-risk/"
    assert api_as(bank.rm_zy1).post(url).status_code == 404  # another branch's group: as if missing
    assert api_as(bank.outsider).post(url).status_code in (403, 404)
    assert api_as(bank.hq).post("/api/v1/group-clients/999999/refresh-risk/").status_code == 404
    assert not JobRun.objects.filter(job=RISK_JOB).exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = api_as(bank.risk_gy).post(url)  # a reading role may refresh: no client data is written
    assert response.status_code == 202
    body = response.json()
    run = JobRun.objects.get(pk=body["job_run"])
    assert body["status"] == "queued" and run.status == JobStatus.SUCCESS and run.subject == bank.group_gy
    assert run.user == bank.risk_gy and run.counts["opened"] == 1
    assert RiskAlert.objects.get(rule="financial_deterioration").group_id == bank.group_gy.pk
    runs = api_as(bank.rm_gy1).get("/api/v1/job-runs/", {"job": RISK_JOB}).json()
    assert [r["id"] for r in runs["results"]] == [run.pk]
    assert api_as(bank.rm_zy1).get(f"/api/v1/job-runs/{run.pk}/").status_code == 404


def test_the_group_page_shows_the_button_and_the_last_run(bank, client_as, django_capture_on_commit_callbacks):
    _condition(bank)
    page = reverse("clients:group_detail", args=[bank.group_gy.pk])
    button = reverse("risk:group_refresh_risk", args=[bank.group_gy.pk])
    rm = client_as(bank.rm_gy1)
    html = rm.get(page).content.decode()
    assert 'id="refresh-risk-form"' in html and button in html and "Risk not refreshed yet" in html
    before = count_queries(rm, page, label="group page, never refreshed")
    with django_capture_on_commit_callbacks(execute=True):
        response = rm.post(button)
    assert response.status_code == 302 and response["Location"] == page
    html = rm.get(page).content.decode()
    assert "Risk last refreshed:" in html and "(Succeeded)" in html
    with exact_queries(before, label="group page, refreshed"):
        rm.get(page)


def test_the_button_over_htmx_answers_the_status(bank, client_as, django_capture_on_commit_callbacks):
    _condition(bank)
    button = reverse("risk:group_refresh_risk", args=[bank.group_gy.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = client_as(bank.risk_gy).post(button, HTTP_HX_REQUEST="true")
    assert response.status_code == 202
    html = response.content.decode()
    assert 'id="refresh-risk-status"' in html and "Risk refresh: Queued." in html


def test_the_button_refuses_a_group_out_of_reach(bank, client_as):
    button = reverse("risk:group_refresh_risk", args=[bank.group_gy.pk])
    assert client_as(bank.rm_zy1).post(button).status_code == 404
    assert client_as(bank.outsider).post(button).status_code == 404
    assert client_as(bank.rm_gy1).get(button).status_code == 405
    assert not JobRun.objects.filter(job=RISK_JOB).exists()
