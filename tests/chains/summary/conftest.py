"""Helpers for the flow-summary tests: compare the trigger-kept table with a fresh rebuild."""

import pytest

from chains.models import FlowSummary

COLUMNS = ("payer_id", "payee_id", "month", "kind", "channel", "currency", "count", "amount", "amount_cny",
           "unconverted", "first_date", "last_date", "day_sum")


def summary_rows():
    return sorted(FlowSummary.objects.values_list(*COLUMNS))


def assert_matches_rebuild():
    """The rows the triggers kept equal the rows rebuild() computes from the flows, one by one."""
    from chains import summary

    kept = summary_rows()
    summary.rebuild()
    rebuilt = summary_rows()
    assert kept == rebuilt
    return kept


@pytest.fixture(autouse=True)
def source_systems(db):
    from tests.imports.helpers import ensure_source_systems

    ensure_source_systems()


@pytest.fixture(autouse=True)
def english(settings):
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield
