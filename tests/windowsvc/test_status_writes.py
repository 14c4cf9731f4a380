"""Only ``cases/workflow.py`` changes a case's status (house rule 2), checked on the source with ``ast``.

Scanned: every ``.py`` under cases/, citizens/, supervision/, routing/, notifications/ and windowsvc/
(migrations excluded). ``cases/workflow.py`` is exempt as a whole: it is the transition function, and it
also writes the status fields of assignments, extensions and refusal reviews, which are its business too.

Anywhere else these count as a status write:

- ``<x>.status = …`` (plain, augmented, annotated or inside a tuple target) and ``setattr(x, "status", …)``;
- ``<queryset>.update(status=…)``, ``bulk_update(…, ["status", …])`` and ``save(update_fields=["status", …])``;
- ``Case(status=…)`` and ``Case.objects.create`` / ``get_or_create`` / ``update_or_create`` with a status
  (as a keyword or in ``defaults``): a case born with a status other than intake's;
- SQL text that updates a ``status`` column (``UPDATE … SET … status``).

``ast`` cannot tell what ``x`` is, so the rule is the other way round: every status write outside the
workflow is an offence unless its *subject* is listed in ``NOT_A_CASE`` under its exact file, with the
reason it is not a case. The subject is the object written (``submission``, ``self.case``) or, for a
chain with calls, the name the chain starts from (``Notification`` in
``Notification.objects.filter(…).update(status=…)``). A listed subject that no longer occurs fails too,
so the list stays exact.

``supervision/seed/`` (``manage.py seed_cases``) is not a second transition function although it
builds whole case histories: it replays the commands in memory (``CaseDraft.event``, in
``supervision/seed/draft.py``, records each event's from/to status on the draft after checking the
transition against the workflow's ``RULES``; ``AssignmentDraft`` holds the status of the assignment row
being generated) and writes brand-new rows with PostgreSQL ``COPY``, the final status being one column of
each new case's line. It never changes the status of a case that exists, so none of that is a status
write here; the in-memory writes are listed below, and an SQL ``UPDATE`` of a status column in it would
fail the test like anywhere else.
"""

import ast
import re
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APPS = ["cases", "citizens", "supervision", "routing", "notifications", "windowsvc"]
TRANSITION_FUNCTION = "cases/workflow.py"

# (file, subject) → why the status written there is not a case's.
NOT_A_CASE = {
    ("citizens/open311/errors.py", "self"): "Open311Error.status is the HTTP status code of the error",
    ("citizens/open311/services.py", "submission"): "an Open311Submission's queue status (queued → "
    "registered / rejected); the case itself is taken in through case_intake",
    ("notifications/services.py", "row"): "a Notification's delivery status, set before it is saved",
    ("notifications/services.py", "Notification"): "resending outbox rows (Notification queryset)",
    ("notifications/delivery.py", "Notification"): "claiming outbox rows in a batch (Notification queryset)",
    ("notifications/delivery.py", "_claim_filter"): "claiming one outbox row (a Notification queryset)",
    ("supervision/seed/draft.py", "self"): "CaseDraft / AssignmentDraft: a case row and its assignment rows "
    "being generated in memory for COPY (the case's transitions checked against the workflow's RULES)",
}

_SQL_STATUS_UPDATE = re.compile(r"\bUPDATE\b[\s\S]*\bSET\b[\s\S]*\bstatus\b", re.IGNORECASE)


def _python_files() -> Iterator[Path]:
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def _subject(expr: ast.expr) -> str:
    """The object written, or the name a chain with calls starts from (see the module docstring)."""
    node, called = expr, False
    while isinstance(node, ast.Attribute | ast.Call | ast.Subscript):
        if isinstance(node, ast.Call):
            called, node = True, node.func
        else:
            node = node.value
    if called:
        return ast.unparse(node)
    return ast.unparse(expr)


def _names_status(node: ast.expr | None) -> bool:
    """A literal list, tuple or set of field names that includes "status"."""
    return isinstance(node, ast.List | ast.Tuple | ast.Set) and any(
        isinstance(element, ast.Constant) and element.value == "status" for element in node.elts
    )


CREATES = {"create", "get_or_create", "update_or_create"}


def _creates_case_with_status(node: ast.Call) -> bool:
    func = node.func
    if isinstance(func, ast.Name):
        creates = func.id == "Case"
    else:
        creates = isinstance(func, ast.Attribute) and func.attr in CREATES
        creates = creates and _subject(func).split(".")[0] == "Case"
    if not creates:
        return False
    keywords = {keyword.arg: keyword.value for keyword in node.keywords if keyword.arg}
    defaults = keywords.get("defaults")
    in_defaults = isinstance(defaults, ast.Dict) and any(
        isinstance(key, ast.Constant) and key.value == "status" for key in defaults.keys
    )
    return "status" in keywords or in_defaults


