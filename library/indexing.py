"""What search reads, kept in step with what it describes.

- ``writeup_refresh(writeup)``: a write-up's staff tokens, public (anonymised) version and public tokens;
  called by the workflow inside the command's transaction whenever the text or the consent changes.
- ``solved_case_sync(case_id)``: the suggestion index row of one case (``SolvedCase``), present exactly while
  the case is resolved or closed with a resolution. Registered in ``LibraryConfig.ready`` as an
  in-transaction effect of the case events that can change that (like the supervision projection; the
  effects contract wants nothing enqueued on commit when an event is processed again); safe to run twice.
  ``solved_cases_rebuild`` rebuilds every row (after a bulk seed written with ``COPY``).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from cases.choices import CaseStatus, EventKind
from cases.models import Case

from . import search
from .anonymise import PersonalData, anonymise
from .models import SolvedCase, WriteUp

# The case events after which a case may have become (or stopped being) solved.
SOLVED_KINDS = (EventKind.INTAKE, EventKind.RESOLVE, EventKind.REOPEN, EventKind.REVIEW, EventKind.CLOSE)
SOLVED_STATUSES = (CaseStatus.RESOLVED, CaseStatus.CLOSED)
PUBLIC_FIELDS = ("title", "problem", "blocker_note", "solution", "basis", "lessons")


def writeup_public_version(writeup: WriteUp) -> dict[str, str]:
    """The anonymised text of each public field (``library.anonymise``), plus the 卡点 label, the
    departments and the working days (no personal data in those)."""
    data = PersonalData.of_requester(writeup.case.requester, enterprise_consent=writeup.enterprise_consent)
    public = {name: anonymise(getattr(writeup, name), data) for name in PUBLIC_FIELDS}
    public["blocker_type"] = writeup.blocker_type.label
    return public


def writeup_refresh(writeup: WriteUp) -> list[str]:
    """Recompute the derived fields in memory; returns their names for ``save(update_fields=…)``."""
    category = writeup.category.name if writeup.category_id else ""
    case = writeup.case
    solved = case.resolved_at or case.closed_at or timezone.now()
    writeup.search_tokens = search.index_text(
        writeup.title,
        writeup.problem,
        writeup.blocker_type.label,
        writeup.blocker_note,
        writeup.solution,
        writeup.basis,
        writeup.lessons,
        category,
        moment=solved,
    )
    writeup.public = writeup_public_version(writeup)
    writeup.public_tokens = search.index_text(
        *(writeup.public[name] for name in PUBLIC_FIELDS),
        writeup.public["blocker_type"],
        category,
        moment=solved,
    )
    return ["search_tokens", "public", "public_tokens"]


def _solved_row(case: Case) -> SolvedCase:
    category = case.category.name if case.category_id else ""
    resolved_at = case.resolved_at or case.closed_at or case.updated_at
    return SolvedCase(
        case=case,
        title=case.title,
        resolution=case.resolution_summary,
        lead_department_id=case.lead_department_id,
        category_id=case.category_id,
        region_path=case.region_path,
        resolved_at=resolved_at,
        # The requester's own words (description) are searched too, but never shown: only title and resolution.
        tokens=search.index_text(
            case.title, case.description, case.resolution_summary, category, moment=resolved_at
        ),
    )


def _is_solved(case: Case) -> bool:
    return case.status in SOLVED_STATUSES and bool(case.resolution_summary.strip())


def solved_case_sync(case_id: int) -> bool:
    """Bring one case's suggestion row in line with the case; True when a row exists afterwards."""
    case = Case.objects.filter(pk=case_id).select_related("category").first()
    if case is None or not _is_solved(case):
        SolvedCase.objects.filter(case_id=case_id).delete()
        return False
    row = _solved_row(case)
    with transaction.atomic():
        SolvedCase.objects.filter(case_id=case_id).delete()
        row.save(force_insert=True)
    return True


def solved_case_event(event) -> None:
    """In-transaction effect of a case event (``cases.effects``): re-sync its case's row, so the index
    changes exactly when the case does (as the supervision projection). A case being taken in has no row
    yet: it needs one only when it was resolved at the window (即办)."""
    if event.kind == EventKind.INTAKE and not _is_solved(event.case):
        return
    solved_case_sync(event.case_id)


