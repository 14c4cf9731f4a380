"""Side effects of case events: the one place where notifications (issue 6) and other reactions hook in.

The workflow calls ``event_recorded(event)`` inside the command's transaction, right after writing the
event. Two kinds of handlers can be registered per event kind:

- ``in_transaction`` handlers run there and then, in the same transaction as the event: this is where the
  notifications outbox rows will be written (so a notification exists exactly when its cause committed);
- ``on_commit`` handlers receive the event id after the transaction commits (``transaction.on_commit``):
  this is where delivery is kicked off; they must be safe to run twice and must not assume they run at all
  (a relay sweep catches up), because the process may die right after the commit.

Registered here (bottom of the module): ``cases.notices.notify_event``, in transaction, for every command
kind and for the sweep kinds 催办 / 督办 (a supervisor runs them as commands too; the handlers skip the
sweep's own steps, which ``cases.sweep`` notifies itself) — the outbox rows of the closed loop's
notifications (see that module for who gets what). The
notifications app never imports ``cases``; it enqueues its own deliveries on commit, so no on-commit
handler is needed for it.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from functools import partial

from django.db import transaction

from .choices import EventKind, SweepEventKind

logger = logging.getLogger(__name__)

InTransactionHandler = Callable[["object"], None]  # receives the CaseEvent instance
OnCommitHandler = Callable[[int], None]  # receives the CaseEvent id

_in_transaction: dict[str, list[InTransactionHandler]] = defaultdict(list)
_on_commit: dict[str, list[OnCommitHandler]] = defaultdict(list)


def register(kinds: list[str] | None = None, *, on_commit: bool = False):
    """Decorator registering a handler for some event kinds (all kinds when ``kinds`` is None)."""

    def decorator(handler):
        registry = _on_commit if on_commit else _in_transaction
        for kind in kinds or EventKind.values:
            if handler not in registry[kind]:
                registry[kind].append(handler)
        return handler

    return decorator


def unregister(handler) -> None:
    for registry in (_in_transaction, _on_commit):
        for handlers in registry.values():
            if handler in handlers:
                handlers.remove(handler)


def event_recorded(event) -> None:
    """Run the in-transaction handlers of the event's kind and schedule its on-commit handlers."""
    for handler in list(_in_transaction.get(event.kind, ())):
        handler(event)
    for handler in list(_on_commit.get(event.kind, ())):
        transaction.on_commit(partial(_run_on_commit, handler, event.pk))


def _run_on_commit(handler: OnCommitHandler, event_id: int) -> None:
    # The command has committed; a failing reaction must not turn into an error for the user who ran it.
    try:
        handler(event_id)
    except Exception:
        logger.exception("case event %s: on-commit handler %r failed", event_id, handler)


# --- Registered reactions ----------------------------------------------------------------------------
# Imported last: ``notices`` needs the models and services of other apps, and never imports this module.
from . import notices  # noqa: E402

register()(notices.notify_event)
# 催办 / 督办 are sweep kinds (not in ``EventKind``) that supervisors also run by hand.
register([SweepEventKind.URGE, SweepEventKind.SUPERVISE])(notices.notify_event)
