"""The upload page: preview with every bad row, confirm, counts; roles and scope."""

import pytest
from django.urls import reverse

from chains.models import ChainLink, Flow
from circles.models import CircleMember
from clients.models import Enterprise
from tests.factories import EnterpriseFactory, uscc_for
from tests.imports.helpers import csv_bytes, flow_row, members, upload, xlsx_bytes

URL = reverse("imports:upload")
CONFIRM = reverse("imports:confirm")


def post(client, content, name="flows.csv", kind="flows", source="erp", **headers):
    return client.post(URL, {"kind": kind, "source_system": source, "file": upload(content, name)}, **headers)


def confirm(client, response):
    return client.post(CONFIRM, {"token": response.context["token"]})


@pytest.fixture
def codes(bank):
    return members(bank.group_gy)


def test_preview_then_confirm_imports_and_reimport_says_nothing_new(bank, client_as, codes):
    client = client_as(bank.rm_gy1)
    content = csv_bytes([flow_row(codes[0], codes[1], "R1"), flow_row(codes[1], codes[0], "R2")])
    preview = post(client, content)
    assert preview.status_code == 200
    assert preview.context["result"].created == 2 and Flow.objects.count() == 0
    assert "R1" in preview.content.decode()  # the first rows are shown
    done = confirm(client, preview)
    assert done.status_code == 200 and Flow.objects.count() == 2
    assert "2 created, 0 already present" in done.content.decode()
    again = post(client, content)
    assert again.context.get("token") is None and again.context["result"].already_present == 2
    assert "Nothing new to import" in again.content.decode() and 'action="/imports/confirm/"' not in again.content.decode()
    assert Flow.objects.count() == 2


def test_preview_lists_every_bad_row_with_row_column_and_reason(bank, client_as, codes):
    client = client_as(bank.rm_gy1)
    rows = [flow_row(codes[0], codes[1], "R1"), flow_row(codes[0], codes[1], "R2", amount="-1"),
            flow_row(codes[0], codes[1], "R3", value_date="2025-13-01"),
            flow_row(codes[0], codes[1], "R4", currency="ABC"), flow_row(codes[0], codes[1], "R1")]
    response = post(client, csv_bytes(rows))
    html = response.content.decode()
    assert "token" not in response.context or response.context.get("token") is None
    found = {(e.row, e.column) for e in response.context["result"].errors.sorted()}
    assert found == {(3, "amount"), (4, "value_date"), (5, "currency"), (6, "external_ref")}
    assert "The amount must be positive." in html and "errors-table" in html
    assert Flow.objects.count() == 0


def test_htmx_request_gets_the_result_fragment(bank, client_as, codes):
    client = client_as(bank.rm_gy1)
    response = client.post(URL, {"kind": "flows", "source_system": "erp",
                                 "file": upload(csv_bytes([flow_row(codes[0], codes[1], "R1")]))},
                           HTTP_HX_REQUEST="true")
    assert "<html" not in response.content.decode() and 'id="import-report"' in response.content.decode()


def test_confirm_revalidates_and_changes_nothing_if_data_moved(bank, client_as, codes):
    client = client_as(bank.rm_gy1)
    preview = post(client, csv_bytes([flow_row(codes[0], codes[1], "R1", amount="5.00")]))
    # Meanwhile the same reference arrives with other content.
    post_other = post(client, csv_bytes([flow_row(codes[0], codes[1], "R1", amount="6.00")]))
    confirm(client, post_other)
    response = confirm(client, preview)
    assert response.context["result"].errors and Flow.objects.get().amount == 6


def test_expired_token_is_refused(bank, client_as):
    response = client_as(bank.rm_gy1).post(CONFIRM, {"token": "nope"})
    assert response.status_code == 400


def test_gbk_and_xlsx_files_are_read(bank, client_as, codes):
    client = client_as(bank.rm_gy1)
    gbk = post(client, csv_bytes([flow_row(codes[0], codes[1], "票据1")], encoding="gbk"))
    assert gbk.context["result"].ok and "GBK" in gbk.content.decode()
    xlsx = post(client, xlsx_bytes([flow_row(codes[0], codes[1], "X1")]), name="flows.xlsx")
    assert xlsx.context["result"].ok
    confirm(client, xlsx)
    assert Flow.objects.get().external_ref == "X1"


def test_empty_file_wrong_headers_and_too_large_get_clear_messages(bank, client_as, codes, settings):
    client = client_as(bank.rm_gy1)
    empty = post(client, b"")  # Django's file field already refuses it, with its own message
    assert empty.status_code == 400 and "errorlist" in empty.content.decode()
    assert "file" in empty.context["form"].errors
    header_only = post(client, csv_bytes([]))
    assert "no data rows" in header_only.context["result"].file_errors[0]
    wrong = post(client, csv_bytes([["a", "b"]], header=["payer", "foo"]))
    assert "Missing columns" in wrong.context["result"].file_errors[0]
    assert "Unexpected columns: foo" in wrong.content.decode()
    settings.IMPORT_MAX_UPLOAD_BYTES = 50
    big = post(client, csv_bytes([flow_row(codes[0], codes[1], "R1")]))
    assert "limit" in big.context["result"].file_errors[0]


