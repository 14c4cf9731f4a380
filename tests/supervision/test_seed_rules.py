"""``seed_cases`` writes only histories the state machine allows, and routes by the workflow's rule.

The seed never runs ``cases.workflow``; instead every event goes through ``CaseDraft.event``, which checks
it against ``RULES``. Checked here on a seeded history (every case, every event, in sequence order), on
the draft itself (it refuses what the table forbids), and on the default lead department (the seed's
choice is the workflow's, inactive departments included).
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict

import pytest

from cases import events, workflow
from cases.choices import SWEEP_EVENT_KINDS, CaseStatus, EventKind, SweepEventKind
from cases.models import Case, CaseEvent, Category, CategoryDefaultDepartment
from routing.calendar.fastclock import US, to_us
from routing.models import Department
from supervision.seed import SeedError, seed_cases
from supervision.seed.draft import ALLOWED_TRANSITIONS, Stop
from supervision.seed.generator import Generator
from supervision.seed.world import build_world
from supervision.seed.writer import tables

from .scenarios import at

pytestmark = pytest.mark.django_db

NOW = at("2026-03-20 11:47")
S = CaseStatus
E = EventKind


def _violations(events: list[tuple[str, str, str]]) -> list[str]:
    """What is wrong with one case's (kind, from, to) sequence, by the workflow's table."""
    found, previous = [], ""
    for i, (kind, frm, to) in enumerate(events):
        where = f"#{i + 1} {kind} {frm!r}→{to!r}"
        if (kind == E.INTAKE) != (i == 0):
            found.append(f"{where}: intake is the first event, and only the first")
        if frm != previous:
            found.append(f"{where}: the previous event ended in {previous!r}")
        if kind in SWEEP_EVENT_KINDS:
            if to != frm:
                found.append(f"{where}: a sweep step keeps the status")
        else:
            rule = workflow.RULES[kind]
            runs_from = frm in rule.sources if rule.sources else frm == ""
            if not (runs_from and rule.leads_to(frm, to)):
                found.append(f"{where}: not in the table")
        previous = to
    return found


def test_every_seeded_history_is_one_the_table_allows(org):
    seed_cases(cases=500, days=120, seed=5, workers=0, now=NOW)
    histories: dict[int, list[tuple[str, str, str]]] = defaultdict(list)
    rows = CaseEvent.objects.order_by("case_id", "sequence").values_list(
        "case_id", "kind", "from_status", "to_status"
    )
    for case_id, kind, frm, to in rows:
        histories[case_id].append((kind, frm, to))
    statuses = dict(Case.objects.values_list("pk", "status"))
    assert len(histories) == len(statuses) == 500

    wrong = {case_id: _violations(events) for case_id, events in histories.items()}
    assert {case_id: found for case_id, found in wrong.items() if found} == {}
    assert all(events[-1][2] == statuses[case_id] for case_id, events in histories.items())
    # Not vacuous: the history runs through every command the seed plays and the ladder's steps.
    kinds = Counter(kind for events in histories.values() for kind, _frm, _to in events)
    played = {
        E.INTAKE, E.NOT_ACCEPT, E.CLASSIFY, E.ASSIGN, E.COORDINATE, E.ACCEPT, E.RETURN, E.TRANSFER,
        E.SUSPEND, E.RESUME, E.REPLY, E.RESOLVE, E.CALLBACK, E.REOPEN, E.CLOSE,
        SweepEventKind.SIGN_REMINDER, SweepEventKind.WARN, SweepEventKind.URGE,
    }  # fmt: skip
    assert played - set(kinds) == set()


def test_the_table_the_seed_checks_against():
    assert (E.INTAKE, "", S.ROUTING) in ALLOWED_TRANSITIONS
    assert (E.INTAKE, S.REGISTERED, S.ROUTING) not in ALLOWED_TRANSITIONS  # intake creates the case
    assert (E.CALLBACK, S.RESOLVED, S.RESOLVED) in ALLOWED_TRANSITIONS  # SAME
    assert (E.CALLBACK, S.CLOSED, S.CLOSED) not in ALLOWED_TRANSITIONS  # SAME, but not a source
    assert (E.RESOLVE, S.ASSIGNED, S.RESOLVED) not in ALLOWED_TRANSITIONS
    assert not [t for t in ALLOWED_TRANSITIONS if t[0] in SWEEP_EVENT_KINDS]
    for kind, frm, to in ALLOWED_TRANSITIONS:
        assert workflow.RULES[kind].leads_to(frm, to)


@pytest.fixture
def draft(org):
    generator = Generator(build_world(days=10, now=NOW, seed=1), tables(), seed=1)
    return generator.draft(random.Random(1), 0, to_us(NOW) - 3600 * US, False, NOW.date())


@pytest.mark.parametrize(
    ("history", "kind", "to_status"),
    [
        ([], E.RESOLVE, S.RESOLVED),  # nothing but intake creates a case
        ([], E.INTAKE, S.CLOSED),  # not one of intake's targets
        ([(E.INTAKE, S.ROUTING)], E.INTAKE, S.ROUTING),  # intake runs once
        ([(E.INTAKE, S.ROUTING)], E.CLOSE, S.CLOSED),  # not a source of close
        ([(E.INTAKE, S.ROUTING), (E.ASSIGN, S.ASSIGNED)], E.ASSIGN, S.ASSIGNED),
        ([(E.INTAKE, S.ROUTING), (E.ASSIGN, S.ASSIGNED), (E.ACCEPT, S.IN_PROGRESS)], E.REOPEN, S.IN_PROGRESS),
        ([(E.INTAKE, S.ROUTING)], SweepEventKind.WARN, S.ROUTING),  # a sweep step takes no status
        ([(E.INTAKE, S.ROUTING)], E.NOTE, None),  # a command names the status it leads to
    ],
)
def test_the_draft_refuses_a_forbidden_transition(draft, history, kind, to_status):
    t = draft.taken
    for step, to in history:
        draft.event(t, step, to)
    before = (draft.status, list(draft.events))
    with pytest.raises(SeedError):
        draft.event(t, kind, to_status)
    assert (draft.status, draft.events) == before


def test_the_draft_records_what_the_table_allows(draft):
    t = draft.taken
    draft.event(t, E.INTAKE, S.ROUTING)
    draft.event(t, SweepEventKind.WARN, None)
    draft.event(t, E.ASSIGN, S.ASSIGNED)
    assert draft.status == S.ASSIGNED
    assert [(e[2], e[5], e[6]) for e in draft.events] == [
        (E.INTAKE, "", S.ROUTING),
        (SweepEventKind.WARN, None, None),  # the status of its moment, filled in time order
        (E.ASSIGN, S.ROUTING, S.ASSIGNED),
    ]
    with pytest.raises(Stop):  # nothing after now has happened
        draft.event(to_us(NOW) + 1, E.ACCEPT, S.IN_PROGRESS)


def test_the_seed_routes_to_the_workflows_default_lead(org):
    # A village's own rule naming an inactive department does not count: its town's rule applies.
    category, t1_office, v1_committee = org.category, org.dept("t1_office"), org.dept("v1_committee")
    CategoryDefaultDepartment.objects.create(
        category=category, region=org.regions["t1"], department=t1_office
    )
    CategoryDefaultDepartment.objects.create(
        category=category, region=org.regions["v1"], department=v1_committee
    )
    Department.objects.filter(pk=v1_committee.pk).update(is_active=False)

    world = build_world(days=10, now=NOW, seed=1)
    assert world.defaults[(category.pk, org.regions["v1"].pk)] == t1_office.pk
    for (category_id, region_id), lead in world.defaults.items():
        expected = workflow.default_lead_department(
            Category.objects.get(pk=category_id), world.regions[region_id].path
        )
        if expected is not None:  # no rule: the seed picks a county department, the clerk would name one
            assert lead == expected.pk, (category_id, world.regions[region_id].code)


def test_seeded_payloads_read_like_the_workflows(org):
    # The seed builds its payloads with cases.events: what a reader asks of an event, it finds.
    seed_cases(cases=300, days=90, seed=11, workers=0, now=NOW)
    seen = Counter()
    for event in CaseEvent.objects.only("kind", "payload").iterator():
        said = events.read(event)
        seen[event.kind] += 1
        if event.kind in (E.ASSIGN, E.COORDINATE):
            assert said.lead_department is not None and said.assisting_departments == []
        elif event.kind == E.TRANSFER:
            assert said.requested_department is not None and not said.pingpong_guard
        elif event.kind == E.SUSPEND:
            assert said.suspended_until is not None and said.days
        elif event.kind == E.REPLY:
            assert said.can_be_done is not None
        elif event.kind in (E.CALLBACK, E.CLOSE):
            assert said.satisfaction
        elif event.kind in SWEEP_EVENT_KINDS:
            assert said.clock in ("case", "assignment") and not said.manual
    assert seen[E.ASSIGN] and seen[E.REPLY] and seen[SweepEventKind.WARN]
