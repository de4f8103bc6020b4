"""The risk jobs (risk.tasks): one run record per run, a rerun gives the same alerts and writes nothing,
clearing a condition resolves its alert, two full runs never overlap, and writes of flows, statements
and guarantees queue an incremental refresh through the outbox."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import connections
from django.utils import timezone

from core.jobs import lock_key
from core.models import JobRun, JobStatus, OutboxMessage
from risk.models import AlertStatus, RiskAlert
from risk.tasks import (
    ALL_LOCK,
    ENTERPRISES_TASK,
    RISK_JOB,
    queue_group_refresh,
    refresh_risk_all,
    refresh_risk_group,
)
from tests.risk.rules.bravo_data import facility, members, statement

COLUMNS = [f.attname for f in RiskAlert._meta.concrete_fields]


def _risky_group(bank):
    """Two conditions on group_gy: the core's statement deteriorates, a member's loan is 45 days past due."""
    today = timezone.localdate()
    core = bank.group_gy.core_enterprise
    statement(core, today.year - 1, assets=100, liabilities=90)
    member = members(bank.group_gy)[0]
    from clients.models import Enterprise

    loan = facility(Enterprise.objects.get(pk=member), 10_000_000, drawn=5_000_000, past_due=300_000,
                    since=today - dt.timedelta(days=45))
    return core, member, loan


def test_group_refresh_twice_gives_the_same_alerts(bank, django_capture_on_commit_callbacks):
    core, member, _loan = _risky_group(bank)
    with django_capture_on_commit_callbacks(execute=True):
        run = queue_group_refresh(bank.group_gy, user=bank.rm_gy1)
    run.refresh_from_db()
    assert run.status == JobStatus.SUCCESS and run.subject == bank.group_gy and run.user == bank.rm_gy1
    assert run.counts["opened"] == 2 and run.counts["enterprises"] == 3
    assert run.counts["opened_by_rule"]["financial_deterioration"] == 1
    assert run.counts["opened_by_rule"]["past_due"] == 1
    assert {(a.rule, a.enterprise_id, a.group_id) for a in RiskAlert.objects.all()} == {
        ("financial_deterioration", core.pk, bank.group_gy.pk), ("past_due", member, bank.group_gy.pk)}
    before = list(RiskAlert.objects.order_by("pk").values_list(*COLUMNS))
    again = refresh_risk_group(bank.group_gy.pk)
    assert (again["opened"], again["updated"], again["resolved"]) == (0, 0, 0)  # nothing changed, nothing written
    assert list(RiskAlert.objects.order_by("pk").values_list(*COLUMNS)) == before
    assert JobRun.objects.filter(job=RISK_JOB, status=JobStatus.SUCCESS).count() == 2


def test_clearing_a_condition_resolves_its_alert(bank):
    _core, member, loan = _risky_group(bank)
    refresh_risk_group(bank.group_gy.pk)
    loan.past_due_amount, loan.past_due_since = Decimal("0"), None
    loan.save()
    counts = refresh_risk_group(bank.group_gy.pk)
    assert counts["resolved"] == 1
    alert = RiskAlert.objects.get(rule="past_due", enterprise_id=member)
    assert alert.status == AlertStatus.RESOLVED and "resolved automatically" in alert.resolution_note
    assert RiskAlert.objects.get(rule="financial_deterioration").status == AlertStatus.OPEN


def test_the_full_run_gives_the_same_alerts_twice(bank):
    _risky_group(bank)
    first = refresh_risk_all()
    assert first["opened"] == 2 and first["chunks"] >= 1
    before = list(RiskAlert.objects.order_by("pk").values_list(*COLUMNS))
    second = refresh_risk_all()
    assert (second["opened"], second["updated"], second["resolved"]) == (0, 0, 0)
    assert list(RiskAlert.objects.order_by("pk").values_list(*COLUMNS)) == before


def test_two_full_runs_never_overlap(bank):
    other = connections["default"].copy()
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [lock_key(ALL_LOCK)])
        counts = refresh_risk_all()
        run = JobRun.objects.get(job=RISK_JOB)
        assert run.status == JobStatus.SKIPPED and "another run held the lock" in run.note
        assert "opened" not in counts
    finally:
        other.close()


def test_a_gone_group_skips_its_queued_run(bank):
    run = JobRun.objects.create(job=RISK_JOB, status=JobStatus.QUEUED, params={"group": 999999})
    assert refresh_risk_group(999999, run.pk) == {}
    run.refresh_from_db()
    assert run.status == JobStatus.SKIPPED


def test_a_statement_written_through_the_service_refreshes_the_risk(bank, django_capture_on_commit_callbacks):
    from clients.services import financial_statement_upsert

    core = bank.group_gy.core_enterprise
    with django_capture_on_commit_callbacks(execute=True):
        financial_statement_upsert(user=bank.rm_gy1, enterprise=core, period_end=dt.date(2025, 12, 31),
                                   period_type="annual", total_assets=Decimal("100"),
                                   total_liabilities=Decimal("95"))
    assert OutboxMessage.objects.get(task=ENTERPRISES_TASK).args == [[core.pk]]
    assert RiskAlert.objects.get(rule="financial_deterioration").enterprise_id == core.pk
    assert JobRun.objects.get(job=RISK_JOB).params == {"enterprises": 1}


def test_a_guarantee_written_through_the_service_queues_both_parties(bank, django_capture_on_commit_callbacks):
    from circles.services import guarantee_create

    core = bank.group_gy.core_enterprise
    borrower = members(bank.group_gy)[0]
    from clients.models import Enterprise

    statement(core, timezone.localdate().year - 1, assets=200, liabilities=100)
    with django_capture_on_commit_callbacks(execute=True):
        guarantee_create(user=bank.rm_gy1, guarantor=core, borrower=Enterprise.objects.get(pk=borrower),
                         amount=Decimal("150"), start_date=dt.date(2025, 1, 1), end_date=dt.date(2099, 12, 31))
    assert sorted(OutboxMessage.objects.get(task=ENTERPRISES_TASK).args[0]) == sorted([core.pk, borrower])
    assert RiskAlert.objects.get(rule="guarantee_overreach").enterprise_id == core.pk


def test_a_flows_import_queues_the_risk_refresh_of_its_enterprises(bank, django_capture_on_commit_callbacks):
    from imports.models import SourceSystem
    from imports.services import import_records

    SourceSystem.objects.get_or_create(code="cbs", defaults={"name": "core banking"})
    core = bank.group_gy.core_enterprise
    member = members(bank.group_gy)[0]
    from clients.models import Enterprise

    payee = Enterprise.objects.get(pk=member)
    records = [{"payer": core.uscc, "payee": payee.uscc, "amount": "1000.00", "currency": "CNY",
                "value_date": timezone.localdate().isoformat(), "kind": "payment", "channel": "this_bank",
                "source_system": "cbs", "external_ref": "RISK-IMPORT-1"}]
    with django_capture_on_commit_callbacks(execute=True):
        result = import_records(user=bank.rm_gy1, kind="flows", records=records, commit=True)
    assert result.ok and result.created == 1
    assert sorted(OutboxMessage.objects.get(task=ENTERPRISES_TASK).args[0]) == sorted([core.pk, member])
    assert JobRun.objects.filter(job=RISK_JOB, status=JobStatus.SUCCESS).exists()


def test_a_facility_written_through_the_service_refreshes_the_risk(bank, django_capture_on_commit_callbacks):
    from risk.facilities import facility_create
    from tests.risk.rules.bravo_data import product

    core = bank.group_gy.core_enterprise
    today = timezone.localdate()
    with django_capture_on_commit_callbacks(execute=True):
        facility_create(bank.risk_gy, reference="FAC-HOOK-1", enterprise=core, product=product(),
                        limit_amount=Decimal("1000000"), drawn=Decimal("500000"), currency="CNY",
                        start_date=today - dt.timedelta(days=400), end_date=today + dt.timedelta(days=400),
                        past_due_amount=Decimal("1000"), past_due_since=today - dt.timedelta(days=61))
    assert OutboxMessage.objects.get(task=ENTERPRISES_TASK).args == [[core.pk]]
    assert RiskAlert.objects.get(rule="past_due").severity == 3
