"""The API's contract, case by case (issue 7, "Schema breaks" and the API 500s).

One documented error shape for every 4xx and 5xx: `{"detail": ...}` for parse errors, permission,
not found, too large, throttled and server errors; field -> [messages] for validation; the flows
import's row errors. Each test names the guard it covers and fails without it; the hostile ones
check that nothing was stored.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import socket
from contextlib import contextmanager
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from chains.models import Flow
from clients.models import Enterprise, GroupClient, Interaction, Person

ERROR_REF = "#/components/schemas/Error"
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")


@pytest.fixture(scope="module")
def spec():
    return json.loads(json.dumps(SchemaGenerator().get_schema(request=None, public=True), default=str))


@pytest.fixture
def rm_api(bank, api_as):
    return api_as(bank.rm_gy1)


@pytest.fixture
def hq_api(bank, api_as):
    return api_as(bank.hq)


@contextmanager
def nothing_stored(*models):
    before = [m.objects.count() for m in models]
    yield
    assert [m.objects.count() for m in models] == before


def post_raw(api, url, body: bytes | str, content_type="application/json", **extra):
    if isinstance(body, str):
        body = body.encode()
    return api.generic("POST", url, body, content_type=content_type, **extra)


def is_detail_error(response, status) -> bool:
    return (response.status_code == status and response["Content-Type"].startswith("application/json")
            and isinstance(response.json().get("detail"), str))


# --- parse errors: malformed, too deep, too large, not JSON (core.api.parsers) ------------------------------


def test_malformed_json_answers_the_documented_detail_shape(rm_api):
    with nothing_stored(Person):
        response = post_raw(rm_api, "/api/v1/persons/", '{"name": ')
    assert is_detail_error(response, 400)
    assert response.json()["detail"].startswith("JSON parse error")


@pytest.mark.parametrize("body", ["[" * 100_000 + "]" * 100_000, "[" * 100_000, '{"a":' * 50_000 + "1" + "}" * 50_000])
@pytest.mark.parametrize("url", ["/api/v1/persons/", "/api/v1/flows/", "/api/v1/interactions/", "/api/v1/enterprises/"])
def test_deeply_nested_json_is_refused_naming_the_depth_on_every_json_endpoint(rm_api, url, body):
    """Without the depth check the decoder recursed until RecursionError: a 500 on every endpoint."""
    with nothing_stored(Person, Flow, Interaction, Enterprise):
        response = post_raw(rm_api, url, body)
    assert is_detail_error(response, 400)
    assert "nested more than 32 levels" in response.json()["detail"]


def test_a_group_patch_nested_too_deep_is_refused_too(bank, rm_api):
    body = '{"name": ' + "[" * 5000 + "]" * 5000 + "}"
    response = rm_api.generic("PATCH", f"/api/v1/group-clients/{bank.group_gy.pk}/", body.encode(),
                              content_type="application/json")
    assert is_detail_error(response, 400)
    bank.group_gy.refresh_from_db()
    assert bank.group_gy.name == "贵州测试汽车集团"


def test_the_depth_limit_is_a_limit_not_a_ban_on_nesting(rm_api, settings):
    """32 levels parse (the serializer then judges the field), 33 do not; brackets inside strings are text."""
    settings.API_JSON_MAX_DEPTH = 32
    at_limit = '{"name": ' + "[" * 31 + "]" * 31 + ', "note": "' + "[" * 100 + '"}'
    response = post_raw(rm_api, "/api/v1/persons/", at_limit)
    assert response.status_code == 400 and "name" in response.json()  # a validation error, not a parse error
    over = '{"name": ' + "[" * 32 + "]" * 32 + "}"
    assert "nested more than 32" in post_raw(rm_api, "/api/v1/persons/", over).json()["detail"]


@pytest.mark.parametrize("body", ['{"name": NaN}', '{"name": Infinity}', b'{"name": "\xff\xfe"}'])
def test_json_that_is_not_json_is_refused(rm_api, body):
    with nothing_stored(Person):
        response = post_raw(rm_api, "/api/v1/persons/", body)
    assert is_detail_error(response, 400)


def test_nul_in_any_json_string_is_refused_naming_its_path(rm_api):
    with nothing_stored(Person):
        response = post_raw(rm_api, "/api/v1/persons/", '{"name": "张\\u0000三", "id_number": "11010519491231002X"}')
    assert is_detail_error(response, 400)
    assert response.json()["detail"].startswith("Invalid text at name")


def test_a_json_body_over_the_limit_answers_a_json_413_and_stores_nothing(rm_api, settings):
    settings.API_MAX_BODY_BYTES = 2_000
    body = json.dumps({"name": "张三" * 2_000, "id_number": "11010519491231002X"})
    with nothing_stored(Person):
        response = post_raw(rm_api, "/api/v1/persons/", body)
    assert is_detail_error(response, 413)
    assert "2000 bytes" in response.json()["detail"]


def test_a_declared_length_over_the_limit_is_refused_before_reading(rm_api, settings):
    settings.API_MAX_BODY_BYTES = 2_000
    response = post_raw(rm_api, "/api/v1/persons/", "{}", CONTENT_LENGTH="5000000")
    assert is_detail_error(response, 413)


def test_the_flows_endpoint_takes_the_import_limit_not_the_api_default(bank, rm_api, settings):
    """README: the flows endpoint accepts what an import accepts (IMPORT_MAX_BYTES)."""
    settings.API_MAX_BODY_BYTES = 2_000
    settings.IMPORT_MAX_BYTES = 50_000
    rows = [{"payer": "x", "payee": "y", "amount": "1", "currency": "CNY", "value_date": "2026-01-01",
             "kind": "payment", "channel": "this_bank", "source_system": "erp", "external_ref": f"R{i}"}
            for i in range(40)]
    response = post_raw(rm_api, "/api/v1/flows/", json.dumps(rows))
    assert response.status_code == 400 and "error_count" in response.json()  # row errors, read in full
    settings.IMPORT_MAX_BYTES = 3_000
    assert is_detail_error(post_raw(rm_api, "/api/v1/flows/", json.dumps(rows)), 413)


def test_a_form_body_over_django_s_limit_answers_a_json_413(rm_api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1_000
    response = post_raw(rm_api, "/api/v1/persons/", "name=" + "x" * 5_000,
                        content_type="application/x-www-form-urlencoded")
    assert is_detail_error(response, 413)


@pytest.mark.parametrize("content_type,body", [
    ("application/x-www-form-urlencoded", "payer=x&payee=y&amount=1"),
    ("multipart/form-data; boundary=BoUnDaRy",
     '--BoUnDaRy\r\nContent-Disposition: form-data; name="payer"\r\n\r\nx\r\n--BoUnDaRy--\r\n'),
    ("text/plain", "payer=x"),
])
def test_the_flows_endpoint_takes_json_only(rm_api, content_type, body):
    with nothing_stored(Flow):
        response = post_raw(rm_api, "/api/v1/flows/", body, content_type=content_type)
    assert is_detail_error(response, 415)


def test_validation_errors_keep_their_field_keyed_shape(rm_api):
    response = rm_api.post("/api/v1/persons/", {"name": "", "id_number": "123"}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"name", "id_number"} and all(isinstance(v, list) for v in body.values())


# --- JSON types as documented (core.api.serializers.StrictJSONTypesMixin) -----------------------------------


@pytest.mark.parametrize("field,value", [("name", 0), ("id_number", 110105194912310020), ("name", ["张三"]),
                                         ("name", True)])
def test_a_text_field_takes_a_json_string_only(rm_api, field, value):
    body = {"name": "张三", "id_number": "11010519491231002X", field: value}
    with nothing_stored(Person):
        response = rm_api.post("/api/v1/persons/", body, format="json")
    assert response.status_code == 400 and list(response.json()) == [field]


@pytest.mark.parametrize("body,field", [
    ({"unified_credit_limit": 100}, "unified_credit_limit"),  # money is a JSON string: exact
    ({"unified_credit_limit": "100", "confirm": "true"}, "confirm"),
])
def test_numbers_and_booleans_are_not_read_from_other_types(bank, hq_api, body, field):
    response = hq_api.post(f"/api/v1/group-clients/{bank.group_gy.pk}/limit/", body, format="json")
    assert response.status_code == 400 and field in response.json()
    assert GroupClient.objects.get(pk=bank.group_gy.pk).unified_credit_limit == Decimal("5000000000.00")


def test_an_integer_field_refuses_a_string_and_a_reference_by_id_too(bank, rm_api):
    response = rm_api.post("/api/v1/chain-links/", {"group": str(bank.group_gy.pk), "supplier_uscc": "x",
                                                    "buyer_uscc": "y", "tier": "-1"}, format="json")
    assert response.status_code == 400 and set(response.json()) == {"group", "tier"}


def test_flows_with_a_number_where_text_is_documented_are_row_errors(bank, rm_api):
    core = bank.group_gy.core_enterprise
    other = Enterprise.objects.exclude(pk=core.pk).first()
    row = {"payer": core.uscc, "payee": other.uscc, "amount": 1200.5, "currency": "CNY", "value_date": "2026-01-05",
           "kind": "payment", "channel": "this_bank", "source_system": "erp", "external_ref": 77}
    with nothing_stored(Flow):
        response = rm_api.post("/api/v1/flows/", [row], format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["error_count"] == 2
    assert {(e["row"], e["field"]) for e in body["errors"]} == {(0, "amount"), (0, "external_ref")}
    row.update(amount="1200.50", external_ref="77")
    assert rm_api.post("/api/v1/flows/", [row], format="json").status_code == 201


# --- not found, server errors, the database down (core.api.handlers, config/urls.py) ----------------------


def test_an_unknown_url_under_the_api_answers_json_and_a_page_answers_html(bank, rm_api, client_as):
    response = rm_api.get("/api/v1/no-such-thing/")
    assert is_detail_error(response, 404)
    page = client_as(bank.rm_gy1).get("/no-such-page/")
    assert page.status_code == 404 and page["Content-Type"].startswith("text/html")


def test_a_non_integer_id_answers_404_on_every_detail_route(rm_api):
    """The reported 500 (`/api/v1/accounts/abc/balances/`), and every other route with an object id."""
    from config.api_urls import router

    checked = 0
    for prefix, viewset, _basename in router.registry:
        if getattr(viewset, "lookup_value_regex", None) != "[0-9]+":
            continue
        extra = [a.url_path for a in viewset.get_extra_actions() if a.detail]
        for suffix in ["", *[f"{path}/" for path in extra]]:
            for bad in ("abc", "1.5", "-1", "1e3", "%00"):
                url = f"/api/v1/{prefix}/{bad}/{suffix}"
                for method in ("get", "post"):
                    response = getattr(rm_api, method)(url)
                    assert response.status_code in (404, 405), (method, url, response.status_code)
                    assert response["Content-Type"].startswith("application/json"), url
                    checked += 1
    assert checked > 100


def test_an_out_of_range_id_is_simply_not_found(rm_api):
    response = rm_api.get(f"/api/v1/accounts/{2**80}/balances/")
    assert is_detail_error(response, 404)


@pytest.fixture
def failing_view(monkeypatch):
    """Make one API list and one page raise, as a bug would."""
    from clients.api.views import EnterpriseViewSet

    def boom(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(EnterpriseViewSet, "list", boom)
    return boom


def test_a_server_error_answers_json_on_the_api(rm_api, failing_view):
    rm_api.raise_request_exception = False
    response = rm_api.get("/api/v1/enterprises/")
    assert is_detail_error(response, 500)
    assert response.json() == {"detail": "A server error occurred."}  # no traceback, no internals


def test_a_server_error_on_a_page_stays_an_html_page(bank, monkeypatch):
    from clients import views

    view = next(v for v in vars(views).values() if isinstance(v, type) and v.__name__ == "EnterpriseListView")

    def boom(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(view, "get", boom)
    client = Client(raise_request_exception=False)
    client.force_login(bank.rm_gy1)
    response = client.get("/clients/enterprises/")
    assert response.status_code == 500 and response["Content-Type"].startswith("text/html")


def _unused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def database_down():
    """Point the default connection at a port where nothing listens (the shared server keeps running)."""
    port = connection.settings_dict["PORT"]
    connection.close()
    connection.settings_dict["PORT"] = str(_unused_port())
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict["PORT"] = port


@pytest.mark.parametrize("debug", [False, True])
def test_with_the_database_down_the_api_answers_a_json_503(transactional_db, settings, debug):
    """DEBUG off: handler500 sees the OperationalError; DEBUG on (Django's debug page otherwise): the
    middleware answers before it."""
    settings.DEBUG = debug
    api = APIClient(raise_request_exception=False)
    api.credentials(HTTP_AUTHORIZATION="Token " + "a" * 64)
    with database_down():
        response = api.get("/api/v1/enterprises/")
    assert is_detail_error(response, 503)
    assert response["Retry-After"] == "5"


def test_with_the_database_down_before_any_view_the_api_still_answers_a_json_503(transactional_db, bank):
    """A logged-in browser's session is read by middleware before DRF runs: the failure reaches
    handler500, which tells a database error from a bug."""
    client = Client(raise_request_exception=False)
    client.force_login(bank.rm_gy1)
    with database_down():
        response = client.get("/api/v1/enterprises/")
    assert is_detail_error(response, 503)


def test_the_parser_stops_reading_at_the_limit_whatever_the_declared_length(rf, settings):
    """A chunked body declares no length: the parser reads one byte past the limit, no more."""
    import io

    from core.api.parsers import RequestTooLarge, SafeJSONParser

    settings.API_MAX_BODY_BYTES = 1_000
    request = rf.post("/api/v1/persons/", data=b"", content_type="application/json")
    request.META.pop("CONTENT_LENGTH", None)
    stream = io.BytesIO(b'{"name": "' + b"x" * 10_000 + b'"}')
    with pytest.raises(RequestTooLarge):
        SafeJSONParser().parse(stream, "application/json", {"request": request, "view": None})
    assert stream.tell() == 1_001


def test_with_the_database_down_a_page_answers_html(transactional_db, bank):
    client = Client(raise_request_exception=False)
    client.force_login(bank.rm_gy1)  # the session lives in the database
    with database_down():
        response = client.get("/clients/enterprises/")
    assert response.status_code == 500 and response["Content-Type"].startswith("text/html")


def test_a_throttled_request_answers_the_detail_shape_with_retry_after(rm_api, monkeypatch):
    from rest_framework.throttling import BaseThrottle

    from clients.api.views import PersonViewSet

    class Closed(BaseThrottle):
        def allow_request(self, request, view):
            return False

        def wait(self):
            return 7

    monkeypatch.setattr(PersonViewSet, "get_throttles", lambda self: [Closed()])
    response = rm_api.get("/api/v1/persons/")
    assert is_detail_error(response, 429)
    assert response["Retry-After"] == "7"


# --- strict query parameters (core.api.filters, core.api.pagination) ---------------------------------------


BAD_VALUES = {"integer": "1.5", "boolean": "maybe", "date": "2026-02-30", "enum": "no-such-choice"}


def _bad_value(parameter: dict) -> str | None:
    schema = parameter.get("schema", {})
    if "enum" in schema or "$ref" in schema:
        return BAD_VALUES["enum"]
    if schema.get("type") == "integer":
        return BAD_VALUES["integer"]
    if schema.get("type") == "boolean":
        return BAD_VALUES["boolean"]
    if schema.get("format") == "date":
        return BAD_VALUES["date"]
    return None


def test_every_typed_query_parameter_of_every_list_refuses_a_bad_value_naming_it(spec, rm_api, bank):
    """`?date_from=notadate`, `?group=1.5`, `?kind=unknown`, `?is_client=maybe`, `?page=x`: a 400 naming
    the parameter, on every operation that takes query parameters, never a silently ignored filter."""
    group, account = bank.group_gy.pk, None
    from clients.models import BankAccount

    account = BankAccount.objects.create(enterprise=bank.group_gy.core_enterprise, account_no="62220001", kind="demand")
    checked = []
    for path, item in spec["paths"].items():
        if "get" not in item:
            continue
        url = path.replace("{id}", str(account.pk if "accounts" in path else group))
        for parameter in item["get"].get("parameters", []):
            bad = _bad_value(parameter) if parameter["in"] == "query" else None
            if bad is None:
                continue
            response = rm_api.get(url, {parameter["name"]: bad})
            assert response.status_code == 400, (path, parameter["name"], response.status_code)
            assert parameter["name"] in response.json(), (path, parameter["name"], response.json())
            checked.append((path, parameter["name"]))
    names = {name for _, name in checked}
    assert {"date_from", "group", "kind", "is_client", "page", "page_size", "date_after"} <= names
    assert len(checked) >= 40


@pytest.mark.parametrize("query", ["group=99999999999999999999", "group=1e3", "group=0.0", "group=+1", "group= 1",
                                   "tier=-", "is_client=yes"])
def test_numbers_and_booleans_are_read_strictly(rm_api, query):
    url = "/api/v1/circle-members/" if query.startswith("tier") else "/api/v1/enterprises/"
    response = rm_api.get(f"{url}?{query}")
    assert response.status_code == 400 and query.split("=")[0] in response.json()


def test_an_empty_filter_value_means_no_filter(rm_api):
    """Documented as `allowEmptyValue`: what a form sends for a filter left empty."""
    full = rm_api.get("/api/v1/enterprises/").json()["count"]
    assert rm_api.get("/api/v1/enterprises/?is_client=&group=&page=").json()["count"] == full


def test_a_page_past_the_end_is_not_found(rm_api):
    assert is_detail_error(rm_api.get("/api/v1/enterprises/?page=999"), 404)


# --- schema fixes --------------------------------------------------------------------------------------------


def test_the_flows_400_documents_and_answers_error_count(spec, rm_api):
    schema = spec["paths"]["/api/v1/flows/"]["post"]["responses"]["400"]["content"]["application/json"]["schema"]
    refs = {s.get("$ref") for s in schema["anyOf"]}
    assert refs == {"#/components/schemas/ImportErrors", ERROR_REF}
    assert set(spec["components"]["schemas"]["ImportErrors"]["required"]) == {"errors", "error_count"}
    response = rm_api.post("/api/v1/flows/", [{"payer": "x"}], format="json")
    assert response.status_code == 400 and response.json()["error_count"] >= 1


@pytest.mark.parametrize("method", ["patch", "put"])
def test_changing_a_group_client_answers_member_count_like_a_get(bank, rm_api, method):
    group = bank.group_gy
    url = f"/api/v1/group-clients/{group.pk}/"
    data = {"name": "贵州测试汽车集团（新）"}
    if method == "put":
        data["core_enterprise_uscc"] = group.core_enterprise.uscc
    response = getattr(rm_api, method)(url, data, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["member_count"] == rm_api.get(url).json()["member_count"] == 3


def test_creating_a_group_client_answers_member_count(bank, rm_api):
    from tests.factories import EnterpriseFactory

    core = EnterpriseFactory(branch=bank.gy1, rm=bank.rm_gy1)
    response = rm_api.post("/api/v1/group-clients/", {"name": "新集团", "core_enterprise_uscc": core.uscc},
                           format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["member_count"] == 1


def test_a_time_before_1901_is_written_in_rfc3339_with_a_whole_minute_offset(bank, rm_api):
    """An interaction stored before the date range existed (the ORM, no validation): Asia/Shanghai had
    local mean time then (+08:05:43), which is not RFC 3339; the answer keeps the instant in UTC."""
    moment = dt.datetime(1900, 6, 1, 0, 0, tzinfo=dt.UTC)
    interaction = Interaction.objects.create(enterprise=bank.group_gy.core_enterprise, staff=bank.rm_gy1,
                                             kind="visit", occurred_at=moment, subject="旧记录")
    answered = rm_api.get(f"/api/v1/interactions/{interaction.pk}/").json()["occurred_at"]
    assert RFC3339.match(answered), answered
    assert dt.datetime.fromisoformat(answered.replace("Z", "+00:00")) == moment
    now = rm_api.get("/api/v1/interactions/").json()["results"]
    assert all(RFC3339.match(row["occurred_at"]) for row in now)


def test_a_recent_time_is_written_in_the_bank_s_zone(bank, rm_api):
    moment = timezone.now().replace(microsecond=0)
    interaction = Interaction.objects.create(enterprise=bank.group_gy.core_enterprise, staff=bank.rm_gy1,
                                             kind="visit", occurred_at=moment, subject="走访")
    answered = rm_api.get(f"/api/v1/interactions/{interaction.pk}/").json()["occurred_at"]
    assert answered.endswith("+08:00") and dt.datetime.fromisoformat(answered) == moment


def test_every_api_serializer_writes_times_with_the_rfc3339_field():
    """The guard behind the test above: a ModelSerializer on DRF's own base would bring back the
    local-mean-time offset for its datetime fields."""
    from rest_framework import serializers

    from config.api_urls import router
    from core.api.serializers import DateTimeField

    seen = 0
    for _prefix, viewset, _basename in router.registry:
        classes = {getattr(viewset, "serializer_class", None)}
        for serializer_class in filter(None, classes):
            for name, field in serializer_class().fields.items():
                if isinstance(field, serializers.DateTimeField):
                    assert isinstance(field, DateTimeField), (serializer_class.__name__, name)
                    seen += 1
    assert seen >= 5


def test_business_rules_are_patterns_in_the_schema(spec):
    from clients.api.fields import USCC_INPUT_PATTERN, USCC_PATTERN

    components = spec["components"]["schemas"]
    assert components["Enterprise"]["properties"]["uscc"]["pattern"] == USCC_PATTERN
    assert components["EnterpriseRequest"]["properties"]["uscc"]["pattern"] == USCC_INPUT_PATTERN
    assert components["GuaranteeRequest"]["properties"]["guarantor_uscc"]["pattern"] == USCC_INPUT_PATTERN
    assert components["PersonRequest"]["properties"]["id_number"]["pattern"]
    canonical, lenient = re.compile(USCC_PATTERN), re.compile(USCC_INPUT_PATTERN)
    assert canonical.match("91520100MA6DNQ5X1E") and not canonical.match("91520100MA6DNQ5X1I")
    assert lenient.match(" 9152 0100-ma6dnq5x1e ") and not lenient.match("9152010OMA6DNQ5X1E")


def test_what_the_lenient_pattern_admits_is_what_the_api_reads(bank, rm_api):
    """The request pattern admits spaces, dashes and lower case because the API normalises them."""
    code = bank.group_gy.core_enterprise.uscc
    typed = f" {code[:4]} {code[4:10]}-{code[10:].lower()} "
    from clients.api.fields import USCC_INPUT_PATTERN

    assert re.match(USCC_INPUT_PATTERN, typed)
    response = rm_api.post("/api/v1/interactions/", {"enterprise_uscc": typed, "kind": "visit",
                                                     "occurred_at": "2026-03-01T10:00:00+08:00", "subject": "走访"},
                           format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["enterprise_uscc"] == code


def test_enums_have_names_not_hashes(spec):
    names = [n for n in spec["components"]["schemas"] if n.endswith("Enum")]
    assert {"AccountKindEnum", "InteractionKindEnum", "FlowKindEnum", "ChannelEnum"} <= set(names)
    assert all(re.fullmatch(r"[A-Z][A-Za-z]*Enum", n) for n in names), names


def test_every_operation_documents_its_errors_in_the_two_shapes(spec):
    """core.api.base.ErrorDocumentingAutoSchema: 401, 429, 500, 503 everywhere; 403 on writes; 400, 413
    and 415 with a body; 404 with an id; 400 also where query parameters are read."""
    count = 0
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            count += 1
            responses = op["responses"]
            expected = {"401", "429", "500", "503"}
            if method != "get":
                expected.add("403")
            if "requestBody" in op:
                expected |= {"400", "413", "415"}
            if "{" in path:
                expected.add("404")
            if any(p["in"] == "query" for p in op.get("parameters", [])):
                expected.add("400")
            assert expected <= set(responses), (method, path, expected - set(responses))
            for code in expected - {"400"}:
                schema = responses[code]["content"]["application/json"]["schema"]
                assert schema == {"$ref": ERROR_REF}, (method, path, code)
            if "400" in responses:
                refs = [s.get("$ref") for s in responses["400"]["content"]["application/json"]["schema"]["anyOf"]]
                assert ERROR_REF in refs, (method, path)
    assert count >= 53


def test_the_api_answers_json_to_a_write_without_a_role_in_the_detail_shape(bank, api_as):
    response = api_as(bank.risk_gy).post("/api/v1/guarantees/", {}, format="json")
    assert is_detail_error(response, 403)


def test_the_group_limit_still_reads_unchanged_after_all_this(bank, api_as):
    """A sanity check on a write answered with the detail serializer: the limit action."""
    response = api_as(bank.hq).post(f"/api/v1/group-clients/{bank.group_gy.pk}/limit/",
                                    {"unified_credit_limit": "5000000000.00"}, format="json")
    assert response.status_code == 200
    assert Decimal(response.json()["unified_credit_limit"]) == Decimal("5000000000.00")
    assert GroupClient.objects.get(pk=bank.group_gy.pk).unified_credit_limit == Decimal("5000000000.00")
