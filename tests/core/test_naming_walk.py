"""Naming another branch's enterprise through every write path (DESIGN.md section 4, "Naming").

rm_gy1 (GY1) names group_zy's core (a client of 遵义分行) in a circle member, a guarantee, a chain link, a
control link (both ways), a claim, a transfer, a group, a statement, an account and an interaction,
through the pages and through the API. Each write is either refused like an unknown code, becomes a
request for the owning branch, or grants counterparty reach only; afterwards zy_core's financials,
accounts, interactions and its flows with anyone else stay unseen by rm_gy1, on every page and
endpoint. rm_zy1, who covers it, still sees all of it (the positive control, so the test can fail).
Imports of every kind walk the same path in tests/imports.
"""

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from chains.models import ChainLink
from chains.services import chain_links_detect
from circles.models import CircleMember, Guarantee
from clients.models import (
    BankAccount,
    ChangeRequest,
    ControlLink,
    Enterprise,
    FinancialStatement,
    GroupMembership,
    Interaction,
)
from tests.factories import EnterpriseFactory, FlowFactory

API = "/api/v1"


@pytest.fixture
def zy(bank):
    """group_zy's core with a record only rm_zy1 may see: a statement, an account, an interaction and
    a flow with another of 遵义分行's clients."""
    core = bank.group_zy.core_enterprise
    member = GroupMembership.objects.filter(group=bank.group_zy).exclude(enterprise=core).first().enterprise
    FinancialStatement.objects.create(enterprise=core, period_end=date(2025, 12, 31), period_type="annual",
                                      revenue=Decimal("777777777.00"))
    BankAccount.objects.create(enterprise=core, account_no="ZY-SECRET-ACCOUNT", kind="demand")
    Interaction.objects.create(enterprise=core, staff=bank.rm_zy1, kind="visit",
                               occurred_at="2026-11-02T09:00:00+08:00", subject="遵义机密走访")
    FlowFactory(payer=core, payee=member, amount=Decimal("4242.42"), external_ref="ZY-UNRELATED-FLOW")
    secrets = ["777,777,777", "777777777", "ZY-SECRET-ACCOUNT", "遵义机密走访", "ZY-UNRELATED-FLOW", "4242.42",
               "4,242.42"]
    return core, member, secrets


def _assert_record_unseen(bank, client_as, api_as, core, secrets):
    """rm_gy1 reaches zy_core as a counterparty at most: no page or endpoint shows its record."""
    assert not Enterprise.objects.for_user(bank.rm_gy1).filter(pk=core.pk).exists()
    page = client_as(bank.rm_gy1).get(reverse("clients:enterprise_detail", args=[core.pk]))
    if page.status_code == 200:
        assert page.templates[0].name == "clients/enterprise_counterparty.html"
    body = page.content.decode()
    api = api_as(bank.rm_gy1)
    assert api.get(f"{API}/enterprises/{core.uscc}/").status_code == 404
    for endpoint in ("financial-statements", "accounts", "interactions", "flows", "enterprises", "persons"):
        body += json.dumps(api.get(f"{API}/{endpoint}/", {"page_size": 1000}).json(), ensure_ascii=False)
    for url in (reverse("clients:enterprise_list"), reverse("clients:group_list")):
        body += client_as(bank.rm_gy1).get(url).content.decode()
    leaked = [s for s in secrets if s in body]
    assert leaked == []
    # The positive control: the covering RM does see all of it.
    theirs = client_as(bank.rm_zy1).get(reverse("clients:enterprise_detail", args=[core.pk])).content.decode()
    theirs += json.dumps(api_as(bank.rm_zy1).get(f"{API}/flows/").json(), ensure_ascii=False)
    assert all(any(v in theirs for v in variants) for variants in
               (["777,777,777", "777777777"], ["ZY-SECRET-ACCOUNT"], ["遵义机密走访"], ["ZY-UNRELATED-FLOW"]))


