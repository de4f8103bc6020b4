"""Access rules for EVERY page and EVERY API route (DESIGN.md section 4).

The walker enumerates the URL resolver and the API router, so a new page or endpoint is checked
as soon as it exists: an anonymous user gets nothing, an RM of another branch gets 403/404 (never
data), and the covering RM (the positive control) does get the data — so the test can fail.
A new URL whose arguments the walker cannot fill makes the test fail until it is added below.
"""

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from chains.models import ChainLink, Flow
from circles.models import CircleMember, Guarantee
from clients.models import (
    AccountBalance,
    BankAccount,
    ChangeRequest,
    ControlLink,
    Enterprise,
    FinancialStatement,
    GroupClient,
    GroupMembership,
    Interaction,
    KeyPerson,
    Person,
)
from config.api_urls import router
from tests.factories import EnterpriseFactory, PersonFactory

PUBLIC = {"login", "logout", "set_language", "health"}  # health: no login, no data (core.health)
SKIP_NAMESPACES = {"admin"}  # Django admin: staff only, its own permission system


@pytest.fixture
def world(bank):
    """One object of every kind in group_gy's scope (rm_gy1's), none visible to rm_zy1."""
    g = bank.group_gy
    core = g.core_enterprise
    member = GroupMembership.objects.filter(group=g).exclude(enterprise=core).first().enterprise
    supplier = EnterpriseFactory(name="贵阳测试供应商有限公司", is_client=False)
    person = PersonFactory(name="测试实控人")
    objs = {
        GroupClient: g,
        Enterprise: core,
        ControlLink: ControlLink.objects.create(parent_person=person, child=core, share_pct=Decimal("70"),
                                                control_type="actual"),
        Person: person,
        FinancialStatement: FinancialStatement.objects.create(
            enterprise=core, period_end=date(2025, 12, 31), period_type="annual", revenue=Decimal("1000")),
        BankAccount: BankAccount.objects.create(enterprise=core, account_no="GY-TEST-0001", kind="demand"),
        Interaction: Interaction.objects.create(enterprise=core, staff=bank.rm_gy1, kind="visit",
                                                occurred_at="2026-11-01T10:00:00+08:00", subject="走访测试"),
        CircleMember: CircleMember.objects.create(group=g, enterprise=supplier, role="supplier"),
        Guarantee: Guarantee.objects.create(guarantor=core, borrower=member, amount=Decimal("1000000"),
                                            start_date=date(2026, 1, 1), end_date=date(2027, 1, 1)),
        ChainLink: ChainLink.objects.create(group=g, supplier=supplier, buyer=core, tier=-1, goods="钢材"),
        Flow: Flow.objects.create(payer=core, payee=supplier, amount=Decimal("12345.67"),
                                  value_date=date.today() - timedelta(days=10), kind="payment",
                                  channel="this_bank", source_system="core", external_ref="GY-FLOW-1"),
    }
    from clients.approvals import transfer_request

    objs[ChangeRequest] = transfer_request(user=bank.rm_gy1, enterprise=core, branch=bank.gy2, rm=bank.rm_gy2,
                                            reason="走访测试")
    KeyPerson.objects.create(enterprise=core, person=person, role="chairman")
    from core.models import JobRun

    objs[JobRun] = JobRun.objects.create(  # an upload-page import of rm_gy1's (its status page is theirs alone)
        job="import:flows", user=bank.rm_gy1, status="success", params={"kind": "flows", "file_name": "GY-TEST-0001.csv"},
        report={"kind": "flows", "committed": True, "total_rows": 1, "created": 1, "preview": [["2", "GY-TEST-0001"]]})
    AccountBalance.objects.create(account=objs[BankAccount], date=date(2026, 10, 31), balance=Decimal("5"))
    from services.models import Holding, Need, Product
    from services.needs import need_record

    objs[Holding] = Holding.objects.create(
        enterprise=core, product=Product.objects.get(code="settlement"), since=date(2025, 1, 1),
        balance=Decimal("1000"), currency="CNY", source_system="core_banking", external_ref="GY-HOLDING-1")
    objs[Need] = need_record(bank.rm_gy1, enterprise=core.uscc, product="payroll", score=50, value="1000",
                             evidence="代发工资需求测试")
    objs["refresh_run"] = JobRun.objects.create(job="refresh_needs", subject=g, status="success")
    objs.update(_risk_objects(bank, g, core, member, supplier))
    # Strings that identify group_gy's data; none may reach rm_zy1.
    secrets = {g.name, core.name, core.uscc, member.name, member.uscc, supplier.name, supplier.uscc,
               person.name, "GY-TEST-0001", "GY-FLOW-1", "走访测试", "GY-HOLDING-1", "代发工资需求测试",
               "GY-FAC-0001", "GY-INV-0001", "GY测试他行", "GY预警依据", "GY认定依据"}
    return objs, secrets


