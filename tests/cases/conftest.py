"""Fixtures of the cases tests: the small county organisation of ``tests.factories.build_org``."""

import pytest

from tests.factories import build_org


@pytest.fixture
def org(db):
    return build_org()


@pytest.fixture
def media(settings, tmp_path):
    """Uploaded files go to a temporary directory."""
    settings.MEDIA_ROOT = tmp_path
    return tmp_path
