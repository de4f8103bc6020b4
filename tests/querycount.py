"""Counting SQL queries in tests: one helper, which names the page and prints the SQL that ran when a
count is not what a test pinned (NetBox's query_counts, Zulip's assert_database_query_count)."""

from __future__ import annotations

from contextlib import contextmanager

from django.db import connection
from django.test.utils import CaptureQueriesContext


def count_queries(client, url: str, *, label: str, statuses=(200,)) -> int:
    """GET `url` with a test client, check the status, return how many queries the request ran."""
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code in statuses, (label, response.status_code)
    return len(ctx.captured_queries)


@contextmanager
def exact_queries(n: int, *, label: str = ""):
    """`with exact_queries(7, label="circle page"): client.get(...)`; on a mismatch the failure lists
    every statement, numbered."""
    with CaptureQueriesContext(connection) as ctx:
        yield ctx
    ran = len(ctx.captured_queries)
    if ran != n:
        statements = "\n".join(f"{i}. {q['sql']}" for i, q in enumerate(ctx.captured_queries, 1))
        raise AssertionError(f"{label}: {ran} queries, pinned {n}:\n{statements}")
