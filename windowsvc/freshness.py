"""What the public sees, versioned: validators for conditional GET and a shared cache of rendered answers.

The public reads (Open311 ``services``, ``requests`` …) are anonymous and identical for every caller with
the same URL, format and language, so they are rendered once per *public state* and served from the cache
until that state changes (issue 17: ``requests.json`` rebuilt 1,000 rows on every call).

The public state is one indexed query: the newest id of every append-only log a public answer is built
from — case events (every change of a case writes one, the house invariant), write-up events (a write-up's
public text changes only with one), the configuration history of categories, departments and regions
(pghistory triggers: inserts, updates and deletes) — plus the admin-written publications' newest change
and count. Nothing has to remember to invalidate: a change anywhere in those tables changes the version.

Invariants:
- the ETag is a hash of the version and the request's varying parts (path, query, format, language); two
  callers get the same ETag exactly when they would get the same bytes;
- ``Last-Modified`` is when this node first saw the version (kept in the cache), so it only moves forward
  even when a log row carries an earlier time (an import of past events);
- the version includes the clock in steps of ``PUBLIC_CACHE_SECONDS`` (60): the default ``requests``
  window ends "now", so an old case leaves it by the clock, without any event; that step bounds how long
  it can linger, for the byte cache and for clients revalidating with their ETag;
- on SQLite (the zero-setup default) every answer is built, as before: see ``enabled``;
- the cache is an accelerator only: without Redis every answer is built and conditional GET still works
  on the ETag.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connection, connections, router
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.cache import get_conditional_response
from django.utils.http import http_date
from django.utils.translation import get_language

logger = logging.getLogger(__name__)

# (table, id column) of each append-only log a public answer depends on.
_LOGS = (
    ("cases_caseevent", "id"),
    ("library_writeupevent", "id"),
    ("cases_categoryevent", "pgh_id"),
    ("routing_departmentevent", "pgh_id"),
    ("routing_regionevent", "pgh_id"),
)


def _state_sql() -> str:
    # Table and column names are the constants above, never input.
    parts = [f"(SELECT max({column}) FROM {table})" for table, column in _LOGS]  # noqa: S608
    # Publications are edited in the admin and have no history table: their newest change and their count
    # (a deletion lowers it) stand in for one.
    parts += [
        "(SELECT max(updated_at) FROM citizens_publishedcase)",
        "(SELECT count(*) FROM citizens_publishedcase)",
    ]
    return "SELECT " + ", ".join(parts)


def public_version() -> str:
    """The version of everything the public answers are built from (one query, index-only scans), read
    from the database the answer itself is read from (the replica for a page that reads there), so a
    version never labels data older than itself."""
    from cases.models import CaseEvent

    with connections[router.db_for_read(CaseEvent) or DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute(_state_sql())
        row = cursor.fetchone()
    return ":".join("" if value is None else str(value) for value in row)


@dataclass(frozen=True)
class Validators:
    etag: str
    last_modified: dt.datetime | None
    key: str


def validators(request: HttpRequest, variant: str = "") -> Validators:
    """ETag, Last-Modified and cache key of ``request``'s public answer as the data stands now."""
    # The clock is part of the version, in steps of the cache's lifetime: what changes without any logged
    # change (the default ``requests`` window moving on, a rename of a type without history) is seen
    # within that bound, by the byte cache and by clients revalidating alike.
    version = f"{public_version()}@{int(timezone.now().timestamp()) // cache_seconds()}"
    varying = "\n".join(
        (version, request.path, request.META.get("QUERY_STRING", ""), get_language() or "", variant)
    )
    digest = hashlib.sha256(varying.encode()).hexdigest()[:32]
    return Validators(etag=f'"{digest}"', last_modified=_first_seen(version), key=f"public:{digest}")


