"""Import files and expectations for the fault tests."""

from __future__ import annotations

from pathlib import Path

from chains.models import Flow
from tests.imports.helpers import FLOW_HEADER


def write_flows(path: Path, payer: str, payee: str, rows: int, prefix: str = "F") -> set[tuple]:
    """A CSV of `rows` flows between two enterprises; returns the rows a clean import stores, as
    (external_ref, payer code, payee code, amount) tuples."""
    expected = set()
    with open(path, "w", encoding="utf-8") as out:
        out.write(",".join(FLOW_HEADER) + "\n")
        for i in range(rows):
            a, b = (payer, payee) if i % 2 else (payee, payer)
            amount = f"{100 + i % 997}.{i % 100:02d}"
            out.write(f"{a},{b},{amount},CNY,2025-{1 + i % 12:02d}-{1 + i % 28:02d},payment,this_bank,{prefix}{i}\n")
            expected.add((f"{prefix}{i}", a, b, amount))
    return expected


def stored_flows() -> set[tuple]:
    return {(ref, a, b, f"{amount:.2f}") for ref, a, b, amount in
            Flow.objects.values_list("external_ref", "payer__uscc", "payee__uscc", "amount")}
