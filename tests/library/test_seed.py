"""``seed_writeups`` and ``library_reindex`` (the benchmark's data) and ``benchmark --library``: tiny counts,
nothing timed (timings belong in BENCHMARKS.md)."""

import pytest
from django.core.management import CommandError, call_command

from cases.models import Case
from library import indexing, search
from library.choices import WriteUpStatus
from library.models import SolvedCase, WriteUp, WriteUpEvent
from supervision.seed import seed_cases
from tests.supervision.scenarios import at

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(org):
    seed_cases(cases=120, days=40, workers=0, now=at("2026-03-20 12:00"))
    return org


def test_seed_writeups_writes_published_writeups_with_their_derived_fields(seeded, capsys):
    call_command("seed_writeups", count=15, batch=4, workers=1, verbosity=0)
    assert "15 write-ups written" in capsys.readouterr().out
    writeups = list(WriteUp.objects.select_related("case", "case__requester", "blocker_type"))
    assert len(writeups) == 15
    for w in writeups:
        assert w.status == WriteUpStatus.PUBLISHED and w.published_at and w.version == 3
        assert w.case.status in indexing.SOLVED_STATUSES
        assert (w.region_path, w.category_id) == (w.case.region_path, w.case.category_id)
        # the workflow's own derived fields: same tokens, same anonymised version
        expected = WriteUp(**{f.attname: getattr(w, f.attname) for f in WriteUp._meta.concrete_fields})
        expected.case = w.case
        indexing.writeup_refresh(expected)
        assert (w.search_tokens, w.public, w.public_tokens) == (
            expected.search_tokens,
            expected.public,
            expected.public_tokens,
        )
        assert w.search_tokens.strip()
        name = w.case.requester.name
        if name and name in w.problem:
            assert name not in w.public["problem"]
        assert [e.kind for e in WriteUpEvent.objects.filter(writeup=w).order_by("sequence")] == [
            "create",
            "submit",
            "publish",
        ]
    # a second run adds others: a case has at most one write-up
    call_command("seed_writeups", count=5, batch=10, workers=1, verbosity=0)
    assert WriteUp.objects.count() == 20


def test_library_reindex_rebuilds_the_suggestion_index(seeded, capsys):
    solved = Case.objects.filter(status__in=indexing.SOLVED_STATUSES).exclude(resolution_summary="")
    expected = solved.count()
    assert expected and not SolvedCase.objects.exists()  # COPY bypasses the in-transaction sync
    call_command("library_reindex", workers=1, chunk=7, batch=5, verbosity=0)
    assert f"{expected:,} solved cases indexed" in capsys.readouterr().out
    assert SolvedCase.objects.count() == expected
    row = SolvedCase.objects.select_related("case", "case__category").first()
    assert row.tokens == search.index_text(
        row.case.title,
        row.case.description,
        row.case.resolution_summary,
        row.case.category.name,
        moment=row.case.resolved_at or row.case.closed_at,
    )
    assert row.tokens.endswith(f" {search.recency_token(row.resolved_at)} ")
    call_command("library_reindex", workers=1, verbosity=0)  # again: the same rows
    assert SolvedCase.objects.count() == expected


def test_benchmark_library_prints_search_and_suggestions(seeded, capsys):
    call_command("seed_writeups", count=10, workers=1, verbosity=0)
    call_command("library_reindex", workers=1, verbosity=0)
    capsys.readouterr()
    call_command(
        "benchmark", library=True, requests=2, warmup=0, user="county_supervisor", clerk="county_clerk"
    )
    out = capsys.readouterr().out
    assert "10 published write-ups" in out
    for label in ("library search (page)", "library search (API)", "intake suggestions"):
        assert label in out
    assert "county dashboard" not in out


def test_benchmark_library_needs_a_clerk_at_a_window(seeded):
    with pytest.raises(CommandError):
        call_command("benchmark", library=True, requests=1, clerk="stranger")


def test_selective_terms_keep_the_rare_words(monkeypatch):
    """On PostgreSQL the rows to rank are selected by the rarer words of the query (the planner's
    statistics); a word in a fifth of the rows only counts in the rank."""
    shares = {"登记": 0.2, "不动产": 0.01, "开发商": 0.004, "材料": 0.3}
    monkeypatch.setattr(search, "word_shares", lambda table, field: shares)
    terms = ["开发商", "破产", "不动产", "登记"]
    assert search.selective_terms("t", "f", terms) == ["破产", "开发商", "不动产"]
    assert search.selective_terms("t", "f", ["材料", "登记"]) == ["登记"]  # at least the rarest listed
    assert search.selective_terms("t", "f", ["破产", "讨薪"]) == ["破产", "讨薪"]  # none listed: all
    monkeypatch.setattr(search, "word_shares", lambda table, field: {})
    assert search.selective_terms("t", "f", terms) == terms  # no statistics yet: all
