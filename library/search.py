"""Chinese search by words: jieba segmentation into a stored token field, matched as a ``tsvector`` on
PostgreSQL and by token containment on SQLite (docs/LIBRARY.md).

- ``tokens(text)``: jieba's search-mode segmentation (``cut_for_search``: ``营业执照`` gives ``营业``,
  ``执照`` and ``营业执照``), lower case, words only (punctuation and stop words dropped, single CJK
  characters dropped: they match nearly everything);
- ``index_text(*parts)``: what is stored (space-separated and space-padded, so `` 执照 `` is a whole-token
  containment on SQLite);
- ``ranked(queryset, field, q)``: the rows matching any query word, best first. On PostgreSQL it is
  ``<field>_tsv @@ websearch_to_tsquery('simple', 'w1 or w2 …')`` ranked by ``ts_rank``, where
  ``<field>_tsv`` is the stored ``to_tsvector('simple', field)`` (a generated column with a GIN index,
  ``library/migrations/0003``: ranking never re-parses the matching rows); elsewhere, the number of query
  words a row contains.

PostgreSQL has no Chinese text-search configuration; ``simple`` only lower-cases and splits on spaces, which
is all the already-segmented field needs.
"""

from __future__ import annotations

import time
from datetime import datetime

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVectorField
from django.db import connection
from django.db.models import Case, F, IntegerField, Q, Value, When
from django.db.models.expressions import Expression
from django.db.models.functions import Greatest
from django.utils import timezone

from windowsvc.text import words

MAX_QUERY_TERMS = 24


def tokens(text: str) -> list[str]:
    """The words of ``text`` as the index and the queries see them (order kept, repeats kept): search-mode
    segmentation, ``windowsvc.text`` (the one place the apps turn Chinese into words)."""
    return words(text, search=True)


def index_text(*parts: str, moment: datetime | None = None) -> str:
    """The stored token field of a document made of ``parts``: `` w1 w2 … `` (padded with spaces), plus the
    recency token of ``moment`` (``ym202612``, the local month) when given: it lets PostgreSQL select the
    newest rows holding a common word inside the GIN index (``recent_months``); no query word matches it."""
    words = tokens("\n".join(p for p in parts if p))
    if moment is not None:
        words.append(recency_token(moment))
    return f" {' '.join(words)} " if words else ""


RECENCY_PREFIX = "ym"


def recency_token(moment: datetime) -> str:
    return f"{RECENCY_PREFIX}{timezone.localtime(moment):%Y%m}"


def query_terms(q: str) -> list[str]:
    """The distinct words of a query, first ones first, at most ``MAX_QUERY_TERMS``."""
    seen: dict[str, None] = {}
    for word in tokens(q):
        seen.setdefault(word, None)
        if len(seen) >= MAX_QUERY_TERMS:
            break
    return list(seen)


class StoredVector(Expression):
    """The stored ``to_tsvector('simple', field)`` of the query's own table: the generated column
    ``<field>_tsv`` the GIN index is built on (not a model field: SQLite has none)."""

    output_field = SearchVectorField()

    def __init__(self, field: str):
        super().__init__()
        self.token_field = field

    def as_sql(self, compiler, connection):
        table = compiler.quote_name_unless_alias(compiler.query.get_initial_alias())
        column = connection.ops.quote_name(f"{self.token_field}_tsv")
        return f"{table}.{column}", []


# Which query words select the rows to rank: the rarest, while the share of rows they may hold together
# (by the planner's statistics) stays within this budget. See ``selective_terms``.
MATCH_BUDGET = 0.02
_STATS_SECONDS = 300
_stats: dict[tuple[str, str], tuple[float, dict[str, float]]] = {}


def _or_query(terms: list[str]) -> SearchQuery:
    return SearchQuery(" or ".join(terms), search_type="websearch", config="simple")


def word_shares(table: str, field: str) -> dict[str, float]:
    """The share of rows holding each of the most common words of ``field`` (PostgreSQL's ``ANALYZE``
    statistics of the stored vector: ``pg_stats.most_common_elems``), cached for a few minutes. Words not
    listed are rarer than any listed one. Empty before the first ``ANALYZE`` (autovacuum runs it)."""
    key = (table, field)
    cached = _stats.get(key)
    if cached and time.monotonic() - cached[0] < _STATS_SECONDS:
        return cached[1]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT most_common_elems::text::text[], most_common_elem_freqs FROM pg_stats "
            "WHERE schemaname = current_schema() AND tablename = %s AND attname = %s",
            [table, f"{field}_tsv"],
        )
        row = cursor.fetchone()
    shares = dict(zip(row[0], row[1], strict=False)) if row and row[0] else {}
    _stats[key] = (time.monotonic(), shares)
    return shares


