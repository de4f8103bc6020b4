"""Hostile input (issue 7): every case goes through the doors people and systems use (pages, uploads,
the API, the admin), answers a clear refusal (never a 500) and leaves nothing stored."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from django.urls import reverse

from tests.imports.helpers import ensure_source_systems, members

# Dates nobody does business on: year 1 (stored as 1 BC through the local-mean-time offset, after
# which every page listing the row answered 500) and year 9999.
IMPLAUSIBLE_DATES = ["0001-01-01", "9999-12-31"]


@pytest.fixture(autouse=True)
def source_systems(db):
    ensure_source_systems()


@pytest.fixture
def codes(bank):
    """Credit codes of rm_gy1's group: the core first, then its members."""
    return members(bank.group_gy)


@pytest.fixture
def rm(bank, client_as):
    """rm_gy1 in the browser; a request that raises would fail the test, so a 500 cannot hide."""
    return client_as(bank.rm_gy1)


@pytest.fixture
def rm_api(bank, api_as):
    return api_as(bank.rm_gy1)


@contextmanager
def nothing_stored(*models):
    """The rows of every model (history tables included when given) are the same before and after."""
    before = {model: model._base_manager.count() for model in models}
    yield
    after = {model: model._base_manager.count() for model in models}
    assert after == before, "something was stored"


def upload(client, content: bytes, name: str, kind: str = "flows", source: str = "erp"):
    from tests.imports.helpers import upload as as_file

    return client.post(reverse("imports:upload"), {"kind": kind, "source_system": source,
                                                   "file": as_file(content, name)})


def import_result(response):
    """The preview's ImportResult (the upload page renders it with every bad row)."""
    assert response.status_code == 200, response.content[:500]
    return response.context["result"]


def row_errors(result) -> set[tuple[int, str]]:
    return {(e.row, e.column) for e in result.errors.sorted()}


def named_cells(result) -> set[tuple[int, str]]:
    """Cells the result names, as row errors or inside a file error ("row 2, column payer")."""
    import re

    cells = row_errors(result)
    for message in result.file_errors:
        cells |= {(int(r), c) for r, c in re.findall(r"row (\d+), column (\w+)", message)}
    return cells
