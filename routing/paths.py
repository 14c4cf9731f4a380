"""Rules for reading a stored region path (``Region.path``) and for region codes, written once.

A path is the chain of region codes from the county down to the region, each code followed by a slash:
``/330681/`` is a county, ``/330681/330681001/`` a town in it, ``/330681/330681001/330681001001/`` a village.

Above the county, a city (330600) and a province (330000) store the digits that name them, without a
trailing slash: ``/3306`` and ``/33`` (``region_path``). The invariant every reader relies on holds for all
tiers: **a region's path is a prefix of every stored path in its subtree, and of no other**, because
national division codes nest (each code starts with its city's 4 and its province's 2 digits) and a
county's path starts ``/`` + its 6-digit code. So one ``startswith`` filter scopes a province, a city, a
county, a town or a village alike, and the paths stored on cases (which start at the county) never change
when a city or province is added above them.
These functions are pure (no queries, no Django) so any app can ask about a path it holds as a string
(``Case.region_path``, a membership's region path, a projection row) without loading the region.

Edge cases, kept as the copies these replace behaved: an empty path has no codes and no prefixes, its county
code is ``""`` and its county path is ``"//"``, which no stored path starts with, so a prefix filter built
from it matches nothing (``""`` or ``"/"`` would match everything). Leading and trailing slashes are optional
on input; empty segments are ignored.
"""

from __future__ import annotations

# Digits of a national division code that name a province or a city (330000 → 33, 330600 → 3306); the tiers
# are ``routing.choices.Tier`` values, spelt here so this module stays free of Django.
NAMING_DIGITS = {"province": 2, "city": 4}


def path_codes(path: str) -> list[str]:
    """The region codes along a path, county first.

    >>> path_codes("/330681/330681001/")
    ['330681', '330681001']
    >>> path_codes("")
    []
    """
    return [code for code in (path or "").strip("/").split("/") if code]


def county_code(path: str) -> str:
    """The code of the county a path lies in (its first code); ``""`` for an empty path.

    >>> county_code("/330681/330681001/330681001001/")
    '330681'
    """
    codes = path_codes(path)
    return codes[0] if codes else ""


def county_path(path: str) -> str:
    """The stored path of the county a path lies in: ``/330681/330681001/`` → ``/330681/``.

    An empty path gives ``"//"``, a prefix of no stored path (see the module docstring).

    >>> county_path("/330681/330681001/")
    '/330681/'
    """
    return f"/{county_code(path)}/"


def path_prefixes(path: str) -> list[str]:
    """The stored paths of a region and of every region above it, county first, the region itself last.

    >>> path_prefixes("/330681/330681001/")
    ['/330681/', '/330681/330681001/']
    >>> path_prefixes("")
    []
    """
    codes = path_codes(path)
    return ["/" + "/".join(codes[: i + 1]) + "/" for i in range(len(codes))]


def is_above_county(path: str) -> bool:
    """A province's or city's stored path (``/33``, ``/3306``): no trailing slash.

    >>> is_above_county("/3306"), is_above_county("/330681/")
    (True, False)
    """
    return bool(path) and not path.endswith("/")


def ancestor_paths(path: str) -> list[str]:
    """Every stored path above a region and the region's own, top first: the province's and city's paths
    its county code implies (whether or not those regions exist), then ``path_prefixes``.

    >>> ancestor_paths("/330681/330681001/")
    ['/33', '/3306', '/330681/', '/330681/330681001/']
    >>> ancestor_paths("/3306")
    ['/33', '/3306']
    """
    if is_above_county(path):
        digits = path.strip("/")
        return ["/" + digits[:n] for n in (2, 4) if n <= len(digits)]
    county = county_code(path)
    above = ["/" + county[:n] for n in (2, 4)] if len(county) == 6 else []
    return above + path_prefixes(path)


def naming_digits(tier: str, code: str) -> str:
    """The digits of a code that name a province (2) or a city (4); the whole code below them.

    >>> naming_digits("city", "330600"), naming_digits("county", "330681")
    ('3306', '330681')
    """
    n = NAMING_DIGITS.get(tier)
    return code[:n] if n else code


def region_path(tier: str, code: str, parent_path: str | None) -> str:
    """The stored path of a region of ``tier`` with ``code`` under a parent with ``parent_path``.

    A province or city stores its naming digits; a county its own code whatever is above it (so adding a
    city above an existing county changes no stored path); a town or village extends its parent's path.

    >>> region_path("city", "330600", "/33"), region_path("county", "330681", "/3306")
    ('/3306', '/330681/')
    >>> region_path("town", "330681001", "/330681/")
    '/330681/330681001/'
    """
    if tier in NAMING_DIGITS:
        return "/" + naming_digits(tier, code)
    if tier == "county" or not parent_path:
        return f"/{code}/"
    return f"{parent_path}{code}/"


def code_problem(tier: str, code: str, parent_tier: str | None, parent_code: str | None) -> str | None:
    """What is wrong with a region code's shape or its nesting in the parent's code, as a short key
    (``"shape"``, ``"prefix"``), or None. A province's code ends in 0000, a city's in 00 (not 0000); a
    code lies in its parent's naming digits (a county 330681 in the city 330600).

    >>> code_problem("city", "330600", "province", "330000") is None
    True
    >>> code_problem("county", "320581", "city", "330600")
    'prefix'
    """
    if tier == "province" and not code.endswith("0000"):
        return "shape"
    if tier == "city" and (not code.endswith("00") or code.endswith("0000")):
        return "shape"
    if parent_tier and parent_code and not code.startswith(naming_digits(parent_tier, parent_code)):
        return "prefix"
    return None


def minimal_paths(paths: set[str] | list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """Drop paths already covered by an ancestor path (shortest first), so OR-ed prefix filters stay short.

    >>> minimal_paths({"/330681/330681001/", "/3306", "/330702/"})
    ('/3306', '/330702/')
    """
    kept: list[str] = []
    for path in sorted(paths, key=lambda p: (len(p), p)):
        if not any(path.startswith(k) for k in kept):
            kept.append(path)
    return tuple(kept)