def _first_seen(version: str) -> dt.datetime | None:
    key = "public-seen:" + hashlib.sha256(version.encode()).hexdigest()[:32]
    now = timezone.now().replace(microsecond=0)
    try:
        # One round trip once the version is known (every call but its first); ``add`` keeps the earliest
        # stamp when several processes see a new version at once.
        stamp = cache.get(key)
        if stamp is None:
            stamp = now.timestamp() if cache.add(key, now.timestamp(), timeout=24 * 3600) else cache.get(key)
    except Exception:  # Redis down: answer without Last-Modified rather than fail
        logger.warning("public cache unavailable; answering without Last-Modified")
        return None
    return dt.datetime.fromtimestamp(stamp, tz=dt.UTC) if stamp is not None else None


def _headers(response: HttpResponse, found: Validators, *, private: bool = False) -> HttpResponse:
    response["ETag"] = found.etag
    if found.last_modified is not None:
        response["Last-Modified"] = http_date(found.last_modified.timestamp())
    # Caches may keep it, but must ask again each time: the validators make asking cheap. A page carries
    # the visitor's CSRF token, so only the visitor's own browser may keep it.
    response["Cache-Control"] = "private, no-cache" if private else "public, no-cache"
    response["Vary"] = "Accept-Language, Cookie"
    return response


def cached_public_answer(
    request: HttpRequest, render: Callable[[], HttpResponse], *, variant: str = ""
) -> HttpResponse:
    """Answer a public GET: 304 when the caller's validators still match, else the cached bytes of this
    version, else ``render()`` (whose 200 answer is cached). Anything but a 200 is passed through uncached,
    so errors are never remembered."""
    if not enabled():
        return render()
    found = validators(request, variant)
    not_modified = get_conditional_response(
        request, etag=found.etag, last_modified=found.last_modified and int(found.last_modified.timestamp())
    )
    if not_modified is not None:
        return _headers(not_modified, found)
    try:
        hit = cache.get(found.key)
    except Exception:  # the cache is only an accelerator
        hit = None
    if hit is not None:
        content, content_type = hit
        return _headers(HttpResponse(content, content_type=content_type), found)
    response = render()
    if hasattr(response, "render") and not getattr(response, "is_rendered", True):
        response.render()
    if response.status_code == 200:
        try:
            cache.set(found.key, (response.content, response["Content-Type"]), timeout=cache_seconds())
        except Exception:  # not cached: the next call builds it again
            logger.warning("public cache unavailable; answer not cached")
        _headers(response, found)
    return response


def conditional_public_page(request: HttpRequest, render: Callable[[], HttpResponse]) -> HttpResponse:
    """A public HTML page with validators: a visitor reloading an unchanged page gets 304.

    A page is not shared between visitors (it carries the visitor's CSRF token and, when logged in, their
    name), so the validators include the visitor's cookies and nothing is stored server-side; a first visit
    (no CSRF cookie yet: the page sets one) is always rendered in full."""
    if (
        not enabled()
        or request.method not in ("GET", "HEAD")
        or settings.CSRF_COOKIE_NAME not in request.COOKIES
    ):
        return render()
    visitor = "|".join(
        (
            request.COOKIES.get(settings.CSRF_COOKIE_NAME, ""),
            request.COOKIES.get(settings.SESSION_COOKIE_NAME, ""),
            str(getattr(getattr(request, "user", None), "pk", "") or ""),
        )
    )
    found = validators(request, "page:" + hashlib.sha256(visitor.encode()).hexdigest())
    not_modified = get_conditional_response(
        request, etag=found.etag, last_modified=found.last_modified and int(found.last_modified.timestamp())
    )
    if not_modified is not None:
        return _headers(not_modified, found, private=True)
    response = render()
    if response.status_code == 200:
        _headers(response, found, private=True)
    return response


def enabled() -> bool:
    """Only on PostgreSQL: its sequences never go back, so a version is never reused for other data (SQLite
    reuses ids after a rollback), and the configuration history is written by its triggers."""
    return connection.vendor == "postgresql" and cache_seconds() > 0


def cache_seconds() -> int:
    return int(getattr(settings, "PUBLIC_CACHE_SECONDS", 60))
