"""Event payloads in one place: one builder per event kind, and one reader.

Every ``CaseEvent`` carries a small JSON ``payload`` saying what the event did beyond its status change
(which departments, which review, which new date). Its keys are written only by the builders below —
called by the workflow's handlers (``cases.workflow``) and the deadline sweep (``cases.sweep``) — and read
only through ``Payload`` (notices, the case page's timeline, the clocks, supervision's selectors); a
database filter on a key names it through ``Key``. The JSON is also the API's ``payload`` of an event, so
a key once written keeps its name and meaning (old events are never rewritten).

Moments are stored as ISO 8601 text with their offset; ids as integers; absent optional facts are left
out (a builder's optional argument left at its default writes no key), except where noted. The bulk seed
(``supervision/seed``) builds its history with the same builders, passing moments it has already written
as timestamp text (``Moment``).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from django.utils.dateparse import parse_datetime


class Key(enum.StrEnum):
    """Payload keys that queries filter on (``payload__<key>``)."""

    MANUAL = "manual"
    CLOCK = "clock"
    LEAD_DEPARTMENT = "lead_department"

    @property
    def lookup(self) -> str:
        return f"payload__{self.value}"


# A moment: a datetime, or timestamp text already formatted (the bulk seed's integer clock).
Moment = datetime | str


def _iso(moment: Moment | None) -> str | None:
    if isinstance(moment, str):
        return moment
    return moment.isoformat() if moment else None


def _pk(value: Any) -> Any:
    return value.pk if hasattr(value, "pk") else value


# --- Builders: commands (cases.workflow) -----------------------------------------------------------


def classification(values: Mapping[str, Any]) -> dict[str, Any]:
    """The classification fields given (category as its id): classify, and intake's ``classification``."""
    return {k: _pk(v) for k, v in values.items()}


def intake(*, window: int, channel: str, classification_values: Mapping[str, Any], resolved_at_window: bool):
    return {
        "window": window,
        "channel": channel,
        "classification": classification(classification_values),
        "resolved_at_window": resolved_at_window,
    }


def not_accept(*, guidance: str, reason_code: str, review: int | None) -> dict[str, Any]:
    return {"guidance": guidance, "reason_code": reason_code, "review": review}


def withdraw(
    *, late: bool, review: int | None = None, approved_by_supervisor: bool = False
) -> dict[str, Any]:
    """A withdrawal; after the deadline either the requester confirmed it (then it is reviewed: ``review``)
    or a supervisor ran it (``approved_by_supervisor``)."""
    payload: dict[str, Any] = {"late": late}
    if review is not None:
        payload.update({"requester_confirmed": True, "review": review})
    if approved_by_supervisor:
        payload["approved_by_supervisor"] = True
    return payload


def reclassify(*, before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any]:
    return {"before": classification(before), "after": classification(after)}


def assign(*, lead_department: int, assisting_departments: Iterable[int], assignment: int, can_return: bool):
    return {
        "lead_department": lead_department,
        "assisting_departments": list(assisting_departments),
        "assignment": assignment,
        "can_return": can_return,
    }


def accept(*, assignment: int, role: str) -> dict[str, Any]:
    return {"assignment": assignment, "role": role}


def return_(*, assignment: int, role: str, pingpong_guard: bool | None = None) -> dict[str, Any]:
    """A return; ``pingpong_guard`` only for the lead's return (an assisting return moves nothing)."""
    payload: dict[str, Any] = {"assignment": assignment, "role": role}
    if pingpong_guard is not None:
        payload["pingpong_guard"] = pingpong_guard
    return payload


def move(*, from_assignment: int, requested_department: int, assignment: int | None) -> dict[str, Any]:
    """转办 / 上报 / 下派; no new ``assignment`` when the ping-pong guard sent the case to the centre."""
    payload: dict[str, Any] = {
        "from_assignment": from_assignment,
        "requested_department": requested_department,
    }
    if assignment is None:
        payload["pingpong_guard"] = True
    else:
        payload.update({"pingpong_guard": False, "assignment": assignment})
    return payload


