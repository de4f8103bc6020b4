"""Helpers to build import files in tests."""

import io

import pandas as pd

from clients.models import GroupMembership

FLOW_HEADER = ["payer", "payee", "amount", "currency", "value_date", "kind", "channel", "external_ref"]


def members(group):
    """Credit codes of the group's enterprises (core first)."""
    ids = GroupMembership.objects.filter(group=group).order_by("depth", "enterprise_id").values_list(
        "enterprise__uscc", flat=True)
    return list(ids)


def flow_row(payer, payee, ref, amount="100.00", currency="CNY", value_date="2025-03-04", kind="payment",
             channel="this_bank"):
    return [payer, payee, amount, currency, value_date, kind, channel, ref]


def csv_bytes(rows, header=FLOW_HEADER, encoding="utf-8"):
    lines = [",".join(header)] + [",".join(str(c) for c in r) for r in rows]
    return ("\n".join(lines) + "\n").encode(encoding)


def xlsx_bytes(rows, header=FLOW_HEADER):
    buf = io.BytesIO()
    pd.DataFrame(rows, columns=header).to_excel(buf, index=False)
    return buf.getvalue()


def upload(content: bytes, name="flows.csv"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type="text/csv")


SOURCES = {"core_banking": "核心银行系统", "erp": "企业ERP", "e_invoice": "电子发票平台",
           "supply_chain_platform": "供应链平台"}


def ensure_source_systems():
    from imports.models import SourceSystem

    for code, name in SOURCES.items():
        SourceSystem.objects.get_or_create(code=code, defaults={"name": name})
    SourceSystem.objects.get_or_create(code="old_erp", defaults={"name": "旧ERP", "active": False})