def _risk_objects(bank, g, core, member, supplier) -> dict:
    """group_gy's risk records: a facility with a pledge, a member sub-limit, other banks' financing, an
    alert on the core (through the engine's writer) and a membership proposal."""
    from core.rulekit import Scope
    from risk import alerts
    from risk.models import Facility, GroupProposal, OtherBankFinancing, Pledge, RiskAlert, SubLimit
    from risk.rules import Finding, enterprise_key, enterprise_scope
    from services.models import Product

    facility = Facility.objects.create(
        reference="GY-FAC-0001", enterprise=core, product=Product.objects.get(code="working_capital_loan"),
        limit_amount=Decimal("1000000"), drawn=Decimal("400000"), start_date=date(2026, 1, 1),
        end_date=date(2027, 1, 1))
    alerts.sync("past_due", [Finding(subject_key=enterprise_key(core.pk), enterprise_id=core.pk, group_id=g.pk,
                                     severity=3, evidence="GY预警依据", evidence_en="GY预警依据")],
                enterprise_scope(Scope(as_of=date(2026, 6, 1), ids=[core.pk])))
    return {
        Facility: facility,
        Pledge: Pledge.objects.create(facility=facility, kind="receivable", invoice_no="GY-INV-0001", debtor=member,
                                      amount=Decimal("50000")),
        SubLimit: SubLimit.objects.create(group=g, enterprise=member, amount=Decimal("2000000")),
        OtherBankFinancing: OtherBankFinancing.objects.create(enterprise=core, lender="GY测试他行",
                                                              amount=Decimal("300000"), as_of=date(2026, 6, 30)),
        RiskAlert: RiskAlert.objects.get(enterprise=core),
        GroupProposal: GroupProposal.objects.create(group=g, enterprise=supplier, test="non_fair",
                                                    evidence="GY认定依据", evidence_en="GY认定依据",
                                                    evidence_key="scope-walk"),
    }


def _risk(name):
    import risk.models

    return getattr(risk.models, name)


# --- pages ----------------------------------------------------------------------------------------------

