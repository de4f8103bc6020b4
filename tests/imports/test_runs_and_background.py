"""Every import is a job run; large uploads run in the background with a progress fragment; large
loads refresh the planner's statistics; unconfirmed uploads do not stay on disk forever."""

import io
import os
import time

import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from chains.models import Flow
from core import outbox
from core.models import JobRun, JobStatus, OutboxMessage
from imports.services import import_file, import_records
from imports.tasks import RUN_TASK, delete_stale_uploads_now, upload_dir
from tests.imports.helpers import csv_bytes, flow_row, members, upload

URL = reverse("imports:upload")
CONFIRM = reverse("imports:confirm")


@pytest.fixture
def codes(bank):
    return members(bank.group_gy)


@pytest.fixture
def temp_uploads(settings, tmp_path):
    settings.IMPORT_TEMP_DIR = str(tmp_path / "uploads")
    return tmp_path / "uploads"


def flows_csv(codes, n, prefix="R"):
    return csv_bytes([flow_row(codes[i % 2], codes[(i + 1) % 2], f"{prefix}{i}") for i in range(n)])


# --- run records ---------------------------------------------------------------------------------------------


def test_every_import_writes_a_run_record_with_who_what_and_counts(bank, codes):
    data = flows_csv(codes, 3)
    result = import_file(user=bank.rm_gy1, kind="flows", fh=io.BytesIO(data), filename="march.csv", commit=True,
                         source_system="erp")
    assert result.created == 3
    run = JobRun.objects.get(job="import:flows")
    assert (run.status, run.user, run.error) == (JobStatus.SUCCESS, bank.rm_gy1, "")
    assert run.params == {"kind": "flows", "source_system": "erp", "file_name": "march.csv"}
    assert run.counts == {"total": 3, "created": 3, "already_present": 0, "errors": 0}
    import_file(user=bank.rm_gy1, kind="flows", fh=io.BytesIO(data), filename="again.csv", commit=True,
                source_system="erp")
    rerun = JobRun.objects.filter(job="import:flows").latest("pk")
    assert rerun.counts == {"total": 3, "created": 0, "already_present": 3, "errors": 0}


def test_a_refused_import_is_a_failed_run_naming_why_and_a_preview_is_no_run(bank, codes):
    bad = csv_bytes([flow_row(codes[0], codes[1], "R1", amount="-1")])
    import_file(user=bank.rm_gy1, kind="flows", fh=io.BytesIO(bad), filename="bad.csv", commit=False,
                source_system="erp")
    assert not JobRun.objects.exists()
    import_file(user=bank.rm_gy1, kind="flows", fh=io.BytesIO(bad), filename="bad.csv", commit=True,
                source_system="erp")
    run = JobRun.objects.get(job="import:flows")
    assert run.status == JobStatus.FAILED and run.counts["errors"] == 1 and run.counts["created"] == 0
    assert run.error.startswith("Refused, nothing was imported: 1 row errors")
    assert Flow.objects.count() == 0


def test_api_and_command_line_imports_are_runs_too(bank, codes, tmp_path):
    records = [{"payer": codes[0], "payee": codes[1], "amount": "5.00", "currency": "CNY",
                "value_date": "2025-03-04", "kind": "payment", "channel": "this_bank", "external_ref": "API-1",
                "source_system": "erp"}]
    assert import_records(user=bank.hq, kind="flows", records=records).created == 1
    api_run = JobRun.objects.get(job="import:flows")
    assert api_run.params["via"] == "api" and api_run.params["source_system"] == "erp" and api_run.user == bank.hq
    path = tmp_path / "cli.csv"
    path.write_bytes(flows_csv(codes, 2, prefix="CLI"))
    call_command("import", "flows", str(path), "--source", "core_banking")
    cli = JobRun.objects.filter(job="import:flows").latest("pk")
    assert cli.user is None and cli.params["file_name"] == "cli.csv" and cli.counts["created"] == 2


# --- planner statistics ---------------------------------------------------------------------------------------


def flow_reltuples() -> float:
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [Flow._meta.db_table])
        return cursor.fetchone()[0]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="ANALYZE is PostgreSQL's")
def test_a_large_flows_import_refreshes_the_planner_statistics(bank, codes, settings):
    settings.IMPORT_ANALYZE_MIN_ROWS = 1_000_000
    import_file(user=bank.hq, kind="flows", fh=io.BytesIO(flows_csv(codes, 40)), filename="a.csv", commit=True,
                source_system="erp")
    assert flow_reltuples() != Flow.objects.count()  # below the threshold: left to autovacuum
    settings.IMPORT_ANALYZE_MIN_ROWS = 30
    import_file(user=bank.hq, kind="flows", fh=io.BytesIO(flows_csv(codes, 35, prefix="B")), filename="b.csv",
                commit=True, source_system="erp")
    assert flow_reltuples() == Flow.objects.count() == 75


# --- background imports from the upload page ------------------------------------------------------------------


def post_file(client, content, name="flows.csv"):
    return client.post(URL, {"kind": "flows", "source_system": "erp", "file": upload(content, name)})


