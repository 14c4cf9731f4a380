"""Reads of the case library, for pages and API. Staff reads go through ``WriteUp.objects.visible_to``;
the public reads (``public_*``) touch only published write-ups' anonymised versions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import QuerySet
from django.utils import timezone

from cases.models import Case
from routing.models import ServiceWindow
from windowsvc.errors import NotFound

from . import search
from .models import SolvedCase, WriteUp, WriteUpEvent, WriteUpReuse

SUGGESTION_LIMIT = 5


def writeup_list_visible(*, user) -> QuerySet[WriteUp]:
    return WriteUp.objects.visible_to(user).select_related("blocker_type", "category", "lead_department")


def writeup_get_visible(*, user, writeup_id: int) -> WriteUp:
    """The write-up, or ``NotFound`` when it does not exist or the user may not see it (one answer)."""
    writeup = writeup_list_visible(user=user).select_related("case").filter(pk=writeup_id).first()
    if writeup is None:
        raise NotFound("write-up")
    return writeup


def writeup_events(*, writeup: WriteUp) -> QuerySet[WriteUpEvent]:
    return writeup.events.select_related("actor").order_by("sequence")


def public_writeups(*, q: str = "", county: str = "") -> QuerySet[WriteUp]:
    """Published write-ups (their ``public`` version only), newest first, or by relevance for ``q``."""
    queryset = WriteUp.objects.published().select_related("blocker_type", "category", "lead_department")
    if county:
        queryset = queryset.filter(region_path__startswith=f"/{county}/")
    if q.strip():
        return search.ranked(queryset, "public_tokens", q)
    return queryset.order_by("-published_at", "-pk")


def public_writeup_get(*, writeup_id: int) -> WriteUp:
    writeup = public_writeups().filter(pk=writeup_id).first()
    if writeup is None:
        raise NotFound("write-up")
    return writeup


def quarter_bounds(year: int, quarter: int) -> tuple[date, date]:
    start = date(year, 3 * quarter - 2, 1)
    end = date(year + (quarter == 4), 1 if quarter == 4 else 3 * quarter + 1, 1)
    return start, end


def typical_of_quarter(*, user, year: int, quarter: int) -> QuerySet[WriteUp]:
    """Typical write-ups the user may see, marked typical in the quarter (local dates)."""
    start, end = quarter_bounds(year, quarter)
    return (
        writeup_list_visible(user=user)
        .typical()
        .filter(typical_at__date__gte=start, typical_at__date__lt=end)
        .prefetch_related("departments")
        .order_by("typical_at", "pk")
    )


@dataclass(frozen=True)
class Suggestion:
    """One line of the intake suggestions: never the requester's data, only what was done and by whom."""

    kind: str  # "writeup" | "case"
    id: int
    title: str
    solution: str
    by: str
    year: int | None


def _window_county(*, user, window_id: int | None) -> str | None:
    from cases.forms import intake_windows

    windows = intake_windows(user)
    window = windows.filter(pk=window_id).first() if window_id else windows.first()
    if window is None:
        return None
    region_path: str = ServiceWindow.objects.filter(pk=window.pk).values_list("region__path", flat=True).get()
    return "/" + region_path.strip("/").split("/")[0] + "/"


def intake_suggestions(
    *, user, q: str, window_id: int | None = None, limit: int = SUGGESTION_LIMIT
) -> list[Suggestion]:
    """The most similar published write-ups (anonymised, of the window's county) and solved cases the clerk
    may see, for the text being typed at intake. Empty for a user at no intake window, or a text without
    words."""
    county = _window_county(user=user, window_id=window_id)
    if county is None or not search.query_terms(q):
        return []
    writeups = search.ranked(
        WriteUp.objects.published().filter(region_path__startswith=county).select_related("lead_department"),
        "public_tokens",
        q,
    )[:limit]
    found = [
        Suggestion(
            kind="writeup",
            id=w.pk,
            title=w.public.get("title", ""),
            solution=w.public.get("solution", ""),
            by=w.lead_department.name if w.lead_department_id else "",
            year=w.year,
        )
        for w in writeups
    ]
    cases = search.ranked(
        SolvedCase.objects.visible_to(user)
        .filter(region_path__startswith=county)
        .exclude(case_id__in=[w.case_id for w in writeups])
        .select_related("lead_department"),
        "tokens",
        q,
    )[:limit]
    found += [
        Suggestion(
            kind="case",
            id=c.case_id,
            title=c.title,
            solution=c.resolution,
            by=c.lead_department.name if c.lead_department_id else "",
            year=timezone.localtime(c.resolved_at).year,
        )
        for c in cases
    ]
    return found[: limit * 2]


def case_reuses(*, user, case: Case) -> QuerySet[WriteUpReuse]:
    """What a case the user can see was handled after (按此案例办理), newest first."""
    if not Case.objects.visible_to(user).filter(pk=case.pk).exists():
        return WriteUpReuse.objects.none()
    return WriteUpReuse.objects.filter(case=case).select_related("writeup", "source_case", "chosen_by")


def public_description(public: dict) -> str:
    """A published write-up's anonymised version as one text (the Open311 ``description``): title, the
    problem, where it got stuck, how it was solved and on what basis."""
    parts = [
        public.get("title", ""),
        public.get("problem", ""),
        f"卡点：{public['blocker_type']}" if public.get("blocker_type") else "",
        public.get("blocker_note", ""),
        f"解决办法：{public['solution']}" if public.get("solution") else "",
        f"依据：{public['basis']}" if public.get("basis") else "",
    ]
    return "\n".join(p for p in parts if p)
