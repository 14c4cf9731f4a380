"""The operators' commands: ``benchmark`` runs and prints its table (no timing is asserted: timings belong
in BENCHMARKS.md), ``supervision_rebuild`` rebuilds and checks."""

import pytest
from django.core.management import CommandError, call_command

from supervision.models import CaseFact, RegionDayStat
from supervision.seed import seed_cases

from .scenarios import at

pytestmark = pytest.mark.django_db


def test_benchmark_prints_every_page(org, capsys):
    seed_cases(cases=60, days=30, workers=0, now=at("2026-03-20 12:00"))
    call_command("benchmark", requests=2, warmup=0, user="county_supervisor")
    out = capsys.readouterr().out
    for label in ("county dashboard", "department table", "overdue list", "API dashboard"):
        assert label in out
    assert "60 cases" in out or "60 cases" in out.replace(",", "")


def test_benchmark_needs_a_known_user(org):
    with pytest.raises(CommandError):
        call_command("benchmark", requests=1, user="nobody")


def test_rebuild_and_check(org, capsys):
    seed_cases(cases=40, days=20, workers=0, now=at("2026-03-20 12:00"))
    call_command("supervision_rebuild", check=True)
    assert "agree" in capsys.readouterr().out
    RegionDayStat.objects.update(taken_in=0)
    with pytest.raises(CommandError):
        call_command("supervision_rebuild", check=True)
    call_command("supervision_rebuild")
    call_command("supervision_rebuild", check=True)
    assert CaseFact.objects.count() == 40