def coordinate(*, meeting: int | None, lead_department: int, assisting_departments: Iterable[int], assignment: int,
               handling_mode: str) -> dict[str, Any]:  # fmt: skip
    return {
        "meeting": meeting,
        "lead_department": lead_department,
        "assisting_departments": list(assisting_departments),
        "assignment": assignment,
        "handling_mode": handling_mode,
    }


def reassign(*, from_department: int | None, lead_department: int, assignment: int) -> dict[str, Any]:
    return {"from_department": from_department, "lead_department": lead_department, "assignment": assignment}


def note(*, contacted_requester: bool) -> dict[str, Any]:
    return {"contacted_requester": contacted_requester}


def suspend(*, reason_code: str, days: int, suspended_until: Moment, review: int | None = None):
    payload: dict[str, Any] = {
        "reason_code": reason_code,
        "days": days,
        "suspended_until": _iso(suspended_until),
    }
    if review is not None:
        payload["review"] = review
    return payload


def resume(*, suspended_at: Moment | None) -> dict[str, Any]:
    return {"suspended_at": _iso(suspended_at)}


def reply(*, can_be_done: bool, follow_up_due_at: Moment | None = None, cannot_be_done: bool = False,
          reason_code: str | None = None, review: int | None = None) -> dict[str, Any]:  # fmt: skip
    """An answer; "cannot be done yet" carries the new date, or (``cannot_be_done``) its reason and review."""
    payload: dict[str, Any] = {"can_be_done": can_be_done}
    if follow_up_due_at is not None:
        payload["follow_up_due_at"] = _iso(follow_up_due_at)
    if cannot_be_done:
        payload.update({"cannot_be_done": True, "reason_code": reason_code, "review": review})
    return payload


def review(*, review: int, kind: str, decision: str, follow_up_due_at: datetime | None = None,
           suspended_until: datetime | None = None) -> dict[str, Any]:  # fmt: skip
    payload: dict[str, Any] = {"review": review, "kind": kind, "decision": decision}
    if follow_up_due_at is not None:
        payload["follow_up_due_at"] = _iso(follow_up_due_at)
    if suspended_until is not None:
        payload["suspended_until"] = _iso(suspended_until)
    return payload


def resolve(*, evidence: Iterable[int]) -> dict[str, Any]:
    return {"evidence": list(evidence)}


def callback(*, satisfaction: str) -> dict[str, Any]:
    return {"satisfaction": satisfaction}


def reopen(*, satisfaction: str | None, lead_department: int | None = None, assignment: int | None = None):
    """A redo; no department when the case never left the window (it is routed again)."""
    payload: dict[str, Any] = {"satisfaction": satisfaction or None}
    if lead_department is not None:
        payload.update({"lead_department": lead_department, "assignment": assignment})
    return payload


def close(*, override: bool, satisfaction: str | None, evidence: Iterable[int] = ()) -> dict[str, Any]:
    payload: dict[str, Any] = {"override": override, "satisfaction": satisfaction or None}
    if evidence:
        payload["evidence"] = list(evidence)
    return payload


def extension_request(*, extension: int, assignment: int, days: int, applies_to_case: bool,
                      due_before: datetime | None) -> dict[str, Any]:  # fmt: skip
    return {
        "extension": extension,
        "assignment": assignment,
        "days": days,
        "applies_to_case": applies_to_case,
        "due_before": _iso(due_before),
    }


def extension_decide(*, extension: int, approved: bool, days: int, due_before: datetime | None,
                     due_after: datetime | None) -> dict[str, Any]:  # fmt: skip
    return {
        "extension": extension,
        "approved": approved,
        "days": days,
        "due_before": _iso(due_before),
        "due_after": _iso(due_after),
    }


