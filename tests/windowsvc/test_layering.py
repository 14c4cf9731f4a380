"""Cheap static guards for house rules that reviews keep missing."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APPS = [
    "windowsvc",
    "routing",
    "cases",
    "notifications",
    "citizens",
    "supervision",
    "library",
    "practice",
    "audit",
    "hotline",
]
MAX_COUNTDOWN_SECONDS = 300


def _python_files(*apps):
    for app in apps:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" not in path.parts:
                yield path


def _long_delays(tree: ast.AST):
    """Calls passing countdown/eta: a literal countdown above the limit, or any eta (an absolute time)."""
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        for keyword in node.keywords:
            if keyword.arg == "eta":
                yield node.lineno, "eta"
            if keyword.arg == "countdown":
                value = keyword.value
                if not (isinstance(value, ast.Constant) and isinstance(value.value, int | float)):
                    yield node.lineno, "countdown (not a literal: cannot prove it is short)"
                elif value.value > MAX_COUNTDOWN_SECONDS:
                    yield node.lineno, f"countdown={value.value}"


def test_no_celery_countdown_or_eta_above_five_minutes():
    # Long ETAs are held in worker memory and redelivered after Redis' visibility timeout; timers must be
    # stored due times swept by beat instead.
    offenders = [
        f"{path.relative_to(ROOT)}:{line}: {what}"
        for path in _python_files(*APPS)
        for line, what in _long_delays(ast.parse(path.read_text(), str(path)))
    ]
    assert offenders == []


def test_the_guard_catches_a_long_countdown():
    sample = ast.parse("task.apply_async(args=[1], countdown=3600)\nother.apply_async(eta=when)\n")
    assert [what for _, what in _long_delays(sample)] == ["countdown=3600", "eta"]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_cases_never_imports_the_apps_above_it():
    above = {"supervision", "library", "practice", "citizens"}
    offenders = [
        f"{path.relative_to(ROOT)}: {sorted(_imports(path) & above)}"
        for path in _python_files("cases", "routing", "notifications")
        if _imports(path) & above
    ]
    assert offenders == []


def test_no_app_imports_audit():
    """``audit`` sits above every app (it reads their events and history); only /readyz (windowsvc/health.py) reads it, late."""
    offenders = [
        str(path.relative_to(ROOT))
        for path in _python_files(
            "routing", "cases", "notifications", "citizens", "supervision", "library", "practice"
        )
        if "audit" in _imports(path)
    ]
    assert offenders == []


def test_routing_and_notifications_never_import_cases():
    offenders = [
        str(path.relative_to(ROOT))
        for path in _python_files("routing", "notifications")
        if "cases" in _imports(path)
    ]
    assert offenders == []