# For each page with arguments: which of group_gy's objects fill them.
PAGE_ARGS = {
    "clients:group_detail": lambda o: {"pk": o[GroupClient].pk},
    "clients:group_edit": lambda o: {"pk": o[GroupClient].pk},
    "clients:group_limit": lambda o: {"pk": o[GroupClient].pk},
    "clients:group_transfer": lambda o: {"pk": o[GroupClient].pk},
    "clients:enterprise_rating": lambda o: {"pk": o[Enterprise].pk},
    "clients:enterprise_transfer": lambda o: {"pk": o[Enterprise].pk},
    "clients:request_detail": lambda o: {"pk": o[ChangeRequest].pk},
    "clients:request_decide": lambda o: {"pk": o[ChangeRequest].pk, "decision": "approve"},
    "clients:enterprise_detail": lambda o: {"pk": o[Enterprise].pk},
    "clients:enterprise_edit": lambda o: {"pk": o[Enterprise].pk},
    "clients:control_link_create": lambda o: {"pk": o[Enterprise].pk},
    "clients:control_link_edit": lambda o: {"pk": o[Enterprise].pk, "link_pk": o[ControlLink].pk},
    "clients:control_link_delete": lambda o: {"pk": o[Enterprise].pk, "link_pk": o[ControlLink].pk},
    "clients:interaction_create": lambda o: {"pk": o[Enterprise].pk},
    "clients:financial_statement_create": lambda o: {"pk": o[Enterprise].pk},
    "circles:group_circle": lambda o: {"group_pk": o[GroupClient].pk},
    "circles:member_add": lambda o: {"group_pk": o[GroupClient].pk},
    "circles:member_remove": lambda o: {"group_pk": o[GroupClient].pk, "pk": o[CircleMember].pk},
    "circles:guarantee_add": lambda o: {"group_pk": o[GroupClient].pk},
    "chains:group_chain": lambda o: {"group_pk": o[GroupClient].pk},
    "chains:link_declare": lambda o: {"group_pk": o[GroupClient].pk},
    "chains:group_detect": lambda o: {"group_pk": o[GroupClient].pk},
    "chains:detected_queue": lambda o: {"group_pk": o[GroupClient].pk},
    "chains:detected_bulk": lambda o: {"group_pk": o[GroupClient].pk},
    "chains:link_confirm": lambda o: {"pk": o[ChainLink].pk},
    "chains:link_dismiss": lambda o: {"pk": o[ChainLink].pk},
    "imports:run": lambda o: {"pk": next(v for k, v in o.items() if getattr(k, "__name__", "") == "JobRun").pk},
    "services:need_status": lambda o: {"pk": o[_need()].pk},
    "services:group_refresh_needs": lambda o: {"pk": o[GroupClient].pk},
    "risk:alert_detail": lambda o: {"pk": o[_risk("RiskAlert")].pk},
    "risk:alert_action": lambda o: {"pk": o[_risk("RiskAlert")].pk, "action": "acknowledge"},
    "risk:group_refresh_risk": lambda o: {"pk": o[GroupClient].pk},
    "risk:facility_detail": lambda o: {"pk": o[_risk("Facility")].pk},
    "risk:facility_edit": lambda o: {"pk": o[_risk("Facility")].pk},
    "risk:facility_close": lambda o: {"pk": o[_risk("Facility")].pk},
    "risk:pledge_create": lambda o: {"pk": o[_risk("Facility")].pk},
    "risk:pledge_release": lambda o: {"pk": o[_risk("Pledge")].pk},
    "risk:group_limits": lambda o: {"pk": o[GroupClient].pk},
    "risk:sub_limit_remove": lambda o: {"pk": o[_risk("SubLimit")].pk},
    "risk:other_bank_edit": lambda o: {"pk": o[_risk("OtherBankFinancing")].pk},
    "risk:other_bank_delete": lambda o: {"pk": o[_risk("OtherBankFinancing")].pk},
    "risk:proposal_action": lambda o: {"pk": o[_risk("GroupProposal")].pk, "action": "confirm"},
}


def _need():
    from services.models import Need

    return Need


def page_patterns():
    """(qualified name, URLPattern) for every page route outside the admin and the API."""
    found = []

    def walk(patterns, namespace, prefix):
        for p in patterns:
            if isinstance(p, URLResolver):
                if p.namespace in SKIP_NAMESPACES or str(p.pattern).startswith("api/"):
                    continue
                walk(p.url_patterns, p.namespace or namespace, prefix + str(p.pattern))
            elif isinstance(p, URLPattern) and p.name and not prefix.startswith("api/"):
                if str(p.pattern).startswith("api/"):
                    continue
                found.append((f"{namespace}:{p.name}" if namespace else p.name, p))

    walk(get_resolver().url_patterns, None, "")
    return found