def _text(node: ast.AST) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(part.value if isinstance(part, ast.Constant) else "{}" for part in node.values)
    return None


def status_writes(tree: ast.AST) -> Iterator[tuple[int, str, str]]:
    """(line, subject, what) of every status write in a module."""
    for node in ast.walk(tree):
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AugAssign | ast.AnnAssign):
            targets = [node.target]
        for target in targets:
            for sub in ast.walk(target):
                if isinstance(sub, ast.Attribute) and sub.attr == "status" and isinstance(sub.ctx, ast.Store):
                    yield node.lineno, _subject(sub.value), f"{ast.unparse(sub)} = …"
        if isinstance(node, ast.Call):
            yield from _call_writes(node)
        text = _text(node)
        if text is not None and _SQL_STATUS_UPDATE.search(text):
            yield getattr(node, "lineno", 0), "SQL", "UPDATE … SET … status"


def _call_writes(node: ast.Call) -> Iterator[tuple[int, str, str]]:
    func = node.func
    keywords = {keyword.arg: keyword.value for keyword in node.keywords if keyword.arg}
    if isinstance(func, ast.Name) and func.id == "setattr":
        name = node.args[1] if len(node.args) > 1 else None
        if isinstance(name, ast.Constant) and name.value == "status":
            yield node.lineno, _subject(node.args[0]), 'setattr(…, "status", …)'
        return
    if _creates_case_with_status(node):
        yield node.lineno, "Case", f"{ast.unparse(func)}(status=…)"
        return
    if not isinstance(func, ast.Attribute):
        return
    receiver = _subject(func.value)
    if func.attr == "update" and "status" in keywords:
        yield node.lineno, receiver, ".update(status=…)"
    elif func.attr == "bulk_update" and any(
        _names_status(arg) for arg in [*node.args[1:2], keywords.get("fields")]
    ):
        yield node.lineno, receiver, '.bulk_update(…, ["status", …])'
    elif func.attr == "save" and _names_status(keywords.get("update_fields")):
        yield node.lineno, receiver, '.save(update_fields=["status", …])'


def _writes_by_file() -> dict[str, list[tuple[int, str, str]]]:
    found = {}
    for path in _python_files():
        name = path.relative_to(ROOT).as_posix()
        if name != TRANSITION_FUNCTION:
            found[name] = list(status_writes(ast.parse(path.read_text(), str(path))))
    return found


def test_only_the_workflow_writes_a_case_status():
    offenders = [
        f"{name}:{line}: {what} (subject {subject!r})"
        for name, writes in _writes_by_file().items()
        for line, subject, what in writes
        if (name, subject) not in NOT_A_CASE
    ]
    assert offenders == [], "a case's status changes only in cases/workflow.py (house rule 2)"


def test_every_listed_exception_still_occurs():
    used = {(name, subject) for name, writes in _writes_by_file().items() for _line, subject, _what in writes}
    assert sorted(set(NOT_A_CASE) - used) == []


def test_no_listed_exception_looks_like_a_case():
    assert [key for key in NOT_A_CASE if "case" in key[1].lower()] == []


def test_the_workflow_is_where_the_status_changes():
    # The exemption is not vacuous: the transition function does write the case's status.
    tree = ast.parse((ROOT / TRANSITION_FUNCTION).read_text())
    sets_status = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "set"
        and any(keyword.arg == "status" for keyword in node.keywords)
    ]
    assert sets_status


SAMPLE = """
case.status = CaseStatus.CLOSED
self.case.status, other = CaseStatus.CLOSED, 1
Case.objects.filter(pk=1).update(status=CaseStatus.CLOSED)
case_list_visible(user).update(status=CaseStatus.CLOSED, version=F("version") + 1)
Case.objects.create(title="x", status=CaseStatus.RESOLVED)
Case.objects.update_or_create(pk=1, defaults={"status": CaseStatus.RESOLVED})
setattr(case, "status", value)
case.save(update_fields=["status", "updated_at"])
Case.objects.bulk_update(cases, ["status"])
cursor.execute(f"UPDATE {table} SET status = %s WHERE id = %s", [s, pk])
Case.objects.filter(status=CaseStatus.CLOSED).count()
Case.objects.get_or_create(pk=1, defaults={"title": "x"})
case.status == CaseStatus.CLOSED
case.save(update_fields=["title"])
"""


def test_the_guard_catches_every_kind_of_status_write():
    found = [(line, subject) for line, subject, _what in status_writes(ast.parse(SAMPLE))]
    assert sorted(found) == [
        (2, "case"),
        (3, "self.case"),
        (4, "Case"),
        (5, "case_list_visible"),
        (6, "Case"),
        (7, "Case"),
        (8, "case"),
        (9, "case"),
        (10, "Case.objects"),
        (11, "SQL"),
    ]
