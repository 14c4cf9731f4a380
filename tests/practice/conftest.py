"""Fixtures of the practice tests: the small county of ``tests.factories.build_org``."""

import pytest

from tests.factories import build_org


@pytest.fixture
def org(db):
    return build_org()
