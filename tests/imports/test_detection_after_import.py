"""A committed flows import queues chain-link detection for the groups it touches (after commit)."""

import io

from chains.models import ChainLink, LinkStatus
from imports.services import import_file
from tests.factories import EnterpriseFactory
from tests.imports.helpers import csv_bytes, flow_row


def test_new_flows_with_an_undeclared_counterparty_are_proposed_as_a_link(bank, django_capture_on_commit_callbacks,
                                                                       every_pair_detected):
    group = bank.group_gy
    supplier = EnterpriseFactory(rm=bank.rm_gy1, is_client=False)
    data = csv_bytes([flow_row(group.core_enterprise.uscc, supplier.uscc, "PAY-9", value_date="2026-10-01")])
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        result = import_file(user=bank.rm_gy1, kind="flows", fh=io.BytesIO(data), filename="f.csv", commit=True,
                             source_system="erp")
    assert result.created == 1
    assert group.pk in result.group_ids
    assert len(callbacks) == 1
    link = ChainLink.objects.get(group=group, supplier=supplier, buyer=group.core_enterprise)
    assert (link.status, link.tier) == (LinkStatus.DETECTED, -1)


def test_a_preview_or_a_rejected_file_queues_nothing(bank, django_capture_on_commit_callbacks):
    group = bank.group_gy
    supplier = EnterpriseFactory(rm=bank.rm_gy1)
    data = csv_bytes([flow_row(group.core_enterprise.uscc, supplier.uscc, "PAY-9")])
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        preview = import_file(user=bank.rm_gy1, kind="flows", fh=io.BytesIO(data), filename="f.csv", commit=False,
                              source_system="erp")
        bad = csv_bytes([flow_row(group.core_enterprise.uscc, supplier.uscc, "PAY-9", amount="-1")])
        rejected = import_file(user=bank.rm_gy1, kind="flows", fh=io.BytesIO(bad), filename="f.csv", commit=True,
                               source_system="erp")
    assert (preview.ok, preview.created, rejected.ok) == (True, 1, False)
    assert callbacks == []
    assert not ChainLink.objects.filter(supplier=supplier).exists()
