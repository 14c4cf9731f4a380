"""How the seed's rows reach the database: COPY text, the tables' column lists, one transaction per chunk,
and the secondary indexes dropped and rebuilt around a large load.

Invariants
- A row is one line of PostgreSQL ``COPY`` text: tab-separated, ``\\N`` for NULL, timestamps in UTC from
  integer microseconds (``ts``). Other databases get the same lines parsed back and ``executemany``'d, so
  the generator writes one format only.
- ``Table`` lists the columns the generator fills, in order; every other column of the model must have a
  default or be nullable, else the seed refuses to run (``SeedError``) instead of writing a wrong row.
- A chunk is written in one transaction. With a superuser connection the foreign-key triggers are off for
  that transaction only (``session_replication_role = replica``): the generator writes only ids it knows
  exist.
- ``indexes_drop`` writes each dropped index's definition to a file under ``var/`` before dropping it, so
  an interrupted load can be repaired (``indexes_restore``, ``manage.py seed_cases --restore-indexes``).
"""

from __future__ import annotations

import io
import json
import multiprocessing
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db import connection, connections, models, transaction

from cases.models import Assignment, Case, CaseEvent, Requester
from routing.calendar.fastclock import DAY_US, US, to_us

from ..models import CaseFact

TABLE_KEYS = ("requester", "case", "assignment", "event", "fact")  # also the order they are written in


class SeedError(Exception):
    """The seed cannot do what was asked: no organisation to seed, a model it does not know how to fill,
    or a history the state machine forbids."""


# --- COPY text --------------------------------------------------------------------------------------

NULL = "\\N"
_SOD = [f" {s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}" for s in range(86400)]
_DAYS: dict[int, str] = {}


def ts(value: int | None) -> str:
    """Microseconds since the epoch as a UTC timestamp literal (``\\N`` for None)."""
    if value is None:
        return NULL
    day, rest = divmod(value, DAY_US)
    sod, micro = divmod(rest, US)
    text = _DAYS.get(day)
    if text is None:
        text = _DAYS[day] = (date(1970, 1, 1) + timedelta(days=day)).isoformat()
    return text + _SOD[sod] + (f".{micro:06d}+00" if micro else "+00")


def txt(value: str) -> str:
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return value


def opt(value) -> str:
    return NULL if value is None else str(value)


def b(value: bool) -> str:
    return "t" if value else "f"


def duration_text(us: int) -> str:
    return f"{us} microseconds" if connection.vendor == "postgresql" else str(us)


# --- Tables: our columns, the others at their defaults -------------------------------------------------


class Table:
    """A model's table for COPY: the columns the generator writes, in order, then the rest at defaults."""

    def __init__(self, model, columns: tuple[str, ...]):
        self.model = model
        self.name = model._meta.db_table
        fields = {f.column: f for f in model._meta.concrete_fields}
        missing = [c for c in columns if c not in fields]
        if missing:
            raise SeedError(f"{self.name}: no column(s) {missing}; seed_cases needs updating")
        self.columns = list(columns)
        self.rest = [c for c in fields if c not in columns]
        tail = []
        for column in self.rest:
            f = fields[column]
            if not f.has_default():
                if f.null:
                    tail.append(NULL)
                    continue
                raise SeedError(f"{self.name}.{column} has no default; seed_cases needs updating")
            tail.append(_encode_default(f, f.get_default()))
        self.tail = ("\t" + "\t".join(tail)) if tail else ""
        self.all_columns = self.columns + self.rest
        self.fields = [fields[c] for c in self.all_columns]

    def line(self, values: list[str]) -> str:
        return "\t".join(values) + self.tail + "\n"


def _encode_default(field_, value) -> str:
    if value is None:
        return NULL
    if isinstance(value, bool):
        return b(value)
    if isinstance(value, timedelta):
        return (
            f"{value // timedelta(microseconds=1)} microseconds"
            if connection.vendor == "postgresql"
            else str(value // timedelta(microseconds=1))
        )
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, datetime):
        return ts(to_us(value))
    return txt(str(value))


def _columns(text: str) -> tuple[str, ...]:
    return tuple(text.split())


