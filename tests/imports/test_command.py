"""manage.py import_flows."""

import pytest
from django.core.management import CommandError, call_command

from chains.models import Flow
from tests.imports.helpers import csv_bytes, flow_row, members


def test_command_imports_then_reports_nothing_new(bank, tmp_path, capsys):
    codes = members(bank.group_gy)
    path = tmp_path / "erp_2025.csv"
    path.write_bytes(csv_bytes([flow_row(codes[0], codes[1], "C1"), flow_row(codes[1], codes[0], "C2")]))
    call_command("import_flows", str(path))
    assert "2 created, 0 already present" in capsys.readouterr().out
    assert set(Flow.objects.values_list("source_system", flat=True)) == {"erp_2025"}
    call_command("import_flows", str(path))
    assert "0 created, 2 already present" in capsys.readouterr().out


def test_command_prints_row_errors_and_exits_non_zero(bank, tmp_path, capsys):
    codes = members(bank.group_gy)
    path = tmp_path / "bad.csv"
    path.write_bytes(csv_bytes([flow_row(codes[0], codes[1], "C1"), flow_row(codes[0], codes[1], "C2", amount="x")]))
    with pytest.raises(CommandError):
        call_command("import_flows", str(path), "--source", "erp")
    assert "row 3, amount" in capsys.readouterr().err
    assert Flow.objects.count() == 0


def test_command_as_user_applies_their_scope(bank, tmp_path):
    codes = members(bank.group_gy)
    path = tmp_path / "f.csv"
    path.write_bytes(csv_bytes([flow_row(codes[0], codes[1], "C1")]))
    with pytest.raises(CommandError):
        call_command("import_flows", str(path), "--user", "rm_zy1")
    call_command("import_flows", str(path), "--user", "rm_gy1")
    assert Flow.objects.count() == 1