def page_url(name, objs):
    from django.urls import reverse

    pattern = dict(page_patterns())[name]
    if pattern.pattern.converters or "<" in str(pattern.pattern):
        assert name in PAGE_ARGS, f"{name}: add the arguments of this new page to PAGE_ARGS"
        return reverse(name, kwargs=PAGE_ARGS[name](objs)), True
    return reverse(name), False


def test_the_walker_knows_every_page():
    names = {n for n, _ in page_patterns()}
    assert {"clients:group_list", "clients:group_detail", "circles:group_circle", "chains:group_chain"} <= names
    unknown = [n for n, p in page_patterns() if "<" in str(p.pattern) and n not in PAGE_ARGS]
    assert unknown == []


def test_every_page_sends_an_anonymous_user_to_login(client, world):
    objs, _ = world
    for name, _p in page_patterns():
        if name in PUBLIC:
            continue
        url, _ = page_url(name, objs)
        for method in (client.get, client.post):
            response = method(url)
            assert response.status_code == 302 and "/login/" in response.url, (name, method.__name__)


@pytest.mark.parametrize("persona", ["rm_zy1", "rm_gy2", "outsider"])
def test_staff_who_do_not_cover_it_get_403_or_404_and_never_data(client_as, world, bank, persona):
    """Another branch's RM, a colleague of the same branch who does not cover the group, a login without
    a role: every page with an object answers 403 or 404, no page shows group_gy's data."""
    objs, secrets = world
    client = client_as(getattr(bank, persona))
    for name, _p in page_patterns():
        if name in PUBLIC:
            continue
        url, has_object = page_url(name, objs)
        response = client.get(url)
        body = response.content.decode(errors="replace")
        leaked = [s for s in secrets if s in body]
        assert leaked == [], (name, leaked)
        if has_object:
            assert response.status_code in (403, 404, 405), (name, response.status_code)
            posted = client.post(url, {})
            assert posted.status_code in (403, 404, 405), (name, "POST", posted.status_code)
        else:
            assert response.status_code in (200, 403, 405), (name, response.status_code)


def test_the_covering_rm_does_see_the_pages_the_outsider_cannot(client_as, world, bank):
    """The positive control: without it the test above could pass on a broken page."""
    objs, _ = world
    client = client_as(bank.rm_gy1)
    for name in ["clients:group_detail", "clients:enterprise_detail", "circles:group_circle",
                 "chains:group_chain", "clients:group_edit", "clients:control_link_edit"]:
        url, _ = page_url(name, objs)
        assert client.get(url).status_code == 200, name
    assert bank.group_gy.name in client.get(page_url("clients:group_list", objs)[0]).content.decode()


def test_branch_head_sees_the_subtree_and_not_the_other_branch(client_as, world, bank):
    objs, _ = world
    client = client_as(bank.head_gy)
    assert client.get(page_url("clients:group_detail", objs)[0]).status_code == 200
    other = {"pk": bank.group_zy.pk}
    from django.urls import reverse

    assert client.get(reverse("clients:group_detail", kwargs=other)).status_code == 404


def test_a_login_without_a_role_sees_no_client_data(client_as, world, bank):
    objs, secrets = world
    client = client_as(bank.outsider)
    for name in ["home", "clients:group_list", "clients:enterprise_list"]:
        body = client.get(page_url(name, objs)[0]).content.decode()
        assert not [s for s in secrets if s in body]
    assert client.get(page_url("clients:group_detail", objs)[0]).status_code == 404


SEARCH_PAGES = ("search:results", "search:suggest")


