"""One case's history while it is generated: what intake recorded, the state the commands change, its
assignments and events, and the one door every event goes through.

Invariants
- ``CaseDraft.event`` is the only way an event enters a draft, and the only place its status changes. A
  command's transition must be one ``cases.workflow.RULES`` allows (``Rule.leads_to``), a command without
  sources (intake) runs only on a case that does not exist yet (status ""), and a sweep step (the
  deadline ladder's kinds) keeps the status; anything else raises ``SeedError``. The seed therefore
  cannot write a history the state machine forbids, although it never runs the workflow itself.
- Nothing after the present has happened: an event planned after ``now`` stops the history there
  (``Stop``), and the case is written as it stands.
- Ids are reserved per case (``EVENTS_PER_CASE``, ``ASSIGNMENTS_PER_CASE``), so workers never collide.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from cases.choices import (
    SWEEP_EVENT_KINDS,
    AlarmLevel,
    AssignmentStatus,
    CaseStatus,
    Channel,
    Complexity,
    HandlingMode,
    MatterKind,
)
from cases.models import Category
from cases.workflow import RULES
from routing.models import Region, ServiceWindow

from .world import Profile
from .writer import SeedError

EVENTS_PER_CASE = 32  # id room reserved per case (a case writes far fewer)
ASSIGNMENTS_PER_CASE = 8


def _allowed_transitions() -> frozenset[tuple[str, str, str]]:
    """Every (command, from status, to status) the workflow's table allows: the command runs from one of
    its sources (the workflow checks that first), or from "" if it has none (it creates the case), and
    ``leads_to`` the new status."""
    statuses = [str(s) for s in CaseStatus]
    allowed = set()
    for kind, rule in RULES.items():
        if kind in SWEEP_EVENT_KINDS:
            continue  # a supervisor's 催办 / 督办 row: as a sweep step it keeps the status (``event``)
        for frm in sorted(rule.sources) if rule.sources else [""]:
            allowed.update((kind, frm, to) for to in statuses if rule.leads_to(frm, to))
    return frozenset(allowed)


# Precomputed: ``CaseDraft.event`` runs millions of times in a large seed.
ALLOWED_TRANSITIONS = _allowed_transitions()


class Stop(Exception):
    """The planned history reached the present: nothing after now has happened yet."""


@dataclass(slots=True)
class AssignmentDraft:
    """One assignment row being generated (always a lead assignment)."""

    id: int
    created: int
    department: int
    origin: str
    can_return: bool
    assigned_by: int | None
    clock: tuple[int, int, int]  # accept due, due, yellow
    status: str = AssignmentStatus.PENDING
    current: bool = True
    accepted_at: int | None = None
    accepted_by: int | None = None
    ended_at: int | None = None
    reason: str = ""
    paused_total: int = 0
    updated: int = 0
    alarm: int = AlarmLevel.NONE
    next_alarm: int | None = None

    def accept(self, t: int, who: int | None) -> None:
        self.status = AssignmentStatus.ACCEPTED
        self.accepted_at, self.accepted_by, self.updated = t, who, t

    def end(self, status: str, t: int, reason: str = "") -> None:
        self.status = status
        self.current, self.ended_at, self.reason, self.updated = False, t, reason, t


@dataclass(slots=True)
class Intake:
    """What the window recorded when it took the case in, and what follows from it; fixed for the case
    (not frozen only because a frozen dataclass is slower to build, once per case)."""

    window: ServiceWindow
    region: Region  # the window's, read once (a foreign-key descriptor is slow on the hot path)
    channel: Channel
    clerk: int | None
    category: Category
    matter: MatterKind
    complexity: Complexity
    mode: HandlingMode
    green: bool
    classified: bool  # classified at intake (else by a later classify command)
    profile: Profile
    default_lead: int
    local_date: date

    @property
    def coordinated(self) -> bool:
        return self.mode in (HandlingMode.COORDINATED, HandlingMode.SPECIAL)

    @property
    def immediate(self) -> bool:
        """即办 at the window: resolved by the intake itself."""
        return self.mode == HandlingMode.IMMEDIATE and self.classified


@dataclass(slots=True)
class CaseDraft:
    """One case's history in the making: the fields of its future row that the commands change, its
    assignments and events. ``t`` is the moment the history has reached."""

    intake: Intake
    taken: int
    now: int
    case_id: int
    requester_id: int
    first_event_id: int
    first_assignment_id: int
    clock: tuple  # the case clock: first contact due, reply due, due, reasoned reply due, yellow
    t: int = 0
    status: str = ""  # before intake the case does not exist
    lead: int | None = None
    handling: str = ""
    return_count: int = 0
    transfer_count: int = 0
    reopen_count: int = 0
    first_contacted_at: int | None = None
    replied_at: int | None = None
    reasoned_reply_at: int | None = None
    resolved_at: int | None = None
    closed_at: int | None = None
    summary: str = ""
    callback: str = ""
    callback_at: int | None = None
    callback_by: int | None = None
    callback_comment: str = ""
    needs_review: bool = False
    suspended_at: int | None = None
    before_suspend: str = ""
    paused_at: int | None = None  # suspended and not resumed by now
    paused_total: int = 0
    clock_origin: int = 0
    reopen: bool = False  # the callback asked for a redo (重办)
    second_round: bool = False
    # The case clock's ladder as the sweep would have left it (generator's ``ladder``).
    alarm_level: int = AlarmLevel.NONE
    next_alarm: int | None = None
    supervision_due: int | None = None
    bulletin_at: int | None = None
    # (time, order, kind, actor, department, from, to, reason, payload); a sweep step's from/to are None
    # until the events are put in time order, then the status of its moment.
    events: list[tuple] = field(default_factory=list)
    assignments: list[AssignmentDraft] = field(default_factory=list)

    @property
    def assignment(self) -> AssignmentDraft:
        """The lead assignment created last (the one the case is with)."""
        return self.assignments[-1]

    @property
    def terminal(self) -> bool:
        return self.status in (CaseStatus.CLOSED, CaseStatus.NOT_ACCEPTED, CaseStatus.WITHDRAWN)

    @property
    def clock_paused_at(self) -> int | None:
        return self.paused_at if self.status == CaseStatus.SUSPENDED else None

    def event(
        self,
        t: int,
        kind: str,
        to_status: str | None,
        actor: int | None = None,
        department: int | None = None,
        reason: str = "",
        payload: dict | None = None,
    ) -> None:
        """Append an event at ``t``: a command moving the case to ``to_status``, or a sweep step
        (``to_status`` None: it keeps the status of its moment). Raises ``Stop`` after now and
        ``SeedError`` for a transition the workflow's table forbids."""
        if t > self.now:
            raise Stop
        if to_status is None:
            if kind not in SWEEP_EVENT_KINDS:
                raise SeedError(f"{kind} is a command: it needs the status it leads to")
            self.events.append((t, len(self.events), kind, actor, department, None, None, reason, payload))
            return
        if (kind, self.status, to_status) not in ALLOWED_TRANSITIONS:
            raise SeedError(f"the workflow does not allow {kind} from {self.status!r} to {to_status!r}")
        self.events.append(
            (t, len(self.events), kind, actor, department, self.status, to_status, reason, payload)
        )
        self.status = to_status

    def add_assignment(
        self, t: int, department: int, origin: str, can_return: bool, actor: int | None, clock: tuple
    ) -> AssignmentDraft:
        a = AssignmentDraft(
            id=self.first_assignment_id + len(self.assignments),
            created=t,
            department=department,
            origin=origin,
            can_return=can_return,
            assigned_by=actor,
            clock=clock,
            updated=t,
        )
        self.assignments.append(a)
        return a
