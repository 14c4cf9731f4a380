"""The public side sits on top: citizens imports cases and routing, nothing imports citizens."""

from tests.windowsvc.test_layering import _imports, _python_files


def test_no_app_imports_citizens():
    offenders = [
        str(path)
        for path in _python_files("windowsvc", "routing", "cases", "notifications")
        if "citizens" in _imports(path)
    ]
    assert offenders == []


def test_citizens_writes_only_through_case_services():
    # Reads may use models and querysets; every write on a case goes through cases.services.
    offenders = [str(path) for path in _python_files("citizens") if "cases.workflow" in path.read_text()]
    assert offenders == []
