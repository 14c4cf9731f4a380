"""Checking the case events' hash chains and writing their daily digest (docs/SECURITY.md).

``chains_verify`` streams every event in chain order (a server-side cursor on PostgreSQL) and reports, per
case, the first link that does not hold:

- ``sequence``: the events are not numbered 1, 2, 3… (one deleted, or one inserted with a number taken);
- ``link``: ``prev_hash`` is not the previous event's ``hash`` (an event inserted, deleted or replaced);
- ``hash``: the stored hash is not the hash of the event's content (an event edited in place);
- ``time``: the event is older than the one before it by more than ``AUDIT_CLOCK_SKEW_SECONDS`` (an
  event inserted with a backdated time and a recomputed hash).

A writer with the owner's rights could still rewrite a chain and recompute every hash after the edit;
``digest_check`` catches that against the last digest of chain heads (``ChainDigest``), which the
application role cannot change and which is also in the log.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from cases import auditchain
from cases.models import Case, CaseEvent

from .models import ChainDigest

logger = logging.getLogger(__name__)

_EVENT_COLUMNS = (
    "pk",
    "case_id",
    "sequence",
    "kind",
    "actor_id",
    "department_id",
    "from_status",
    "to_status",
    "reason",
    "payload",
    "is_public",
    "created_at",
    "prev_hash",
    "hash",
)


@dataclass(frozen=True)
class Break:
    """The first link of one case's chain that does not hold."""

    case_id: int
    tracking_number: str
    event_id: int
    sequence: int
    problem: str  # sequence | link | hash | time
    expected: str
    stored: str

    def as_dict(self) -> dict:
        return {
            "case_id": self.case_id,
            "tracking_number": self.tracking_number,
            "event_id": self.event_id,
            "sequence": self.sequence,
            "problem": self.problem,
            "expected": self.expected,
            "stored": self.stored,
        }


@dataclass
class Report:
    """What ``chains_verify`` found: counts, the broken cases, and the check against the last digest."""

    cases: int = 0
    events: int = 0
    breaks: list[Break] = field(default_factory=list)
    digest: ChainDigest | None = None
    digest_ok: bool | None = None  # None: no digest to compare (or a partial check)

    @property
    def ok(self) -> bool:
        return not self.breaks and self.digest_ok is not False


def _event_rows(case_id: int | None, since: datetime | None) -> Iterator[tuple]:
    events = CaseEvent.objects.order_by("case_id", "sequence")
    if case_id is not None:
        events = events.filter(case_id=case_id)
    if since is not None:
        # Whole chains of the cases with an event since then: a link is checked against its predecessor.
        events = events.filter(
            case_id__in=CaseEvent.objects.filter(created_at__gte=since).values("case_id").distinct()
        )
    return events.values_list(*_EVENT_COLUMNS).iterator(chunk_size=10_000)


def _first_break(rows: list[tuple], skew_us: int) -> tuple | None:
    """(row, problem, expected, stored) of the first link of one case's chain that fails, or None."""
    prev, prev_us = auditchain.GENESIS, None
    for expected_sequence, row in enumerate(rows, start=1):
        (
            _pk,
            case_id,
            seq,
            kind,
            actor,
            dept,
            frm,
            to,
            reason,
            payload,
            public,
            created,
            prev_hash,
            stored,
        ) = row
        if seq != expected_sequence:
            return row, "sequence", str(expected_sequence), str(seq)
        if prev_hash != prev:
            return row, "link", prev, prev_hash
        created_us = auditchain.to_us(created)
        expected = auditchain.event_hash(
            prev, case_id, seq, kind, actor, dept, frm, to, reason, payload, public, created_us
        )
        if stored != expected:
            return row, "hash", expected, stored
        if prev_us is not None and created_us < prev_us - skew_us:
            return row, "time", f">= {prev_us - skew_us}", str(created_us)
        prev, prev_us = stored, created_us if prev_us is None else max(created_us, prev_us)
    return None


