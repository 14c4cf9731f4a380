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


# --- Bounded cost: recency tokens and capped counts -----------------------------------------------------


def test_recent_months_bound_a_common_word_to_the_newest_months(monkeypatch):
    """A word in 20 % of 100,000 rows (20,000 to rank) is ranked in the newest months only, as many as hold
    about CANDIDATE_CAP of its rows; a rare word (200 rows) is ranked whole."""
    months = {f"ym2026{m:02d}": 0.05 for m in range(1, 13)}
    monkeypatch.setattr(search, "word_shares", lambda table, field: {"材料": 0.2, **months})
    monkeypatch.setattr(search, "_row_estimate", lambda table: 100_000.0)
    monkeypatch.setattr(search, "CANDIDATE_CAP", 2000)
    # 0.2 × 0.05 × 100,000 = 1,000 rows a month: two months hold 2,000.
    assert search.recent_months("t", "f", 0.2) == ["ym202612", "ym202611"]
    assert search.recent_months("t", "f", 0.002) == []
    assert search.recent_months("t", "f", 0.0) == []
    monkeypatch.setattr(search, "word_shares", lambda table, field: {"材料": 0.2})
    assert search.recent_months("t", "f", 0.2) == []  # no month listed: unbounded


def test_a_bounded_search_ranks_the_newest_rows_holding_the_word(org, monkeypatch):
    """Through ``ranked``: with the bound in force (on PostgreSQL), only the write-ups of the chosen months
    are ranked (selected inside the GIN index by their recency tokens), newest months first."""
    from django.db import connection
    from django.utils import timezone

    old = _publish(org, "食品经营许可证办不下来", "店面面积小。", "现场核查后办结。", "policy_gap")
    new = _publish(org, "食品经营许可证延续被拒", "材料不全。", "容缺受理后办结。", "policy_gap")
    # The old write-up's case was solved a year earlier: its recency token says so.
    case = old.case
    case.resolved_at = timezone.now() - timezone.timedelta(days=400)
    case.save(update_fields=["resolved_at"])
    old.refresh_from_db()
    from library.indexing import writeup_refresh

    WriteUp.objects.filter(pk=old.pk).update(**{name: getattr(old, name) for name in writeup_refresh(old)})
    this_month = search.recency_token(new.case.resolved_at)
    assert f" {this_month} " in WriteUp.objects.get(pk=new.pk).search_tokens
    assert f" {this_month} " not in WriteUp.objects.get(pk=old.pk).search_tokens
    queryset = WriteUp.objects.all()
    assert {w.pk for w in search.ranked(queryset, "search_tokens", "食品经营许可证")} == {old.pk, new.pk}
    # Statistics that call every word common and list this month: the bound keeps this month's rows.
    monkeypatch.setattr(
        search, "word_shares", lambda table, field: {"食品": 0.3, "经营": 0.3, "许可": 0.3, this_month: 0.5}
    )
    monkeypatch.setattr(search, "_row_estimate", lambda table: 1_000_000.0)
    bounded = [w.pk for w in search.ranked(queryset, "search_tokens", "食品经营许可证")]
    # PostgreSQL bounds by recency; SQLite ranks by containment, where no statistics apply: both found.
    assert bounded == ([new.pk] if connection.vendor == "postgresql" else [new.pk, old.pk])


def test_counts_are_capped_on_the_page_and_in_the_api(org, client, api_client, monkeypatch):
    """The staff list counts at most COUNT_CAP rows: beyond it the page says so and the API sets
    ``count_capped`` (only the first COUNT_CAP rows can be paged)."""
    from windowsvc.paging import CappedPaginator

    for n in range(3):
        _publish(org, f"营业执照变更被退回{n}", "经营范围表述不规范。", "统一口径办结。", "policy_gap")
    monkeypatch.setattr(CappedPaginator, "cap", 2)
    api_client.force_authenticate(org["county_supervisor"])
    body = api_client.get("/api/v1/writeups/", {"q": "营业执照"}).json()
    assert (body["count"], body["count_capped"], len(body["results"])) == (2, True, 2)
    monkeypatch.setattr(CappedPaginator, "cap", 10)
    body = api_client.get("/api/v1/writeups/", {"q": "营业执照"}).json()
    assert (body["count"], body["count_capped"], len(body["results"])) == (3, False, 3)
    client.force_login(org["county_supervisor"])
    monkeypatch.setattr(CappedPaginator, "cap", 2)
    html = client.get("/library/", {"q": "营业执照"}).content.decode()
    assert "超过 2 条，显示最相关的前 2 条" in html
