"""Imports flow one way: supervision reads cases and routing; cases, routing and notifications never
import supervision (it hooks into the loop only through ``cases.effects``)."""

from tests.windowsvc.test_layering import _imports, _python_files


def test_the_loop_and_the_organisation_never_import_supervision():
    offenders = [
        str(path)
        for path in _python_files("cases", "routing", "notifications")
        if "supervision" in _imports(path)
    ]
    assert offenders == []


def test_no_celery_countdown_or_eta_in_supervision():
    import ast

    from tests.windowsvc.test_layering import _long_delays

    offenders = [
        f"{path}:{line}"
        for path in _python_files("supervision")
        for line, _ in _long_delays(ast.parse(path.read_text()))
    ]
    assert offenders == []
