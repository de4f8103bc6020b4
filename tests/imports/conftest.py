import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def english():
    """Messages are asserted on their English msgids."""
    with translation.override("en"):
        yield
