"""Supervision reads on the PostgreSQL streaming replica, everything else on the primary.

Invariants:
- Every write goes to ``default`` (``db_for_write``), and nothing is migrated anywhere else. The replica is
  a hot standby, read-only by construction; the router never even tries it for a write.
- Reads go to ``replica`` only inside ``replica_reads()`` (the ``ReplicaReadMixin`` of the supervision
  and library pages wraps their GET), only for the apps in ``REPLICA_APPS`` (never sessions, users, tokens,
  login attempts: a fresh login must be seen at once), never inside a transaction on the primary (a read
  after a write in the same transaction must see the write), and only while the replica's replay lag is at
  most ``REPLICA_MAX_LAG_SECONDS``; otherwise on ``default``. So a supervision page is at most that stale.
- The lag is measured on the replica (``pg_last_xact_replay_timestamp()``) at most every
  ``REPLICA_LAG_CHECK_SECONDS`` per process; an unreachable replica counts as too far behind.
- Raw SQL through ``django.db.connection`` is the primary's: only ORM reads move.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

logger = logging.getLogger(__name__)

REPLICA_ALIAS = "replica"
# What supervision and library pages read; the rest (auth, sessions, knox, axes, history) stays on default.
REPLICA_APPS = frozenset({"cases", "routing", "supervision", "library", "practice", "notifications"})

_read_alias: ContextVar[str | None] = ContextVar("windowsvc_read_alias", default=None)
# (monotonic time measured, lag in seconds or None when the replica could not be asked)
_lag_cache: dict[str, tuple[float, float | None]] = {}

# Seconds the standby is behind: 0 when it has replayed all it received (an idle primary is not "lag"),
# else the age of the last transaction it replayed. Pessimistic after a quiet spell, never optimistic.
LAG_SQL = (
    "SELECT CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 "
    "ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 1e9) END, "
    "pg_is_in_recovery()"
)


def replica_configured() -> bool:
    return REPLICA_ALIAS in settings.DATABASES


def replica_lag(*, fresh: bool = False) -> float | None:
    """The replica's replay lag in seconds (cached briefly), or None when there is no usable replica."""
    if not replica_configured():
        return None
    now = time.monotonic()
    cached = _lag_cache.get(REPLICA_ALIAS)
    if not fresh and cached and now - cached[0] < settings.REPLICA_LAG_CHECK_SECONDS:
        return cached[1]
    lag: float | None
    try:
        with connections[REPLICA_ALIAS].cursor() as cursor:
            cursor.execute(LAG_SQL)
            seconds, in_recovery = cursor.fetchone()
        # A promoted standby (no longer in recovery) is a second primary: do not read from it by accident.
        lag = float(seconds) if in_recovery else None
    except Exception as exc:  # an unreachable replica means "read from the primary", not an error page
        logger.warning("replica unusable, reading from the primary: %s", type(exc).__name__)
        connections[REPLICA_ALIAS].close()
        lag = None
    _lag_cache[REPLICA_ALIAS] = (now, lag)
    return lag


def choose_read_alias() -> str:
    """``replica`` when it is configured, reachable and within the staleness bound, else ``default``."""
    lag = replica_lag()
    if lag is not None and lag <= settings.REPLICA_MAX_LAG_SECONDS:
        return REPLICA_ALIAS
    return DEFAULT_DB_ALIAS


@contextmanager
def replica_reads() -> Iterator[str]:
    """ORM reads of the block's ``REPLICA_APPS`` models on the replica when it is fresh enough; yields the
    alias chosen (``default`` without a replica)."""
    alias = choose_read_alias()
    token = _read_alias.set(alias)
    try:
        yield alias
    finally:
        _read_alias.reset(token)


def reads_from_replica(view: Callable) -> Callable:
    """A function view's GET and HEAD inside ``replica_reads()``; other methods untouched."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.method not in ("GET", "HEAD"):
            return view(request, *args, **kwargs)
        with replica_reads() as alias:
            response = view(request, *args, **kwargs)
            if hasattr(response, "render") and not getattr(response, "is_rendered", True):
                response.render()  # a lazy TemplateResponse reads while rendering: inside the block
        if settings.READ_DATABASE_HEADER:
            response["X-Read-Database"] = alias
        return response

    return wrapped


class ReplicaReadMixin:
    """For class-based read pages: GET and HEAD read from the replica (``reads_from_replica``)."""

    def dispatch(self, request, *args, **kwargs):
        return reads_from_replica(super().dispatch)(request, *args, **kwargs)  # type: ignore[misc]


class PrimaryReplicaRouter:
    """Writes and migrations: default. Reads: the alias ``replica_reads()`` chose, for ``REPLICA_APPS``."""

    def db_for_read(self, model, **hints) -> str | None:
        alias = _read_alias.get()
        if alias != REPLICA_ALIAS or model._meta.app_label not in REPLICA_APPS:
            return None
        if connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return None  # read your own writes inside a transaction on the primary
        return REPLICA_ALIAS

    def db_for_write(self, model, **hints) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints) -> bool:
        return True  # one database, two views of it

    def allow_migrate(self, db, app_label, model_name=None, **hints) -> bool:
        return db == DEFAULT_DB_ALIAS
