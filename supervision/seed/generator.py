"""The history of each case, generated as the closed loop would have written it.

Per case: intake at a window (fewer online on rest days), classification, routing to the category's
default lead department or through the coordination centre, sign-for; a share returned (退回) or
transferred (转办), suspended, answered "cannot be done yet", resolved late or left to rot; callbacks
(满意 / 基本满意 / 不满意), reopens (重办) and closing (销号); then the steps the deadline sweep would have
fired (黄灯预警, 催办, 督办, 列入通报, 签收提醒). Whatever is planned after now has not happened yet, so
recent cases are open with every light.

Invariants
- Every event goes through ``CaseDraft.event``, which holds each transition to ``cases.workflow.RULES``.
- Deadlines use ``routing.calendar.fastclock``, the integer twin of ``cases.clocks`` (the tests compare
  them), with the deadline profile ``cases.sla`` gives for the classification.
- Same seed, same history: a day's cases draw from one ``random.Random`` seeded by the seed and the day,
  in a fixed order, whatever the chunking or the number of workers.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from datetime import date, timedelta

from cases import events
from cases.choices import (
    AssignmentOrigin,
    AssignmentRole,
    AssignmentStatus,
    CaseStatus,
    Channel,
    Complexity,
    EventKind,
    HandlingMode,
    MatterKind,
    Satisfaction,
)
from cases.sla import suspension_days
from cases.workflow import OTHER_REASON
from routing.calendar.fastclock import US

from .draft import ASSIGNMENTS_PER_CASE, EVENTS_PER_CASE, AssignmentDraft, CaseDraft, Intake, Stop
from .ladder import ladder, sign_reminders
from .rows import CaseRows, add_rollups, case_rows
from .world import CLASSIFICATIONS, World
from .writer import Table, ts

S = CaseStatus
E = EventKind
MIN = 60 * US
HOUR = 60 * MIN


def _cumulative(weights: list[float]) -> list[float]:
    total, result = 0.0, []
    for x in weights:
        total += x
        result.append(total)
    return result


class Generator:
    """Generates the rows of the cases of some days (one worker's chunk)."""

    def __init__(self, world: World, tabs: dict[str, Table], seed: int):
        self.w = world
        self.t = tabs
        self.seed = seed
        self.fast = world.fast
        self.win_list = [w for w, _ in world.windows]
        self.win_cum = _cumulative([x for _, x in world.windows])
        self.cat_list = [c for c, _ in world.categories]
        self.cat_cum = _cumulative([x for _, x in world.categories])
        self.modes = list(CLASSIFICATIONS)
        self.mode_cum = _cumulative(list(CLASSIFICATIONS.values()))
        self.rollups: dict[tuple, Counter] = defaultdict(Counter)
        self.counters: dict[tuple[int, int], int] = {}

    # -- helpers --
    def pick(self, rng, items, cum):
        x = rng.random() * cum[-1]
        lo, hi = 0, len(cum) - 1
        while lo < hi:
            mid = (lo + hi) // 2
            if cum[mid] < x:
                lo = mid + 1
            else:
                hi = mid
        return items[lo]

    def business_after(self, t: int, hours: float) -> int:
        return self.fast.add_working_time(t, int(hours * HOUR))

    def staff(self, department: int, head: bool = False) -> int | None:
        w = self.w
        return (w.heads if head else w.handlers).get(department) or w.heads.get(department)

    def case_clock(self, intake: Intake, origin: int) -> tuple:
        return self.fast.case_clock(origin, intake.profile.limits, paused_total=0, share=self.w.share)

    def new_assignment(
        self, draft: CaseDraft, department: int, origin: str, can_return: bool, actor: int | None
    ) -> AssignmentDraft:
        """A lead assignment created at ``draft.t``, the case routed to its department."""
        t = draft.t
        clock = self.fast.assignment_clock(t, draft.intake.profile.limits, share=self.w.share)
        a = draft.add_assignment(t, department, origin, can_return, actor, clock)
        draft.lead = department
        draft.handling = self.w.departments[department].region.path
        return a

    # -- the day's cases --
    def day(self, day: int, count: int, first_index: int, out: dict[str, list[str]]) -> None:
        rng = random.Random((self.seed << 20) ^ day)
        working = self.fast.is_working(day)
        times = []
        for _ in range(count):
            if working and rng.random() < 0.85:
                # Office hours, 5-minute grid: 08:30–12:00, 14:00–17:30.
                slot = rng.randrange(0, 84)
                sod = (8 * 60 + 30 + slot * 5) if slot < 42 else (14 * 60 + (slot - 42) * 5)
                online = False
            else:
                sod = rng.randrange(0, 288) * 5
                online = True
            times.append((sod * MIN, online))
        times.sort(key=lambda x: x[0])
        local_date = date(1970, 1, 1) + timedelta(days=day)
        for i, (sod, online) in enumerate(times):
            taken = self.fast.at(day, sod)
            if taken > self.w.now_us:
                taken = self.w.now_us - (i + 1) * US
            rows = self.case(rng, first_index + i, taken, online, local_date)
            out["requester"].append(rows.requester)
            out["case"].append(rows.case)
            out["assignment"].extend(rows.assignments)
            out["event"].extend(rows.events)
            out["fact"].append(rows.fact)
            add_rollups(self.rollups, self.fast, rows.fact_values)

    def case(self, rng: random.Random, index: int, taken: int, online: bool, local_date: date) -> CaseRows:
        draft = self.draft(rng, index, taken, online, local_date)
        try:
            self.take_in(rng, draft)
            if not draft.intake.immediate:
                self.route(rng, draft)
                self.pass_on(rng, draft)
                draft.first_contacted_at = draft.t
                self.suspend(rng, draft)
                allowed = self.fast.working_time_between(taken, draft.clock[2])
                self.reply(rng, draft, allowed)
                self.resolve(rng, draft, allowed)
            self.callback_and_close(rng, draft)
            if draft.reopen:
                self.redo(rng, draft)
        except Stop:
            pass
        ladder(self.w, draft)
        sign_reminders(self.w, draft)
        return case_rows(self, rng, draft)

    # -- the steps of one case, in the order the loop runs them --
    def draft(self, rng: random.Random, index: int, taken: int, online: bool, local_date: date) -> CaseDraft:
        """The case as the window takes it in: where, how, what (classification), and its clock."""
        w = self.w
        if online:
            window = next((x for x in self.win_list if x.code.endswith("w02")), self.win_list[0])
            channel = Channel.ONLINE
        else:
            window = self.pick(rng, self.win_list, self.win_cum)
            channel = rng.choices(
                [Channel.WALK_IN, Channel.PHONE, Channel.HOTLINE_12345, Channel.LETTER], [70, 10, 18, 2]
            )[0]
        category = self.pick(rng, self.cat_list, self.cat_cum)
        mode = self.pick(rng, self.modes, self.mode_cum)
        matter = rng.choices([MatterKind.URGENT, MatterKind.DIFFICULT, MatterKind.NOVEL], [25, 50, 25])[0]
        if mode == HandlingMode.IMMEDIATE:
            complexity = Complexity.SIMPLE
        else:
            complexity = rng.choices(
                [Complexity.SIMPLE, Complexity.GENERAL, Complexity.COMPLEX], [15, 65, 20]
            )[0]
        green = rng.random() < 0.05
        region = window.region
        intake = Intake(
            window=window,
            region=region,
            channel=channel,
            clerk=w.clerks.get(window.pk),
            category=category,
            matter=matter,
            complexity=complexity,
            mode=mode,
            green=green,
            classified=rng.random() < 0.85,
            profile=w.profiles[(category.pk, matter.value, mode.value, complexity.value, green)],
            default_lead=w.defaults[(category.pk, region.pk)],
            local_date=local_date,
        )
        return CaseDraft(
            intake=intake,
            taken=taken,
            now=w.now_us,
            case_id=w.ids["case"] + index,
            requester_id=w.ids["requester"] + index,
            first_event_id=w.ids["event"] + index * EVENTS_PER_CASE,
            first_assignment_id=w.ids["assignment"] + index * ASSIGNMENTS_PER_CASE,
            clock=self.case_clock(intake, taken),
            t=taken,
            handling=region.path,
            clock_origin=taken,
        )

    def take_in(self, rng: random.Random, draft: CaseDraft) -> None:
        """受理登记: resolved on the spot (即办), routed, or registered and then refused or classified."""
        i, t = draft.intake, draft.taken
        if i.immediate:
            to = S.RESOLVED
        elif i.classified:
            to = S.COORDINATING if i.coordinated else S.ROUTING
        else:
            to = S.REGISTERED
        values = {
            "category": i.category.pk,
            "matter_kind": i.matter.value,
            "complexity": i.complexity.value,
            "handling_mode": i.mode.value,
            "green_channel": i.green,
        }
        payload = events.intake(
            window=i.window.pk,
            channel=i.channel.value,
            classification_values=values if i.classified else {},
            resolved_at_window=i.immediate,
        )
        draft.event(t, E.INTAKE, to, i.clerk, None, "", payload)
        if to == S.COORDINATING:
            draft.handling = self.w.county.path
        if i.immediate:
            draft.resolved_at = t
            draft.summary = "窗口即办办结"
        if to != S.REGISTERED:
            return
        if rng.random() < 0.12:
            draft.needs_review = True
            refused_at = t + rng.randint(10, 90) * MIN
            payload = events.not_accept(
                guidance="已一次性告知救济途径", reason_code=OTHER_REASON, review=None
            )
            draft.event(refused_at, E.NOT_ACCEPT, S.NOT_ACCEPTED, i.clerk, None, "不属于受理范围", payload)
            raise Stop
        draft.t = t + rng.randint(15, 120) * MIN
        to = S.COORDINATING if i.coordinated else S.ROUTING
        draft.event(draft.t, E.CLASSIFY, to, i.clerk, None, "", events.classification(values))
        if i.coordinated:
            draft.handling = self.w.county.path

    def route(self, rng: random.Random, draft: CaseDraft) -> None:
        """派单 by the window, or 协调 by the centre (a few withdraw first); then the department signs for it."""
        w, clerk = self.w, draft.intake.clerk
        if rng.random() < 0.01:
            draft.event(
                draft.t + rng.randint(30, 600) * MIN,
                E.WITHDRAW,
                S.WITHDRAWN,
                clerk,
                None,
                "反映人撤回",
                events.withdraw(late=False),
            )
            raise Stop
        if draft.status == S.COORDINATING:
            draft.t = self.business_after(draft.t, rng.uniform(0.5, 6))
            lead = rng.choice(w.county_departments).pk
            a = self.new_assignment(draft, lead, AssignmentOrigin.COORDINATE, False, w.coordinator)
            payload = events.coordinate(
                meeting=None,
                lead_department=lead,
                assisting_departments=[],
                assignment=a.id,
                handling_mode=draft.intake.mode.value,
            )
            centre = w.centre.pk if w.centre else None
            draft.event(
                draft.t, E.COORDINATE, S.ASSIGNED, w.coordinator, centre, "协调会议定主办部门", payload
            )
        else:
            draft.t = draft.t + rng.randint(5, 90) * MIN
            self.assign(draft, draft.intake.default_lead, "")
        self.accept(rng, draft)

    def assign(self, draft: CaseDraft, lead: int, note: str) -> None:
        """派单 by the window to ``lead`` at ``draft.t`` (the department may return it)."""
        clerk = draft.intake.clerk
        a = self.new_assignment(draft, lead, AssignmentOrigin.ASSIGN, True, clerk)
        payload = events.assign(
            lead_department=lead, assisting_departments=[], assignment=a.id, can_return=True
        )
        draft.event(draft.t, E.ASSIGN, S.ASSIGNED, clerk, None, note, payload)

    def accept(self, rng: random.Random, draft: CaseDraft) -> None:
        """签收 of the current assignment, mostly within its sign-for time."""
        a = draft.assignment
        late = rng.random() < 0.08
        hours = rng.uniform(7.2, 20) if late else rng.uniform(0.2, 6.5)
        t = self.business_after(a.created, hours)
        who = self.staff(a.department)
        payload = events.accept(assignment=a.id, role=AssignmentRole.LEAD)
        draft.event(t, E.ACCEPT, S.IN_PROGRESS, who, a.department, "", payload)
        a.accept(t, who)
        draft.t = t

    def pass_on(self, rng: random.Random, draft: CaseDraft) -> None:
        """退回 / 转办: buck-passing happens, and is counted."""
        a = draft.assignment
        roll = rng.random()
        if a.can_return and roll < 0.07:
            t = draft.t = self.business_after(draft.t, rng.uniform(1, 10))
            head = self.staff(a.department, head=True)
            if t > draft.now:
                raise Stop
            a.end(AssignmentStatus.RETURNED, t, "非本部门职责")
            draft.return_count += 1
            draft.lead, draft.handling = None, draft.intake.region.path
            payload = events.return_(assignment=a.id, role=AssignmentRole.LEAD, pingpong_guard=False)
            draft.event(t, E.RETURN, S.ROUTING, head, a.department, "非本部门职责", payload)
            draft.t = t + rng.randint(20, 240) * MIN
            other = rng.choice([x.pk for x in self.w.county_departments if x.pk != a.department])
            self.assign(draft, other, "退回后重新派单")
            self.accept(rng, draft)
        elif a.can_return and roll < 0.10:
            t = draft.t = self.business_after(draft.t, rng.uniform(1, 14))
            head = self.staff(a.department, head=True)
            other = rng.choice([x.pk for x in self.w.county_departments if x.pk != a.department])
            if t > draft.now:
                raise Stop
            a.end(AssignmentStatus.TRANSFERRED, t)
            draft.transfer_count += 1
            new = self.new_assignment(draft, other, AssignmentOrigin.TRANSFER, True, head)
            payload = events.move(from_assignment=a.id, requested_department=other, assignment=new.id)
            draft.event(t, E.TRANSFER, S.ASSIGNED, head, a.department, "转有权部门办理", payload)
            self.accept(rng, draft)

    def suspend(self, rng: random.Random, draft: CaseDraft) -> None:
        """挂起 / 恢复 (a few): the clocks pause while the requester completes the file."""
        if rng.random() >= 0.03:
            return
        fast, lead = self.fast, draft.lead
        paused_at = draft.t = self.business_after(draft.t, rng.uniform(2, 10))
        draft.before_suspend, draft.suspended_at = draft.status, paused_at
        days = suspension_days()
        until = fast.add_working_days(paused_at, days)
        payload = events.suspend(reason_code="awaiting_materials", days=days, suspended_until=ts(until))
        draft.event(paused_at, E.SUSPEND, S.SUSPENDED, self.staff(lead), lead, "等待反映人补充材料", payload)
        t = draft.t = self.business_after(paused_at, rng.uniform(7, 21))
        if t > draft.now:
            draft.paused_at = paused_at
            raise Stop
        gap = fast.working_time_between(paused_at, t)
        draft.paused_total += gap
        a = draft.assignment
        a.paused_total += gap
        a.clock = tuple(fast.add_working_time(x, gap) for x in a.clock)
        draft.clock = tuple(None if x is None else fast.add_working_time(x, gap) for x in draft.clock)
        back, draft.before_suspend, draft.suspended_at = draft.before_suspend, "", None
        payload = events.resume(suspended_at=ts(paused_at))
        draft.event(t, E.RESUME, back, self.staff(lead), lead, "材料已补齐", payload)

    def reply(self, rng: random.Random, draft: CaseDraft, allowed: int) -> None:
        """答复 (some): progress, or "cannot be done yet" with reasons (reviewed)."""
        fast, lead, t = self.fast, draft.lead, draft.t
        roll = rng.random()
        if roll < 0.06:
            t = draft.t = fast.add_working_time(t, int(allowed * rng.uniform(0.2, 0.7)))
            draft.needs_review = True
            if t > draft.now:
                raise Stop
            draft.replied_at = draft.replied_at or t
            draft.reasoned_reply_at = t
            reason = "暂不具备办理条件，已说明理由"
            # "Cannot be done" with reasons: the supervisors review it (no review row is seeded).
            payload = events.reply(
                can_be_done=False, cannot_be_done=True, reason_code="not_yet_possible", review=None
            )
            draft.event(t, E.REPLY, S.REPLIED, self.staff(lead), lead, reason, payload)
        elif roll < 0.40:
            t = draft.t = fast.add_working_time(t, int(allowed * rng.uniform(0.05, 0.4)))
            if t > draft.now:
                raise Stop
            draft.replied_at = draft.replied_at or t
            reason = "已答复办理进展"
            payload = events.reply(can_be_done=True)
            draft.event(t, E.REPLY, S.REPLIED, self.staff(lead), lead, reason, payload)

    def resolve(self, rng: random.Random, draft: CaseDraft, allowed: int) -> None:
        """办结: most in time, some late; a few drag on for weeks (the recent ones are still open)."""
        roll = rng.random()
        if roll < 0.015:
            factor = rng.uniform(3, 12)
        elif roll < 0.90:
            factor = rng.uniform(0.15, 0.98)
        else:
            factor = rng.uniform(1.02, 2.5)
        target = self.fast.add_working_time(draft.taken, int((allowed + draft.paused_total) * factor))
        t = draft.t = max(draft.t + 10 * MIN, target)
        if t > draft.now:
            raise Stop
        for x in draft.assignments:
            if x.current:
                x.end(AssignmentStatus.COMPLETED, t)
        draft.resolved_at, draft.summary = t, "已办结，问题已解决"
        lead = draft.lead
        draft.event(
            t, E.RESOLVE, S.RESOLVED, self.staff(lead), lead, draft.summary, events.resolve(evidence=[])
        )

    def callback_and_close(self, rng: random.Random, draft: CaseDraft) -> None:
        """回访, then 销号; unsatisfied once: 重办 (``draft.reopen``); unsatisfied again: a supervisor's 销号."""
        clerk = draft.intake.clerk
        t = draft.t = self.business_after(draft.t, rng.uniform(3, 14))
        second = draft.second_round
        roll = rng.random()
        satisfaction = (
            Satisfaction.SATISFIED
            if roll < (0.85 if second else 0.76)
            else Satisfaction.BASICALLY_SATISFIED
            if roll < (1.0 if second else 0.93)
            else Satisfaction.UNSATISFIED
        )
        comment = "对办理结果不满意" if satisfaction == Satisfaction.UNSATISFIED else ""
        payload = events.callback(satisfaction=satisfaction.value)
        draft.event(t, E.CALLBACK, S.RESOLVED, clerk, None, comment, payload)
        draft.callback, draft.callback_comment = satisfaction.value, comment
        draft.callback_at, draft.callback_by = t, clerk
        if satisfaction == Satisfaction.UNSATISFIED and not second:
            draft.t = t + rng.randint(30, 300) * MIN
            if draft.t > draft.now:
                raise Stop
            draft.reopen = True
            return
        if satisfaction == Satisfaction.UNSATISFIED:
            # Unsatisfied again: a supervisor strikes it off with a written reason (督办销号).
            t = draft.t = self.business_after(t, rng.uniform(7, 35))
            reason = "已两次办理，申请人诉求超出政策范围，督办销号"
            payload = events.close(override=True, satisfaction=Satisfaction.UNSATISFIED.value)
            draft.event(t, E.CLOSE, S.CLOSED, self.w.supervisor, None, reason, payload)
            draft.closed_at = t
            return
        t = draft.t = self.business_after(t, rng.uniform(0.5, 10))
        payload = events.close(override=False, satisfaction=satisfaction.value)
        draft.event(t, E.CLOSE, S.CLOSED, clerk, None, "", payload)
        draft.closed_at = t

    def redo(self, rng: random.Random, draft: CaseDraft) -> None:
        """重办: a new round with a fresh clock, back to the lead department (or routed again if the
        case was resolved at the window), resolved, called back and closed."""
        clerk, t = draft.intake.clerk, draft.t
        draft.reopen = False
        draft.reopen_count += 1
        draft.resolved_at = draft.replied_at = draft.reasoned_reply_at = None
        draft.callback_at = draft.callback_by = None
        draft.callback, draft.callback_comment, draft.paused_total = "", "", 0
        draft.clock_origin = t
        draft.clock = self.case_clock(draft.intake, t)
        if draft.lead is None:
            # Resolved at the window and never routed: the window routes the redo.
            draft.handling = draft.intake.region.path
            payload = events.reopen(satisfaction=Satisfaction.UNSATISFIED.value)
            draft.event(t, E.REOPEN, S.ROUTING, clerk, None, "回访不满意，重办", payload)
            draft.t = t + rng.randint(10, 120) * MIN
            self.assign(draft, draft.intake.default_lead, "重办派单")
            self.accept(rng, draft)
        else:
            lead = draft.lead
            a = self.new_assignment(draft, lead, AssignmentOrigin.REOPEN, False, clerk)
            a.accept(t, None)
            payload = events.reopen(
                satisfaction=Satisfaction.UNSATISFIED.value, lead_department=lead, assignment=a.id
            )
            draft.event(t, E.REOPEN, S.IN_PROGRESS, clerk, None, "回访不满意，重办", payload)
        allowed = self.fast.working_time_between(draft.t, draft.clock[2])
        t = draft.t = self.fast.add_working_time(draft.t, int(allowed * rng.uniform(0.2, 0.9)))
        if t > draft.now:
            raise Stop
        draft.assignment.end(AssignmentStatus.COMPLETED, t)
        draft.resolved_at, draft.summary = t, "重办后已办结"
        lead = draft.lead
        draft.event(
            t, E.RESOLVE, S.RESOLVED, self.staff(lead), lead, draft.summary, events.resolve(evidence=[])
        )
        draft.second_round = True
        self.callback_and_close(rng, draft)
