"""The closed loop never loses a case: a Hypothesis state machine over the real services.

``LoopMachine`` takes in a handful of cases at the v1 window and then runs random sequences of real
commands (``cases.services``) by real actors of ``build_org()`` — classify, assign, accept, return,
transfer / escalate / delegate, coordinate, reassign, reply (can be done; "later" with a follow-up date;
"cannot be done" with a reason and basis), suspend (3 days, or 15 days which goes to review), resume,
resolve, callback, reopen, close, withdraw, not_accept, extension request / decision, review (confirm or
overturn), reclassify — interleaved with time advancing by random hours and the deadline sweep
(``cases.sweep.sweep(now=...)``). Commands may be refused (409 / 403 / 400 / 404): that is part of the
game, the machine moves on. Time only moves forward (``time_machine``, frozen around each command), from
Monday 2026-03-02 09:00 Beijing time.

After every step, for every case, it proves:

1. never neither: an open case is watched by a running clock (the case clock, its light, or a running
   ``CaseTimer``) or sits in a named queue a person must act on (a pending review, a pending extension
   request, the coordination centre);
2. the stored running timers are exactly ``sla.timers_wanted`` (the one table);
3. ``needs_review`` is True exactly while one (at most one) ``RefusalReview`` is pending;
4. the light of ``Case.light_at`` equals its SQL twin (``with_light``) and a recomputation from the event
   log (resolved / "cannot be done" / follow-up date replayed from the events);
5. ``version`` equals the number of events;
6. ``with_on_time`` equals ``Case.on_time_at``.

Each example runs inside a savepoint rolled back at its end; the organisation is built once per test.
``CI`` set → 200 examples, else 30.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
import time_machine
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from cases import clocks, services, sla
from cases.choices import (
    TERMINAL_STATUSES,
    CaseStatus,
    Complexity,
    EventKind,
    ExtensionStatus,
    HandlingMode,
    Light,
    ReviewDecision,
    ReviewKind,
    ReviewStatus,
    Satisfaction,
)
from cases.models import Case, CaseTimer, Extension, RefusalReview
from cases.sweep import sweep
from tests.factories import CLASSIFICATION, build_org, take_in
from windowsvc.errors import NotFound, PermissionDenied, TransitionNotAllowed, ValidationFailed

from .deadline_helpers import bj

S = CaseStatus
E = EventKind
START = bj(3, 2, 9)
MAX_CASES = 3
REFUSED = (TransitionNotAllowed, PermissionDenied, ValidationFailed, NotFound)
# Departments of the county a case may be sent to (lead or assisting).
TARGETS = ("t1_office", "market", "land", "housing", "t2_office", "v1_committee")
SUPERVISOR = "county_supervisor"
CLERK = "v1_clerk"

SETTINGS = settings(
    max_examples=200 if os.environ.get("CI") else 30,
    stateful_step_count=35,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)

IN_FLIGHT = (S.ASSIGNED, S.IN_PROGRESS, S.SUSPENDED, S.REPLIED)
BEFORE_RESOLVE = (S.REGISTERED, S.ROUTING, S.COORDINATING, *IN_FLIGHT)
MAX_INTAKES = 6


def when(statuses):
    """Precondition: some case is in one of ``statuses`` (the rule then picks among those cases)."""
    return lambda self: any(status in statuses for status in self.status.values())


cases_ix = st.integers(min_value=0, max_value=MAX_INTAKES - 1)
# Ending a case early (withdraw, not accept) or routing it on only one time in four (``rare == 3``: Hypothesis
# favours small values, so the rare case is the largest), so that sequences go deep.
rarely = st.integers(min_value=0, max_value=3)
targets = st.sampled_from(TARGETS)
picks = st.integers(min_value=0, max_value=5)
# Which commands ran and which were refused (printed with LOOP_STATS=1: is the machine reaching states?).
STATS: Counter[str] = Counter()


# --- The replay: what the event log says about the case clock -------------------------------------------


@dataclass
class Replayed:
    terminal: bool = False
    resolved: bool = False
    cannot_be_done: bool = False  # a "cannot be done" answer not overturned (nor resolved) since
    reasoned_at: datetime | None = None  # first "cannot be done (yet)" answer of the round
    follow_up: datetime | None = None  # the new date of this round (a reply's, or a review's overturn)

    @property
    def settled(self) -> bool:
        return self.terminal or self.resolved or self.cannot_be_done


def replay(case: Case) -> Replayed:
    state = Replayed()
    for event in case.events.order_by("sequence"):
        payload = event.payload or {}
        if event.kind == E.REOPEN:
            state = Replayed()
        elif event.kind == E.REPLY and payload.get("can_be_done") is False:
            if state.reasoned_at is None:
                state.reasoned_at = event.created_at
            if payload.get("follow_up_due_at"):
                state.follow_up = datetime.fromisoformat(payload["follow_up_due_at"])
            if payload.get("cannot_be_done"):
                state.cannot_be_done = True
                state.follow_up = None  # "cannot be done" replaces an earlier new date
        elif state.cannot_be_done and event.kind != E.REVIEW and event.to_status != S.REPLIED:
            # Routed on (coordinate, reassign …) before a decision: the review lapsed, the "no" no longer
            # stands and the round's reasoned answer is forgotten (the clock runs on the completion deadline).
            if event.to_status not in TERMINAL_STATUSES:
                state.cannot_be_done = False
                state.reasoned_at = None
        elif event.kind == E.REVIEW and payload.get("kind") == ReviewKind.CANNOT_BE_DONE:
            state.cannot_be_done = False
            if payload.get("decision") == ReviewDecision.OVERTURN:
                state.follow_up = datetime.fromisoformat(payload["follow_up_due_at"])
        if event.to_status == S.RESOLVED and event.from_status != S.RESOLVED:
            state.resolved = True
            state.cannot_be_done = False
        state.terminal = event.to_status in TERMINAL_STATUSES
    return state


def replayed_light(case: Case, now: datetime) -> Light | None:
    state = replay(case)
    if state.settled:
        return None
    due = case.due_at
    in_time = (
        state.reasoned_at is not None
        and case.reasoned_reply_due_at is not None
        and state.reasoned_at <= case.reasoned_reply_due_at
    )
    if due is not None and state.follow_up is not None and in_time:
        due = max(due, state.follow_up)
    return clocks.light(now=now, due_at=due, yellow_at=case.yellow_at, paused_at=case.clock_paused_at)


def _light(value) -> Light | None:
    return None if value is None else Light(value)


# --- The machine --------------------------------------------------------------------------------------


class LoopMachine(RuleBasedStateMachine):
    org = None  # set by the test (built once, outside the examples' savepoints)

    def __init__(self):
        super().__init__()
        self.now = START
        self.cases: list[int] = []
        self.status: dict[int, str] = {}  # the statuses as of the last step (cheap preconditions)
        self.in_review: dict[int, bool] = {}
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self.dept_keys = {dept.pk: key for key, dept in self.org.departments.items()}

    def teardown(self):
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    # --- helpers

    def user(self, name: str):
        return self.org[name]

    def case(self, ix: int, statuses) -> Case:
        eligible = [pk for pk in self.cases if self.status[pk] in statuses]
        return Case.objects.get(pk=eligible[ix % len(eligible)])

    def reviewed(self, ix: int) -> Case:
        eligible = [pk for pk in self.cases if self.in_review[pk]]
        return Case.objects.get(pk=eligible[ix % len(eligible)])

    def staff(self, case: Case, pick: int, *, head: bool, lead: bool = False):
        """A handler (or head) of the lead department, or of the ``pick``-th current assignment's."""
        if lead or pick == 0:
            dept_id = case.lead_department_id
        else:
            current = list(case.assignments.filter(is_current=True).order_by("pk"))
            dept_id = current[pick % len(current)].department_id if current else case.lead_department_id
        key = self.dept_keys.get(dept_id, "t1_office")
        if key == "centre":
            return self.user("coordinator")
        return self.user(f"{key}_{'head' if head else 'handler'}")

    def act(self, command, **kwargs):
        with time_machine.travel(self.now, tick=False):
            try:
                event = command(**kwargs)
            except REFUSED as error:
                STATS[f"{command.__name__} refused {type(error).__name__}"] += 1
                return None
        STATS[f"{command.__name__} ok"] += 1
        self.refresh(kwargs["case_id"])
        return event

    def refresh(self, pk: int) -> None:
        self.status[pk], self.in_review[pk] = Case.objects.values_list("status", "needs_review").get(pk=pk)

    # --- rules

    @initialize(classified=st.booleans())
    def first_intake(self, classified):
        self.intake(classified)

    @precondition(
        lambda self: (
            len(self.cases) < MAX_INTAKES
            and sum(status not in TERMINAL_STATUSES for status in self.status.values()) < MAX_CASES
        )
    )
    @rule(classified=st.booleans())
    def intake(self, classified):
        extra = {"category": self.org.category, **CLASSIFICATION} if classified else {}
        with time_machine.travel(self.now, tick=False):
            case = take_in(self.org, "v1", **extra)
        self.cases.append(case.pk)
        self.status[case.pk], self.in_review[case.pk] = case.status, case.needs_review

    @precondition(when((S.REGISTERED,)))
    @rule(ix=cases_ix, coordinated=st.booleans(), by_coordinator=st.booleans())
    def classify(self, ix, coordinated, by_coordinator):
        mode = HandlingMode.COORDINATED if coordinated else HandlingMode.STANDARD
        self.act(
            services.case_classify,
            actor=self.user("coordinator" if by_coordinator else CLERK),
            case_id=self.case(ix, (S.REGISTERED,)).pk,
            category=self.org.category,
            **{**CLASSIFICATION, "handling_mode": mode},
        )

    @precondition(when((S.ROUTING, S.COORDINATING, *IN_FLIGHT)))
    @rule(rare=rarely, ix=cases_ix, complexity=st.sampled_from(list(Complexity)))
    def reclassify(self, ix, rare, complexity):
        if rare < 3:
            return
        self.act(
            services.case_reclassify,
            actor=self.user(SUPERVISOR),
            case_id=self.case(ix, (S.ROUTING, S.COORDINATING, *IN_FLIGHT)).pk,
            complexity=complexity,
            reason="调整复杂程度",
        )

    @precondition(when((S.ROUTING, S.COORDINATING)))
    @rule(ix=cases_ix, lead=targets, assisting=st.lists(targets, max_size=1), by_coordinator=st.booleans())
    def assign(self, ix, lead, assisting, by_coordinator):
        self.act(
            services.case_assign,
            actor=self.user("coordinator" if by_coordinator else CLERK),
            case_id=self.case(ix, (S.ROUTING, S.COORDINATING)).pk,
            lead_department=self.org.dept(lead),
            assisting_departments=[self.org.dept(k) for k in assisting if k != lead],
        )

    @precondition(when(IN_FLIGHT))
    @rule(ix=cases_ix, pick=picks)
    def accept(self, ix, pick):
        case = self.case(ix, IN_FLIGHT)
        self.act(services.assignment_accept, actor=self.staff(case, pick, head=False), case_id=case.pk)

    @precondition(when((S.ASSIGNED, S.IN_PROGRESS)))
    @rule(ix=cases_ix, pick=picks)
    def return_(self, ix, pick):
        case = self.case(ix, (S.ASSIGNED, S.IN_PROGRESS))
        self.act(
            services.assignment_return,
            actor=self.staff(case, pick, head=True),
            case_id=case.pk,
            reason="非本部门职责",
        )

    @precondition(when((S.ASSIGNED, S.IN_PROGRESS)))
    @rule(ix=cases_ix, kind=st.sampled_from(["transfer", "escalate", "delegate"]), to=targets)
    def move(self, ix, kind, to):
        case = self.case(ix, (S.ASSIGNED, S.IN_PROGRESS))
        command = {
            "transfer": services.case_transfer,
            "escalate": services.case_escalate,
            "delegate": services.case_delegate,
        }[kind]
        self.act(
            command,
            actor=self.staff(case, 0, head=True, lead=True),
            case_id=case.pk,
            department=self.org.dept(to),
            reason="应由该部门办理",
        )

    @precondition(when((S.ROUTING, S.COORDINATING, S.ASSIGNED, S.IN_PROGRESS, S.REPLIED)))
    @rule(rare=rarely, ix=cases_ix, lead=targets)
    def coordinate(self, ix, rare, lead):
        if rare < 3:  # one time in four: routing on is always possible and would crowd out the rest
            return
        self.act(
            services.case_coordinate,
            actor=self.user("coordinator"),
            case_id=self.case(ix, (S.ROUTING, S.COORDINATING, S.ASSIGNED, S.IN_PROGRESS, S.REPLIED)).pk,
            lead_department=self.org.dept(lead),
            decisions="协调会议决定由该部门牵头",
        )

    @precondition(when(IN_FLIGHT))
    @rule(rare=rarely, ix=cases_ix, lead=targets)
    def reassign(self, ix, rare, lead):
        if rare < 3:
            return
        self.act(
            services.case_reassign,
            actor=self.user(SUPERVISOR),
            case_id=self.case(ix, IN_FLIGHT).pk,
            lead_department=self.org.dept(lead),
            reason="督办改派",
        )

    @precondition(when((S.IN_PROGRESS, S.REPLIED)))
    @rule(ix=cases_ix, kind=st.sampled_from(["done", "later", "cannot"]), days=st.integers(1, 20))
    def reply(self, ix, kind, days):
        case = self.case(ix, (S.IN_PROGRESS, S.REPLIED))
        data = {}
        if kind == "later":
            data = {"can_be_done": False, "follow_up_due_at": (self.now + timedelta(days=days)).date()}
        elif kind == "cannot":
            data = {
                "can_be_done": False,
                "cannot_be_done": True,
                "reason_code": "not_lawful",
                "basis": "《某条例》第五条",
            }
        self.act(
            services.case_reply,
            actor=self.staff(case, 0, head=False, lead=True),
            case_id=case.pk,
            answer="答复反映人",
            **data,
        )

    @precondition(when((S.IN_PROGRESS, S.REPLIED)))
    @rule(ix=cases_ix)
    def resolve(self, ix):
        case = self.case(ix, (S.IN_PROGRESS, S.REPLIED))
        self.act(
            services.case_resolve,
            actor=self.staff(case, 0, head=False, lead=True),
            case_id=case.pk,
            summary="已办结",
        )

    @precondition(when((S.RESOLVED,)))
    @rule(ix=cases_ix, satisfaction=st.sampled_from(list(Satisfaction)))
    def callback(self, ix, satisfaction):
        comment = "仍未解决" if satisfaction == Satisfaction.UNSATISFIED else ""
        self.act(
            services.case_callback,
            actor=self.user(CLERK),
            case_id=self.case(ix, (S.RESOLVED,)).pk,
            satisfaction=satisfaction,
            comment=comment,
        )

    @precondition(when((S.RESOLVED,)))
    @rule(ix=cases_ix, by_supervisor=st.booleans())
    def reopen(self, ix, by_supervisor):
        self.act(
            services.case_reopen,
            actor=self.user(SUPERVISOR if by_supervisor else CLERK),
            case_id=self.case(ix, (S.RESOLVED,)).pk,
            reason="重新办理",
        )

    @precondition(when((S.RESOLVED,)))
    @rule(ix=cases_ix, override=st.booleans())
    def close(self, ix, override):
        if override:
            kwargs = {"actor": self.user(SUPERVISOR), "override": True, "reason": "督办销号"}
        else:
            kwargs = {"actor": self.user(CLERK)}
        self.act(services.case_close, case_id=self.case(ix, (S.RESOLVED,)).pk, **kwargs)

    @precondition(when((S.IN_PROGRESS, S.REPLIED)))
    @rule(ix=cases_ix, days=st.sampled_from([3, 15]))
    def suspend(self, ix, days):
        case = self.case(ix, (S.IN_PROGRESS, S.REPLIED))
        self.act(
            services.case_suspend,
            actor=self.staff(case, 0, head=False, lead=True),
            case_id=case.pk,
            reason="等待补充材料",
            reason_code="awaiting_materials",
            days=days,
        )

    @precondition(when((S.SUSPENDED,)))
    @rule(ix=cases_ix, by_supervisor=st.booleans())
    def resume(self, ix, by_supervisor):
        case = self.case(ix, (S.SUSPENDED,))
        actor = self.user(SUPERVISOR) if by_supervisor else self.staff(case, 0, head=False, lead=True)
        self.act(services.case_resume, actor=actor, case_id=case.pk, reason="材料已补齐")

    @precondition(when(BEFORE_RESOLVE))
    @rule(rare=rarely, ix=cases_ix, by_supervisor=st.booleans())
    def withdraw(self, ix, rare, by_supervisor):
        if rare < 3:
            return
        self.act(
            services.case_withdraw,
            actor=self.user(SUPERVISOR if by_supervisor else CLERK),
            case_id=self.case(ix, BEFORE_RESOLVE).pk,
            reason="反映人撤回",
            requester_confirmed=True,
        )

    @precondition(when((S.REGISTERED, S.ROUTING)))
    @rule(rare=rarely, ix=cases_ix)
    def not_accept(self, ix, rare):
        if rare < 3:
            return
        self.act(
            services.case_not_accept,
            actor=self.user(CLERK),
            case_id=self.case(ix, (S.REGISTERED, S.ROUTING)).pk,
            reason="属于诉讼事项",
            guidance="请向人民法院起诉",
        )

    @precondition(when(IN_FLIGHT))
    @rule(ix=cases_ix, pick=picks, days=st.integers(1, 5))
    def extension_request(self, ix, pick, days):
        case = self.case(ix, IN_FLIGHT)
        self.act(
            services.case_extension_request,
            actor=self.staff(case, pick, head=False),
            case_id=case.pk,
            days=days,
            reason="需现场勘查",
        )

    def pending_extensions(self) -> list[int]:
        return sorted(
            set(
                Extension.objects.filter(
                    case_id__in=self.cases, status=ExtensionStatus.REQUESTED
                ).values_list("case_id", flat=True)
            )
        )

    @precondition(lambda self: bool(self.pending_extensions()))
    @rule(ix=cases_ix, approve=st.booleans())
    def extension_decide(self, ix, approve):
        pending = self.pending_extensions()
        self.act(
            services.case_extension_decide,
            actor=self.user(SUPERVISOR),
            case_id=pending[ix % len(pending)],
            approve=approve,
            note="" if approve else "理由不充分",
        )

    @precondition(lambda self: any(self.in_review.values()))
    @rule(ix=cases_ix, overturn=st.booleans(), dated=st.booleans(), days=st.integers(1, 20))
    def review(self, ix, overturn, dated, days):
        kwargs = {"decision": ReviewDecision.CONFIRM}
        if overturn:
            kwargs = {"decision": ReviewDecision.OVERTURN, "instruction": "应予办理"}
            if dated:
                kwargs["follow_up_due_at"] = (self.now + timedelta(days=days)).date()
        self.act(services.case_review, actor=self.user(SUPERVISOR), case_id=self.reviewed(ix).pk, **kwargs)

    @rule(hours=st.integers(min_value=1, max_value=72), minutes=st.sampled_from([0, 15, 30, 45]))
    def advance_time(self, hours, minutes):
        self.now += timedelta(hours=hours, minutes=minutes)
        with time_machine.travel(self.now, tick=False):
            sweep(now=self.now)

    # --- invariants

    @invariant()
    def loop_is_closed(self):
        now = self.now
        for pk in self.cases:
            case = Case.objects.get(pk=pk)
            label = f"case {case.tracking_number} ({case.status}) at {now.isoformat()}"
            current = list(case.assignments.filter(is_current=True))
            running = list(CaseTimer.objects.filter(case=case, stopped_at__isnull=True))
            pending_reviews = RefusalReview.objects.filter(case=case, status=ReviewStatus.PENDING).count()
            pending_extension = Extension.objects.filter(case=case, status=ExtensionStatus.REQUESTED).exists()
            light = case.light_at(now)

            # 5. one event per version
            assert case.version == case.events.count(), label

            # 3. needs_review iff exactly one pending review
            assert pending_reviews <= 1, label
            assert case.needs_review == (pending_reviews == 1), label

            # 2. stored timers = the table
            stored = {(t.kind, t.subject_id): t.due_at for t in running}
            assert stored == sla.timers_wanted(case, current), label

            # 1. never neither
            if case.status not in TERMINAL_STATUSES:
                clock = sla.case_clock_active(case) or light is not None or bool(running)
                queue = case.needs_review or pending_extension or case.status == S.COORDINATING
                assert clock or queue, f"{label}: neither watched by a clock nor in a queue"

            # 4. the light: SQL twin and the replay of the events
            annotated = Case.objects.with_light(now).get(pk=pk)
            assert _light(annotated.light) == light, label
            assert replayed_light(case, now) == light, f"{label}: light {light} vs the events"

            # 6. on time: SQL twin
            on_time = Case.objects.with_on_time(now).get(pk=pk).on_time
            assert on_time == case.on_time_at(now), label