@pytest.mark.parametrize("persona", ["rm_zy1", "rm_gy2", "outsider"])
def test_search_finds_nothing_of_a_group_the_user_does_not_cover(client_as, world, bank, persona):
    """The header search, asked for each identifying string of group_gy (names, credit codes and parts of
    them, pinyin initials): nothing reaches a user who does not cover the group."""
    from clients.search import pinyin_key

    objs, secrets = world
    client = client_as(getattr(bank, persona))
    g, core = objs[GroupClient], objs[Enterprise]
    queries = {*secrets, g.name[:2], core.uscc[4:12], pinyin_key(g.name).split()[0], pinyin_key(core.name).split()[0]}
    for name in SEARCH_PAGES:
        url, _ = page_url(name, objs)
        for q in queries:
            raw = client.get(url, {"q": q}).content.decode()
            assert f"/clients/groups/{g.pk}/" not in raw and f"/clients/enterprises/{core.pk}/" not in raw, (name, q)
            body = raw.replace(q, "")  # the page repeats the query itself
            leaked = [s for s in secrets if s in body]
            assert leaked == [], (name, q, leaked)
    # Positive control: the covering RM finds the group and its core by the same words.
    mine = client_as(bank.rm_gy1)
    for q in (g.name[:2], core.uscc[4:12], pinyin_key(g.name).split()[0]):
        body = mine.get(page_url("search:results", objs)[0], {"q": q}).content.decode()
        assert g.name in body or core.name in body, q


# --- API ------------------------------------------------------------------------------------------------


# Routes answered for anyone with a role by exact credit code (DESIGN.md section 4, registry card):
# tested on their own below, not by the walker.
REGISTRY_ROUTES = {"registry"}
# The bank's reference data (the catalogue, its partners, exchange rates): every logged-in user reads
# it; it names no client. Tested below: anonymous requests get 401, any role gets the same answer.
REFERENCE_ROUTES = {"products", "partners", "fx-rates", "alert-rules", "risk-settings"}
# Routes that answer about one group named in the query (`?group=ID`): tested on their own below.
GROUP_QUERY_ROUTES = {"exposures"}


def api_routes():
    for prefix, viewset, basename in router.registry:
        if prefix not in REGISTRY_ROUTES | REFERENCE_ROUTES | GROUP_QUERY_ROUTES:
            yield prefix, viewset, basename


@pytest.mark.parametrize("prefix", sorted(REFERENCE_ROUTES))
def test_reference_data_is_the_same_for_every_role_and_closed_to_anonymous_users(client, api_as, bank, prefix):
    from core.models import FxRate

    FxRate.objects.create(currency="USD", date=date(2026, 1, 5), rate=Decimal("7.1"))
    assert client.get(f"/api/v1/{prefix}/").status_code == 401
    answers = [api_as(getattr(bank, who)).get(f"/api/v1/{prefix}/") for who in ("rm_gy1", "rm_zy1", "hq")]
    assert [a.status_code for a in answers] == [200, 200, 200]
    body = answers[0].json()
    assert (body["results"] if isinstance(body, dict) else body), prefix
    assert answers[0].json() == answers[1].json()


def detail_url(prefix, viewset, obj):
    field = getattr(viewset, "lookup_field", "pk") or "pk"
    return f"/api/v1/{prefix}/{getattr(obj, field)}/"


def test_every_api_route_refuses_anonymous_requests(client, world):
    objs, _ = world
    for prefix, viewset, _b in api_routes():
        assert client.get(f"/api/v1/{prefix}/").status_code == 401, prefix
        model = viewset.queryset.model
        if model in objs:
            assert client.get(detail_url(prefix, viewset, objs[model])).status_code == 401, prefix
    assert client.get("/api/schema/").status_code == 401
    assert client.get("/api/v1/").status_code == 401


