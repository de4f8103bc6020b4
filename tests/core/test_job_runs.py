"""One job-run record (core.JobRun) and the head-office page that lists the runs (/ops/runs/)."""

from datetime import datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from core.jobs import job_names, last_refreshed, last_run, record_run
from core.models import JobRun, JobStatus

# session, user, staff profile (scope), job names (filter choices), count, page of runs, the
# subjects of the page (one query per kind of subject: groups here), and base.html's user.profile
RUNS_PAGE_QUERIES = 8


@pytest.fixture(autouse=True)
def english(settings):
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


# --- record_run -------------------------------------------------------------------------------------------


def test_the_running_row_is_written_before_the_work(db):
    with record_run("nightly_thing") as counts:
        run = JobRun.objects.get(job="nightly_thing")
        assert run.status == JobStatus.RUNNING and run.finished_at is None and run.subject is None
        counts["rows"] = 7
    run.refresh_from_db()
    assert (run.status, run.counts, run.error) == (JobStatus.SUCCESS, {"rows": 7}, "")
    assert run.finished_at >= run.started_at and run.duration is not None


def test_a_failure_is_recorded_with_its_counts_and_raised_again(bank):
    with pytest.raises(ValueError, match="bad row 12"):
        with record_run("imports", subject=bank.group_gy) as counts:
            counts["read"] = 11
            raise ValueError("bad row 12")
    run = JobRun.objects.get(job="imports")
    assert run.subject == bank.group_gy
    assert (run.status, run.counts) == (JobStatus.FAILED, {"read": 11})
    assert run.error_line == "ValueError: bad row 12" and "Traceback" in run.error


def test_last_run_is_the_latest_success_and_last_refreshed_the_latest_of_any_status(bank):
    at = timezone.make_aware(datetime(2026, 5, 1, 2, 0))
    gy, zy = bank.group_gy, bank.group_zy
    ok = JobRun.objects.create(job="detect", subject=gy, status=JobStatus.SUCCESS, started_at=at)
    failed = JobRun.objects.create(job="detect", subject=gy, status=JobStatus.FAILED, started_at=at + timedelta(hours=1))
    other = JobRun.objects.create(job="detect", subject=zy, status=JobStatus.SUCCESS, started_at=at + timedelta(hours=2))
    JobRun.objects.create(job="refresh", status=JobStatus.SUCCESS, started_at=at + timedelta(hours=3))
    assert last_run("detect", subject=gy) == ok
    assert last_refreshed("detect", subject=gy) == failed
    assert last_run("detect") == other  # without a subject: any subject
    assert last_refreshed("missing", subject=gy) is None
    assert job_names() == ["detect", "refresh"]


def test_a_subject_needs_both_type_and_id(bank):
    from django.db import IntegrityError

    with pytest.raises(IntegrityError):
        JobRun.objects.create(job="half", subject_id=bank.group_gy.pk)


# --- the ops page -------------------------------------------------------------------------------------------


def runs_url(**query):
    from urllib.parse import urlencode

    return reverse("core:job_runs") + (f"?{urlencode(query)}" if query else "")


def make_runs(bank, n: int):
    at = timezone.make_aware(datetime(2026, 6, 1, 1, 0))
    groups = [bank.group_gy, bank.group_zy]
    runs = [
        JobRun(job="detect_chain_links", subject=groups[i % 2], started_at=at + timedelta(minutes=i),
               finished_at=at + timedelta(minutes=i, seconds=42), status=JobStatus.SUCCESS, counts={"proposed": i})
        for i in range(n)
    ]
    runs.append(JobRun(job="refresh_group_memberships", started_at=at - timedelta(days=1),
                       finished_at=at - timedelta(days=1) + timedelta(seconds=3), status=JobStatus.FAILED,
                       counts={"groups": 2}, error="RuntimeError: the database went away\n\nTraceback ..."))
    JobRun.objects.bulk_create(runs)


@pytest.mark.parametrize("persona", ["rm_gy1", "head_gy", "risk_gy", "outsider"])
def test_only_head_office_sees_the_runs(bank, client_as, persona):
    make_runs(bank, 2)
    response = client_as(getattr(bank, persona)).get(runs_url())
    assert response.status_code == 403
    assert bank.group_gy.name not in response.content.decode()


def test_anonymous_is_sent_to_login(client, db):
    response = client.get(runs_url())
    assert response.status_code == 302 and "/login/" in response.url


def test_head_office_sees_runs_with_subject_duration_counts_and_error(bank, client_as):
    make_runs(bank, 2)
    response = client_as(bank.hq).get(runs_url())
    assert response.status_code == 200
    body = response.content.decode()
    assert "3 runs" in body
    assert bank.group_gy.name in body and bank.group_zy.name in body  # subjects by name
    assert "42.0" in body  # duration in seconds
    assert "proposed: 1" in body and "groups: 2" in body
    assert "RuntimeError: the database went away" in body
    assert [r.job for r in response.context["runs"]] == ["detect_chain_links"] * 2 + ["refresh_group_memberships"]


def test_filters_by_job_and_status(bank, client_as):
    make_runs(bank, 3)
    client = client_as(bank.hq)
    failed = client.get(runs_url(status="failed")).context["runs"]
    assert [r.job for r in failed] == ["refresh_group_memberships"]
    detection = client.get(runs_url(job="detect_chain_links")).context["runs"]
    assert len(detection) == 3
    assert not client.get(runs_url(job="detect_chain_links", status="failed")).context["runs"]
    # A value that is not a choice matches nothing (and is no error page).
    response = client.get(runs_url(job="no_such_job"))
    assert response.status_code == 200 and not response.context["runs"]


def test_a_deleted_subject_is_named_by_its_kind_and_id(bank, client_as):
    from clients.models import GroupClient

    ghost_id = GroupClient.objects.order_by("-pk").values_list("pk", flat=True).first() + 1000
    from django.contrib.contenttypes.models import ContentType

    JobRun.objects.create(job="detect_chain_links", subject_type=ContentType.objects.get_for_model(GroupClient),
                          subject_id=ghost_id, status=JobStatus.SUCCESS)
    body = client_as(bank.hq).get(runs_url()).content.decode()
    assert f"#{ghost_id} (deleted)" in body


def test_the_list_is_paginated(bank, client_as):
    from core.ops_views import RUNS_PAGE_SIZE

    make_runs(bank, RUNS_PAGE_SIZE + 5)
    client = client_as(bank.hq)
    first = client.get(runs_url())
    assert len(first.context["runs"]) == RUNS_PAGE_SIZE
    second = client.get(runs_url(page=2))
    assert len(second.context["runs"]) == 6


@pytest.mark.parametrize("n", [3, 60])
def test_the_runs_page_query_count_is_pinned(bank, client_as, django_assert_num_queries, n):
    make_runs(bank, n)
    client = client_as(bank.hq)
    client.get(runs_url())  # warm caches (content types)
    with django_assert_num_queries(RUNS_PAGE_QUERIES):
        response = client.get(runs_url(job="detect_chain_links"))
    assert len(response.context["runs"]) == min(n, 50)


def test_the_htmx_fragment_is_the_table_only(bank, client_as, django_assert_num_queries):
    make_runs(bank, 3)
    client = client_as(bank.hq)
    client.get(runs_url())
    with django_assert_num_queries(RUNS_PAGE_QUERIES - 1):
        response = client.get(runs_url(), HTTP_HX_REQUEST="true")
    assert b"<html" not in response.content and b"job-runs" in response.content