def test_naming_through_the_pages_grants_counterparty_reach_at_most(bank, client_as, api_as, zy):
    core, zy_member, secrets = zy
    gy = bank.group_gy
    gy_core = gy.core_enterprise
    gy_member = GroupMembership.objects.filter(group=gy).exclude(enterprise=gy_core).first().enterprise
    c = client_as(bank.rm_gy1)

    # Circle member, guarantee, chain link: the record touches rm_gy1's own group; accepted.
    r = c.post(reverse("circles:member_add", args=[gy.pk]),
               {"enterprise_uscc": core.uscc, "role": "supplier", "source": "declared"})
    assert r.status_code == 302 and CircleMember.objects.filter(group=gy, enterprise=core).exists()
    r = c.post(reverse("circles:guarantee_add", args=[gy.pk]),
               {"guarantor_uscc": core.uscc, "borrower_uscc": gy_core.uscc, "amount": "100", "currency": "CNY",
                "start_date": "2026-01-01", "end_date": "2026-12-31"})
    assert r.status_code == 302 and Guarantee.objects.filter(guarantor=core, borrower=gy_core).exists()
    r = c.post(reverse("chains:link_declare", args=[gy.pk]),
               {"supplier_uscc": core.uscc, "buyer_uscc": gy_core.uscc, "tier": "-1"})
    assert r.status_code == 302 and ChainLink.objects.filter(group=gy, supplier=core).exists()

    # Control links that would pull another branch's client into rm_gy1's group, or rm_gy1's client
    # into another branch's group: requests for 遵义 to approve, nothing changes meanwhile.
    r = c.post(reverse("clients:control_link_create", args=[gy_member.pk]),
               {"parent_uscc": core.uscc, "share_pct": "60", "control_type": "equity"})
    assert r.status_code == 302 and "/clients/requests/" in r["Location"]
    assert not ControlLink.objects.filter(parent_enterprise=core, child=gy_member).exists()
    assert ChangeRequest.objects.filter(kind="control_link", requested_by=bank.rm_gy1).count() == 1
    assert not GroupMembership.objects.filter(group=bank.group_zy, enterprise=gy_member).exists()
    # A parent can only be added on a page of the user's own enterprise: zy_core's is out of reach.
    assert c.get(reverse("clients:control_link_create", args=[core.pk])).status_code == 404

    # Claiming, transferring, making it a core, recording its statements: refused or out of reach.
    r = c.post(reverse("clients:enterprise_claim"), {"uscc": core.uscc}, follow=True)
    assert "Already" in r.content.decode()
    assert c.get(reverse("clients:enterprise_transfer", args=[core.pk])).status_code == 404
    assert c.post(reverse("clients:financial_statement_create", args=[core.pk]), {}).status_code == 404
    assert c.post(reverse("clients:interaction_create", args=[core.pk]), {}).status_code == 404
    r = c.post(reverse("clients:group_create"), {"name": "越权集团", "core_uscc": core.uscc, "tier": "general"})
    assert r.status_code == 200 and "core_uscc" in r.context["form"].errors

    _assert_record_unseen(bank, client_as, api_as, core, secrets)
    # As a counterparty, rm_gy1 sees its card and its roles with their group, and only the flows with
    # their own enterprises (there are none yet).
    page = c.get(reverse("clients:enterprise_detail", args=[core.pk])).content.decode()
    assert core.name in page and "Supplier" in page and gy.name in page


def test_naming_through_the_api_grants_counterparty_reach_at_most(bank, client_as, api_as, zy):
    core, zy_member, secrets = zy
    gy = bank.group_gy
    gy_core = gy.core_enterprise
    api = api_as(bank.rm_gy1)

    assert api.post(f"{API}/circle-members/", {"group": gy.pk, "enterprise_uscc": core.uscc, "role": "customer"},
                    format="json").status_code == 201
    assert api.post(f"{API}/guarantees/", {"guarantor_uscc": gy_core.uscc, "borrower_uscc": core.uscc,
                                          "amount": "5", "start_date": "2026-01-01", "end_date": "2026-06-30"},
                    format="json").status_code == 201
    assert api.post(f"{API}/chain-links/", {"group": gy.pk, "supplier_uscc": gy_core.uscc, "buyer_uscc": core.uscc,
                                           "tier": 1}, format="json").status_code == 201
    r = api.post(f"{API}/control-links/", {"parent_uscc": gy_core.uscc, "child_uscc": core.uscc, "share_pct": "51"},
                 format="json")
    assert r.status_code == 202 and r.json()["kind"] == "control_link"

    unknown = f"No enterprise with the credit code {core.uscc} is on file; create it first."
    for endpoint, extra in [
        ("financial-statements", {"period_end": "2025-06-30", "period_type": "half"}),
        ("accounts", {"account_no": "GY-INTO-ZY", "kind": "loan"}),
        ("interactions", {"kind": "call", "occurred_at": "2026-11-03T10:00:00+08:00", "subject": "越权"}),
    ]:
        r = api.post(f"{API}/{endpoint}/", {"enterprise_uscc": core.uscc, **extra}, format="json")
        assert r.status_code == 400 and r.json() == {"enterprise_uscc": [unknown]}, endpoint
    r = api.post(f"{API}/group-clients/", {"name": "越权", "core_enterprise_uscc": core.uscc}, format="json")
    assert r.status_code == 400 and r.json()["core_enterprise_uscc"] == [unknown]
    r = api.post(f"{API}/change-requests/", {"enterprise_uscc": core.uscc, "rm": "rm_gy1"}, format="json")
    assert r.status_code == 400 and r.json()["enterprise_uscc"] == [unknown]
    r = api.post(f"{API}/registry/{core.uscc}/claim/")
    assert r.status_code == 400 and "Already" in json.dumps(r.json())
    assert api.patch(f"{API}/enterprises/{core.uscc}/", {"name": "改名"}, format="json").status_code == 404

    _assert_record_unseen(bank, client_as, api_as, core, secrets)


