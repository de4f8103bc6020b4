"""Text the database cannot store or that is not text (core.text, core.middleware, imports.reader):
bytes that are not UTF-8, NUL and lone surrogates, in page forms, query strings, uploads, the admin,
the API's form and JSON bodies, and import files and records. Each is a 400 (or a row error) naming
the field, never U+FFFD stored in its place, never a 500, and nothing is stored."""

from __future__ import annotations

import io
import json

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from chains.importers import FlowImporter
from chains.models import Flow
from clients.models import Enterprise, Interaction
from core.text import check_text, decode_utf8, printable, text_problem
from imports.errors import ErrorList, ImportFileError
from imports.reader import Columns, check_file, file_chunks, record_chunks
from imports.services import import_records
from tests.admin.helpers import staff_with_all_permissions
from tests.hostile.conftest import import_result, named_cells, nothing_stored, upload
from tests.imports.helpers import FLOW_HEADER, csv_bytes, flow_row

URLENCODED = "application/x-www-form-urlencoded"
NUL = "Text may not contain the NUL character (U+0000)."


# --- the rule ---------------------------------------------------------------------------------------------


def test_the_rule_names_what_it_refuses():
    assert text_problem("贵州 ABC \ufffd ok") is None
    assert text_problem("a\x00b") == NUL
    assert text_problem("a\ud800b") == "Text may not contain U+D800: a lone surrogate is not a character."
    assert printable("a\x00b\udfff") == "a\ufffdb\ufffd"
    check_text(17)  # not text: its own field decides
    with pytest.raises(ValidationError) as exc:
        check_text("\x00")
    assert exc.value.code == "bad_text"


def test_bytes_that_are_not_utf8_are_refused_with_their_position():
    assert decode_utf8("贵阳".encode()) == "贵阳"
    with pytest.raises(ValidationError, match=r"byte 0xFF at position 2") as exc:
        decode_utf8(b"ab\xffcd")
    assert exc.value.code == "not_utf8"
    with pytest.raises(ValidationError, match="NUL"):
        decode_utf8(b"a\x00")


# --- page forms and query strings (core.middleware) ------------------------------------------------------


def _interaction_body(subject: bytes) -> bytes:
    return b"kind=visit&occurred_at=2025-01-01T10%3A00&subject=" + subject


def test_a_form_post_that_is_not_utf8_is_refused_not_stored_as_replacement_characters(bank, rm):
    url = reverse("clients:interaction_create", args=[bank.group_gy.core_enterprise.pk])
    with nothing_stored(Interaction):
        response = rm.post(url, _interaction_body(b"ab%FF%FEcd"), content_type=URLENCODED)
    assert response.status_code == 400
    assert "The form field subject was refused: This is not valid UTF-8 text" in response.content.decode()


def test_a_nul_in_any_form_field_is_a_400_naming_it(bank, rm):
    url = reverse("clients:interaction_create", args=[bank.group_gy.core_enterprise.pk])
    with nothing_stored(Interaction):
        response = rm.post(url, b"kind=vi%00sit&occurred_at=2025-01-01T10%3A00&subject=x", content_type=URLENCODED)
    assert response.status_code == 400
    assert f"The form field kind was refused: {NUL}" in response.content.decode()


def test_the_same_post_in_utf8_is_stored_as_typed(bank, rm):
    url = reverse("clients:interaction_create", args=[bank.group_gy.core_enterprise.pk])
    response = rm.post(url, _interaction_body("拜访 =HYPERLINK(x)".encode()), content_type=URLENCODED)
    assert response.status_code == 302
    assert Interaction.objects.get().subject == "拜访 =HYPERLINK(x)"


@pytest.mark.parametrize("query", ["q=%FF", "q=%00", "q=ok&%FF=1"])
def test_a_query_string_that_is_not_text_is_a_400_on_pages(rm, query):
    response = rm.get(reverse("clients:enterprise_list") + "?" + query)
    assert response.status_code == 400
    assert "The query parameter" in response.content.decode()


def test_the_admin_search_with_a_nul_is_a_400(bank, client_as):
    admin = client_as(staff_with_all_permissions(bank.hq))
    response = admin.get(reverse("admin:clients_interaction_changelist") + "?q=%00")
    assert response.status_code == 400


def _multipart(fields: dict[str, bytes], file_name: bytes, content: bytes) -> tuple[bytes, str]:
    boundary = b"hostileboundary"
    parts = [b'--%s\r\nContent-Disposition: form-data; name="%s"\r\n\r\n%s\r\n' % (boundary, k.encode(), v)
             for k, v in fields.items()]
    parts.append(b'--%s\r\nContent-Disposition: form-data; name="file"; filename="%s"\r\n'
                 b"Content-Type: text/csv\r\n\r\n%s\r\n" % (boundary, file_name, content))
    return b"".join(parts) + b"--%s--\r\n" % boundary, f"multipart/form-data; boundary={boundary.decode()}"


