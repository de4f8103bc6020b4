"""The API against its own schema, with schemathesis (property-based, every operation, every check).

The schema is the one `/api/schema/` serves (drf-spectacular's generator, run in-process: the served
view needs a login, which needs the database, which tests only get inside a test). Every generated
request goes through the whole WSGI stack (middleware included) twice: with an RM's token and with a
head-office token, so both scopes answer within the contract. All of schemathesis' checks run,
configured by the repository's `schemathesis.toml` (the same file the longer run uses, bench/fuzz.py):
no server error, status codes, content types, headers and bodies as documented, schema-violating
requests refused, schema-valid ones accepted (or refused for a rule only the data can tell), and
authentication not ignored.

Sized for CI: the examples and fuzzing phases (positive and negative data), derandomized, with
FUZZ_EXAMPLES examples per operation; the coverage and stateful phases run in bench/fuzz.py against
a server. Writes happen, on the test database, inside each test's transaction.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import schemathesis
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

from config.wsgi import application

FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "12"))
CONFIG_FILE = Path(__file__).resolve().parents[2] / "schemathesis.toml"


def _load_schema():
    spec = SchemaGenerator().get_schema(request=None, public=True)
    spec = json.loads(json.dumps(spec, default=str))  # lazy translations and the like become plain JSON
    config = SchemathesisConfig.from_path(str(CONFIG_FILE))
    config.projects.default.phases.coverage.enabled = False  # bench/fuzz.py runs it
    config.projects.default.phases.stateful.enabled = False
    loaded = schemathesis.openapi.from_dict(spec, config=config)
    loaded.app = application
    return loaded


schema = _load_schema()


@pytest.fixture
def wsgi_in_transaction():
    """Requests go through the WSGI handler, whose request_started/finished signals close the
    connection when it is inside a transaction (the test's). Django's test client disconnects that
    handler for its requests; so do we, for the duration of the test."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def records(bank):
    """One record of every kind the API serves, in rm_gy1's reach (group_gy), so that generated
    requests on `/{id}/` paths also reach real objects (see `_on_real_object`)."""
    import datetime as dt
    from decimal import Decimal

    from django.utils import timezone

    from chains.models import ChainLink
    from circles.models import Guarantee
    from clients import approvals
    from clients.models import AccountBalance, BankAccount, FinancialStatement, Interaction, Person
    from tests.factories import EnterpriseFactory, FlowFactory

    group = bank.group_gy
    core = group.core_enterprise
    other = EnterpriseFactory(name="契约测试供应商", is_client=False)
    FlowFactory(payer=core, payee=other)
    ChainLink.objects.create(group=group, supplier=other, buyer=core, tier=-1, goods="钢材")
    today = timezone.localdate()
    Guarantee.objects.create(guarantor=core, borrower=other, amount=Decimal("1000000"),
                             start_date=today - dt.timedelta(days=30), end_date=today + dt.timedelta(days=300))
    account = BankAccount.objects.create(enterprise=core, account_no="6222000011112222", kind="demand")
    AccountBalance.objects.create(account=account, date=today, balance=Decimal("12345.67"))
    FinancialStatement.objects.create(enterprise=core, period_end=dt.date(2025, 12, 31), period_type="annual",
                                      revenue=Decimal("1000000"))
    Interaction.objects.create(enterprise=core, staff=bank.rm_gy1, kind="visit", occurred_at=timezone.now(),
                               subject="走访")
    Person.objects.create(name="张三", id_number="11010519491231002X", recorded_by=bank.rm_gy1)
    sub = group.memberships.exclude(enterprise=core).first().enterprise
    approvals.transfer_request(user=bank.rm_gy1, enterprise=sub, branch=bank.zy1, rm=bank.rm_zy1, reason="契约测试")
    from core.models import FxRate
    from services.models import Holding, Product

    Holding.objects.create(enterprise=core, product=Product.objects.get(code="settlement"), since=today,
                           balance=Decimal("1000.00"), currency="USD", source_system="core_banking",
                           external_ref="CONTRACT-1")
    FxRate.objects.create(currency="USD", date=today, rate=Decimal("7.1"))
    _risk_records(bank, group, core, sub, other, today)


def _risk_records(bank, group, core, sub, other, today):
    """A facility with a pledge, a sub-limit, other banks' financing, an open alert and a proposal."""
    import datetime as dt
    from decimal import Decimal

    from core.rulekit import Scope
    from risk import alerts
    from risk.models import Facility, GroupProposal, OtherBankFinancing, Pledge, SubLimit
    from risk.rules import Finding, enterprise_key, enterprise_scope
    from services.models import Product

    facility = Facility.objects.create(reference="CONTRACT-FAC-1", enterprise=core,
                                       product=Product.objects.get(code="receivables_financing"),
                                       limit_amount=Decimal("1000000"), drawn=Decimal("10"), start_date=today,
                                       end_date=today + dt.timedelta(days=365))
    Pledge.objects.create(facility=facility, kind="receivable", invoice_no="CONTRACT-INV-1", debtor=other,
                          amount=Decimal("100"))
    SubLimit.objects.create(group=group, enterprise=sub, amount=Decimal("2000000"))
    OtherBankFinancing.objects.create(enterprise=core, lender="契约测试银行", amount=Decimal("500"), as_of=today)
    alerts.sync("past_due", [Finding(subject_key=enterprise_key(core.pk), enterprise_id=core.pk, group_id=group.pk,
                                     severity=2, evidence="逾期", evidence_en="past due")],
                enterprise_scope(Scope(as_of=today, ids=[core.pk])))
    GroupProposal.objects.create(group=group, enterprise=other, test="non_fair", evidence="认定", evidence_key="contract")


def _on_real_object(case) -> bool:
    """Point the case's object id (or credit code) at an existing object of the operation's model; False
    when the path has no object parameter."""
    from django.urls import resolve

    params = dict(case.path_parameters or {})
    if not params or case.meta is None or not case.meta.generation.mode.is_positive:
        return False  # a negative case keeps its invalid id
    probe = (case.operation.path.replace("{id}", "1").replace("{uscc}", "91520100000001001W")
             .replace("{code}", "code"))  # catalogue objects by code (services.api.catalogue)
    view = resolve(probe).func.cls
    if getattr(view, "queryset", None) is None:  # plain ViewSets over fixed objects (rules by code, settings id 1)
        from risk.rules import load

        params.update({k: v for k, v in {"code": sorted(load())[0], "id": "1"}.items() if k in params})
        case.path_parameters = params
        return True
    model = view.queryset.model
    obj = model.objects.order_by("pk").first()
    if obj is None:
        return False
    if "id" in params:
        params["id"] = str(obj.pk)
    if "uscc" in params:
        params["uscc"] = obj.uscc
    if "code" in params:
        params["code"] = obj.code
    case.path_parameters = params
    return True


@pytest.fixture
def personas(bank, records, api_as, wsgi_in_transaction):
    """Authorization headers of an RM (a branch's scope) and of head office (everything)."""
    return [{"Authorization": api_as(user)._credentials["HTTP_AUTHORIZATION"]} for user in (bank.rm_gy1, bank.hq)]


def _operations(spec: dict) -> set[tuple[str, str, str]]:
    return {(method.upper(), path, op["operationId"]) for path, item in spec["paths"].items()
            for method, op in item.items() if isinstance(op, dict) and "operationId" in op}


def test_the_fuzzed_schema_is_the_served_one(bank, api_as):
    """What is fuzzed below is what /api/schema/ serves: every operation, and nothing else."""
    response = api_as(bank.hq).get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    served = _operations(response.json())
    assert served == _operations(schema.raw_schema)
    assert len(served) >= 53


@schema.parametrize()
@settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    # The fixtures build a bank per operation; schemathesis' data is large by design.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large,
                           HealthCheck.filter_too_much],
)
def test_every_operation_keeps_its_contract(case, personas):
    for headers in personas:
        case.call_and_validate(headers=headers)
    if _on_real_object(case):  # the same request on an object that exists
        for headers in personas:
            case.call_and_validate(headers=headers)
