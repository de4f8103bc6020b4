"""Flow imports queue an incremental needs refresh of their enterprises through the outbox, in the
import's own transaction; eagerly here, so the needs are there when the import returns."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from core.models import OutboxMessage
from imports.services import import_records
from services.models import Need
from services.tasks import ENTERPRISES_TASK
from tests.services.needs.conftest import member_of_circle


def test_a_flows_import_refreshes_the_needs_of_its_enterprises(bank, django_capture_on_commit_callbacks):
    from imports.models import SourceSystem

    SourceSystem.objects.get_or_create(code="cbs", defaults={"name": "core banking"})
    supplier = member_of_circle(bank.group_gy, "supplier", rm=bank.rm_gy1, branch=bank.gy1)
    core = bank.group_gy.core_enterprise
    today = timezone.localdate()
    records = [{"payer": core.uscc, "payee": supplier.uscc, "amount": "2000000.00", "currency": "CNY",
                "value_date": (today - dt.timedelta(days=d)).isoformat(), "kind": "invoice", "channel": "this_bank",
                "source_system": "cbs", "external_ref": f"INV-NEEDS-{d}"} for d in (20, 50, 80)]
    with django_capture_on_commit_callbacks(execute=True):
        result = import_records(user=bank.rm_gy1, kind="flows", records=records, commit=True)
    assert result.ok and result.created == 3
    message = OutboxMessage.objects.get(task=ENTERPRISES_TASK)
    assert sorted(message.args[0]) == sorted([core.pk, supplier.pk])
    assert Need.objects.filter(enterprise=supplier, rule="receivables_financing").exists()