@pytest.mark.parametrize("fields, refused", [
    ({"kind": b"flows", "source_system": b"er\xffp"}, "source_system"),
    ({"kind": b"flo\x00ws", "source_system": b"erp"}, "kind"),
])
def test_multipart_fields_that_are_not_utf8_or_hold_nul_are_refused(rm, codes, fields, refused):
    body, content_type = _multipart(fields, b"flows.csv", csv_bytes([flow_row(codes[0], codes[1], "R1")]))
    with nothing_stored(Flow):
        response = rm.generic("POST", reverse("imports:upload"), body, content_type=content_type)
    assert response.status_code == 400
    assert f"The form field {refused} was refused" in response.content.decode()


def test_an_api_form_body_that_is_not_utf8_answers_json_naming_the_field(bank, rm_api):
    body = f"enterprise_uscc={bank.group_gy.core_enterprise.uscc}&kind=visit&occurred_at=2025-01-01T10%3A00&subject=a%FF"
    with nothing_stored(Interaction):
        response = rm_api.generic("POST", "/api/v1/interactions/", body.encode(), content_type=URLENCODED)
    assert response.status_code == 400
    assert response.json()["detail"].startswith("The form field subject was refused: This is not valid UTF-8")


@pytest.mark.parametrize("query", ["search=%00", "q=%FF"])
def test_an_api_query_parameter_that_is_not_text_is_named(rm_api, query):
    response = rm_api.get("/api/v1/enterprises/?" + query)
    assert response.status_code == 400
    assert list(response.json()) == [query.split("=")[0]]


# --- JSON bodies (core.api.parsers calls core.text.check_text on every key and string) -------------------


@pytest.mark.parametrize("raw", ['"X\\u0000"', '"X\\ud800"'])
def test_flows_pushed_with_nul_or_a_surrogate_are_refused_and_nothing_is_stored(rm_api, codes, raw):
    row = dict(zip(FLOW_HEADER, flow_row(codes[0], codes[1], "X"), strict=True)) | {"source_system": "erp"}
    body = json.dumps([row]).replace('"external_ref": "X"', f'"external_ref": {raw}')
    with nothing_stored(Flow):
        response = rm_api.generic("POST", "/api/v1/flows/", body.encode(), content_type="application/json")
    assert response.status_code == 400
    assert "[0].external_ref" in response.json()["detail"]


def test_a_surrogate_in_a_credit_code_is_refused_before_any_lookup(bank, rm_api):
    body = '{"enterprise_uscc": "9152\\udfff", "kind": "visit", "occurred_at": "2025-01-01T10:00", "subject": "x"}'
    with nothing_stored(Interaction):
        response = rm_api.generic("POST", "/api/v1/interactions/", body.encode(), content_type="application/json")
    assert response.status_code == 400
    assert "enterprise_uscc" in response.json()["detail"]


# --- imports: files and records (imports.reader) --------------------------------------------------------------


def test_a_csv_cell_with_nul_is_named_and_the_copy_path_never_sees_it(rm, codes, monkeypatch):
    def no_copy(*args, **kwargs):
        raise AssertionError("a file holding NUL must not be sent to COPY")

    monkeypatch.setattr(FlowImporter, "_copy_raw", no_copy)
    rows = [flow_row(codes[0], codes[1], "R1"), flow_row(codes[0], codes[1], "R\x002"),
            flow_row(codes[0], codes[1], "R3", kind="pay\x00ment")]
    with nothing_stored(Flow):
        result = import_result(upload(rm, csv_bytes(rows), "flows.csv"))
    assert {(3, "external_ref"), (4, "kind")} <= named_cells(result)
    assert not result.ok


def test_a_csv_with_nul_in_gbk_is_named_too(rm, codes):
    content = csv_bytes([flow_row(codes[0], codes[1], "订单\x001")], encoding="gb18030")
    with nothing_stored(Flow):
        result = import_result(upload(rm, content, "flows.csv"))
    assert (2, "external_ref") in named_cells(result)


def test_the_reader_names_each_bad_cell_as_a_row_error(codes):
    content = csv_bytes([flow_row(codes[0], codes[1], "R\x001"), flow_row(codes[0], codes[1], "R2"),
                         flow_row(codes[0] + "\x00", codes[1], "R3")])
    columns = Columns(required=tuple(FLOW_HEADER))
    checked = check_file(io.BytesIO(content), filename="f.csv", columns=columns, max_bytes=10**6, notes=[])
    assert checked.has_nul
    errors = ErrorList()
    chunks = list(file_chunks(checked, columns=columns, chunk_rows=2, errors=errors))
    assert [(e.row, e.column, e.message) for e in errors.sorted()] == [(2, "external_ref", NUL), (4, "payer", NUL)]
    # The cells are printable for the preview; the rows are refused by the errors.
    assert "\x00" not in "".join(chunks[0]["external_ref"]) + "".join(chunks[1]["payer"])


