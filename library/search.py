"""Chinese search by words: jieba segmentation into a stored token field, matched as a ``tsvector`` on
PostgreSQL and by token containment on SQLite (docs/LIBRARY.md).

- ``tokens(text)``: jieba's search-mode segmentation (``cut_for_search``: ``营业执照`` gives ``营业``,
  ``执照`` and ``营业执照``), lower case, words only (punctuation and stop words dropped, single CJK
  characters dropped: they match nearly everything);
- ``index_text(*parts)``: what is stored (space-separated and space-padded, so `` 执照 `` is a whole-token
  containment on SQLite);
- ``ranked(queryset, field, q)``: the rows matching any query word, best first. On PostgreSQL it is
  ``to_tsvector('simple', field) @@ websearch_to_tsquery('simple', 'w1 or w2 …')`` ranked by ``ts_rank``,
  served by a GIN index on the same expression (``library/migrations``); elsewhere, the number of query words
  a row contains.

PostgreSQL has no Chinese text-search configuration; ``simple`` only lower-cases and splits on spaces, which
is all the already-segmented field needs.
"""

from __future__ import annotations

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connection
from django.db.models import Case, F, IntegerField, Q, Value, When
from django.db.models.functions import Greatest

from windowsvc.text import words

MAX_QUERY_TERMS = 24


def tokens(text: str) -> list[str]:
    """The words of ``text`` as the index and the queries see them (order kept, repeats kept): search-mode
    segmentation, ``windowsvc.text`` (the one place the apps turn Chinese into words)."""
    return words(text, search=True)


def index_text(*parts: str) -> str:
    """The stored token field of a document made of ``parts``: `` w1 w2 … `` (padded with spaces)."""
    words = tokens("\n".join(p for p in parts if p))
    return f" {' '.join(words)} " if words else ""


def query_terms(q: str) -> list[str]:
    """The distinct words of a query, first ones first, at most ``MAX_QUERY_TERMS``."""
    seen: dict[str, None] = {}
    for word in tokens(q):
        seen.setdefault(word, None)
        if len(seen) >= MAX_QUERY_TERMS:
            break
    return list(seen)


def vector(field: str) -> SearchVector:
    """``to_tsvector('simple', field)``: the expression the GIN indexes are built on."""
    return SearchVector(field, config="simple")


def ranked(queryset, field: str, q: str):
    """Rows of ``queryset`` whose ``field`` holds any word of ``q``, annotated ``rank`` and ordered by it
    (best first, then newest id). An empty query (no words) matches nothing."""
    terms = query_terms(q)
    if not terms:
        return queryset.none()
    if connection.vendor == "postgresql":
        query = SearchQuery(" or ".join(terms), search_type="websearch", config="simple")
        return (
            queryset.annotate(_vector=vector(field))
            .filter(_vector=query)
            .annotate(rank=SearchRank(F("_vector"), query))
            .order_by("-rank", "-pk")
        )
    hits = [Case(When(Q(**{f"{field}__contains": f" {t} "}), then=Value(1)), default=Value(0)) for t in terms]
    score = hits[0]
    for hit in hits[1:]:
        score = score + hit
    return (
        queryset.annotate(rank=Greatest(score, Value(0), output_field=IntegerField()))
        .filter(rank__gt=0)
        .order_by("-rank", "-pk")
    )
