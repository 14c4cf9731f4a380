"""Word search: recall@5 on a small labelled set of Chinese matters (search_set.json), on the staff field
and on the public field, through the same code the pages and API use (``library.search.ranked``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from library import search, selectors
from library.models import WriteUp

from .helpers import blocker, published, solved_case

pytestmark = pytest.mark.django_db
SET = json.loads((Path(__file__).parent / "search_set.json").read_text())
RECALL_FLOOR = 0.8


def _publish(org, title: str, problem: str, solution: str, blocker_code: str) -> WriteUp:
    case = solved_case(org, title=title, description=problem, resolution=solution)
    return published(
        org,
        case,
        title=title,
        problem=problem,
        solution=solution,
        blocker_type=blocker(blocker_code),
        basis="",
        lessons="",
        blocker_note="",
    )


@pytest.fixture
def library(org):
    keys = {}
    labelled = list(SET["writeups"].items())
    for key, w in labelled:
        keys[_publish(org, w["title"], w["problem"], w["solution"], w["blocker"]).pk] = key
    # Hard negatives: every pair of labelled write-ups crossed (one's title, the other's problem and
    # solution), so each query meets several documents sharing half its words; no query expects these.
    for i, (key_a, a) in enumerate(labelled):
        for key_b, b in labelled[i + 1 :]:
            mixed = _publish(org, a["title"], b["problem"], b["solution"], b["blocker"])
            keys[mixed.pk] = f"mix:{key_a}:{key_b}"
    return keys


def _recall(keys, field: str, k: int = 5) -> float:
    hits = 0
    for query, expected in SET["queries"]:
        top = [keys[w.pk] for w in search.ranked(WriteUp.objects.all(), field, query)[:k]]
        hits += expected in top
    return hits / len(SET["queries"])


def test_recall_at_5(library, capsys):
    staff = _recall(library, "search_tokens")
    public = _recall(library, "public_tokens")
    first = _recall(library, "search_tokens", k=1)
    with capsys.disabled():
        print(
            f"\nlibrary search over {len(SET['queries'])} queries, {len(library)} write-ups "
            f"({len(SET['writeups'])} labelled, the rest crossed): "
            f"recall@5 staff {staff:.2f}, public {public:.2f}; recall@1 staff {first:.2f}"
        )
    assert staff >= RECALL_FLOOR
    assert public >= RECALL_FLOOR


def test_tokens_are_words():
    assert search.tokens("营业执照变更多次未办成") == ["营业", "执照", "营业执照", "变更", "办成"]
    assert search.query_terms("的了是") == []


def test_a_query_without_words_matches_nothing(library):
    assert not search.ranked(WriteUp.objects.all(), "search_tokens", "的，。").exists()


def test_public_search_reads_only_published(org, library):
    assert selectors.public_writeups(q="营业执照").count() >= 1
    WriteUp.objects.update(status="draft")  # not through the workflow: only to see the filter work
    assert selectors.public_writeups(q="营业执照").count() == 0
