import pytest
from django.utils import translation


@pytest.fixture
def english():
    """Service messages are asserted in English; outside a request the default language is Chinese."""
    with translation.override("en"):
        yield
