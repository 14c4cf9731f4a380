"""Choices of the closed loop: statuses, classification, channels, assignments, callbacks and event kinds.

Every status comparison in code goes through these classes (never string literals). The values are stored
in the database and exchanged through the API; the labels (zh-hans msgids) are what users read.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class CaseStatus(models.TextChoices):
    """Where a case stands in the loop; only ``cases.workflow`` changes it.

    registered → (classify) → routing | coordinating → (assign / coordinate) → assigned → (lead accepts) →
    in_progress ⇄ suspended, → replied → resolved → (callback, close) → closed; reopen sends a resolved case
    back to in_progress with the same lead (assigned when a supervisor names another). not_accepted, withdrawn and closed are terminal.
    """

    REGISTERED = "registered", _("已登记")  # taken in, waiting to be classified
    ROUTING = "routing", _("待派单")  # classified (or returned) and waiting for the window to route it
    COORDINATING = "coordinating", _("待协调")  # waiting for the county coordination centre
    ASSIGNED = "assigned", _("待签收")  # routed; the lead department has not signed for it yet
    IN_PROGRESS = "in_progress", _("办理中")
    SUSPENDED = "suspended", _("已挂起")  # waiting on the requester; the clock is paused
    REPLIED = "replied", _("已答复")  # the requester has an answer; handling may continue to completion
    RESOLVED = "resolved", _("已办结")  # done by the department; waiting for the callback and closure
    CLOSED = "closed", _("已销号")
    NOT_ACCEPTED = "not_accepted", _("不予受理")
    WITHDRAWN = "withdrawn", _("已撤回")


# Terminal states: nothing happens to the case any more. Open = not terminal (a resolved case is still
# open: it waits for its callback and closure). Partial indexes use exactly ``NOT (status IN TERMINAL)``.
TERMINAL_STATUSES = (CaseStatus.CLOSED, CaseStatus.NOT_ACCEPTED, CaseStatus.WITHDRAWN)
OPEN_STATUSES = tuple(s for s in CaseStatus if s not in TERMINAL_STATUSES)
# States in which a department holds the case (a current lead assignment exists).
HANDLING_STATUSES = (
    CaseStatus.ASSIGNED,
    CaseStatus.IN_PROGRESS,
    CaseStatus.SUSPENDED,
    CaseStatus.REPLIED,
)
# States in which the current lead assignment has been signed for.
LEAD_ACCEPTED_STATUSES = (CaseStatus.IN_PROGRESS, CaseStatus.SUSPENDED, CaseStatus.REPLIED)


class MatterKind(models.TextChoices):
    """Why the normal process failed (急事 / 难事 / 新事); 紧急 is the urgent matter that cannot wait a day.

    With the handling mode and complexity it picks the time limit (``SlaPolicy``): 紧急 the same day,
    急事 3 working days (docs/DEADLINES.md).
    """

    EMERGENCY = "emergency", _("紧急")
    URGENT = "urgent", _("急事")
    DIFFICULT = "difficult", _("难事")
    NOVEL = "novel", _("新事")


class Complexity(models.TextChoices):
    """Graded response (提级响应): simple at the window, general to a department, complex jointly."""

    SIMPLE = "simple", _("简单")
    GENERAL = "general", _("一般")
    COMPLEX = "complex", _("复杂")


class HandlingMode(models.TextChoices):
    """How the case is handled; with complexity, matter kind and green channel it fixes the deadlines.

    ``STANDARD`` is the ordinary routed case (one department, normal limits); the four named modes are the
    ones the county's mechanism defines.
    """

    STANDARD = "standard", _("常规办")
    IMMEDIATE = "immediate", _("即办")
    EXPEDITED = "expedited", _("加急办")
    COORDINATED = "coordinated", _("协调办")
    SPECIAL = "special", _("特事特办")


# Modes that belong to the coordination centre: classification sends such cases there.
COORDINATION_MODES = (HandlingMode.COORDINATED, HandlingMode.SPECIAL)


class Channel(models.TextChoices):
    """How the matter reached the window."""

    WALK_IN = "walk_in", _("窗口来访")
    PHONE = "phone", _("电话")
    ONLINE = "online", _("网上反映")
    HOTLINE_12345 = "hotline_12345", _("12345转办")
    LETTER = "letter", _("来信")


class RequesterKind(models.TextChoices):
    PERSON = "person", _("群众")
    ENTERPRISE = "enterprise", _("企业")


class AssignmentRole(models.TextChoices):
    LEAD = "lead", _("主办")
    ASSISTING = "assisting", _("协办")


class AssignmentStatus(models.TextChoices):
    """pending → accepted → completed, or ended early as returned / transferred / cancelled."""

    PENDING = "pending", _("待签收")
    ACCEPTED = "accepted", _("已签收")
    COMPLETED = "completed", _("已完成")
    RETURNED = "returned", _("已退回")
    TRANSFERRED = "transferred", _("已转出")
    CANCELLED = "cancelled", _("已撤销")


# An assignment is current (part of the case's present routing) exactly while it is pending or accepted.
CURRENT_ASSIGNMENT_STATUSES = (AssignmentStatus.PENDING, AssignmentStatus.ACCEPTED)


class AssignmentOrigin(models.TextChoices):
    """Which command created an assignment (rankings tell a window's routing from department moves)."""

    ASSIGN = "assign", _("派单")
    TRANSFER = "transfer", _("转办")
    ESCALATE = "escalate", _("上报")
    DELEGATE = "delegate", _("下派")
    COORDINATE = "coordinate", _("协调")
    REASSIGN = "reassign", _("改派")
    REOPEN = "reopen", _("重办")


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("满意")
    BASICALLY_SATISFIED = "basically_satisfied", _("基本满意")
    UNSATISFIED = "unsatisfied", _("不满意")


# Callbacks that allow closure (销号) without a supervisor's override.
CLOSING_SATISFACTION = (Satisfaction.SATISFIED, Satisfaction.BASICALLY_SATISFIED)


class EventKind(models.TextChoices):
    """One kind per workflow command; the value is also the command's name (API paths, buttons)."""

    INTAKE = "intake", _("受理登记")
    NOT_ACCEPT = "not_accept", _("不予受理")
    WITHDRAW = "withdraw", _("撤回")
    CLASSIFY = "classify", _("分类")
    RECLASSIFY = "reclassify", _("调整分类")
    ASSIGN = "assign", _("派单")
    ACCEPT = "accept", _("签收")
    RETURN = "return", _("退回")
    TRANSFER = "transfer", _("转办")
    ESCALATE = "escalate", _("上报")
    DELEGATE = "delegate", _("下派")
    COORDINATE = "coordinate", _("协调")
    REASSIGN = "reassign", _("改派")
    NOTE = "note", _("办理进展")
    SUSPEND = "suspend", _("挂起")
    RESUME = "resume", _("恢复")
    REPLY = "reply", _("答复")
    RESOLVE = "resolve", _("办结")
    CALLBACK = "callback", _("回访")
    REOPEN = "reopen", _("重办")
    CLOSE = "close", _("销号")
    # Deadlines (docs/DEADLINES.md): a department asks for more time, a supervisor decides.
    EXTENSION_REQUEST = "extension_request", _("延期申请")
    EXTENSION_DECIDE = "extension_decide", _("延期审批")
    # 否定答复报告: a supervisor confirms or overturns a "no" (docs/DEADLINES.md, "Review of every no").
    REVIEW = "review", _("否定答复审核")


class SweepEventKind(models.TextChoices):
    """Events that are no command: the deadline sweep (``cases.sweep``, system actor) records each step
    of the escalation ladder it fires; nobody runs them."""

    SIGN_REMINDER = "sign_reminder", _("签收提醒")
    REMIND = "remind", _("到期提醒")
    WARN = "warn", _("黄灯预警")
    URGE = "urge", _("催办")
    SUPERVISE = "supervise", _("督办")
    BULLETIN = "bulletin", _("列入通报")


SWEEP_EVENT_KINDS = frozenset(SweepEventKind)
# What ``CaseEvent.kind`` holds: a command's kind or a sweep step's.
CASE_EVENT_KINDS = [*EventKind.choices, *SweepEventKind.choices]


# Events the citizens' public timeline shows (without staff names or personal data).
PUBLIC_EVENT_KINDS = frozenset(
    {
        EventKind.INTAKE,
        EventKind.NOT_ACCEPT,
        EventKind.WITHDRAW,
        EventKind.ASSIGN,
        EventKind.ACCEPT,
        EventKind.COORDINATE,
        EventKind.REPLY,
        EventKind.RESOLVE,
        EventKind.REOPEN,
        EventKind.CLOSE,
    }
)


class Light(models.TextChoices):
    """Deadline light of a running clock, derived from stored times when read (docs/DEADLINES.md)."""

    GREEN = "green", _("绿灯")
    YELLOW = "yellow", _("黄灯")
    RED = "red", _("红灯")


class AlarmLevel(models.IntegerChoices):
    """Steps of the escalation ladder a clock has reached; each fires once per clock (stored per clock).

    Ordered: a higher level reached first (after downtime) fires alone, the lower ones are recorded as
    skipped. Assignments use SIGN (not signed for in time) and, for assisting departments, YELLOW and RED;
    the case clock uses YELLOW, RED, SUPERVISE and BULLETIN.
    """

    NONE = 0, _("无")
    SIGN = 5, _("签收提醒")
    REMIND = 15, _("到期提醒")
    YELLOW = 10, _("黄灯预警")
    RED = 20, _("催办")
    SUPERVISE = 30, _("督办")
    BULLETIN = 40, _("列入通报")


# One ladder, one vocabulary: each step (``AlarmLevel``, stored on the clock) is recorded as exactly one
# sweep event kind (``SweepEventKind``, stored on the event), for every clock (case, assignment, timer).
# NONE is "no step yet" and has no event. The stored values of both enums stay as they are.
STEP_EVENT: dict[AlarmLevel, SweepEventKind] = {
    AlarmLevel.SIGN: SweepEventKind.SIGN_REMINDER,
    AlarmLevel.REMIND: SweepEventKind.REMIND,
    AlarmLevel.YELLOW: SweepEventKind.WARN,
    AlarmLevel.RED: SweepEventKind.URGE,
    AlarmLevel.SUPERVISE: SweepEventKind.SUPERVISE,
    AlarmLevel.BULLETIN: SweepEventKind.BULLETIN,
}
EVENT_STEP: dict[SweepEventKind, AlarmLevel] = {kind: level for level, kind in STEP_EVENT.items()}


def step_event(level: int) -> SweepEventKind:
    """The event kind the sweep records when a clock reaches ``level`` (KeyError for NONE)."""
    return STEP_EVENT[AlarmLevel(level)]


def event_step(kind: str) -> AlarmLevel:
    """The ladder step a sweep event kind records (also what a supervisor's 催办 / 督办 stands for)."""
    return EVENT_STEP[SweepEventKind(kind)]


class ExtensionStatus(models.TextChoices):
    """延期申请: requested → approved or refused (by a supervisor)."""

    REQUESTED = "requested", _("待审批")
    APPROVED = "approved", _("已批准")
    REFUSED = "refused", _("未批准")
    # The case left handling (resolved, returned, withdrawn …) before a decision: nothing left to decide.
    LAPSED = "lapsed", _("已失效")


class TimerKind(models.TextChoices):
    """Deadlines other than the completion clock, each watched by the sweep until the act it waits for
    (``CaseTimer``; which run when is decided in one place, ``cases.sla.timers_wanted``)."""

    FIRST_CONTACT = "first_contact", _("首次联系")
    REPLY = "reply", _("答复")
    REASONED_REPLY = "reasoned_reply", _("说明答复")
    SUSPENSION = "suspension", _("挂起期限")
    EXTENSION_DECISION = "extension_decision", _("延期审批")
    REVIEW = "review", _("否定答复审核")
    CALLBACK = "callback", _("回访销号")


class ReviewKind(models.TextChoices):
    """The kinds of "no" a supervisor reviews (否定答复报告)."""

    NOT_ACCEPTED = "not_accepted", _("不予受理")
    CANNOT_BE_DONE = "cannot_be_done", _("不能办理")
    LATE_WITHDRAWAL = "late_withdrawal", _("超期撤回")
    LONG_SUSPENSION = "long_suspension", _("超长挂起")


class ReviewStatus(models.TextChoices):
    PENDING = "pending", _("待审核")
    CONFIRMED = "confirmed", _("已确认")
    OVERTURNED = "overturned", _("已纠正")
    # The case moved on before a decision (resumed, reassigned, withdrawn): nothing left to review.
    LAPSED = "lapsed", _("已失效")


class ReviewDecision(models.TextChoices):
    """What a supervisor decides on a reviewed "no"."""

    CONFIRM = "confirm", _("确认")
    OVERTURN = "overturn", _("纠正")


class ReasonPurpose(models.TextChoices):
    """Which list a configurable reason belongs to (``Reason``)."""

    REFUSAL = "refusal", _("否定答复理由")
    SUSPENSION = "suspension", _("挂起理由")
