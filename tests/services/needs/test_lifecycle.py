"""A need's life: transitions, reasons, access; the engine's upsert: status kept, lapsing, re-raise only
when the basis grows by the factor, converted never; same input, same rows; incremental runs."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from services.engine import expand, refresh
from services.models import Need, NeedRuleSetting
from services.needs import need_record, need_set_status
from tests.services.needs.conftest import AS_OF, flow, flows, member_of_circle, month_day

MONTHS = [1, 2, 3, 4, 5, 6]
COLUMNS = [f.attname for f in Need._meta.concrete_fields if f.attname != "refreshed_at"]


def _supplier_with_unpaid(bank, paid=3_500_000, group=None):
    group = group or bank.group_gy
    core = group.core_enterprise
    rm, branch = (bank.rm_gy1, bank.gy1) if group == bank.group_gy else (bank.rm_zy1, bank.zy1)
    supplier = member_of_circle(group, "supplier", rm=rm, branch=branch)  # in the RM's full record
    flows([flow(core, supplier, 1_000_000, month_day(2026, m), kind="invoice") for m in MONTHS]
          + [flow(core, supplier, paid, month_day(2026, 5))])
    return supplier


def _need(supplier):
    return Need.objects.get(enterprise=supplier, rule="receivables_financing")


def snapshot():
    return sorted(Need.objects.values_list(*COLUMNS))


def test_transitions_and_reason(bank):
    supplier = _supplier_with_unpaid(bank)
    refresh(as_of=AS_OF)
    need = _need(supplier)
    need = need_set_status(bank.rm_gy1, need, "contacted")
    assert need.status == "contacted" and need.status_changed_by == bank.rm_gy1
    with pytest.raises(ValidationError) as err:
        need_set_status(bank.rm_gy1, need, "new")
    assert "status" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        need_set_status(bank.rm_gy1, need, "dismissed", "   ")
    assert "reason" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        need_set_status(bank.rm_gy1, need, "dismissed", "x" * 501)
    assert "reason" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        need_set_status(bank.rm_gy1, need, "dismissed", "bad\x00text")
    assert "reason" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        need_set_status(bank.rm_gy1, need, "bogus")
    assert "status" in err.value.message_dict
    need = need_set_status(bank.rm_gy1, need, "dismissed", "已有他行保理")
    assert need.dismissed_basis == need.basis == Decimal("2500000.00")
    history = list(need.history.order_by("history_date").values_list("status", "history_user_id"))
    assert history == [("new", None), ("contacted", bank.rm_gy1.pk), ("dismissed", bank.rm_gy1.pk)]
    with pytest.raises(ValidationError):
        need_set_status(bank.rm_gy1, need, "converted")


def test_access_risk_officer_and_other_branch(bank):
    supplier = _supplier_with_unpaid(bank)
    refresh(as_of=AS_OF)
    need = _need(supplier)
    with pytest.raises(PermissionDenied):
        need_set_status(bank.risk_gy, need, "contacted")
    with pytest.raises(Need.DoesNotExist):
        need_set_status(bank.rm_zy1, need, "contacted")
    assert _need(supplier).status == "new"


def test_a_rerun_keeps_status_and_the_same_rows(bank):
    supplier = _supplier_with_unpaid(bank)
    first = refresh(as_of=AS_OF)
    assert first["raised"] == 1
    need_set_status(bank.rm_gy1, _need(supplier), "contacted")
    before = snapshot()
    again = refresh(as_of=AS_OF)
    assert again["raised"] == 0 and again["updated"] == 0 and snapshot() == before  # nothing changed: no write


def test_refresh_twice_gives_identical_needs(bank):
    _supplier_with_unpaid(bank)
    _supplier_with_unpaid(bank, group=bank.group_zy)
    refresh(as_of=AS_OF)
    first = snapshot()
    refresh(as_of=AS_OF)
    assert snapshot() == first and len(first) == 2


def test_a_need_no_longer_found_lapses(bank):
    supplier = _supplier_with_unpaid(bank)
    refresh(as_of=AS_OF)
    flows([flow(bank.group_gy.core_enterprise, supplier, 2_000_000, month_day(2026, 6))])  # now mostly paid
    counts = refresh(as_of=AS_OF)
    need = _need(supplier)
    assert counts["lapsed"] == 1 and not need.is_current and need.status == "new"


def test_dismissed_stays_dismissed_until_the_basis_grows_by_the_factor(bank):
    supplier = _supplier_with_unpaid(bank)  # unpaid 2.5 m
    refresh(as_of=AS_OF)
    need_set_status(bank.rm_gy1, _need(supplier), "dismissed", "客户暂无需求")
    core = bank.group_gy.core_enterprise
    flows([flow(core, supplier, 1_200_000, month_day(2026, 6), kind="invoice")])  # unpaid 3.7 m < 3.75 m
    counts = refresh(as_of=AS_OF)
    need = _need(supplier)
    assert counts["re_raised"] == 0 and need.status == "dismissed" and need.basis == Decimal("2500000.00")
    flows([flow(core, supplier, 100_000, month_day(2026, 6), kind="invoice")])  # unpaid 3.8 m >= 2.5 x 1.5
    counts = refresh(as_of=AS_OF)
    need = _need(supplier)
    assert counts["re_raised"] == 1 and need.status == "new" and need.basis == Decimal("3800000.00")
    assert need.evidence_en.startswith("raised again: the evidence grew from CNY 2.50 m to CNY 3.80 m; ")
    assert need.evidence.startswith("再次提示：依据由250.00万元增至380.00万元；")
    assert need.history.first().history_change_reason == "raised again"
    # A further run keeps it as it is (idempotent), still saying why it came back.
    before = snapshot()
    refresh(as_of=AS_OF)
    assert snapshot() == before


def test_the_reraise_factor_is_head_offices(bank):
    NeedRuleSetting.objects.create(rule="_engine", params={"reraise_factor": "3"})
    supplier = _supplier_with_unpaid(bank)
    refresh(as_of=AS_OF)
    need_set_status(bank.rm_gy1, _need(supplier), "dismissed", "客户暂无需求")
    flows([flow(bank.group_gy.core_enterprise, supplier, 3_000_000, month_day(2026, 6), kind="invoice")])
    refresh(as_of=AS_OF)
    assert _need(supplier).status == "dismissed"  # 5.5 m < 7.5 m


def test_converted_is_never_raised_again(bank):
    supplier = _supplier_with_unpaid(bank)
    refresh(as_of=AS_OF)
    need_set_status(bank.rm_gy1, _need(supplier), "converted")
    flows([flow(bank.group_gy.core_enterprise, supplier, 9_000_000, month_day(2026, 6), kind="invoice")])
    refresh(as_of=AS_OF)
    need = _need(supplier)
    assert need.status == "converted" and need.basis == Decimal("2500000.00")


def test_a_disabled_rule_raises_nothing(bank):
    NeedRuleSetting.objects.create(rule="receivables_financing", enabled=False)
    _supplier_with_unpaid(bank)
    refresh(as_of=AS_OF)
    assert not Need.objects.exists()


def test_thresholds_set_by_head_office_apply(bank):
    NeedRuleSetting.objects.create(rule="receivables_financing", params={"min_unpaid": "3000000"})
    _supplier_with_unpaid(bank)
    refresh(as_of=AS_OF)
    assert not Need.objects.exists()


def test_incremental_refresh_touches_only_the_given_enterprises_and_their_cores(bank):
    gy_supplier = _supplier_with_unpaid(bank)
    zy_supplier = _supplier_with_unpaid(bank, group=bank.group_zy)
    counts = refresh([gy_supplier.pk], as_of=AS_OF)
    assert set(Need.objects.values_list("enterprise_id", flat=True)) == {gy_supplier.pk}
    # The supplier and the core of the group whose circle it is in.
    assert expand([gy_supplier.pk]) == sorted({gy_supplier.pk, bank.group_gy.core_enterprise_id})
    assert counts["enterprises"] == 2
    refresh([zy_supplier.pk], as_of=AS_OF)
    assert Need.objects.count() == 2


def test_incremental_run_chunks(bank):
    a = _supplier_with_unpaid(bank)
    b = _supplier_with_unpaid(bank)
    counts = refresh([a.pk, b.pk], as_of=AS_OF, chunk_size=1)
    assert counts["chunks"] == 3 and counts["raised"] == 2
    refresh(as_of=AS_OF, chunk_size=2)  # a full run in chunks of two ids gives the same rows
    assert Need.objects.count() == 2 and Need.objects.filter(is_current=True).count() == 2


# --- needs recorded by hand --------------------------------------------------------------------------------


def test_need_record_by_hand(bank):
    core = bank.group_gy.core_enterprise
    need = need_record(bank.rm_gy1, enterprise=core.uscc, product="payroll", score=70, value="120000",
                       evidence="拜访时财务总监提到代发工资需求")
    assert need.rule == "manual" and need.group_id == bank.group_gy.pk and need.recorded_by == bank.rm_gy1
    assert need.value == Decimal("120000.00") and need.history.count() == 1


@pytest.mark.parametrize("field, kwargs", [
    ("score", {"score": 101}),
    ("score", {"score": -1}),
    ("score", {"score": "ten"}),
    ("score", {"score": 5.5}),
    ("value", {"value": "-1"}),
    ("value", {"value": "1e30"}),
    ("value", {"value": "NaN"}),
    ("value", {"value": True}),
    ("product", {"product": "no_such_product"}),
    ("product", {"product": 12}),
    ("enterprise", {"enterprise": "91520100MA6DL4XX0X"}),
    ("enterprise", {"enterprise": "not a code"}),
    ("evidence", {"evidence": ""}),
    ("evidence", {"evidence": "a\x00b"}),
    ("evidence", {"evidence": "x" * 2001}),
    ("group", {"group": "1"}),
])
def test_need_record_refuses_hostile_input(bank, field, kwargs):
    data = {"enterprise": bank.group_gy.core_enterprise.uscc, "product": "payroll", "score": 50, "value": "1",
            "evidence": "<script>alert(1)</script>"}
    data.update(kwargs)
    with pytest.raises(ValidationError) as err:
        need_record(bank.rm_gy1, **data)
    assert field in err.value.message_dict
    assert not Need.objects.exists()


def test_need_record_access(bank):
    core = bank.group_gy.core_enterprise
    data = {"product": "payroll", "score": 50, "value": "1", "evidence": "拜访"}
    with pytest.raises(ValidationError) as err:
        need_record(bank.rm_zy1, enterprise=core.uscc, **data)
    assert "enterprise" in err.value.message_dict
    with pytest.raises(PermissionDenied):
        need_record(bank.risk_gy, enterprise=core.uscc, **data)
    with pytest.raises(ValidationError) as err:
        need_record(bank.rm_gy1, enterprise=core.uscc, group=bank.group_zy.pk, **data)
    assert "group" in err.value.message_dict
    # Script text is stored as text (templates escape it).
    need = need_record(bank.rm_gy1, enterprise=core.uscc, evidence="<script>x</script>",
                       **{k: v for k, v in data.items() if k != "evidence"})
    assert need.evidence == "<script>x</script>"


def test_a_second_run_in_the_same_process_reads_the_data_again_not_the_first_runs_answer(bank):
    """The idle-balance rules share one read per run; a later run (same day, same enterprises) must see
    balances that changed in between: a worker process serves many runs."""
    import datetime as dt
    from decimal import Decimal

    from clients.models import AccountBalance, BankAccount
    from services import engine
    from services.models import Need

    core = bank.group_gy.core_enterprise
    as_of = dt.date(2026, 10, 31)
    account = BankAccount.objects.create(enterprise=core, account_no="IDLE-1", kind="demand")
    AccountBalance.objects.create(account=account, date=as_of - dt.timedelta(days=120), balance=Decimal("1000"))
    engine.refresh([core.pk], as_of=as_of)
    assert not Need.objects.filter(enterprise=core, rule="wealth_management").exists()
    AccountBalance.objects.filter(account=account).update(balance=Decimal("7000000"))
    engine.refresh([core.pk], as_of=as_of)
    assert Need.objects.filter(enterprise=core, rule="wealth_management", is_current=True).exists()
