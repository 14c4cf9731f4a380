"""Per-process caches of reference rows: the configuration every request reads and almost nobody changes
(categories, SLA policies, message templates).

A ``ReferenceCache`` maps a key to whatever its loader returned (a row, a list of rows, None). Invariants:

- a save or delete of one of its models in this process empties it at once and again after the commit
  (``post_save``/``post_delete``), so no entry built from the uncommitted or the previous state survives;
- an entry is at most ``settings.REFERENCE_CACHE_SECONDS`` old (default 30): a change made in another
  process (another web worker, the admin on another machine) is seen within that time. A bulk
  ``QuerySet.update()`` sends no signal and is seen the same way.
- what it holds is treated as read-only by its users (the same object is handed to every request).

The working-day calendar keeps its own snapshot cache (``routing.calendar.snapshot``), which also compares
a fingerprint of the table; these rows are small and cheap to reread, so a plain age suffices here.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_delete, post_save

_caches: list[ReferenceCache] = []


class ReferenceCache:
    """One named cache, emptied when any of ``models`` is saved or deleted (see the module docstring)."""

    def __init__(self, name: str, *models) -> None:
        self.name = name
        self._entries: dict[Hashable, tuple[float, Any]] = {}
        self._lock = threading.Lock()
        for model in models:
            uid = f"windowsvc.refcache.{name}.{model._meta.label}"
            post_save.connect(self._changed, sender=model, dispatch_uid=f"{uid}.save", weak=False)
            post_delete.connect(self._changed, sender=model, dispatch_uid=f"{uid}.delete", weak=False)
        _caches.append(self)

    def get(self, key: Hashable, load: Callable[[], Any]) -> Any:
        """The entry for ``key``, read with ``load()`` when missing or older than the allowed age."""
        now = time.monotonic()
        entry = self._entries.get(key)
        if entry is not None and now - entry[0] < _max_age():
            return entry[1]
        value = load()
        with self._lock:
            self._entries[key] = (now, value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def _changed(self, sender, **kwargs) -> None:
        # Now, for this process's next read inside the transaction, and after commit, so that an entry
        # another thread built from the pre-commit state does not survive.
        self.clear()
        transaction.on_commit(self.clear)


def _max_age() -> float:
    return float(getattr(settings, "REFERENCE_CACHE_SECONDS", 30))


def reference_caches_clear() -> None:
    """Empty every reference cache (tests: a test's rows are rolled back, and no signal fires on rollback)."""
    for cache in _caches:
        cache.clear()
