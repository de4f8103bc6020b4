"""manage.py import KIND FILE --source CODE [--user USERNAME]."""

import pytest
from django.core.management import CommandError, call_command

from chains.models import Flow
from circles.models import CircleMember
from clients.models import Enterprise
from tests.factories import uscc_for
from tests.imports.helpers import csv_bytes, flow_row, members


def test_command_imports_then_reports_nothing_new(bank, tmp_path, capsys):
    codes = members(bank.group_gy)
    path = tmp_path / "erp_2025.csv"
    path.write_bytes(csv_bytes([flow_row(codes[0], codes[1], "C1"), flow_row(codes[1], codes[0], "C2")]))
    call_command("import", "flows", str(path), "--source", "erp")
    assert "2 created, 0 already present" in capsys.readouterr().out
    assert set(Flow.objects.values_list("source_system", flat=True)) == {"erp"}
    call_command("import", "flows", str(path), "--source", "erp")
    assert "0 created, 2 already present" in capsys.readouterr().out


def test_a_renamed_file_from_the_same_source_is_already_present(bank, tmp_path, capsys):
    codes = members(bank.group_gy)
    content = csv_bytes([flow_row(codes[0], codes[1], "C1"), flow_row(codes[1], codes[0], "C2")])
    (tmp_path / "march.csv").write_bytes(content)
    (tmp_path / "march (copy).csv").write_bytes(content)
    call_command("import", "flows", str(tmp_path / "march.csv"), "--source", "erp")
    call_command("import", "flows", str(tmp_path / "march (copy).csv"), "--source", "erp")
    assert "0 created, 2 already present" in capsys.readouterr().out.splitlines()[-1]
    assert Flow.objects.count() == 2


@pytest.mark.parametrize("source", [None, "erp_2025", "old_erp"])
def test_flows_need_an_active_source_system(bank, tmp_path, capsys, source):
    codes = members(bank.group_gy)
    path = tmp_path / "erp.csv"
    path.write_bytes(csv_bytes([flow_row(codes[0], codes[1], "C1")]))
    with pytest.raises(CommandError):
        call_command("import", "flows", str(path), *(["--source", source] if source else []))
    err = capsys.readouterr().err
    assert ("Choose the source system" in err) if source is None else ("not an active source system" in err)
    assert Flow.objects.count() == 0


def test_command_prints_row_errors_and_exits_non_zero(bank, tmp_path, capsys):
    codes = members(bank.group_gy)
    path = tmp_path / "bad.csv"
    path.write_bytes(csv_bytes([flow_row(codes[0], codes[1], "C1"), flow_row(codes[0], codes[1], "C2", amount="x")]))
    with pytest.raises(CommandError):
        call_command("import", "flows", str(path), "--source", "erp")
    assert "row 3, amount" in capsys.readouterr().err
    assert Flow.objects.count() == 0


def test_command_as_user_applies_their_reach(bank, tmp_path, capsys):
    codes = members(bank.group_gy)
    path = tmp_path / "f.csv"
    path.write_bytes(csv_bytes([flow_row(codes[0], codes[1], "C1")]))
    with pytest.raises(CommandError):
        call_command("import", "flows", str(path), "--source", "erp", "--user", "rm_zy1")
    assert "Neither the payer nor the payee is an enterprise you cover." in capsys.readouterr().err
    with pytest.raises(CommandError, match="may not change client data"):
        call_command("import", "flows", str(path), "--source", "erp", "--user", "risk_gy")
    call_command("import", "flows", str(path), "--source", "erp", "--user", "rm_gy1")
    assert Flow.objects.count() == 1


def test_command_imports_the_other_kinds(bank, tmp_path, capsys):
    code = uscc_for(610001)
    ents = tmp_path / "ents.csv"
    ents.write_bytes(csv_bytes([["新客户", code, "yes", "GY1", "rm_gy1"]],
                               header=["name", "uscc", "is_client", "branch", "rm"]))
    call_command("import", "enterprises", str(ents))
    created = Enterprise.objects.get(uscc=code)
    assert (created.is_client, created.branch.code, created.rm.username, created.recorded_by) == (
        True, "GY1", "rm_gy1", None)
    members_file = tmp_path / "members.csv"
    members_file.write_bytes(csv_bytes([[bank.group_gy.name, code, "supplier"]], header=["group", "enterprise", "role"]))
    call_command("import", "circle_members", str(members_file), "--source", "supply_chain_platform")
    member = CircleMember.objects.get(enterprise=created)
    assert member.source == "imported"
    assert member.history.get().history_change_reason == "import (supply_chain_platform)"
    with pytest.raises(CommandError):
        call_command("import", "circle_members", str(members_file), "--source", "no_such_system")
