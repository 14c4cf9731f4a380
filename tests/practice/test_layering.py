"""Imports flow one way: supervision's reports ask practice (``practice.selectors.period_items``); practice
never imports supervision or the library (a write-up source is added by the library, not read here)."""

from tests.windowsvc.test_layering import _imports, _python_files


def test_practice_never_imports_supervision_or_the_library():
    offenders = [
        f"{path}: {sorted(_imports(path) & {'supervision', 'library', 'citizens'})}"
        for path in _python_files("practice")
        if _imports(path) & {"supervision", "library", "citizens"}
    ]
    assert offenders == []