def test_rm_of_other_branch_cannot_write_flows_between_enterprises_they_do_not_cover(bank, client_as, codes):
    """The codes are on file, so they may be named; but a flow must touch the importer's full record."""
    zy = members(bank.group_zy)
    response = post(client_as(bank.rm_zy1), csv_bytes([flow_row(codes[0], codes[1], "R1"),
                                                       flow_row(zy[0], codes[1], "R2"),
                                                       flow_row(uscc_for(777777), codes[1], "R3")]))
    errors = [(e.row, e.column, e.message) for e in response.context["result"].errors.sorted()]
    assert errors == [
        (2, "payer", "Neither the payer nor the payee is an enterprise you cover."),
        (4, "payer", f"No enterprise with the credit code {uscc_for(777777)} is on file; create it first."),
    ]
    assert Flow.objects.count() == 0


@pytest.mark.parametrize("persona", ["risk_gy", "outsider"])
def test_risk_officer_and_roleless_user_get_403(bank, client_as, persona):
    client = client_as(getattr(bank, persona))
    assert client.get(URL).status_code == 403
    assert client.post(URL, {"kind": "flows"}).status_code == 403


def test_anonymous_is_redirected_to_login(client):
    response = client.get(URL)
    assert response.status_code == 302 and "login" in response["Location"]


def test_circle_members_chain_links_and_enterprises_import(bank, client_as, codes):
    client = client_as(bank.rm_gy1)
    new_codes = [uscc_for(500000 + i) for i in range(2)]
    ent = post(client, csv_bytes([["新供应商一", new_codes[0], "C36", ""], ["新供应商二", new_codes[1], "", "no"]],
                                 header=["name", "uscc", "industry", "is_client"]), kind="enterprises")
    assert ent.context["result"].ok, ent.context["result"].errors.sorted()
    confirm(client, ent)
    # Recorded as unowned prospects by the RM: in their full record until a branch claims them.
    assert Enterprise.objects.for_user(bank.rm_gy1).filter(uscc__in=new_codes).count() == 2
    assert set(Enterprise.objects.filter(uscc__in=new_codes).values_list("branch", "rm", "recorded_by", "is_client")) \
        == {(None, None, bank.rm_gy1.pk, False)}
    group = bank.group_gy.name
    cm = post(client, csv_bytes([[group, new_codes[0], "supplier", "1", "2024-01-01"],
                                 [bank.group_gy.core_enterprise.uscc, new_codes[1], "distributor", "", ""]],
                                header=["group", "enterprise", "role", "tier", "since"]), kind="circle_members")
    assert cm.context["result"].ok, cm.context["result"].errors.sorted()
    confirm(client, cm)
    assert CircleMember.objects.filter(group=bank.group_gy, source="imported").count() == 2
    cl = post(client, csv_bytes([[group, new_codes[0], codes[0], "-1", "钢材"]],
                                header=["group", "supplier", "buyer", "tier", "goods"]), kind="chain_links")
    assert cl.context["result"].ok, cl.context["result"].errors.sorted()
    confirm(client, cl)
    assert ChainLink.objects.get().goods == "钢材"
    # Re-import: nothing new, and a changed tier is an error naming the row.
    again = post(client, csv_bytes([[group, new_codes[0], codes[0], "-1", "钢材"]],
                                   header=["group", "supplier", "buyer", "tier", "goods"]), kind="chain_links")
    assert again.context["result"].already_present == 1 and again.context["result"].created == 0
    changed = post(client, csv_bytes([[group, new_codes[0], codes[0], "-2", "钢材"]],
                                     header=["group", "supplier", "buyer", "tier", "goods"]), kind="chain_links")
    assert [(e.row, e.column) for e in changed.context["result"].errors.sorted()] == [(2, "tier")]


def test_circle_member_import_for_a_group_not_covered_is_an_error(bank, client_as):
    other = EnterpriseFactory(rm=bank.rm_zy1)
    response = post(client_as(bank.rm_zy1), csv_bytes([[bank.group_gy.name, other.uscc, "supplier"]],
                                                      header=["group", "enterprise", "role"]),
                    kind="circle_members")
    errors = response.context["result"].errors.sorted()
    assert [(e.row, e.column) for e in errors] == [(2, "group")]


def test_the_source_system_is_chosen_from_the_active_list(bank, client_as, codes):
    client = client_as(bank.rm_gy1)
    page = client.get(URL).content.decode()
    assert '<option value="core_banking">' in page and "old_erp" not in page
    content = csv_bytes([flow_row(codes[0], codes[1], "R1")])
    for source in ("", "old_erp", "flows"):
        response = post(client, content, source=source)
        assert response.status_code == 400 and "source_system" in response.context["form"].errors
    # htmx swaps only 2xx answers: the fragment lists the form's errors.
    fragment = post(client, content, source="", HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200 and "Choose the source system the file comes from." in fragment.content.decode()
    assert Flow.objects.count() == 0
    # Other kinds need none.
    cm = post(client, csv_bytes([[bank.group_gy.name, codes[1], "supplier"]], header=["group", "enterprise", "role"]),
              kind="circle_members", source="")
    assert cm.status_code == 200 and cm.context["result"].ok


def test_a_renamed_file_from_the_same_source_is_already_present(bank, client_as, codes):
    client = client_as(bank.rm_gy1)
    content = csv_bytes([flow_row(codes[0], codes[1], "R1"), flow_row(codes[1], codes[0], "R2")])
    confirm(client, post(client, content, name="2025-03.csv"))
    again = post(client, content, name="2025-03 final (2).csv")
    assert (again.context["result"].created, again.context["result"].already_present) == (0, 2)
    # The same rows from another source system are other flows.
    other = post(client, content, name="2025-03.csv", source="core_banking")
    assert other.context["result"].created == 2
    assert Flow.objects.count() == 2