def test_without_an_error_list_the_reader_names_the_cells_in_a_file_error(codes):
    content = csv_bytes([flow_row(codes[0], codes[1], "R\x001")])
    columns = Columns(required=tuple(FLOW_HEADER))
    checked = check_file(io.BytesIO(content), filename="f.csv", columns=columns, max_bytes=10**6, notes=[])
    with pytest.raises(ImportFileError, match="row 2, column external_ref"):
        list(file_chunks(checked, columns=columns, chunk_rows=10))


def test_records_with_nul_or_surrogates_are_row_errors(bank, codes):
    """API records reach the reader even when the JSON parser let them through (the command line, a
    future endpoint): each bad value is a row error and nothing is stored."""
    good = dict(zip(FLOW_HEADER, flow_row(codes[0], codes[1], "A1"), strict=True)) | {"source_system": "erp"}
    records = [good, {**good, "external_ref": "A\ud8002"}, {**good, "external_ref": "A3", "currency": "C\x00"},
               {**good, "external_ref": "A4", "bad\ud800key": "x"}]
    with nothing_stored(Flow):
        result = import_records(user=bank.rm_gy1, kind="flows", records=records)
    assert {(e.row, e.column) for e in result.errors.sorted()} >= {(1, "external_ref"), (2, "currency"),
                                                                    (3, "bad\ufffdkey")}
    assert not result.committed


def test_record_chunks_clean_the_cells_they_refuse():
    errors = ErrorList()
    chunk = next(record_chunks([{"a": "x\x00"}], columns=Columns(required=("a",)), chunk_rows=10, errors=errors))
    assert chunk["a"].tolist() == ["x\ufffd"] and errors.total == 1


def test_an_enterprise_import_with_nul_in_a_name_stores_nothing(rm):
    from tests.factories import uscc_for

    content = csv_bytes([["测试\x00企业", uscc_for(777)]], header=["name", "uscc"])
    with nothing_stored(Enterprise):
        result = import_result(upload(rm, content, "enterprises.csv", kind="enterprises", source=""))
    assert (2, "name") in named_cells(result)


# --- body size: the flows endpoint takes what the README promises -----------------------------------------


def test_the_flows_endpoint_takes_bodies_up_to_the_import_limit_not_djangos_form_limit(rm_api, codes, settings):
    """README: the command line and `POST /api/v1/flows/` take IMPORT_MAX_BYTES; Django's 2.5 MB form
    limit (which answered an HTML 400) does not apply to the JSON body."""
    row = dict(zip(FLOW_HEADER, flow_row(codes[0], codes[1], "BIG-1"), strict=True)) | {"source_system": "erp"}
    body = ("[" + " " * (3 * 1024 * 1024) + json.dumps(row) + "]").encode()
    assert len(body) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    response = rm_api.generic("POST", "/api/v1/flows/", body, content_type="application/json")
    assert response.status_code == 201, response.content[:300]
    settings.IMPORT_MAX_BYTES = 1024 * 1024
    with nothing_stored(Flow):
        response = rm_api.generic("POST", "/api/v1/flows/", body, content_type="application/json")
    assert response.status_code == 413 and "detail" in response.json()


def test_an_object_deleted_under_a_write_answers_404_not_500(bank, api_as, client_as, monkeypatch):
    """Found by the long fuzzing run: a member deleted between the API's lookup and the service's
    locked re-read raised DoesNotExist (500). The API and the pages answer 404 like any missing object."""
    from circles import services as circle_services
    from circles.models import CircleMember
    from clients import services as client_services
    from clients.models import ControlLink
    from tests.factories import EnterpriseFactory

    def vanish_then(service, model, pk):
        def wrapped(**kwargs):
            model.objects.filter(pk=pk).delete()
            return service(**kwargs)
        return wrapped

    member = CircleMember.objects.create(group=bank.group_gy, enterprise=EnterpriseFactory(), role="partner")
    monkeypatch.setattr(circle_services, "circle_member_update",
                        vanish_then(circle_services.circle_member_update, CircleMember, member.pk))
    response = api_as(bank.rm_gy1).patch(f"/api/v1/circle-members/{member.pk}/", {"note": "x"}, format="json")
    assert response.status_code == 404 and response.json() == {"detail": "Not found."}

    link = ControlLink.objects.filter(parent_enterprise=bank.group_gy.core_enterprise).first()
    monkeypatch.setattr(client_services, "control_link_update",
                        vanish_then(client_services.control_link_update, ControlLink, link.pk))
    page = client_as(bank.rm_gy1).post(
        reverse("clients:control_link_edit", args=[link.child_id, link.pk]),
        {"parent_uscc": bank.group_gy.core_enterprise.uscc, "share_pct": "55", "control_type": "equity"})
    assert page.status_code == 404