def selective_terms(table: str, field: str, terms: list[str]) -> list[str]:
    """The words of a query that select the rows to rank, on PostgreSQL: the words the statistics do not
    list as common (rarer than any listed), then the listed ones rarest first as long as the rows they may
    hold together stay within ``MATCH_BUDGET`` of the table, and at least the rarest listed one. A word in a
    fifth of all rows (``登记``, ``材料``) says little about which matter it is, and ranking every row
    holding it cost seconds at a million solved cases; it still counts in the rank of the rows selected.
    All the words when the statistics list none of them."""
    return _selection(table, field, terms)[0]


def _selection(table: str, field: str, terms: list[str]) -> tuple[list[str], float]:
    """``selective_terms`` and the share of the table its listed words may hold together (an upper bound:
    the sum of their shares; unlisted words count as nothing, being rarer than any listed one)."""
    shares = word_shares(table, field)
    known = sorted((t for t in terms if t in shares), key=lambda t: shares[t])
    if not known:
        return terms, 0.0
    chosen = [t for t in terms if t not in shares] + known[:1]
    total = shares[known[0]]
    for term in known[1:]:
        if total + shares[term] > MATCH_BUDGET:
            break
        chosen.append(term)
        total += shares[term]
    return chosen, total


# At most about this many rows are ranked for one query: when even the rarest word of a query is common
# (every word of ``不动产登记`` is in 5-10 % of a million solved cases), only the rows of the newest months
# holding it are ranked, selected inside the GIN index by the rows' recency tokens (``index_text``), so
# neither the table nor a primary-key range is scanned. Ranking costs per row (the stored vector is read
# from the heap): this bounds a search's cost whatever the table's size; older rows still match when a
# rarer word of the query selects them.
CANDIDATE_CAP = 2000


def recent_months(table: str, field: str, share: float) -> list[str]:
    """The recency tokens of the newest months to rank in, when rows holding the selected words (``share``
    of the table) would be more than ``CANDIDATE_CAP``: newest first, until they hold about that many (by
    the statistics of the month tokens). Empty when the selection is small enough to rank whole, or when
    the statistics list no month (a small table)."""
    if share <= 0:
        return []
    shares = word_shares(table, field)
    rows = _row_estimate(table)
    if share * rows <= CANDIDATE_CAP:
        return []
    months = sorted((w for w in shares if w.startswith(RECENCY_PREFIX) and w[2:].isdigit()), reverse=True)
    chosen: list[str] = []
    covered = 0.0
    for month in months:
        chosen.append(month)
        covered += shares[month]
        if share * covered * rows >= CANDIDATE_CAP:
            break
    return chosen


_rows: dict[str, tuple[float, float]] = {}


def _row_estimate(table: str) -> float:
    """The planner's row estimate of a table (``pg_class.reltuples``, kept by autovacuum), cached."""
    cached = _rows.get(table)
    if cached and time.monotonic() - cached[0] < _STATS_SECONDS:
        return cached[1]
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [table])
        row = cursor.fetchone()
    rows = max(float(row[0]) if row and row[0] else 0.0, 0.0)
    _rows[table] = (time.monotonic(), rows)
    return rows


def _quoted(term: str) -> str:
    return "'" + term.replace("\\", "\\\\").replace("'", "''") + "'"


def _candidates(terms: list[str], months: list[str]) -> SearchQuery:
    """``(t1 | t2 …)``, and ``& (month1 | month2 …)`` when bounded by recency."""
    words = " | ".join(_quoted(t) for t in terms)
    if months:
        words = f"({words}) & ({' | '.join(_quoted(m) for m in months)})"
    return SearchQuery(words, search_type="raw", config="simple")


def ranked(queryset, field: str, q: str):
    """Rows of ``queryset`` whose ``field`` holds any word of ``q``, annotated ``rank`` and ordered by it
    (best first, then newest id). An empty query (no words) matches nothing. On PostgreSQL the rows ranked
    are those holding the query's selective words (``selective_terms``), the newest ``CANDIDATE_CAP`` or so
    of them (``recent_months``); all the words when the selective ones match nothing."""
    terms = query_terms(q)
    if not terms:
        return queryset.none()
    if connection.vendor == "postgresql":
        query = _or_query(terms)
        table = queryset.model._meta.db_table
        queryset = queryset.alias(_vector=StoredVector(field))
        selective, share = _selection(table, field, terms)
        candidates = queryset.filter(_vector=_candidates(selective, recent_months(table, field, share)))
        if len(selective) < len(terms) and not candidates.exists():
            every = sum(word_shares(table, field).get(t, 0.0) for t in terms)
            candidates = queryset.filter(_vector=_candidates(terms, recent_months(table, field, every)))
        return candidates.annotate(rank=SearchRank(F("_vector"), query)).order_by("-rank", "-pk")
    hits = [Case(When(Q(**{f"{field}__contains": f" {t} "}), then=Value(1)), default=Value(0)) for t in terms]
    score = hits[0]
    for hit in hits[1:]:
        score = score + hit
    return (
        queryset.annotate(rank=Greatest(score, Value(0), output_field=IntegerField()))
        .filter(rank__gt=0)
        .order_by("-rank", "-pk")
    )
