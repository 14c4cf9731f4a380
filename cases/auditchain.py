"""The hash chain of a case's events (tamper-evident log): the one place an event's hash is computed.

Each ``CaseEvent`` stores ``prev_hash`` (the ``hash`` of the case's event ``sequence - 1``, or ``GENESIS``
for the first) and ``hash`` = SHA-256 over a canonical serialisation of its content and ``prev_hash``.
Editing an event's content or time, deleting one, or inserting one in the middle breaks the chain at that
event; ``manage.py audit_verify`` (``audit/chain.py``) finds it. A writer who recomputes every later hash
is caught by the daily digest of chain heads (``audit.ChainDigest``), kept where the application role
cannot rewrite it.

Invariants
- The canonical form is versioned (``FORMAT``): a JSON array of the fields below, payload keys sorted,
  compact separators, UTF-8, time as integer microseconds since the epoch (UTC). The event's own id is not
  covered: it is allocated by the database after the hash must be known; ``(case, sequence)`` names it.
- The payload is hashed as it reads back from the database: ``normalise_payload`` turns what a writer holds
  (tuples, integer keys) into what JSON storage returns, and writers store that normalised payload.
- Every writer goes through here: the model's ``save`` and ``bulk_create`` (``seal``/``seal_all``), the
  bulk seed's COPY lines (``event_hash`` on the values it writes), the migration that chained existing
  rows. This module imports no models, so migrations can use it.
- Appends are serialised per case: the workflow and the sweep hold the case row locked (``SELECT … FOR
  UPDATE``) while they append, and ``(case, sequence)`` is unique, so two writers can never both link to
  the same previous event.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

FORMAT = "v1"
GENESIS = "0" * 64
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Payload keys sorted, no spaces, non-ASCII kept: the same bytes whatever wrote the event.
_encode = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode


def to_us(moment: datetime) -> int:
    """An aware datetime as integer microseconds since the epoch (what the database keeps)."""
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def normalise_payload(payload: Any) -> Any:
    """The payload as JSON storage gives it back (lists for tuples, string keys); hash and store this."""
    return json.loads(json.dumps(payload or {}))


def event_hash(
    prev_hash: str,
    case_id: int,
    sequence: int,
    kind: str,
    actor_id: int | None,
    department_id: int | None,
    from_status: str,
    to_status: str,
    reason: str,
    payload: Any,
    is_public: bool,
    created_us: int,
) -> str:
    """The hex SHA-256 of one event's canonical form (see the module docstring)."""
    text = _encode(
        [
            FORMAT,
            prev_hash,
            case_id,
            sequence,
            kind,
            actor_id,
            department_id,
            from_status,
            to_status,
            reason,
            payload or {},
            bool(is_public),
            created_us,
        ]
    )
    return hashlib.sha256(text.encode()).hexdigest()


def hash_of(event, prev_hash: str) -> str:
    """``event_hash`` of a ``CaseEvent`` instance (saved or not) linked to ``prev_hash``."""
    return event_hash(
        prev_hash,
        event.case_id,
        event.sequence,
        event.kind,
        event.actor_id,
        event.department_id,
        event.from_status,
        event.to_status,
        event.reason,
        event.payload,
        event.is_public,
        to_us(event.created_at),
    )


def seal(event, prev_hash: str) -> None:
    """Link an unsaved event to ``prev_hash`` and set its hash (its payload normalised first)."""
    event.payload = normalise_payload(event.payload)
    event.prev_hash = prev_hash
    event.hash = hash_of(event, prev_hash)


def seal_all(events: Iterable, heads: dict[tuple[int, int], str]) -> None:
    """Seal unsaved events in sequence order; ``heads`` maps (case id, sequence) to the stored hash of
    the events they follow, and learns each new one (a batch may hold several events of one case)."""
    for event in sorted(events, key=lambda e: (e.case_id, e.sequence)):
        prev = GENESIS if event.sequence == 1 else heads.get((event.case_id, event.sequence - 1))
        if prev is None:
            raise ValueError(
                f"case {event.case_id}: event {event.sequence} has no event {event.sequence - 1} to follow"
            )
        seal(event, prev)
        heads[(event.case_id, event.sequence)] = event.hash


def heads_digest(rows: Iterable[tuple[int, int, str]]) -> tuple[str, int]:
    """The digest of chain heads: SHA-256 over ``case_id:sequence:hash`` lines in case order; returns it
    with the number of heads. ``rows`` must come ordered by case id."""
    digest = hashlib.sha256(FORMAT.encode())
    count = 0
    for case_id, sequence, head in rows:
        digest.update(f"{case_id}:{sequence}:{head}\n".encode())
        count += 1
    return digest.hexdigest(), count