def tables() -> dict[str, Table]:
    return {
        "requester": Table(
            Requester,
            _columns(
                """
            id created_at updated_at kind name contact_name phone id_number id_number_index credit_code
            credit_code_index address
                """
            ),
        ),
        "case": Table(
            Case,
            _columns(
                """
            id created_at updated_at tracking_number query_code channel window_id clerk_id region_id
            region_path handling_region_path lead_department_id requester_id title description expectation
            category_id matter_kind complexity handling_mode green_channel status status_before_suspend
            needs_review return_count transfer_count reopen_count resolution_summary callback_satisfaction
            callback_comment callback_at callback_by_id taken_in_at first_contacted_at replied_at
            suspended_at resolved_at closed_at sla_policy_id clock_started_at clock_paused_at
            clock_paused_total clock_used extension_days first_contact_due_at reply_due_at due_at
            reasoned_reply_due_at yellow_at deadline_provisional reasoned_reply_at next_alarm_at alarm_level
            supervision_due_at bulletin_at version
                """
            ),
        ),
        "assignment": Table(
            Assignment,
            _columns(
                """
            id created_at updated_at case_id department_id role status is_current can_return origin
            assigned_by_id accepted_at accepted_by_id ended_at returned_reason accept_due_at due_at
            yellow_at clock_paused_at clock_paused_total extension_days next_alarm_at alarm_level
                """
            ),
        ),
        "event": Table(
            CaseEvent,
            _columns(
                """
            id case_id sequence kind actor_id department_id from_status to_status reason payload is_public
            created_at prev_hash hash
                """
            ),
        ),
        "fact": Table(
            CaseFact,
            _columns(
                """
            case_id region_id region_path handling_region_path tier lead_department_id category_id
            matter_kind status taken_in_at due_at yellow_at reasoned_reply_due_at reasoned_reply_at
            clock_paused_at resolved_at closed_at handling_days callback_satisfaction return_count
            transfer_count reopen_count
                """
            ),
        ),
    }


# --- Writing a chunk ----------------------------------------------------------------------------------


def _copy(cursor, table: Table, lines: list[str]) -> None:
    if not lines:
        return
    columns = ", ".join(connection.ops.quote_name(c) for c in table.all_columns)
    sql = f"COPY {connection.ops.quote_name(table.name)} ({columns}) FROM STDIN"
    with cursor.copy(sql) as copy:
        buffer = io.StringIO()
        size = 0
        for line in lines:
            buffer.write(line)
            size += 1
            if size >= 5000:
                copy.write(buffer.getvalue())
                buffer = io.StringIO()
                size = 0
        if size:
            copy.write(buffer.getvalue())


def _insert(cursor, table: Table, lines: list[str]) -> None:
    """Other databases: parse our COPY text back into Python values and ``executemany``."""
    if not lines:
        return
    converters = [_converter(f) for f in table.fields]
    columns = ", ".join(connection.ops.quote_name(c) for c in table.all_columns)
    placeholders = ", ".join(["%s"] * len(table.all_columns))
    rows = []
    for line in lines:
        values = line.rstrip("\n").split("\t")
        rows.append(
            [None if v == NULL else conv(_unescape(v)) for v, conv in zip(values, converters, strict=True)]
        )
    cursor.executemany(
        f"INSERT INTO {connection.ops.quote_name(table.name)} ({columns}) VALUES ({placeholders})",  # noqa: S608
        rows,
    )


def _unescape(value: str) -> str:
    if "\\" not in value:
        return value
    return value.replace("\\t", "\t").replace("\\n", "\n").replace("\\r", "\r").replace("\\\\", "\\")


def _converter(f) -> Callable[[str], object]:
    if isinstance(f, models.DateTimeField):
        # What Django's SQLite backend stores: naive UTC text.
        return lambda v: v.removesuffix("+00")
    if isinstance(f, models.BooleanField):
        return lambda v: v == "t"
    if isinstance(f, models.DurationField):
        return lambda v: int(v.split(" ")[0])
    if isinstance(f, models.IntegerField | models.ForeignKey | models.AutoField | models.BigAutoField):
        return int
    if isinstance(f, models.JSONField):
        return lambda v: v
    return lambda v: v


