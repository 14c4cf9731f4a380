"""Rules for reading a stored region path (``Region.path``), written once.

A path is the chain of region codes from the county down to the region, each code followed by a slash:
``/330681/`` is a county, ``/330681/330681001/`` a town in it, ``/330681/330681001/330681001001/`` a village.
These functions are pure (no queries, no Django) so any app can ask about a path it holds as a string
(``Case.region_path``, a membership's region path, a projection row) without loading the region.

Edge cases, kept as the copies these replace behaved: an empty path has no codes and no prefixes, its county
code is ``""`` and its county path is ``"//"``, which no stored path starts with, so a prefix filter built
from it matches nothing (``""`` or ``"/"`` would match everything). Leading and trailing slashes are optional
on input; empty segments are ignored.
"""

from __future__ import annotations


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