def chains_verify(
    *, case_id: int | None = None, since: datetime | None = None, compare_digest: bool = True
) -> Report:
    """Check every chain (or one case's, or those with events since a moment) and, for a full check,
    the heads against the last digest. Reads only; safe beside the running application."""
    report = Report()
    skew_us = settings.AUDIT_CLOCK_SKEW_SECONDS * 1_000_000
    broken: list[tuple] = []
    # A server-side cursor needs a transaction on PostgreSQL; it also gives the check one snapshot.
    with transaction.atomic():
        current: list[tuple] = []
        for row in _event_rows(case_id, since):
            if current and row[1] != current[0][1]:
                report.cases += 1
                found = _first_break(current, skew_us)
                if found:
                    broken.append(found)
                current = []
            current.append(row)
            report.events += 1
        if current:
            report.cases += 1
            found = _first_break(current, skew_us)
            if found:
                broken.append(found)
        numbers = dict(
            Case.objects.filter(pk__in=[row[1] for row, *_ in broken]).values_list("pk", "tracking_number")
        )
        report.breaks = [
            Break(row[1], numbers.get(row[1], ""), row[0], row[2], problem, expected, stored)
            for row, problem, expected, stored in broken
        ]
        if compare_digest and case_id is None and since is None:
            report.digest = ChainDigest.objects.order_by("-cutoff").first()
            if report.digest is not None:
                report.digest_ok = digest_check(report.digest)
    return report


# --- The digest of chain heads -------------------------------------------------------------------------


def _heads(cutoff: datetime) -> Iterator[tuple[int, int, str]]:
    """(case id, sequence, hash) of each case's last event created before ``cutoff``, in case order."""
    table = CaseEvent._meta.db_table
    if connection.vendor == "postgresql":
        sql = (
            f"SELECT DISTINCT ON (case_id) case_id, sequence, hash FROM {table} "  # noqa: S608 (our table name)
            "WHERE created_at < %s ORDER BY case_id, sequence DESC"
        )
    else:
        sql = (
            "SELECT case_id, sequence, hash FROM (SELECT case_id, sequence, hash, ROW_NUMBER() OVER "  # noqa: S608
            f"(PARTITION BY case_id ORDER BY sequence DESC) AS n FROM {table} WHERE created_at < %s) "
            "WHERE n = 1 ORDER BY case_id"
        )
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, [cutoff])
        while rows := cursor.fetchmany(10_000):
            yield from rows


def heads_digest(cutoff: datetime) -> tuple[str, int, int]:
    """(digest, cases, events) of the chain heads before ``cutoff``; call inside a transaction."""
    events = 0

    def counted():
        nonlocal events
        for case_id, sequence, head in _heads(cutoff):
            events += sequence  # a verified chain's last sequence is its number of events
            yield case_id, sequence, head

    digest, cases = auditchain.heads_digest(counted())
    return digest, cases, events


def digest_check(digest: ChainDigest) -> bool:
    """True when the chain heads before the digest's cutoff still hash to what was written then."""
    with transaction.atomic():
        value, cases, _events = heads_digest(digest.cutoff)
    ok = value == digest.digest and cases == digest.cases
    if not ok:
        logger.error(
            "audit digest mismatch: cutoff=%s stored=%s now=%s cases stored=%s now=%s",
            digest.cutoff.isoformat(),
            digest.digest,
            value,
            digest.cases,
            cases,
        )
    return ok


def digest_cutoff(now: datetime | None = None) -> datetime:
    """The start of today (local time): the digest written after midnight covers the days before it, when
    every event of yesterday has long committed."""
    local = timezone.localtime(now or timezone.now())
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def chain_digest_write(*, now: datetime | None = None) -> ChainDigest:
    """Write today's digest of the chain heads (once: a second run the same day returns the first) and log
    it, so that a copy exists outside the database. Runs in one transaction (one snapshot)."""
    cutoff = digest_cutoff(now)
    existing = ChainDigest.objects.filter(cutoff=cutoff).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            digest, cases, events = heads_digest(cutoff)
            previous = ChainDigest.objects.filter(cutoff__lt=cutoff).order_by("-cutoff").first()
            row = ChainDigest.objects.create(
                cutoff=cutoff,
                cases=cases,
                events=events,
                digest=digest,
                previous=previous.digest if previous else "",
            )
    except IntegrityError:  # another run wrote it meanwhile (the cutoff is unique)
        return ChainDigest.objects.get(cutoff=cutoff)
    logger.info(
        "audit chain digest: cutoff=%s cases=%s events=%s digest=%s previous=%s",
        cutoff.isoformat(),
        cases,
        events,
        digest,
        row.previous or "-",
    )
    return row


def latest_digest() -> dict | None:
    """The last digest as shown by /healthz (None before the first)."""
    row = ChainDigest.objects.order_by("-cutoff").first()
    if row is None:
        return None
    result = row.as_dict()
    result["stale"] = row.cutoff < digest_cutoff() - timedelta(days=1)
    return result