def write_chunk(out: dict[str, list[str]], tabs: dict[str, Table]) -> None:
    write = _copy if connection.vendor == "postgresql" else _insert
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql" and _is_superuser():
            # Foreign-key checks off for this load only: every id written is one we know exists.
            cursor.execute("SET LOCAL session_replication_role = replica")
        target = cursor.cursor if connection.vendor == "postgresql" else cursor
        for key in TABLE_KEYS:
            write(target, tabs[key], out[key])
        _department_access(cursor, out["assignment"])


def _department_access(cursor, assignment_lines: list[str]) -> None:
    """The departments' access rows (``cases.DepartmentCase``) of the chunk's cases, from the assignments
    just written, as the workflow writes them with each assignment. Found by the chunk's range of assignment
    ids (the primary key: the seed drops the other indexes while it loads); ``ON CONFLICT`` makes a range
    that also holds another chunk's assignments harmless."""
    if not assignment_lines:
        return
    ids = [int(line.split("\t", 1)[0]) for line in assignment_lines]
    cursor.execute(
        """
        INSERT INTO cases_departmentcase (department_id, case_id, taken_in_at)
        SELECT pairs.department_id, pairs.case_id, c.taken_in_at
        FROM (SELECT DISTINCT department_id, case_id FROM cases_assignment WHERE id BETWEEN %s AND %s) pairs
        JOIN cases_case c ON c.id = pairs.case_id
        ON CONFLICT DO NOTHING
        """,
        [min(ids), max(ids)],
    )


_SUPERUSER: bool | None = None


def _is_superuser() -> bool:
    global _SUPERUSER
    if _SUPERUSER is None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            row = cursor.fetchone()
            _SUPERUSER = bool(row and row[0])
    return _SUPERUSER


# --- Deferred secondary indexes (PostgreSQL, opt-in) ----------------------------------------------------

DEFERRED_TABLES = (Case, CaseEvent, Assignment, Requester, CaseFact)


def _pending_file() -> Path:
    return Path(settings.VAR_DIR) / f"seed-deferred-indexes-{connection.settings_dict['NAME']}.sql"


def indexes_drop() -> list[str]:
    """Drop the secondary (non-unique) indexes of the bulk-loaded tables; their definitions are written
    to a file under ``var/`` first, so an interrupted seed can be repaired (``--restore-indexes``)."""
    names = [model._meta.db_table for model in DEFERRED_TABLES]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.relname, pg_get_indexdef(ix.indexrelid) FROM pg_index ix "
            "JOIN pg_class i ON i.oid = ix.indexrelid JOIN pg_class t ON t.oid = ix.indrelid "
            "WHERE t.relname = ANY(%s) AND NOT ix.indisunique AND NOT ix.indisprimary ORDER BY i.relname",
            [names],
        )
        rows = cursor.fetchall()
        pending = _pending_file()
        previous = pending.read_text().splitlines() if pending.exists() else []
        pending.write_text("\n".join([*previous, *(definition for _name, definition in rows)]) + "\n")
        for name, _definition in rows:
            cursor.execute(f"DROP INDEX IF EXISTS {connection.ops.quote_name(name)}")
    return [definition for _name, definition in rows]


def _create_index(definition: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '256MB'")
        cursor.execute(definition.replace("CREATE INDEX ", "CREATE INDEX IF NOT EXISTS ", 1))
    connections.close_all()


def indexes_restore(*, workers: int = 2) -> int:
    """Create the indexes written down by ``indexes_drop`` (in parallel), then forget them."""
    pending = _pending_file()
    if not pending.exists():
        return 0
    definitions = [line for line in pending.read_text().splitlines() if line.strip()]
    connections.close_all()
    if workers > 1 and len(definitions) > 1:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            pool.map(_create_index, definitions)
    else:
        for definition in definitions:
            with connection.cursor() as cursor:
                cursor.execute(definition.replace("CREATE INDEX ", "CREATE INDEX IF NOT EXISTS ", 1))
    pending.unlink()
    return len(definitions)