def solved_cases_rebuild(
    *, batch: int = 2000, case_ids: Iterable[int] | None = None, pk_range: tuple[int, int] | None = None
) -> int:
    """Rebuild the suggestion index (every solved case, or ``case_ids``, or the cases whose id is within
    ``pk_range``, both ends included); returns the rows written. ``manage.py library_reindex`` runs it over
    id ranges in worker processes (``library.seed.rebuild_solved_cases``)."""
    queryset = Case.objects.filter(status__in=SOLVED_STATUSES).exclude(resolution_summary="")
    if case_ids is not None:
        queryset = queryset.filter(pk__in=list(case_ids))
    if pk_range is not None:
        queryset = queryset.filter(pk__gte=pk_range[0], pk__lte=pk_range[1])
    written = 0
    rows: list[SolvedCase] = []
    for case in queryset.select_related("category").order_by("pk").iterator(chunk_size=batch):
        rows.append(_solved_row(case))
        if len(rows) >= batch:
            written += _flush(rows)
            rows = []
    written += _flush(rows)
    return written


def writeups_refresh(*, batch: int = 500, pk_range: tuple[int, int] | None = None) -> int:
    """Recompute every write-up's derived fields (tokens, anonymised version; ``writeup_refresh``), or those
    whose id is within ``pk_range``: after a change of what is indexed (``manage.py library_reindex``).
    The text and the workflow state are untouched; returns the rows refreshed."""
    queryset = WriteUp.objects.select_related("case__requester", "category", "blocker_type").order_by("pk")
    if pk_range is not None:
        queryset = queryset.filter(pk__gte=pk_range[0], pk__lte=pk_range[1])
    done = 0
    rows: list[WriteUp] = []
    fields: list[str] = []
    for writeup in queryset.iterator(chunk_size=batch):
        fields = writeup_refresh(writeup)
        rows.append(writeup)
        if len(rows) >= batch:
            done += _save_refreshed(rows, fields)
            rows = []
    return done + _save_refreshed(rows, fields)


def _save_refreshed(rows: list[WriteUp], fields: list[str]) -> int:
    if rows:
        with transaction.atomic():
            WriteUp.objects.bulk_update(rows, fields, batch_size=500)
    return len(rows)


def _flush(rows: list[SolvedCase]) -> int:
    if not rows:
        return 0
    with transaction.atomic():
        SolvedCase.objects.filter(case_id__in=[r.case_id for r in rows]).delete()
        SolvedCase.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


def writeup_follow_case(event) -> int:
    """In-transaction effect of every case event: a write-up's copy of where its case is handled follows
    the case (a reopened case may be transferred elsewhere), so scoping the library on the write-up's own
    columns stays exactly the case's scoping. One indexed UPDATE that changes nothing for a case without a
    write-up or that did not move; returns the rows changed."""
    current = Case.objects.filter(pk=OuterRef("case_id")).values("handling_region_path")[:1]
    return (
        WriteUp.objects.filter(case_id=event.case_id)
        .exclude(handling_region_path=Subquery(current))
        .update(handling_region_path=Subquery(current))
    )


def reuse_attach(event) -> int:
    """In-transaction effect of an intake event: attach the clerk's pending 按此案例办理 choices made under
    the intake form's idempotency key to the case being created; returns how many. Safe to run twice.

    The intake's ``IdempotencyRecord`` is written in the same transaction before the event, and gets its
    case only afterwards: the record of this intake is the clerk's one still without a case (any other is
    either committed with its case or invisible in another transaction)."""
    from cases.models import IdempotencyRecord

    from .models import WriteUpReuse

    if event.actor_id is None:
        return 0
    pending = WriteUpReuse.objects.filter(case__isnull=True, chosen_by_id=event.actor_id)
    keys = IdempotencyRecord.objects.filter(
        user_id=event.actor_id, case__isnull=True, key__in=pending.values("intake_key")
    ).values_list("key", flat=True)
    return pending.filter(intake_key__in=list(keys)).update(case_id=event.case_id)