def test_a_large_upload_is_checked_and_imported_in_the_background_with_progress(
        bank, client_as, codes, settings, temp_uploads):
    settings.IMPORT_INLINE_MAX_BYTES = 10  # every file is "large" here
    client = client_as(bank.rm_gy1)
    response = post_file(client, flows_csv(codes, 5))
    html = response.content.decode()
    assert response.status_code == 200 and 'id="import-progress"' in html and "<progress" in html
    preview_run = JobRun.objects.get(job="import-preview:flows")
    assert preview_run.status == JobStatus.QUEUED and preview_run.user == bank.rm_gy1
    message = OutboxMessage.objects.get(task=RUN_TASK)
    assert message.args == [preview_run.pk] and message.sent_at is None  # the request never touched the broker
    status_url = reverse("imports:run", kwargs={"pk": preview_run.pk})
    waiting = client.get(status_url, HTTP_HX_REQUEST="true")
    assert 'id="import-progress"' in waiting.content.decode() and waiting.context["run_percent"] == 0

    assert outbox.dispatch_all().sent == 1  # a worker takes it (eagerly here)
    preview_run.refresh_from_db()
    assert preview_run.status == JobStatus.SUCCESS and preview_run.counts["total"] == 5
    assert Flow.objects.count() == 0
    shown = client.get(status_url, HTTP_HX_REQUEST="true")
    assert shown.context["result"].created == 5 and shown.context["token"]
    assert 'id="import-progress"' not in shown.content.decode()

    confirmed = client.post(CONFIRM, {"token": shown.context["token"]})
    run = JobRun.objects.get(job="import:flows")
    assert 'id="import-progress"' in confirmed.content.decode() and run.status == JobStatus.QUEUED
    assert Flow.objects.count() == 0
    outbox.dispatch_all()
    run.refresh_from_db()
    assert run.status == JobStatus.SUCCESS and run.counts["created"] == 5 and Flow.objects.count() == 5
    done = client.get(reverse("imports:run", kwargs={"pk": run.pk}))
    assert "5 created, 0 already present." in done.content.decode()
    assert list(temp_uploads.iterdir()) == []  # the imported file is gone


def test_small_uploads_stay_inline(bank, client_as, codes, settings, temp_uploads):
    settings.IMPORT_INLINE_MAX_BYTES = 1024 * 1024
    response = post_file(client_as(bank.rm_gy1), flows_csv(codes, 2))
    assert response.context["result"].created == 2 and not JobRun.objects.exists()
    assert not OutboxMessage.objects.filter(task=RUN_TASK).exists()


def test_someone_elses_background_run_is_not_found(bank, client_as, codes, settings, temp_uploads):
    settings.IMPORT_INLINE_MAX_BYTES = 10
    post_file(client_as(bank.rm_gy1), flows_csv(codes, 2))
    run = JobRun.objects.get()
    url = reverse("imports:run", kwargs={"pk": run.pk})
    assert client_as(bank.rm_gy2).get(url).status_code == 404
    assert client_as(bank.hq).get(url).status_code == 404
    other = JobRun.objects.create(job="refresh_group_memberships", user=bank.rm_gy1)
    assert client_as(bank.rm_gy1).get(reverse("imports:run", kwargs={"pk": other.pk})).status_code == 404


def test_a_background_run_cut_off_by_a_dead_worker_says_so(bank, client_as, codes, settings, temp_uploads):
    settings.IMPORT_INLINE_MAX_BYTES = 10
    client = client_as(bank.rm_gy1)
    post_file(client, flows_csv(codes, 2))
    run = JobRun.objects.get()
    JobRun.objects.filter(pk=run.pk).update(status=JobStatus.FAILED, error="Reaped: its worker stopped sending heartbeats")
    page = client.get(reverse("imports:run", kwargs={"pk": run.pk})).content.decode()
    assert "The job stopped before it finished (Reaped: its worker stopped sending heartbeats)" in page


def test_a_bad_large_file_shows_its_errors_and_no_confirm_button(bank, client_as, codes, settings, temp_uploads):
    settings.IMPORT_INLINE_MAX_BYTES = 10
    client = client_as(bank.rm_gy1)
    post_file(client, csv_bytes([flow_row(codes[0], codes[1], "R1", amount="-1")]))
    outbox.dispatch_all()
    run = JobRun.objects.get()
    assert run.status == JobStatus.FAILED and run.report["error_total"] == 1
    shown = client.get(reverse("imports:run", kwargs={"pk": run.pk}))
    assert "The amount must be positive." in shown.content.decode() and not shown.context.get("token")


# --- stale uploads ------------------------------------------------------------------------------------------


def test_unconfirmed_uploads_are_deleted_after_the_keep_time_but_not_while_a_run_needs_them(
        bank, client_as, codes, settings, temp_uploads):
    settings.IMPORT_INLINE_MAX_BYTES = 10
    post_file(client_as(bank.rm_gy1), flows_csv(codes, 2))  # queued: its file must stay
    directory = upload_dir()
    queued_file = next(directory.iterdir())
    old_preview = directory / "old-preview.csv"
    fresh_preview = directory / "fresh-preview.csv"
    old_preview.write_bytes(b"x")
    fresh_preview.write_bytes(b"x")
    long_ago = time.time() - 48 * 3600
    for path in (queued_file, old_preview):
        os.utime(path, (long_ago, long_ago))
    assert delete_stale_uploads_now() == 1
    assert sorted(p.name for p in directory.iterdir()) == sorted([queued_file.name, fresh_preview.name])
