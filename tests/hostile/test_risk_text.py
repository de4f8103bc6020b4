"""Hostile text on the risk write paths (issue 10): a NUL or a lone surrogate in an alert comment, a
pledge's invoice number, a facility reference, a lender's name or a proposal's note is a 400 naming the
field, through the API and the pages, and nothing is written."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest

from core.rulekit import Scope
from risk import alerts
from risk.models import AlertComment, Facility, GroupProposal, OtherBankFinancing, Pledge, RiskAlert
from risk.rules import Finding, enterprise_key, enterprise_scope
from services.models import Product
from tests.factories import EnterpriseFactory

BAD = ["坏\x00值", "坏\udc00值"]


@pytest.fixture
def world(bank, catalogue):
    core = bank.group_gy.core_enterprise
    alerts.sync("past_due", [Finding(subject_key=enterprise_key(core.pk), enterprise_id=core.pk,
                                     group_id=bank.group_gy.pk, severity=3, evidence="逾期", evidence_en="past due")],
                enterprise_scope(Scope(as_of=dt.date(2026, 6, 1), ids=[core.pk])))
    facility = Facility.objects.create(reference="HOSTILE-FAC", enterprise=core,
                                       product=Product.objects.get(code="receivables_financing"),
                                       limit_amount=Decimal("1000000"), start_date=dt.date(2026, 1, 1),
                                       end_date=dt.date(2027, 1, 1))
    proposal = GroupProposal.objects.create(group=bank.group_gy, enterprise=EnterpriseFactory(), test="non_fair",
                                            evidence="依据", evidence_key="hostile")
    return {"alert": RiskAlert.objects.get(enterprise=core), "facility": facility, "proposal": proposal,
            "core": core}


def _post(api, url, payload):
    body = json.dumps(payload).encode()  # a lone surrogate travels as its JSON escape (\udc00)
    return api.generic("POST", url, body, content_type="application/json")


@pytest.mark.parametrize("bad", BAD)
def test_hostile_text_on_the_risk_api_is_a_400_naming_the_field(bank, api_as, world, bad):
    risk, rm = api_as(bank.risk_gy), api_as(bank.rm_gy1)
    cases = [
        (risk, f"/api/v1/alerts/{world['alert'].pk}/comments/", {"text": bad}, "text"),
        (risk, f"/api/v1/alerts/{world['alert'].pk}/resolve/", {"comment": bad}, "comment"),
        (risk, "/api/v1/pledges/", {"facility": world["facility"].pk, "kind": "receivable", "invoice_no": bad,
                                    "debtor": world["core"].uscc, "amount": "10"}, "invoice_no"),
        (risk, "/api/v1/facilities/", {"reference": bad, "enterprise": world["core"].uscc,
                                       "product": "working_capital_loan", "limit_amount": "10",
                                       "start_date": "2026-01-01", "end_date": "2027-01-01"}, "reference"),
        (rm, "/api/v1/other-bank-financing/", {"enterprise": world["core"].uscc, "lender": bad, "amount": "10",
                                               "as_of": "2026-06-30"}, "lender"),
        (rm, f"/api/v1/group-proposals/{world['proposal'].pk}/reject/", {"note": bad}, "note"),
    ]
    for api, url, payload, field in cases:
        response = _post(api, url, payload)
        assert response.status_code == 400, (url, response.status_code, response.content[:200])
        assert field in json.dumps(response.json(), ensure_ascii=False), (url, response.json())
    assert not AlertComment.objects.exists()
    assert RiskAlert.objects.get(pk=world["alert"].pk).status == "open"
    assert not Pledge.objects.exists() and Facility.objects.count() == 1
    assert not OtherBankFinancing.objects.exists()
    assert GroupProposal.objects.get(pk=world["proposal"].pk).status == "pending"


def test_hostile_text_on_the_alert_page_is_refused_and_nothing_written(bank, client_as, world):
    response = client_as(bank.risk_gy).post(f"/risk/alerts/{world['alert'].pk}/comment/", {"text": "坏\x00值"})
    assert response.status_code == 400
    assert not AlertComment.objects.exists()
