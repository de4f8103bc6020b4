"""Files and records of the catalogue's imports, for the tests."""

import csv
import io

import pandas as pd

from clients.models import GroupMembership

HOLDING_HEADER = ["enterprise", "product", "since", "until", "amount", "balance", "currency", "partner",
                  "external_ref"]
FX_HEADER = ["currency", "date", "rate"]


def members(group):
    return list(GroupMembership.objects.filter(group=group).order_by("depth", "enterprise_id")
                .values_list("enterprise__uscc", flat=True))


def holding_row(uscc, ref, product="settlement", since="2025-01-15", until="", amount="", balance="1000000.00",
                currency="CNY", partner=""):
    return [uscc, product, since, until, amount, balance, currency, partner, ref]


def csv_bytes(rows, header=HOLDING_HEADER):
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8")


def xlsx_bytes(rows, header=HOLDING_HEADER):
    buf = io.BytesIO()
    pd.DataFrame(rows, columns=header).to_excel(buf, index=False)
    return buf.getvalue()


def holding_record(uscc, ref, **fields):
    record = {"enterprise": uscc, "product": "settlement", "since": "2025-01-15", "balance": "1000000.00",
              "currency": "CNY", "source_system": "core_banking", "external_ref": ref}
    record.update(fields)
    return record