def test_the_registry_card_shows_the_card_only_by_exact_code(bank, client_as, api_as, zy):
    core, _member, secrets = zy
    api = api_as(bank.rm_gy1)
    card = api.get(f"{API}/registry/{core.uscc.lower()}/")
    assert card.status_code == 200
    assert card.json() == {"uscc": core.uscc, "name": core.name, "is_client": True, "owning_branch": "ZY1",
                           "owning_branch_name": "遵义汇川支行", "reach": "registry"}
    assert api.get(f"{API}/registry/{core.uscc[:17]}0/").status_code == 404
    assert api.get(f"{API}/registry/").status_code == 404  # never listed
    page = client_as(bank.rm_gy1).get(reverse("clients:registry_lookup"), {"uscc": core.uscc}).content.decode()
    assert core.name in page and "遵义汇川支行" in page and "rm_zy1" not in page
    assert not [s for s in secrets if s in page]
    # Searching by name (or a partial code) never finds it.
    for query in (core.name, core.uscc[:10]):
        page = client_as(bank.rm_gy1).get(reverse("clients:registry_lookup"), {"uscc": query}).content.decode()
        assert 'id="registry-card"' not in page and "遵义汇川支行" not in page
    # A login without a role gets nothing, even by exact code.
    assert api_as(bank.outsider).get(f"{API}/registry/{core.uscc}/").status_code == 404


def test_an_unowned_prospect_in_the_circle_is_no_bridge_to_its_other_flows(bank, client_as, api_as, zy):
    """The prospect trades with group_zy's core too; rm_gy1 adds it to their circle and sees only its
    flows with their own enterprises."""
    core, _member, _secrets = zy
    gy_core = bank.group_gy.core_enterprise
    prospect = EnterpriseFactory(name="共同供应商", is_client=False, branch=None, rm=None)
    FlowFactory(payer=core, payee=prospect, amount=Decimal("31313.13"), external_ref="BRIDGE-ZY")
    FlowFactory(payer=gy_core, payee=prospect, amount=Decimal("52525.25"), external_ref="BRIDGE-GY")
    api = api_as(bank.rm_gy1)
    assert api.post(f"{API}/circle-members/", {"group": bank.group_gy.pk, "enterprise_uscc": prospect.uscc,
                                               "role": "supplier"}, format="json").status_code == 201
    refs = [f["external_ref"] for f in api.get(f"{API}/flows/", {"payee": prospect.uscc}).json()["results"]]
    assert refs == ["BRIDGE-GY"]
    page = client_as(bank.rm_gy1).get(reverse("clients:enterprise_detail", args=[prospect.pk])).content.decode()
    assert "52,525.25" in page and "31,313.13" not in page
    # Its recorder (here nobody: it came with supply-chain data) and the owning branch after a claim
    # see all of its flows; rm_gy1 claims it, so it becomes their full record.
    r = client_as(bank.rm_gy1).post(reverse("clients:enterprise_claim"), {"uscc": prospect.uscc})
    assert r.status_code == 302
    prospect.refresh_from_db()
    assert (prospect.branch, prospect.rm) == (bank.gy1, bank.rm_gy1)
    assert prospect.claims.get().claimed_by == bank.rm_gy1
    again = client_as(bank.rm_zy1).post(reverse("clients:enterprise_claim"), {"uscc": prospect.uscc}, follow=True)
    assert "Already claimed by 贵阳观山湖支行" in again.content.decode()


