import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def english(settings):
    """Messages are asserted on their English msgids: in the code and in pages (the site's default
    language is Simplified Chinese, which pages fall back to when the request names none)."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def source_systems(db):
    """The source systems the data migration seeds (a transactional test elsewhere may have flushed
    them), plus one that head office has deactivated."""
    from tests.imports.helpers import ensure_source_systems

    ensure_source_systems()