@pytest.mark.django_db
def test_the_loop_never_loses_a_case():
    LoopMachine.org = build_org()
    try:
        run_state_machine_as_test(LoopMachine, settings=SETTINGS)
    finally:
        LoopMachine.org = None
        if os.environ.get("LOOP_STATS"):
            print(*sorted(STATS.items()), sep="\n")


# --- Regressions: the two bugs the machine found, as minimal sequences --------------------------------------


def _in_progress(org):
    with time_machine.travel(START, tick=False):
        case = take_in(org, "v1", category=org.category, **CLASSIFICATION)
        services.case_assign(actor=org[CLERK], case_id=case.pk, lead_department=org.dept("t1_office"))
        services.assignment_accept(actor=org["t1_office_handler"], case_id=case.pk)
    return case


def _cannot(org, case):
    services.case_reply(
        actor=org["t1_office_handler"],
        case_id=case.pk,
        answer="不能办理",
        can_be_done=False,
        cannot_be_done=True,
        reason_code="not_lawful",
        basis="《某条例》第五条",
    )


@pytest.mark.django_db
def test_routing_on_a_cannot_be_done_case_restarts_its_clock(org):
    case = _in_progress(org)
    with time_machine.travel(START + timedelta(hours=1), tick=False):
        _cannot(org, case)  # replied, review pending, case clock settled
        services.case_coordinate(
            actor=org["coordinator"], case_id=case.pk, lead_department=org.dept("t1_office"), decisions="协调"
        )  # → assigned; the review lapses; the clock runs again
    case.refresh_from_db()
    assert case.status == S.ASSIGNED and not case.needs_review
    watched = (
        sla.case_clock_active(case)
        or case.light_at(START) is not None
        or case.timers.filter(stopped_at__isnull=True).exists()
    )
    assert watched, "an open, assigned case with no clock, no timer and no queue"


@pytest.mark.django_db
def test_cannot_be_done_after_a_follow_up_date_stops_the_clock_for_the_review(org):
    case = _in_progress(org)
    with time_machine.travel(START + timedelta(hours=1), tick=False):
        services.case_reply(
            actor=org["t1_office_handler"],
            case_id=case.pk,
            answer="暂不能办理",
            can_be_done=False,
            follow_up_due_at=(START + timedelta(days=10)).date(),
        )
        _cannot(org, case)
    case.refresh_from_db()
    assert case.needs_review  # the "cannot be done" answer waits for a supervisor …
    assert case.light_at(START + timedelta(hours=2)) is None  # … and the follow-up clock has stopped
    assert case.follow_up_due_at is None