def test_link_detection_from_one_payment_gives_counterparty_reach_only(bank, client_as, api_as, zy,
                                                                       every_pair_detected):
    core, _member, secrets = zy
    gy_core = bank.group_gy.core_enterprise
    FlowFactory(payer=gy_core, payee=core, amount=Decimal("10.00"), value_date=date.today() - timedelta(days=3))
    assert chain_links_detect(group=bank.group_gy)["proposed"] >= 1
    assert ChainLink.objects.filter(group=bank.group_gy, supplier=core, status="detected").exists()
    assert Enterprise.objects.counterparties_for(bank.rm_gy1).filter(pk=core.pk).exists()
    _assert_record_unseen(bank, client_as, api_as, core, secrets)


def test_naming_through_imports_of_every_kind_grants_counterparty_reach_at_most(bank, client_as, api_as, zy):
    """The upload path of each kind: circle members and chain links naming zy_core are accepted as
    counterparties, a flow between rm_gy1's core and zy_core is accepted (one party is theirs), a flow
    between two of 遵义's enterprises is refused, and an enterprise import cannot claim zy_core."""
    import io

    from imports.services import import_file
    from tests.imports.helpers import csv_bytes

    core, zy_member, secrets = zy
    gy = bank.group_gy

    def run(kind, header, rows, source="erp"):
        return import_file(user=bank.rm_gy1, kind=kind, fh=io.BytesIO(csv_bytes(rows, header)), filename="f.csv",
                           commit=True, source_system=source)

    assert run("circle_members", ["group", "enterprise", "role"], [[gy.core_enterprise.uscc, core.uscc,
                                                                    "distributor"]]).committed
    assert run("chain_links", ["group", "supplier", "buyer", "tier", "goods"],
               [[gy.core_enterprise.uscc, gy.core_enterprise.uscc, core.uscc, "1", "车"]]).committed
    flow_header = ["payer", "payee", "amount", "currency", "value_date", "kind", "channel", "external_ref"]
    ours = run("flows", flow_header, [[core.uscc, gy.core_enterprise.uscc, "66.00", "CNY", "2026-10-01", "payment",
                                       "this_bank", "NW-1"]], source="core_banking")
    assert ours.committed and ours.created == 1
    theirs = run("flows", flow_header, [[core.uscc, zy_member.uscc, "99.00", "CNY", "2026-10-02", "payment",
                                         "this_bank", "NW-2"]], source="core_banking")
    assert not theirs.committed and [e.column for e in theirs.errors.sorted()] == ["payer"]
    known = run("enterprises", ["name", "uscc"], [[core.name, core.uscc]])
    assert known.created == 0 and not Enterprise.objects.for_user(bank.rm_gy1).filter(pk=core.pk).exists()

    _assert_record_unseen(bank, client_as, api_as, core, secrets)
    page = client_as(bank.rm_gy1).get(reverse("clients:enterprise_detail", args=[core.pk])).content.decode()
    assert "66.00" in page and "Distributor" in page


def test_naming_through_the_needs_and_holdings_paths_is_refused_like_an_unknown_code(bank, client_as, api_as, zy):
    """Holdings and needs belong to the enterprise's full record (issue 9): naming 遵义's core in a holding
    (API, import) or a hand-recorded need (API, page) is refused exactly like a code not on file, and
    writes nothing."""
    import io

    from imports.services import import_file
    from services.models import Holding, Need
    from tests.imports.helpers import csv_bytes, ensure_source_systems

    ensure_source_systems()
    core, _member, secrets = zy
    unknown = f"No enterprise with the credit code {core.uscc} is on file"
    api = api_as(bank.rm_gy1)
    r = api.post(f"{API}/holdings/", [{"enterprise": core.uscc, "product": "settlement", "since": "2025-01-01",
                                       "balance": "1.00", "currency": "CNY", "source_system": "erp",
                                       "external_ref": "NW-H-1"}], format="json")
    assert r.status_code == 400 and unknown in json.dumps(r.json(), ensure_ascii=False), r.json()
    r = api.post(f"{API}/needs/", {"enterprise": core.uscc, "product": "payroll", "score": 50, "value": "1000",
                                   "evidence": "越权"}, format="json")
    assert r.status_code == 400 and unknown in json.dumps(r.json(), ensure_ascii=False), r.json()
    page = client_as(bank.rm_gy1).post(reverse("services:need_create"), {
        "enterprise": core.uscc, "product": "payroll", "score": "50", "value": "1000", "evidence": "越权"})
    assert page.status_code in (200, 400) and unknown in page.content.decode()
    result = import_file(user=bank.rm_gy1, kind="holdings", filename="h.csv", commit=True, source_system="erp",
                         fh=io.BytesIO(csv_bytes([[core.uscc, "settlement", "2025-01-01", "1.00", "CNY", "NW-H-2"]],
                                                 ["enterprise", "product", "since", "balance", "currency",
                                                  "external_ref"])))
    assert not result.committed and [e.column for e in result.errors.sorted()] == ["enterprise"]
    assert not Holding.objects.filter(enterprise=core).exists() and not Need.objects.filter(enterprise=core).exists()
    _assert_record_unseen(bank, client_as, api_as, core, secrets)


