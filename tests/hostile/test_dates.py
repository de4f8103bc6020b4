"""Implausible dates and times (core.dates): year 1 and 9999 on flows, statements, guarantees,
interactions, balances and circle members, through pages, the API, imports and the admin; times that
are not times; the chain page's period; local-mean-time offsets."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core import checks
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from chains.models import Flow
from circles import services as circle_services
from circles.forms import CircleMemberAddForm, GuaranteeForm
from circles.models import CircleMember, Guarantee
from clients import services as client_services
from clients.forms import FinancialStatementForm, InteractionForm
from clients.models import AccountBalance, BankAccount, FinancialStatement, Interaction
from core.dates import (
    BusinessDateTimeField,
    business_date_range,
    make_aware,
    validate_business_date,
    validate_business_datetime,
)
from tests.admin.helpers import form_data, staff_with_all_permissions
from tests.factories import EnterpriseFactory
from tests.hostile.conftest import IMPLAUSIBLE_DATES, import_result, nothing_stored, row_errors, upload
from tests.imports.helpers import csv_bytes, flow_row, xlsx_bytes

RANGE_MESSAGE = "Enter a date between 1950-01-01 and 2100-12-31."
SHANGHAI = ZoneInfo("Asia/Shanghai")


# --- the range and the time zone ----------------------------------------------------------------------


def test_the_range_is_head_offices_setting(settings):
    assert business_date_range() == (dt.date(1950, 1, 1), dt.date(2100, 12, 31))
    settings.BUSINESS_DATE_MIN, settings.BUSINESS_DATE_MAX = "1990-01-01", "2030-12-31"
    assert business_date_range() == (dt.date(1990, 1, 1), dt.date(2030, 12, 31))
    with pytest.raises(ValidationError, match="between 1990-01-01 and 2030-12-31"):
        validate_business_date(dt.date(1989, 12, 31))
    validate_business_date(dt.date(1990, 1, 1))
    validate_business_date(dt.date(2030, 12, 31))


@pytest.mark.parametrize("low, high", [("1800-01-01", "2100-12-31"), ("1950-01-01", "9999-12-31"),
                                       ("2000-01-01", "1999-12-31"), ("soon", "2100-12-31")])
def test_manage_check_refuses_a_range_every_layer_cannot_hold(settings, low, high):
    settings.BUSINESS_DATE_MIN, settings.BUSINESS_DATE_MAX = low, high
    assert "core.E101" in {error.id for error in checks.run_checks()}


def test_manage_check_accepts_the_default_range():
    assert "core.E101" not in {error.id for error in checks.run_checks()}


def test_times_before_1901_get_the_standard_offset_not_local_mean_time():
    naive = dt.datetime(1900, 6, 1, 10, 0)
    # What zoneinfo does on its own (the bug): Asia/Shanghai's local mean time.
    assert timezone.make_aware(naive, SHANGHAI).utcoffset() == dt.timedelta(hours=8, minutes=5, seconds=43)
    assert make_aware(naive, SHANGHAI).utcoffset() == dt.timedelta(hours=8)
    assert make_aware(dt.datetime(2026, 10, 1, 9, 30), SHANGHAI).tzinfo is SHANGHAI


def test_a_local_mean_time_offset_is_refused_by_the_model_validator(settings):
    settings.BUSINESS_DATE_MIN = "1900-01-01"
    with pytest.raises(ValidationError) as exc:
        validate_business_datetime(dt.datetime(1900, 6, 1, 10, 0, tzinfo=SHANGHAI))
    assert exc.value.code == "local_mean_time"
    validate_business_datetime(make_aware(dt.datetime(1900, 6, 1, 10, 0), SHANGHAI))


@pytest.mark.parametrize("value", ["0001-01-01T00:00", "9999-12-31T23:59", "0001-01-01T00:00:00+09:00",
                                   "9999-12-31T23:59:59-05:00"])
def test_the_datetime_validator_never_overflows(value):
    from django.utils.dateparse import parse_datetime

    parsed = parse_datetime(value)
    aware = parsed if timezone.is_aware(parsed) else parsed.replace(tzinfo=SHANGHAI)
    with pytest.raises(ValidationError, match="Enter a date between"):
        validate_business_datetime(aware)


@pytest.mark.parametrize("value", ["2026-10-01T25:00", "2026-10-01T23:60", "2026-02-30T10:00",
                                   "0001-01-01T00:00", "9999-12-31T23:59", "2026-10-01T10:00 junk"])
def test_the_page_datetime_field_refuses_what_is_not_a_plausible_time(value):
    with pytest.raises(ValidationError):
        BusinessDateTimeField().clean(value)


def test_the_page_datetime_field_reads_the_datetime_local_input_in_the_banks_zone():
    value = BusinessDateTimeField().clean("2026-10-01T09:30")
    assert value == dt.datetime(2026, 10, 1, 1, 30, tzinfo=dt.UTC)


BUSINESS_FIELDS = [("chains", "Flow", "value_date"), ("clients", "FinancialStatement", "period_end"),
                   ("clients", "BankAccount", "opened_on"), ("clients", "BankAccount", "closed_on"),
                   ("clients", "AccountBalance", "date"), ("clients", "Interaction", "occurred_at"),
                   ("circles", "CircleMember", "since"), ("circles", "Guarantee", "start_date"),
                   ("circles", "Guarantee", "end_date")]


@pytest.mark.parametrize("app, model, field", BUSINESS_FIELDS)
def test_every_business_date_field_carries_the_range_validator(app, model, field):
    """On the model field, so ModelForms, ModelSerializers, the admin and `full_clean` all apply it."""
    from django.apps import apps

    validators = apps.get_model(app, model)._meta.get_field(field).validators
    assert {validate_business_date, validate_business_datetime} & set(validators)


# --- interactions ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["0001-01-01T00:00", "9999-12-31T23:59", "2026-10-01T25:00"])
def test_interaction_form_refuses_implausible_times_and_pages_stay_up(bank, rm, rm_api, value):
    enterprise = bank.group_gy.core_enterprise
    with nothing_stored(Interaction, Interaction.history.model):
        response = rm.post(reverse("clients:interaction_create", args=[enterprise.pk]),
                           {"kind": "visit", "occurred_at": value, "subject": "拜访"})
    assert response.status_code == 200
    assert response.context["form"].errors["occurred_at"]
    # The row that used to be stored as 1 BC made these answer 500 for everyone.
    assert rm.get(reverse("clients:enterprise_detail", args=[enterprise.pk])).status_code == 200
    assert rm_api.get("/api/v1/interactions/").status_code == 200


def test_interaction_form_field_itself_refuses_year_one():
    form = InteractionForm(data={"kind": "visit", "occurred_at": "0001-01-01T00:00", "subject": "x"})
    assert not form.is_valid()
    assert form.errors["occurred_at"] == [RANGE_MESSAGE]


def test_interaction_service_refuses_year_one(bank):
    with nothing_stored(Interaction), pytest.raises(ValidationError) as exc:
        client_services.interaction_log(user=bank.rm_gy1, enterprise=bank.group_gy.core_enterprise, kind="visit",
                                        occurred_at=dt.datetime(1, 1, 1, tzinfo=dt.UTC), subject="x")
    assert "occurred_at" in exc.value.error_dict


@pytest.mark.parametrize("value", ["0001-01-01T00:00", "9999-12-31T23:59", "0001-01-01T00:00:00Z",
                                   "0001-01-01T00:00:00+09:00", "9999-12-31T23:59:59-05:00",
                                   "9999-12-31T23:59:59+08:00", "2026-10-01T25:00"])
def test_interaction_api_refuses_implausible_times(bank, rm_api, value):
    with nothing_stored(Interaction):
        response = rm_api.post("/api/v1/interactions/", {
            "enterprise_uscc": bank.group_gy.core_enterprise.uscc, "kind": "visit", "occurred_at": value,
            "subject": "x"}, format="json")
    assert response.status_code == 400, response.content
    if "25:00" not in value:  # the others parse, and are said to be out of range (not "out of range for Python")
        assert response.json()["occurred_at"] == [RANGE_MESSAGE]


def test_interaction_admin_refuses_year_one(bank, client_as):
    admin = client_as(staff_with_all_permissions(bank.hq))
    url = reverse("admin:clients_interaction_add")
    data = form_data(admin.get(url))
    data.update(enterprise=bank.group_gy.core_enterprise.pk, kind="visit", subject="x",
                occurred_at_0="0001-01-01", occurred_at_1="00:00:00")
    with nothing_stored(Interaction):
        response = admin.post(url, data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["occurred_at"] == [RANGE_MESSAGE]


def test_before_1901_a_time_is_stored_with_the_standard_offset(bank, rm, rm_api, settings):
    """Head office widened the range to 1900: the page and the API read 10:00 as 10:00 +08:00, never
    as local mean time (which would store 01:54:17 UTC)."""
    settings.BUSINESS_DATE_MIN = "1900-01-01"
    enterprise = bank.group_gy.core_enterprise
    response = rm.post(reverse("clients:interaction_create", args=[enterprise.pk]),
                       {"kind": "visit", "occurred_at": "1900-06-01T10:00", "subject": "page"})
    assert response.status_code == 302
    response = rm_api.post("/api/v1/interactions/", {"enterprise_uscc": enterprise.uscc, "kind": "visit",
                                                     "occurred_at": "1900-06-01T10:00", "subject": "api"},
                           format="json")
    assert response.status_code == 201, response.content
    stored = dict(Interaction.objects.values_list("subject", "occurred_at"))
    assert stored == {"page": dt.datetime(1900, 6, 1, 2, 0, tzinfo=dt.UTC),
                      "api": dt.datetime(1900, 6, 1, 2, 0, tzinfo=dt.UTC)}


def test_the_range_limits_themselves_are_accepted(bank, rm):
    enterprise = bank.group_gy.core_enterprise
    for value in ("1950-01-01T00:00", "2100-12-31T23:59"):
        response = rm.post(reverse("clients:interaction_create", args=[enterprise.pk]),
                           {"kind": "visit", "occurred_at": value, "subject": value})
        assert response.status_code == 302, response.context["form"].errors
    assert Interaction.objects.count() == 2


# --- financial statements ------------------------------------------------------------------------------


@pytest.mark.parametrize("value", IMPLAUSIBLE_DATES)
def test_statement_form_refuses_implausible_period_ends(bank, rm, value):
    enterprise = bank.group_gy.core_enterprise
    with nothing_stored(FinancialStatement):
        response = rm.post(reverse("clients:financial_statement_create", args=[enterprise.pk]),
                           {"period_end": value, "period_type": "annual", "revenue": "100"})
    assert response.status_code == 200
    assert response.context["form"].errors["period_end"] == [RANGE_MESSAGE]


def test_statement_form_field_itself_refuses_year_one():
    form = FinancialStatementForm(data={"period_end": "0001-01-01", "period_type": "annual"})
    assert not form.is_valid() and form.errors["period_end"] == [RANGE_MESSAGE]


def test_statement_service_refuses_year_9999(bank):
    with nothing_stored(FinancialStatement), pytest.raises(ValidationError) as exc:
        client_services.financial_statement_upsert(user=bank.rm_gy1, enterprise=bank.group_gy.core_enterprise,
                                                   period_end=dt.date(9999, 12, 31), period_type="annual")
    assert "period_end" in exc.value.error_dict


@pytest.mark.parametrize("value", IMPLAUSIBLE_DATES)
def test_statement_api_refuses_implausible_period_ends(bank, rm_api, value):
    with nothing_stored(FinancialStatement):
        response = rm_api.post("/api/v1/financial-statements/", {
            "enterprise_uscc": bank.group_gy.core_enterprise.uscc, "period_end": value,
            "period_type": "annual"}, format="json")
    assert response.status_code == 400
    assert response.json()["period_end"] == [RANGE_MESSAGE]


# --- guarantees -------------------------------------------------------------------------------------------


def _guarantee(codes, **dates):
    return {"guarantor_uscc": codes[0], "borrower_uscc": codes[1], "amount": "1000000", "currency": "CNY",
            "start_date": "2025-01-01", "end_date": "2026-01-01", **dates}


@pytest.mark.parametrize("field, value", [("start_date", "0001-01-01"), ("end_date", "9999-12-31")])
def test_guarantee_form_refuses_implausible_dates(bank, rm, codes, field, value):
    with nothing_stored(Guarantee):
        response = rm.post(reverse("circles:guarantee_add", args=[bank.group_gy.pk]),
                           _guarantee(codes, **{field: value}))
    assert response.status_code == 200
    assert response.context["guarantee_form"].errors[field] == [RANGE_MESSAGE]


def test_guarantee_form_field_itself_refuses_year_one(bank, codes):
    form = GuaranteeForm(data=_guarantee(codes, start_date="0001-01-01"), user=bank.rm_gy1)
    assert not form.is_valid() and form.errors["start_date"] == [RANGE_MESSAGE]


def test_guarantee_service_refuses_year_9999(bank):
    core = bank.group_gy.core_enterprise
    with nothing_stored(Guarantee), pytest.raises(ValidationError) as exc:
        circle_services.guarantee_create(user=bank.rm_gy1, guarantor=core, borrower=EnterpriseFactory(),
                                         amount=Decimal("1"), currency="CNY", start_date=dt.date(2025, 1, 1),
                                         end_date=dt.date(9999, 12, 31))
    assert "end_date" in exc.value.error_dict


@pytest.mark.parametrize("field, value", [("start_date", "0001-01-01"), ("end_date", "9999-12-31")])
def test_guarantee_api_refuses_implausible_dates(rm_api, codes, field, value):
    with nothing_stored(Guarantee):
        response = rm_api.post("/api/v1/guarantees/", _guarantee(codes, **{field: value}), format="json")
    assert response.status_code == 400
    assert response.json()[field] == [RANGE_MESSAGE]


# --- circle members, accounts and balances ------------------------------------------------------------------


def test_circle_member_form_refuses_year_one(bank, rm):
    supplier = EnterpriseFactory()
    with nothing_stored(CircleMember):
        response = rm.post(reverse("circles:member_add", args=[bank.group_gy.pk]), {
            "enterprise_uscc": supplier.uscc, "role": "supplier", "source": "declared", "since": "0001-01-01"})
    assert response.status_code == 200
    assert response.context["member_form"].errors["since"] == [RANGE_MESSAGE]


def test_circle_member_form_field_itself_refuses_year_one(bank):
    form = CircleMemberAddForm(data={"enterprise_uscc": EnterpriseFactory().uscc, "role": "supplier",
                                     "source": "declared", "since": "0001-01-01"}, user=bank.rm_gy1)
    assert not form.is_valid() and form.errors["since"] == [RANGE_MESSAGE]


def test_circle_member_service_refuses_year_one(bank):
    with nothing_stored(CircleMember), pytest.raises(ValidationError) as exc:
        circle_services.circle_member_add(user=bank.rm_gy1, group=bank.group_gy, enterprise=EnterpriseFactory(),
                                          role="supplier", since=dt.date(1, 1, 1))
    assert "since" in exc.value.error_dict


def test_circle_member_api_refuses_year_9999(bank, rm_api):
    with nothing_stored(CircleMember):
        response = rm_api.post("/api/v1/circle-members/", {
            "group": bank.group_gy.pk, "enterprise_uscc": EnterpriseFactory().uscc, "role": "supplier",
            "since": "9999-12-31"}, format="json")
    assert response.status_code == 400
    assert response.json()["since"] == [RANGE_MESSAGE]


def test_account_api_refuses_an_implausible_opening_date(bank, rm_api):
    with nothing_stored(BankAccount):
        response = rm_api.post("/api/v1/accounts/", {
            "account_no": "6222000011112222", "enterprise_uscc": bank.group_gy.core_enterprise.uscc,
            "kind": "demand", "currency": "CNY", "opened_on": "0001-01-01"}, format="json")
    assert response.status_code == 400
    assert response.json()["opened_on"] == [RANGE_MESSAGE]


@pytest.mark.parametrize("value", IMPLAUSIBLE_DATES)
def test_balance_api_refuses_implausible_dates(bank, rm_api, value):
    account = client_services.bank_account_create(user=bank.rm_gy1, enterprise=bank.group_gy.core_enterprise,
                                                  account_no="6222000011113333", kind="demand")
    with nothing_stored(AccountBalance):
        response = rm_api.post(f"/api/v1/accounts/{account.pk}/balances/", {"date": value, "balance": "1.00"},
                               format="json")
    assert response.status_code == 400
    assert response.json()["date"] == [RANGE_MESSAGE]


# --- the chain page's period ----------------------------------------------------------------------------


@pytest.mark.parametrize("query, field", [("end=0001-01-01", "end"), ("start=0001-01-01", "start"),
                                          ("end=9999-12-31", "end"), ("start=2025-01-01&end=0001-01-01", "end")])
def test_chain_page_answers_a_form_error_for_an_implausible_period(bank, rm, query, field):
    response = rm.get(reverse("chains:group_chain", args=[bank.group_gy.pk]) + "?" + query)
    assert response.status_code == 200
    assert response.context["period_form"].errors[field] == [RANGE_MESSAGE]
    assert RANGE_MESSAGE in response.content.decode()


# --- flows: the API and imports -------------------------------------------------------------------------


@pytest.mark.parametrize("value, message", [("0001-01-01", RANGE_MESSAGE), ("9999-12-31", RANGE_MESSAGE),
                                            ("2026-10-01T25:00", "Not a valid date: use YYYY-MM-DD.")])
def test_flows_api_refuses_implausible_value_dates(rm_api, codes, value, message):
    row = dict(zip(["payer", "payee", "amount", "currency", "value_date", "kind", "channel", "external_ref"],
                   flow_row(codes[0], codes[1], "API-1", value_date=value), strict=True))
    with nothing_stored(Flow):
        response = rm_api.post("/api/v1/flows/", [{**row, "source_system": "erp"}], format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == [{"row": 0, "field": "value_date", "message": message}]


BAD_DATE_ROWS = [("0001-01-01", RANGE_MESSAGE), ("9999-12-31", RANGE_MESSAGE),
                 ("2026-10-01T25:00", "Not a valid date: use YYYY-MM-DD."),
                 ("2026-10-01 10:61", "Not a valid date: use YYYY-MM-DD."),
                 ("1949-12-31", RANGE_MESSAGE), ("2101-01-01 00:00:00", RANGE_MESSAGE)]


@pytest.mark.parametrize("name, build", [("flows.csv", csv_bytes), ("flows.xlsx", xlsx_bytes)])
def test_flow_imports_refuse_implausible_value_dates_on_every_path(rm, codes, name, build):
    """CSV on PostgreSQL takes the COPY path (its SQL checks the dates), XLSX the pandas path."""
    rows = [flow_row(codes[0], codes[1], f"R{i}", value_date=value) for i, (value, _m) in enumerate(BAD_DATE_ROWS)]
    with nothing_stored(Flow):
        result = import_result(upload(rm, build(rows), name))
    assert {(e.row, e.column, e.message) for e in result.errors.sorted()} == {
        (i + 2, "value_date", message) for i, (_v, message) in enumerate(BAD_DATE_ROWS)}


@pytest.mark.parametrize("name, build", [("flows.csv", csv_bytes), ("flows.xlsx", xlsx_bytes)])
def test_flow_imports_still_take_a_date_followed_by_a_valid_time(rm, codes, name, build):
    values = ["2025-03-04 00:00:00", "2025-03-04T10:30:00+08:00", "2025/3/4", "1950-01-01", "2100-12-31 23:59"]
    rows = [flow_row(codes[0], codes[1], f"OK{i}", value_date=v) for i, v in enumerate(values)]
    response = upload(rm, build(rows), name)
    assert not import_result(response).errors
    rm.post(reverse("imports:confirm"), {"token": response.context["token"]})
    assert sorted(Flow.objects.values_list("value_date", flat=True)) == [
        dt.date(1950, 1, 1), dt.date(2025, 3, 4), dt.date(2025, 3, 4), dt.date(2025, 3, 4), dt.date(2100, 12, 31)]


def test_circle_member_import_refuses_implausible_since(bank, rm):
    supplier = EnterpriseFactory()
    content = csv_bytes([[bank.group_gy.core_enterprise.uscc, supplier.uscc, "supplier", "", "0001-01-01", ""]],
                        header=["group", "enterprise", "role", "tier", "since", "note"])
    with nothing_stored(CircleMember):
        result = import_result(upload(rm, content, "members.csv", kind="circle_members", source=""))
    assert row_errors(result) == {(2, "since")}


def test_the_balance_service_itself_refuses_a_date_out_of_range(bank):
    """Not only the API serializer: every caller of the service gets the same range."""
    from clients.models import AccountBalance, BankAccount
    from clients.services import account_balance_record

    account = BankAccount.objects.create(enterprise=bank.group_gy.core_enterprise, account_no="HB-1", kind="demand")
    with pytest.raises(ValidationError) as refused:
        account_balance_record(user=bank.rm_gy1, account=account, date=dt.date(1, 1, 1), balance=1)
    assert "date" in refused.value.message_dict
    assert not AccountBalance.objects.filter(account=account).exists()
    account_balance_record(user=bank.rm_gy1, account=account, date=dt.date(2026, 1, 5), balance=1)
    account_balance_record(user=bank.rm_gy1, account=account, date=dt.date(2026, 1, 5), balance=2)
    assert list(AccountBalance.objects.filter(account=account).values_list("balance", flat=True)) == [2]
