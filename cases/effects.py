"""Side effects of case events: the one place where notifications (issue 6) and other reactions hook in.

The workflow calls ``event_recorded(event)`` inside the command's transaction, right after writing the
event. Two kinds of handlers can be registered per event kind:

- ``in_transaction`` handlers run there and then, in the same transaction as the event: this is where the
  notifications outbox rows will be written (so a notification exists exactly when its cause committed);
- ``on_commit`` handlers receive the event id after the transaction commits (``transaction.on_commit``):
  this is where delivery is kicked off; they must be safe to run twice and must not assume they run at all
  (a relay sweep catches up), because the process may die right after the commit.

Nothing registers at import time: ``CasesConfig.ready`` registers ``cases.notices.notify_event``, in
transaction, for every kind in ``CASE_EVENT_KINDS`` (who is told is decided per kind in one table,
``cases.notices.NOTICES``), and ``SupervisionConfig.ready`` registers the case-fact projection after it
(``cases`` comes first in ``INSTALLED_APPS``; the two write unrelated rows, so their order does not matter).
The notifications app never imports ``cases``; it enqueues its own deliveries on commit, so no on-commit
handler is needed for it.

Batches: the deadline sweep writes a batch of events at once and calls ``events_recorded(events)``. A
handler may register a batch variant (``register(kinds, batch=…)``) that does for a list of events exactly
what the handler does for each (``supervision.projection.events_recorded``: one refresh for all their cases);
a handler without one is called per event, in the events' order. Handlers run one after the other over the
whole batch rather than event by event: they write unrelated rows, so the order between them does not matter.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from functools import partial

from django.db import transaction

from .choices import EventKind

logger = logging.getLogger(__name__)

InTransactionHandler = Callable[["object"], None]  # receives the CaseEvent instance
OnCommitHandler = Callable[[int], None]  # receives the CaseEvent id

_in_transaction: dict[str, list[InTransactionHandler]] = defaultdict(list)
_on_commit: dict[str, list[OnCommitHandler]] = defaultdict(list)
# In-transaction handler -> its batch variant (receives a list of CaseEvent instances).
_batch: dict[InTransactionHandler, Callable[[list], None]] = {}


def register(
    kinds: list[str] | None = None,
    *,
    on_commit: bool = False,
    batch: Callable[[list], None] | None = None,
):
    """Decorator registering a handler for some event kinds (all kinds when ``kinds`` is None); ``batch``
    is its variant for a list of events (in-transaction handlers only)."""

    def decorator(handler):
        registry = _on_commit if on_commit else _in_transaction
        for kind in kinds or EventKind.values:
            if handler not in registry[kind]:
                registry[kind].append(handler)
        if batch is not None and not on_commit:
            _batch[handler] = batch
        return handler

    return decorator


def unregister(handler) -> None:
    for registry in (_in_transaction, _on_commit):
        for handlers in registry.values():
            if handler in handlers:
                handlers.remove(handler)
    _batch.pop(handler, None)


def event_recorded(event) -> None:
    """Run the in-transaction handlers of the event's kind and schedule its on-commit handlers."""
    for handler in list(_in_transaction.get(event.kind, ())):
        handler(event)
    for handler in list(_on_commit.get(event.kind, ())):
        transaction.on_commit(partial(_run_on_commit, handler, event.pk))


def events_recorded(events: list) -> None:
    """``event_recorded`` for a batch of events written together (see the module docstring): each
    in-transaction handler once over the events of its kinds (its batch variant, else per event), then the
    on-commit handlers of each event."""
    handlers: dict[InTransactionHandler, list] = {}
    for event in events:
        for handler in _in_transaction.get(event.kind, ()):
            handlers.setdefault(handler, []).append(event)
    for handler, mine in handlers.items():
        batch = _batch.get(handler)
        if batch is not None:
            batch(mine)
        else:
            for event in mine:
                handler(event)
    for event in events:
        for handler in list(_on_commit.get(event.kind, ())):
            transaction.on_commit(partial(_run_on_commit, handler, event.pk))


def _run_on_commit(handler: OnCommitHandler, event_id: int) -> None:
    # The command has committed; a failing reaction must not turn into an error for the user who ran it.
    try:
        handler(event_id)
    except Exception:
        logger.exception("case event %s: on-commit handler %r failed", event_id, handler)