def test_every_api_route_hides_other_branches_data(api_as, world, bank):
    objs, secrets = world
    outsider, insider = api_as(bank.rm_zy1), api_as(bank.rm_gy1)
    for prefix, viewset, _b in api_routes():
        model = viewset.queryset.model
        assert model in objs, f"{prefix}: add an object of {model.__name__} to the `world` fixture"
        listed = outsider.get(f"/api/v1/{prefix}/")
        assert listed.status_code == 200, prefix
        leaked = [s for s in secrets if s in json.dumps(listed.json(), ensure_ascii=False)]
        assert leaked == [], (prefix, leaked)
        # Positive control: the covering RM gets the object in the same list.
        mine = json.dumps(insider.get(f"/api/v1/{prefix}/").json(), ensure_ascii=False)
        # (a job run carries no client's name: its id stands in for the secrets)
        assert any(s in mine for s in secrets) or f'"id": {objs[model].pk},' in mine, prefix

        url = detail_url(prefix, viewset, objs[model])
        assert insider.get(url).status_code == 200, (prefix, "insider detail")
        assert outsider.get(url).status_code == 404, (prefix, "detail")
        for method in ("patch", "put", "delete"):
            response = getattr(outsider, method)(url, {}, format="json")
            assert response.status_code in (403, 404, 405), (prefix, method, response.status_code)
        for action in viewset.get_extra_actions():
            if action.detail:
                action_url = url + action.url_path + "/"
                for method in action.mapping:
                    response = getattr(outsider, method)(action_url, {}, format="json")
                    assert response.status_code in (403, 404), (prefix, action.url_path, method)
    # Nothing was changed by all those refused writes.
    objs[GroupClient].refresh_from_db()
    assert GroupClient.objects.filter(pk=objs[GroupClient].pk, name=objs[GroupClient].name).exists()
    assert ChainLink.objects.get(pk=objs[ChainLink].pk).status == "declared"


@pytest.mark.parametrize("endpoint", ["enterprises", "control-links", "guarantees", "flows"])
def test_filtering_by_a_group_the_user_does_not_cover_matches_nothing(api_as, world, bank, endpoint):
    """A joint venture sits in both groups; naming group_gy in a filter must not tell rm_zy1 so."""
    from clients.services import group_membership_refresh

    objs, _ = world
    zy_core = bank.group_zy.core_enterprise
    jv = GroupMembership.objects.filter(group=bank.group_zy).exclude(enterprise=zy_core).first().enterprise
    ControlLink.objects.create(parent_enterprise=objs[Enterprise], child=jv, share_pct=Decimal("45"),
                               control_type="agreement")
    group_membership_refresh(groups=[bank.group_gy])
    assert GroupMembership.objects.filter(group=bank.group_gy, enterprise=jv).exists()
    Guarantee.objects.create(guarantor=jv, borrower=zy_core, amount=Decimal("10"), start_date=date(2026, 1, 1),
                             end_date=date(2026, 12, 31))
    Flow.objects.create(payer=zy_core, payee=jv, amount=Decimal("1"), value_date=date(2026, 1, 5),
                        kind="payment", channel="this_bank", source_system="core", external_ref="JV-1")
    api = api_as(bank.rm_zy1)
    own = api.get(f"/api/v1/{endpoint}/", {"group": bank.group_zy.pk})
    assert own.status_code == 200 and own.json()["results"], endpoint
    other = api.get(f"/api/v1/{endpoint}/", {"group": bank.group_gy.pk})
    assert other.status_code == 200 and other.json()["results"] == [], endpoint


def test_the_exposure_roll_up_answers_only_for_a_group_in_reach(client, api_as, world, bank):
    objs, secrets = world
    url = f"/api/v1/exposures/?group={objs[GroupClient].pk}"
    assert client.get(url).status_code == 401
    for persona in ("rm_zy1", "rm_gy2", "outsider"):
        answer = api_as(getattr(bank, persona)).get(url)
        assert answer.status_code in (403, 404), persona
        assert not [s for s in secrets if s in answer.content.decode()], persona
    mine = api_as(bank.rm_gy1).get(url)
    assert mine.status_code == 200 and "GY-FAC-0001" in mine.content.decode()
