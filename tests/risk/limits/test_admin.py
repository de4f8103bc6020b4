"""The admin of facilities, sub-limits, pledges, other banks' financing, related parties and the
concentration limits: pages open, and an add goes through the service (the allocation rule)."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.auth import get_user_model

from risk.models import Facility, SubLimit
from services.models import Product
from tests.risk.limits.conftest import members


def test_admin_pages_and_writes_through_services(bank, client_as):
    admin_user = get_user_model().objects.create_superuser("root-alpha", "r@example.com", "pw-test-2026")
    c = client_as(admin_user)
    for model in ("facility", "sublimit", "pledge", "otherbankfinancing", "relatedparty", "risksettings"):
        assert c.get(f"/admin/risk/{model}/").status_code == 200, model
        assert c.get(f"/admin/risk/{model}/add/").status_code in (200, 403), model
    group = bank.group_gy
    _core, sub1, _ = members(group)
    SubLimit.objects.create(group=group, enterprise=sub1, amount=Decimal("1000"))
    data = {"reference": "ADM-1", "enterprise": sub1.pk, "product": Product.objects.get(code="ma_loan").pk,
            "limit_amount": "2000", "drawn": "0", "currency": "CNY", "start_date": "2026-01-01",
            "end_date": "2027-01-01", "past_due_amount": "0", "collateral": ""}
    page = c.post("/admin/risk/facility/add/", data)
    assert page.status_code == 200 and "headroom" in page.content.decode()
    assert c.post("/admin/risk/facility/add/", {**data, "limit_amount": "900"}).status_code == 302
    assert Facility.objects.get(reference="ADM-1").history.get().history_user == admin_user
