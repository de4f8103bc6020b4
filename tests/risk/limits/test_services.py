"""risk.facilities and risk.pledges as services: roles, reach, the allocation rule, history, closing,
pledge normalisation and conflicts (also under two concurrent connections on PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from risk import facilities, pledges
from risk.models import Facility, FacilityStatus, Pledge, SubLimit
from tests.risk.limits.conftest import facility, members

D = dt.date(2026, 1, 1)


def _fields(enterprise, **kw):
    return {"reference": kw.pop("reference", "S-1"), "enterprise": enterprise, "product": "working_capital_loan",
            "limit_amount": Decimal("1000000"), "drawn": Decimal("0"), "currency": "CNY", "start_date": D,
            "end_date": dt.date(2027, 1, 1), **kw}


def test_roles_and_reach(bank):
    core = bank.group_gy.core_enterprise
    with pytest.raises(PermissionDenied):
        facilities.facility_create(bank.rm_gy1, **_fields(core))
    with pytest.raises(PermissionDenied):
        facilities.facility_create(bank.head_gy, **_fields(core))
    with pytest.raises(ValidationError) as exc:
        facilities.facility_create(bank.risk_gy, **_fields(bank.group_zy.core_enterprise))
    assert "No enterprise with the credit code" in exc.value.message_dict["enterprise"][0]
    f = facilities.facility_create(bank.risk_gy, **_fields(core.uscc.lower()))
    assert f.enterprise == core and f.history.get().history_user == bank.risk_gy
    with pytest.raises(ValidationError) as exc:
        facilities.facility_create(bank.risk_gy, **_fields(core, reference="S-CUR", currency="usd?"))
    assert "currency" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        facilities.facility_create(bank.risk_gy, **_fields(core, reference="S-2", past_due_amount=Decimal("5")))
    assert "past_due_since" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        facilities.facility_create(bank.risk_gy, **_fields(core, reference="S-3", end_date=dt.date(2025, 1, 1)))
    assert "end_date" in exc.value.message_dict
    with pytest.raises(Facility.DoesNotExist):
        facilities.facility_update(bank.hq.__class__.objects.get(username="risk_gy"),
                                   facility(bank.group_zy.core_enterprise, 10), drawn=Decimal("1"))


def test_allocation_in_cny_and_close(bank, usd):
    group = bank.group_gy
    _core, sub1, _sub2 = members(group)
    facilities.sub_limit_set(bank.risk_gy, group, sub1, Decimal("7200000"))
    with pytest.raises(ValidationError) as exc:  # 1,000,001 USD = 7,200,007.20 CNY
        facilities.facility_create(bank.risk_gy, **_fields(sub1, currency="USD", limit_amount=Decimal("1000001")))
    assert "the headroom is CNY 7,200,000.00" in exc.value.message_dict["limit_amount"][0]
    f = facilities.facility_create(bank.risk_gy, **_fields(sub1, currency="USD"))
    with pytest.raises(ValidationError):  # no rate for EUR: cannot be held against the sub-limit
        facilities.facility_create(bank.risk_gy, **_fields(sub1, reference="S-EUR", currency="EUR",
                                                          limit_amount=Decimal("1")))
    with pytest.raises(ValidationError) as exc:
        facilities.sub_limit_set(bank.risk_gy, group, sub1, Decimal("7000000"))
    assert "cannot be lower" in exc.value.message_dict["amount"][0]
    f = facilities.facility_update(bank.risk_gy, f, drawn=Decimal("10"))
    with pytest.raises(ValidationError):
        facilities.facility_close(bank.risk_gy, f)
    facilities.facility_update(bank.risk_gy, f, drawn=Decimal("0"))
    closed = facilities.facility_close(bank.risk_gy, f)
    assert closed.status == FacilityStatus.CLOSED
    assert Facility.history.filter(id=f.pk).count() == 4  # created, drawn, repaid, closed
    # Not a member: refused naming the field.
    with pytest.raises(ValidationError) as exc:
        facilities.sub_limit_set(bank.risk_gy, group, bank.group_gy.core_enterprise.__class__.objects.exclude(
            memberships__group=group).filter(branch=bank.gy1).first() or sub1, Decimal("0"))
    assert "amount" in exc.value.message_dict or "enterprise" in exc.value.message_dict
    sub = SubLimit.objects.get()
    pk = sub.pk
    facilities.sub_limit_remove(bank.risk_gy, sub)
    assert list(SubLimit.history.filter(id=pk).order_by("history_id").values_list("history_type", flat=True)) == ["+", "-"]


def test_pledge_normalised_conflict_and_release(bank):
    core = bank.group_gy.core_enterprise
    _c, sub1, _s = members(bank.group_gy)
    f1, f2 = facility(core, 1000, reference="P-EARLY"), facility(sub1, 1000)
    p = pledges.pledge_record(bank.risk_gy, f1, "receivable", invoice_no=" inv 42 ", debtor_uscc=sub1.uscc,
                              amount=Decimal("10"), confirmed_on=D, confirmation_ref="QR")
    assert p.invoice_no == "INV42"
    with pytest.raises(ValidationError) as exc:
        pledges.pledge_record(bank.risk_gy, f2, "receivable", invoice_no="inv42", debtor_uscc=sub1.uscc,
                              amount=Decimal("10"))
    message = exc.value.message_dict["invoice_no"][0]
    assert "P-EARLY" in message and core.name in message
    # The same number of another debtor is another invoice.
    pledges.pledge_record(bank.risk_gy, f2, "receivable", invoice_no="INV42", debtor_uscc=core.uscc, amount=Decimal("1"))
    pledges.pledge_release(bank.risk_gy, p)
    pledges.pledge_record(bank.risk_gy, f2, "receivable", invoice_no="INV42", debtor_uscc=sub1.uscc, amount=Decimal("1"))
    with pytest.raises(ValidationError) as exc:
        pledges.pledge_record(bank.risk_gy, f2, "receivable", invoice_no="", debtor_uscc=None, amount=Decimal("-1"))
    assert {"invoice_no", "debtor", "amount"} <= set(exc.value.message_dict)
    with pytest.raises(PermissionDenied):
        pledges.pledge_record(bank.rm_gy1, f2, "inventory", lot_ref="L1", amount=Decimal("1"))
    with pytest.raises(Facility.DoesNotExist):
        pledges.pledge_record(bank.risk_gy, facility(bank.group_zy.core_enterprise, 5), "inventory", lot_ref="L1",
                              amount=Decimal("1"))


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_pledges_of_one_lot(bank):
    core = bank.group_gy.core_enterprise
    _c, sub1, _s = members(bank.group_gy)
    f1, f2 = facility(core, 1000, reference="RACE-1"), facility(sub1, 1000, reference="RACE-2")
    barrier = threading.Barrier(2)
    results: list = []

    def attempt(fac):
        try:
            barrier.wait(timeout=10)
            pledges.pledge_record(bank.risk_gy, fac, "inventory", lot_ref="LOT-RACE", amount=Decimal("5"))
            results.append("ok")
        except ValidationError as exc:
            results.append(exc.message_dict["lot_ref"][0])
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(f,)) for f in (f1, f2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(results, key=len)[0] == "ok" and len(results) == 2
    assert "RACE-" in sorted(results, key=len)[1]
    assert Pledge.objects.filter(lot_ref="LOT-RACE").count() == 1