def test_naming_through_the_risk_paths_is_refused_like_an_unknown_code(bank, client_as, api_as, zy):
    """Facilities, sub-limits and other banks' financing belong to the enterprise's full record (issue 10):
    naming 遵义's core there, through the API or the pages, is refused exactly like a code not on file
    and writes nothing. A pledge may name it as the debtor of an invoice (the registry card is enough
    to name a debtor), which grants nothing."""
    from risk.models import Facility, OtherBankFinancing, Pledge, SubLimit
    from services.models import Product

    core, _member, secrets = zy
    unknown = f"No enterprise with the credit code {core.uscc} is on file"
    risk = api_as(bank.risk_gy)
    r = risk.post(f"{API}/facilities/", {"reference": "NW-FAC-1", "enterprise": core.uscc,
                                         "product": "working_capital_loan", "limit_amount": "1000",
                                         "start_date": "2026-01-01", "end_date": "2027-01-01"}, format="json")
    assert r.status_code == 400 and unknown in json.dumps(r.json(), ensure_ascii=False), r.json()
    r = risk.post(f"{API}/sub-limits/", {"group": bank.group_gy.pk, "enterprise": core.uscc, "amount": "1000"},
                  format="json")
    assert r.status_code == 400 and unknown in json.dumps(r.json(), ensure_ascii=False), r.json()
    r = api_as(bank.rm_gy1).post(f"{API}/other-bank-financing/", {"enterprise": core.uscc, "lender": "越权银行",
                                                                  "amount": "1000", "as_of": "2026-06-30"},
                                 format="json")
    assert r.status_code == 400 and unknown in json.dumps(r.json(), ensure_ascii=False), r.json()
    page = client_as(bank.risk_gy).post(reverse("risk:facility_create"), {
        "reference": "NW-FAC-2", "enterprise_uscc": core.uscc, "product": "working_capital_loan", "limit_amount": "1000",
        "drawn": "0", "currency": "CNY", "start_date": "2026-01-01", "end_date": "2027-01-01"})
    assert page.status_code in (200, 400) and unknown in page.content.decode(), page.context["form"].errors
    assert not Facility.objects.filter(enterprise=core).exists()
    assert not SubLimit.objects.filter(enterprise=core).exists()
    assert not OtherBankFinancing.objects.filter(enterprise=core).exists()
    # The debtor of a pledged invoice may be named by its code.
    gy_core = bank.group_gy.core_enterprise
    facility = Facility.objects.create(reference="NW-FAC-GY", enterprise=gy_core,
                                       product=Product.objects.get(code="receivables_financing"),
                                       limit_amount=Decimal("1000000"), start_date=date(2026, 1, 1),
                                       end_date=date(2027, 1, 1))
    r = risk.post(f"{API}/pledges/", {"facility": facility.pk, "kind": "receivable", "invoice_no": "nw-inv-1",
                                      "debtor": core.uscc, "amount": "100"}, format="json")
    assert r.status_code == 201, r.json()
    assert Pledge.objects.get(facility=facility).debtor == core
    for user in (bank.risk_gy, bank.rm_gy1):
        assert not Enterprise.objects.for_user(user).filter(pk=core.pk).exists()
    _assert_record_unseen(bank, client_as, api_as, core, secrets)
