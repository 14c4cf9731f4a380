"""The region path rules (routing/paths.py): a table per function, the module's doctests, and the model."""

import doctest

import pytest

from routing import paths
from routing.models import Region
from routing.paths import county_code, county_path, path_codes, path_prefixes

COUNTY = "/330681/"
TOWN = "/330681/330681001/"
VILLAGE = "/330681/330681001/330681001001/"


def test_the_docstring_examples_hold():
    assert doctest.testmod(paths).failed == 0


@pytest.mark.parametrize(
    ("path", "codes"),
    [
        ("", []),
        ("/", []),
        (COUNTY, ["330681"]),
        (TOWN, ["330681", "330681001"]),
        (VILLAGE, ["330681", "330681001", "330681001001"]),
        ("330681/330681001", ["330681", "330681001"]),  # slashes at either end are optional
        ("//330681//330681001//", ["330681", "330681001"]),  # empty segments are ignored
    ],
)
def test_path_codes(path, codes):
    assert path_codes(path) == codes


@pytest.mark.parametrize(
    ("path", "code", "county"),
    [
        ("", "", "//"),  # "//" is a prefix of no stored path: a filter on it matches nothing
        (COUNTY, "330681", COUNTY),  # a county is its own county
        (TOWN, "330681", COUNTY),
        (VILLAGE, "330681", COUNTY),
        ("330681/330681001", "330681", COUNTY),
        ("/330681", "330681", COUNTY),
    ],
)
def test_county_code_and_path(path, code, county):
    assert county_code(path) == code
    assert county_path(path) == county


def test_the_empty_county_path_is_no_prefix_of_a_stored_path():
    assert not any(stored.startswith(county_path("")) for stored in (COUNTY, TOWN, VILLAGE))


@pytest.mark.parametrize(
    ("path", "prefixes"),
    [
        ("", []),
        ("/", []),
        (COUNTY, [COUNTY]),
        (TOWN, [COUNTY, TOWN]),
        (VILLAGE, [COUNTY, TOWN, VILLAGE]),
        ("330681/330681001", [COUNTY, TOWN]),
    ],
)
def test_path_prefixes_are_self_and_every_ancestor_county_first(path, prefixes):
    assert path_prefixes(path) == prefixes


@pytest.mark.parametrize("path", [COUNTY, TOWN, VILLAGE])
def test_every_prefix_is_a_prefix_and_the_first_is_the_county(path):
    prefixes = path_prefixes(path)
    assert all(path.startswith(prefix) for prefix in prefixes)
    assert prefixes[0] == county_path(path)
    assert prefixes[-1] == path


def test_the_model_reads_the_same_rules():
    # An unsaved region carrying a path is enough (the calendar builds one this way); no query.
    region = Region(path=VILLAGE)
    assert region.county_code == "330681"
    assert region.county_path == COUNTY
    assert region.path_prefixes == [COUNTY, TOWN, VILLAGE]
