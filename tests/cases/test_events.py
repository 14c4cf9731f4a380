"""Event payloads in one place (``cases/events.py``): builders write every key, ``Payload`` reads them, and
no other module of the apps spells a payload key."""

from __future__ import annotations

import ast
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from cases import events
from cases.events import Key, Payload

ROOT = Path(__file__).resolve().parents[2]
APPS = ("cases", "routing", "notifications", "citizens", "supervision", "windowsvc")
# The one home (the bulk seed, supervision/seed, builds its payloads with the same builders).
ALLOWED = {"cases/events.py"}
SHANGHAI = ZoneInfo("Asia/Shanghai")


def _app_modules():
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if "/migrations/" in relative or relative in ALLOWED:
                continue
            yield relative, ast.parse(path.read_text(encoding="utf-8"))


def _is_payload(node: ast.AST) -> bool:
    return (isinstance(node, ast.Attribute) and node.attr == "payload") or (
        isinstance(node, ast.Name) and node.id == "payload"
    )


def test_no_module_but_events_reads_or_writes_a_payload_key():
    found = []
    for relative, tree in _app_modules():
        for node in ast.walk(tree):
            # payload["key"] / event.payload["key"]
            if (
                isinstance(node, ast.Subscript)
                and _is_payload(node.value)
                and isinstance(node.slice, ast.Constant)
                and isinstance(node.slice.value, str)
            ):
                found.append(f"{relative}:{node.lineno} payload[{node.slice.value!r}]")
            # payload.get("key")
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "get"
                and _is_payload(node.func.value)
            ):
                found.append(f"{relative}:{node.lineno} payload.get(…)")
            # payload={...} written by hand
            if isinstance(node, ast.keyword) and node.arg == "payload" and isinstance(node.value, ast.Dict):
                found.append(f"{relative}:{node.value.lineno} payload={{…}}")
            # "payload__key" lookups spelled as text
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and node.value.startswith("payload__")
            ):
                found.append(f"{relative}:{node.lineno} {node.value!r}")
    assert found == []


def test_builders_and_reader_agree():
    due = datetime(2027, 1, 8, 17, 30, tzinfo=SHANGHAI)
    reply = Payload(events.reply(can_be_done=False, follow_up_due_at=due))
    assert reply.can_be_done is False and not reply.cannot_be_done
    assert reply.follow_up_due_at == due
    refused = Payload(events.reply(can_be_done=False, cannot_be_done=True, reason_code="law", review=12))
    assert refused.cannot_be_done and refused.review == 12 and refused.follow_up_due_at is None

    order = Payload(events.supervisor_order(lead_department=5, days=3, due_at=due))
    assert order.manual and order.lead_department == 5 and order.days == 3 and order.due_at == due
    step = Payload(events.ladder_step(clock="case", level="red", skipped=["yellow"], deadline=due))
    assert not step.manual and step.clock == "case"

    moved = Payload(events.move(from_assignment=1, requested_department=7, assignment=None))
    assert moved.pingpong_guard and moved.requested_department == 7
    routed = Payload(
        events.assign(lead_department=4, assisting_departments=[8, 9], assignment=2, can_return=True)
    )
    assert routed.departments == {4, 8, 9}


def test_payloads_are_json_with_the_keys_clients_read():
    # The API shows the payload as it is stored: keys are plain strings, moments ISO 8601 with an offset.
    due = datetime(2027, 1, 8, 17, 30, tzinfo=SHANGHAI)
    payload = events.supervisor_order(lead_department=5, days=3, due_at=due)
    assert payload == {"manual": True, "lead_department": 5, "days": 3, "due_at": "2027-01-08T17:30:00+08:00"}
    assert all(type(key) is str for key in payload)
    assert events.withdraw(late=True, review=3) == {"late": True, "requester_confirmed": True, "review": 3}
    assert events.withdraw(late=True, approved_by_supervisor=True) == {
        "late": True,
        "approved_by_supervisor": True,
    }


@pytest.mark.parametrize("key", list(Key))
def test_query_keys_name_real_payload_keys(key):
    assert key.lookup == f"payload__{key.value}"