def supervisor_order(*, lead_department: int | None, days: int | None = None, due_at: datetime | None = None):
    """催办 / 督办 run by a person (``manual``: the sweep's steps of the same kinds have none); 督办 also
    records the order's own limit and deadline."""
    payload: dict[str, Any] = {Key.MANUAL.value: True, Key.LEAD_DEPARTMENT.value: lead_department}
    if days is not None:
        payload.update({"days": days, "due_at": _iso(due_at)})
    return payload


# --- Builders: the deadline sweep (cases.sweep) ----------------------------------------------------


def ladder_step(*, clock: str, level: str, skipped: Iterable[str], deadline: Moment, **watched: Any):
    """One step of a clock's ladder. ``clock`` is ``case``, ``assignment`` or a timer kind; ``watched``
    names what the clock watches (``assignment`` + ``role``, or ``timer`` + ``subject``, or the case's
    ``supervision_due_at``)."""
    payload: dict[str, Any] = {Key.CLOCK.value: clock, **watched, "level": level, "skipped": list(skipped)}
    payload["deadline"] = _iso(deadline)
    if isinstance(payload.get("supervision_due_at"), datetime):
        payload["supervision_due_at"] = _iso(payload["supervision_due_at"])
    return payload


# --- The reader ----------------------------------------------------------------------------------


def _moment(value: Any) -> datetime | None:
    return parse_datetime(value) if isinstance(value, str) and value else None


def _id(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class Payload:
    """What an event's payload says, read by name (absent keys read as None / False / empty)."""

    __slots__ = ("data",)

    def __init__(self, data: Mapping[str, Any] | None):
        self.data = data or {}

    # Departments and assignments
    @property
    def lead_department(self) -> int | None:
        return _id(self.data.get(Key.LEAD_DEPARTMENT))

    @property
    def assisting_departments(self) -> list[int]:
        return [i for i in self.data.get("assisting_departments") or [] if _id(i) is not None]

    @property
    def requested_department(self) -> int | None:
        return _id(self.data.get("requested_department"))

    @property
    def departments(self) -> set[int]:
        """Every department the event names (for labelling a timeline)."""
        named = (self.lead_department, self.requested_department, _id(self.data.get("from_department")))
        return {i for i in named if i is not None} | set(self.assisting_departments)

    @property
    def pingpong_guard(self) -> bool:
        return bool(self.data.get("pingpong_guard"))

    # Saying no, and its review
    @property
    def review(self) -> int | None:
        return _id(self.data.get("review"))

    @property
    def decision(self) -> str:
        return str(self.data.get("decision") or "")

    @property
    def guidance(self) -> str:
        return str(self.data.get("guidance") or "")

    @property
    def late(self) -> bool:
        return bool(self.data.get("late"))

    # Answers and dates
    @property
    def can_be_done(self) -> bool | None:
        value = self.data.get("can_be_done")
        return value if isinstance(value, bool) else None

    @property
    def cannot_be_done(self) -> bool:
        return bool(self.data.get("cannot_be_done"))

    @property
    def follow_up_due_at(self) -> datetime | None:
        return _moment(self.data.get("follow_up_due_at"))

    @property
    def suspended_until(self) -> datetime | None:
        return _moment(self.data.get("suspended_until"))

    @property
    def satisfaction(self) -> str:
        return str(self.data.get("satisfaction") or "")

    @property
    def contacted_requester(self) -> bool:
        return bool(self.data.get("contacted_requester"))

    # Extensions and supervisors' orders
    @property
    def extension(self) -> int | None:
        return _id(self.data.get("extension"))

    @property
    def days(self) -> int | None:
        return _id(self.data.get("days"))

    @property
    def due_before(self) -> datetime | None:
        return _moment(self.data.get("due_before"))

    @property
    def due_at(self) -> datetime | None:
        return _moment(self.data.get("due_at"))

    @property
    def manual(self) -> bool:
        return bool(self.data.get(Key.MANUAL))

    @property
    def clock(self) -> str:
        return str(self.data.get(Key.CLOCK) or "")


def read(event: Any) -> Payload:
    """The payload of ``event`` (a ``CaseEvent``, or anything with a ``payload`` mapping)."""
    return Payload(getattr(event, "payload", None))
