"""Imports people can use: templates per kind in both languages that upload as they are, headers in
either language, values as people write them (and refusals naming row and column for the ambiguous
ones), the preview's tiles, names beside codes in reach only, no import button when nothing is new."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from chains.models import ChainLink, Flow
from circles.models import CircleMember
from clients.models import Enterprise
from imports.registry import kinds
from imports.services import import_file
from tests.factories import EnterpriseFactory
from tests.imports.helpers import csv_bytes, members, upload, xlsx_bytes

URL = reverse("imports:upload")
TEMPLATE = reverse("imports:template")
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}

ZH_FLOW_HEADER = ["付款方统一社会信用代码", "收款方统一社会信用代码", "金额（元）", "币种", "交易日期", "类型",
                  "结算渠道", "业务流水号"]


@pytest.fixture
def codes(bank):
    return members(bank.group_gy)


def post(client, content, name="flows.csv", kind="flows", source="erp", **headers):
    return client.post(URL, {"kind": kind, "source_system": source, "file": upload(content, name)}, **headers)


def run(content, *, user=None, name="flows.csv", kind="flows", commit=False):
    return import_file(user=user, kind=kind, fh=io.BytesIO(content), filename=name, commit=commit,
                       source_system="erp")


def errors_of(result):
    return {(e.row, e.column): e.message for e in result.errors.sorted()}


# --- templates ---------------------------------------------------------------------------------------


def _rows_of(content: bytes, fmt: str) -> list[list[str]]:
    if fmt == "csv":
        text = content.decode("utf-8-sig")
        return [line.split(",") for line in text.strip().splitlines()]
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    return [[("" if v is None else str(v)) for v in row] for row in sheet.iter_rows(values_only=True)
            if any(v is not None for v in row)]


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
@pytest.mark.parametrize("language", ["zh", "en"])
def test_every_template_downloads_and_uploads_back_as_valid_rows(bank, client_as, fmt, language):
    """The round trip: each kind's template, in either language and format, previews its example rows as
    valid (no errors, something to import or already present) and the page offers the import."""
    headers = ZH if language == "zh" else EN
    for kind in kinds():
        # Exchange rates are head office's (services.importers.FxRateImporter); the rest, the RM's.
        client = client_as(bank.hq if kind == "fx_rates" else bank.rm_gy1)
        response = client.get(TEMPLATE, {"kind": kind, "format": fmt}, **headers)
        assert response.status_code == 200, kind
        assert "attachment" in response["Content-Disposition"] and f".{fmt}" in response["Content-Disposition"]
        content = response.content
        header = _rows_of(content, fmt)[0]
        if language == "zh":
            assert all(any("\u4e00" <= ch <= "\u9fff" for ch in h) for h in header), (kind, header)
        else:
            assert all(h.isascii() for h in header), (kind, header)
        preview = post(client, content, name=f"template.{fmt}", kind=kind, **headers)
        result = preview.context["result"]
        assert result.ok, (kind, fmt, language, result.file_errors, errors_of(result))
        assert result.total_rows >= 1 and result.created >= 1, kind
        assert preview.context["token"], kind
    assert Flow.objects.count() == 0  # a preview keeps nothing


def test_the_xlsx_template_explains_each_column_in_the_users_language(bank, client_as):
    client = client_as(bank.rm_gy1)
    content = client.get(TEMPLATE, {"kind": "flows", "format": "xlsx"}, **ZH).content
    workbook = load_workbook(io.BytesIO(content))
    assert len(workbook.worksheets) == 2
    notes = [[c for c in row if c] for row in workbook.worksheets[1].iter_rows(values_only=True)]
    text = "\n".join(" ".join(str(c) for c in row) for row in notes)
    # Allowed values come from the model's choices in the page's language.
    assert "付款" in text and "发票" in text and "本行结算" in text
    assert "金额（元）" in text and "交易日期" in text
    data = _rows_of(content, "xlsx")
    assert data[0] == [*ZH_FLOW_HEADER, "来源系统"]
    assert "125万" in data[1] and bank.group_gy.core_enterprise.uscc in data[1]
    english = load_workbook(io.BytesIO(client.get(TEMPLATE, {"kind": "flows", "format": "xlsx"}, **EN).content))
    en_notes = " ".join(str(c) for row in english.worksheets[1].iter_rows(values_only=True) for c in row if c)
    assert "payment (Payment)" in en_notes and "this_bank" in en_notes


def test_the_template_download_refuses_unknown_kinds_formats_and_roles(bank, client_as):
    client = client_as(bank.rm_gy1)
    assert client.get(TEMPLATE, {"kind": "nope"}).status_code == 404
    assert client.get(TEMPLATE, {"kind": "flows", "format": "exe"}).status_code == 404
    assert client.get(TEMPLATE, {"kind": "<script>"}).status_code == 404
    assert client_as(bank.risk_gy).get(TEMPLATE).status_code == 403  # risk officers read, never import
    assert client_as(bank.outsider).get(TEMPLATE).status_code == 403


def test_the_example_rows_name_only_the_users_own_groups(bank, client_as):
    """rm_zy1's template names their group, never group_gy's enterprises."""
    gy_codes = set(members(bank.group_gy))
    for kind in kinds():
        body = client_as(bank.rm_zy1).get(TEMPLATE, {"kind": kind, "format": "csv"}).content.decode("utf-8-sig")
        assert not [c for c in gy_codes if c in body] and bank.group_gy.name not in body, kind


def test_the_upload_page_links_the_templates_and_lists_headers_in_its_language(bank, client_as):
    client = client_as(bank.rm_gy1)
    zh = client.get(URL, **ZH).content.decode()
    assert f'{TEMPLATE}?kind=flows&amp;format=xlsx' in zh and f'{TEMPLATE}?kind=enterprises&amp;format=csv' in zh
    assert "付款方统一社会信用代码" in zh
    en = client.get(URL, **EN).content.decode()
    assert "payer, payee, amount" in en and "付款方统一社会信用代码" not in en


# --- headers ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("header", [
    ZH_FLOW_HEADER,
    ["payer", "payee", "amount", "currency", "value_date", "kind", "channel", "external_ref"],
    ["付款方", "收款方统一社会信用代码", "金额", "币别", "交易日期", "流水类型", "渠道", "流水号"],
    ["Payer credit code", "PAYEE_USCC", "Amount (CNY)", "Currency", "Value date", "Kind", "Channel", "Reference"],
    ["付款人统一社会信用代码", "收款人统一社会信用代码", "交易金额(元)", "币种", "日期", "类型", "结算渠道", "外部编号"],
])
def test_headers_in_either_language_and_their_common_variants_are_read(codes, header):
    content = csv_bytes([[codes[0], codes[1], "100.00", "CNY", "2025-03-04", "payment", "this_bank", "R1"]],
                        header=header)
    result = run(content)
    assert result.ok and result.created == 1, (result.file_errors, errors_of(result))


def test_circle_chain_and_enterprise_files_take_chinese_headers(bank, codes):
    group = bank.group_gy
    supplier = EnterpriseFactory(name="表头测试供应商", is_client=False)
    circle = csv_bytes([[group.name, supplier.uscc, "上游供应商", "", "2026年1月5日", "备注"]],
                       header=["集团客户", "统一社会信用代码", "角色", "层级", "起始日期", "备注"])
    result = run(circle, kind="circle_members", commit=True)
    assert result.committed, errors_of(result)
    member = CircleMember.objects.get(group=group, enterprise=supplier)
    assert (member.role, str(member.since)) == ("supplier", "2026-01-05")
    chain = csv_bytes([[group.core_enterprise.uscc, supplier.uscc, codes[0], "-1", "钢材"]],
                      header=["集团", "供应商统一社会信用代码", "采购方统一社会信用代码", "层级", "商品"])
    assert run(chain, kind="chain_links", commit=True).committed
    assert ChainLink.objects.filter(group=group, supplier=supplier, goods="钢材").exists()
    from tests.factories import uscc_for

    code = uscc_for(654321)
    ent = csv_bytes([["表头测试新企业", code, "中型", "否"]], header=["企业名称", "统一社会信用代码", "企业规模", "是否本行客户"])
    assert run(ent, kind="enterprises", commit=True).committed
    assert Enterprise.objects.get(uscc=code).size == "medium"


def test_a_chinese_page_names_missing_columns_by_their_chinese_headers(codes, client_as, bank):
    content = csv_bytes([[codes[0], codes[1], "100"]], header=["付款方统一社会信用代码", "收款方", "金额（元）"])
    body = post(client_as(bank.rm_gy1), content, **ZH).content.decode()
    assert "交易日期" in body and "业务流水号" in body


# --- values -----------------------------------------------------------------------------------------------


def flow(codes, ref, amount="100.00", currency="CNY", day="2025-03-04", kind="payment", channel="this_bank"):
    return [codes[0], codes[1], amount, currency, day, kind, channel, ref]


ACCEPTED = [
    # (amount, currency, date, kind, channel) -> (amount, currency, date, kind, channel) stored
    (("125万", "人民币", "20261122", "付款", "本行"), ("1250000.00", "CNY", "2026-11-22", "payment", "this_bank")),
    (("1.5亿", "RMB", "2026/11/22", "收款", "他行"), ("150000000.00", "CNY", "2026-11-22", "payment", "other_bank")),
    (("1,250,000.00", "¥", "2026年11月22日", "发票", "本行结算"), ("1250000.00", "CNY", "2026-11-22", "invoice",
                                                                  "this_bank")),
    (("￥1,250,000", "美元", "2026-11-22", "Order", "Through another bank"),
     ("1250000.00", "USD", "2026-11-22", "order", "other_bank")),
    (("１２５万元", "usd", "2026-11-22 09:30:00", "SHIPMENT", "他行结算"),
     ("1250000.00", "USD", "2026-11-22", "shipment", "other_bank")),
    (("3.25", "", "2026.1.5", "订单", "this_bank"), ("3.25", "CNY", "2026-01-05", "order", "this_bank")),
]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_values_as_people_write_them_are_stored_normalised(codes, fmt):
    rows = [flow(codes, f"V{i}", *given) for i, (given, _stored) in enumerate(ACCEPTED)]
    content = csv_bytes([[f'"{c}"' if "," in c else c for c in r] for r in rows]) if fmt == "csv" \
        else xlsx_bytes(rows)
    result = run(content, name=f"flows.{fmt}", commit=True)
    assert result.committed and result.created == len(ACCEPTED), errors_of(result)
    for i, (_given, stored) in enumerate(ACCEPTED):
        f = Flow.objects.get(external_ref=f"V{i}")
        assert (f"{f.amount:.2f}", f.currency, f.value_date.isoformat(), f.kind, f.channel) == stored, i


def test_an_excel_serial_date_in_an_xlsx_cell_is_read_as_its_date(codes):
    content = xlsx_bytes([flow(codes, "S1", day=46348)])  # 2026-11-22 as Excel stores it
    result = run(content, name="flows.xlsx", commit=True)
    assert result.committed, errors_of(result)
    assert Flow.objects.get(external_ref="S1").value_date.isoformat() == "2026-11-22"
    # In a CSV the same number is not a date.
    refused = run(csv_bytes([flow(codes, "S2", day="46348")]))
    assert (2, "value_date") in errors_of(refused)


REFUSED = [
    # (column, value, words of the reason)
    ("amount", "12万3", "number"),
    ("amount", "1,5", "three digits"),
    ("amount", "1.234万5", "number"),
    ("amount", "1.2345678万", "2 decimal"),
    ("amount", "-125万", "positive"),
    ("amount", "1e3", "number"),
    ("value_date", "2026-13-01", "date"),
    ("value_date", "22/11/2026", "date"),
    ("value_date", "2026年13月1日", "date"),
    ("value_date", "1949-12-31", "between"),
    ("value_date", "21010101", "between"),
    ("kind", "1.5", "Must be one of"),
    ("kind", "付", "Must be one of"),
    ("channel", "现金", "Must be one of"),
    ("currency", "$", "currency"),
    ("currency", "金条", "currency"),
]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_ambiguous_values_are_refused_naming_row_and_column_and_nothing_is_kept(codes, fmt):
    rows = [flow(codes, "OK")]
    for i, (column, value, _words) in enumerate(REFUSED):
        row = flow(codes, f"B{i}")
        row[["payer", "payee", "amount", "currency", "value_date", "kind", "channel"].index(column)] = value
        rows.append(row)
    content = csv_bytes([[f'"{c}"' if "," in str(c) else c for c in r] for r in rows]) if fmt == "csv" \
        else xlsx_bytes(rows)
    result = run(content, name=f"flows.{fmt}", commit=True)
    errors = errors_of(result)
    assert not result.committed and Flow.objects.count() == 0
    for i, (column, value, words) in enumerate(REFUSED):
        message = errors.get((i + 3, column))
        assert message is not None and words in message, (value, errors)
    assert len(errors) == len(REFUSED)


def test_a_chinese_page_lists_errors_with_the_chinese_header_of_the_column(codes, client_as, bank):
    content = csv_bytes([flow(codes, "R1", amount="12万3")], header=ZH_FLOW_HEADER)
    response = post(client_as(bank.rm_gy1), content, **ZH)
    row = response.content.decode().split('class="data errors-table"')[1]
    assert "<td>2</td><td>金额（元）</td>" in row
    assert response.context.get("token") is None and Flow.objects.count() == 0


# --- preview ----------------------------------------------------------------------------------------------


def test_the_preview_shows_tiles_with_the_files_total_in_the_pages_unit(codes, client_as, bank):
    client = client_as(bank.rm_gy1)
    content = csv_bytes([flow(codes, "T1", amount="125万"), flow(codes, "T2", amount="1.5亿"),
                         flow(codes, "T3", amount="10", currency="USD")])
    zh = post(client, content, **ZH)
    html = zh.content.decode()
    assert zh.context["result"].total_amount == 151250000
    assert "1.51亿元" in html and "import-tiles" in html
    assert 'title="151,250,000.00 元"' in html
    en = post(client, content, **EN).content.decode()
    assert "CNY 151.25 m" in en and "1 row in a currency without an exchange rate for its date is not included" in en


def test_nothing_new_hides_the_import_button_and_says_so(codes, client_as, bank):
    client = client_as(bank.rm_gy1)
    content = csv_bytes([flow(codes, "N1")])
    first = post(client, content)
    assert first.context["token"] and 'action="/imports/confirm/"' in first.content.decode()
    client.post(reverse("imports:confirm"), {"token": first.context["token"]})
    assert Flow.objects.count() == 1
    again = post(client, content)
    html = again.content.decode()
    assert again.context.get("token") is None and 'action="/imports/confirm/"' not in html
    assert "Nothing new to import" in html
    # The token of a file with nothing new is not even kept: confirming it is refused.
    assert client.post(reverse("imports:confirm"), {"token": "x"}).status_code == 400


def test_the_preview_names_only_enterprises_in_reach(bank, client_as, codes):
    """Names beside codes: the user's full record and counterparties only. Another branch's client that
    is not their counterparty shows its code alone (the preview is no registry search by name)."""
    other = bank.group_zy.core_enterprise  # rm_zy1's client: on file, not in rm_gy1's reach
    counterparty = EnterpriseFactory(name="预览可见交易对手", is_client=False)
    CircleMember.objects.create(group=bank.group_gy, enterprise=counterparty, role="supplier")
    core = bank.group_gy.core_enterprise
    content = csv_bytes([flow([codes[0], counterparty.uscc], "P1"), flow([codes[0], other.uscc], "P2")])
    html = post(client_as(bank.rm_gy1), content).content.decode()
    preview = html.split('class="data preview"')[1]
    assert core.name in preview and counterparty.name in preview
    assert other.uscc in preview and other.name not in html
    # Head office sees every name.
    assert other.name in post(client_as(bank.hq), content).content.decode()


# --- hostile -----------------------------------------------------------------------------------------------


def test_hostile_headers_and_cells_are_refused_clearly(codes, client_as, bank):
    client = client_as(bank.rm_gy1)
    header = ["<script>alert(1)</script>", *ZH_FLOW_HEADER[1:]]
    response = post(client, csv_bytes([flow(codes, "H1")], header=header))
    body = response.content.decode()
    assert response.status_code == 200 and "<script>alert(1)" not in body
    assert "Unexpected columns: &lt;script&gt;alert(1)&lt;/script&gt;" in body and "Missing columns: payer" in body
    hostile = [flow(codes, "H2", kind="<b>付款</b>"), flow(codes, "H3", amount="1" * 5000 + "万"),
               flow(codes, "H4", day="2026年" + "1" * 3000), flow(codes, "H5", currency="\u202eDSU")]
    result = post(client, csv_bytes(hostile))
    body = result.content.decode()
    errors = errors_of(result.context["result"])
    assert set(errors) == {(2, "kind"), (3, "amount"), (4, "value_date"), (5, "currency")}
    assert "<b>付款</b>" not in body and Flow.objects.count() == 0


def test_a_background_preview_shows_names_and_tiles_and_no_button_when_nothing_is_new(
        bank, client_as, codes, settings, tmp_path):
    """Large files are checked by a worker; the status page shows the same preview as an inline one."""
    from core import outbox

    settings.IMPORT_TEMP_DIR = str(tmp_path / "uploads")
    settings.IMPORT_INLINE_MAX_BYTES = 10  # every file is "large" here
    client = client_as(bank.rm_gy1)
    content = csv_bytes([flow(codes, "BG1", amount="125万")], header=ZH_FLOW_HEADER)
    run_import_and_confirm = import_file(user=bank.rm_gy1, kind="flows", fh=io.BytesIO(content), filename="f.csv",
                                         commit=True, source_system="erp")
    assert run_import_and_confirm.committed
    post(client, content, **ZH)
    outbox.dispatch_all()
    from core.models import JobRun

    run = JobRun.objects.get(job="import-preview:flows")
    shown = client.get(reverse("imports:run", kwargs={"pk": run.pk}), **ZH)
    html = shown.content.decode()
    assert shown.context["result"].already_present == 1 and shown.context.get("token") is None
    assert 'action="/imports/confirm/"' not in html and "nothing-new" in html
    assert bank.group_gy.core_enterprise.name in html.split('class="data preview"')[1]
    assert "125.00万元" in html  # the total, from the run's report


# --- core.dates: the date rules imports use ----------------------------------------------------------------


@pytest.mark.parametrize("text, expected", [
    ("20261122", "2026-11-22"), ("2026/11/22", "2026-11-22"), ("2026年11月22日", "2026-11-22"),
    ("2026-11-22", "2026-11-22"), ("2026.1.5", "2026-01-05"), ("２０２６－１１－２２", "2026-11-22"),
    ("2026年1月5日 09:30", "2026-01-05"), ("2026-11-22T10:00:00+08:00", "2026-11-22"),
    ("2026-13-01", None), ("2026-02-30", None), ("22/11/2026", None), ("11/22/2026", None), ("2026-11", None),
    ("202611221", None), ("2026-10-01T25:00", None), ("2026/11-22", None), ("", None), ("2026年" + "1" * 5000, None),
])
def test_dates_are_read_year_first_or_not_at_all(text, expected):
    from core.dates import parse_date_text

    day = parse_date_text(text)
    assert (day.isoformat() if day else None) == expected


@pytest.mark.parametrize("value, expected", [
    (46348, "2026-11-22"), (46348.0, "2026-11-22"), (61, "1900-03-01"), (60, None), (46348.5, None), (True, None),
    (-5, None), (float("inf"), None), (float("nan"), None), (10 ** 400, None), (1e300, None), ("46348", None),
])
def test_excel_serial_dates(value, expected):
    from core.dates import excel_serial_date

    day = excel_serial_date(value)
    assert (day.isoformat() if day else None) == expected
