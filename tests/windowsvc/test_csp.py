"""The Content-Security-Policy on every page, API docs from bundled assets, the browsable API off in production.

docs/SECURITY.md ("Content-Security-Policy"); the same pages in a real browser, with no CSP violation in its
console, are tests/windowsvc/test_csp_browser.py.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.urls import URLPattern, URLResolver, get_resolver

from cases.choices import CaseStatus
from tests.cases.states import drive
from tests.factories import build_org
from windowsvc.apidocs import REDOC_STYLE_HASHES

from .test_checks import production_env

ROOT = Path(__file__).resolve().parents[2]
POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'self'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}
EXTERNAL = re.compile(r"cdn|jsdelivr|unpkg|@latest|googleapis|gstatic|https?://", re.IGNORECASE)


def directives(header: str) -> dict[str, str]:
    return {
        d.split(" ", 1)[0]: d.split(" ", 1)[1] for d in (p.strip() for p in header.split(";")) if " " in d
    }


def assert_policy(response, path: str) -> None:
    header = response.headers.get("Content-Security-Policy")
    assert header, f"{path}: no Content-Security-Policy"
    found = directives(header)
    for name, value in POLICY.items():
        assert found.get(name) == value, f"{path}: {name} is {found.get(name)!r}"
    assert "unsafe-inline" not in header and "unsafe-eval" not in header, path


def page_paths(resolver=None, prefix: str = "") -> list[str]:
    """Every URL of the project without a path argument (admin and APIs apart: they are tested below)."""
    paths = []
    for entry in (resolver or get_resolver()).url_patterns:
        route = prefix + str(entry.pattern)
        if route.startswith(("admin/", "api/", "open311/", "i18n/")) or "<" in route:
            continue
        if isinstance(entry, URLResolver):
            paths += page_paths(entry, route)
        elif isinstance(entry, URLPattern):
            paths.append("/" + route.lstrip("^").rstrip("$"))
    return paths


@pytest.fixture
def org(db):
    return build_org()


@pytest.mark.django_db
def test_every_html_page_carries_the_policy(client, org):
    case = drive(org, CaseStatus.IN_PROGRESS)
    anonymous = ["/", "/accounts/login/", "/status/", f"/status/?n={case.tracking_number}", "/library/cases/"]
    staff = [
        *page_paths(),
        f"/cases/{case.pk}/",
        f"/cases/{case.pk}/receipt/",
        "/admin/",
        "/admin/cases/case/",
        f"/admin/cases/case/{case.pk}/change/",
        "/admin/notifications/messagetemplate/",
        "/admin/routing/region/add/",
    ]
    html = 0
    for path in anonymous:
        response = client.get(path)
        assert response.status_code == 200, path
        assert_policy(response, path)
        html += 1
    client.force_login(org["root"])
    for path in staff:
        response = client.get(path)
        if not response.headers.get("Content-Type", "").startswith("text/html"):
            continue
        assert_policy(response, path)
        html += response.status_code == 200
    assert html >= 30  # the walk really reached the pages


@pytest.mark.django_db
def test_error_pages_carry_the_policy_too(client, org):
    client.force_login(org["root"])
    response = client.get("/cases/999999999/")
    assert response.status_code == 404
    assert_policy(response, "404")


TEMPLATE_DIRS = [ROOT / "templates", *ROOT.glob("*/templates")]
# E-mail bodies are read by mail clients, which need inline styles and never see the CSP.
NOT_PAGES = {"notifications/email.html"}
INLINE = re.compile(
    r"<script(?![^>]*\bsrc=)[^>]*>|<style\b|\sstyle\s*=|\son[a-z]+\s*=|javascript:",
    re.IGNORECASE,
)


def test_no_template_has_inline_script_style_or_event_handler():
    offenders = []
    for directory in TEMPLATE_DIRS:
        for path in directory.rglob("*.html"):
            name = path.relative_to(directory).as_posix()
            if name in NOT_PAGES:
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if INLINE.search(line):
                    offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == []


# --- API docs ---------------------------------------------------------------------------------------


def assets(html: str) -> list[str]:
    return re.findall(r'(?:src|href)="([^"]+)"', html)


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/docs/", "/api/redoc/"])
def test_api_docs_load_nothing_from_elsewhere(client, org, path):
    client.force_login(org["root"])
    response = client.get(path)
    assert response.status_code == 200
    html = response.content.decode()
    assert not EXTERNAL.search(html), EXTERNAL.search(html)
    assert "<style" not in html
    assert re.search(r"<script(?![^>]*\bsrc=)", html) is None  # no inline script
    static = [
        url for url in assets(html) if url.startswith(settings.STATIC_URL) or url.startswith("/static/")
    ]
    assert static, html
    for url in static:
        assert finders.find(url.split("/static/", 1)[1]), f"{url} is not a static file"
    if path == "/api/docs/":  # Redoc's page adds its nonce: test_redoc_styles_carry_the_responses_nonce
        assert_policy(response, path)


@pytest.mark.django_db
def test_swagger_start_script_is_a_separate_response(client, org):
    client.force_login(org["root"])
    html = client.get("/api/docs/").content.decode()
    [script] = [url for url in assets(html) if "script" in url and not url.endswith(".js")]
    response = client.get(script.replace("&amp;", "&"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle(" in response.content.decode()
    assert "/api/schema/" in response.content.decode()


@pytest.mark.django_db
def test_redoc_styles_carry_the_responses_nonce(client, org):
    client.force_login(org["root"])
    response = client.get("/api/redoc/")
    [nonce] = re.findall(r'id="redoc-container"[^>]*data-nonce="([^"]+)"', response.content.decode())
    found = directives(response["Content-Security-Policy"])
    assert found["style-src"] == " ".join(["'self'", f"'nonce-{nonce}'", *REDOC_STYLE_HASHES])
    assert found["worker-src"] == "'self' blob:"  # Redoc's search worker
    assert found["script-src"] == "'self'"
    # Another page gets neither.
    other = directives(client.get("/api/docs/")["Content-Security-Policy"])
    assert other["style-src"] == "'self'" and "worker-src" not in other


# --- The browsable API ------------------------------------------------------------------------------

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def test_browsable_api_is_on_in_development(client):
    response = client.get("/api/v1/cases/", HTTP_ACCEPT=BROWSER_ACCEPT)
    assert response["Content-Type"].startswith("text/html")


PROBE = """
import django, json, os
ACCEPT = os.environ["PROBE_ACCEPT"]
django.setup()
from django.conf import settings
from django.test import Client
response = Client().get("/api/v1/cases/", HTTP_ACCEPT=ACCEPT, secure=True)
print(json.dumps({"renderers": settings.REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"],
                  "status": response.status_code, "type": response["Content-Type"]}))
"""


def test_browsable_api_is_off_in_production():
    """The production profile, loaded for real (its renderer classes are bound when the views are imported, so
    overriding the setting inside this process would prove nothing): a browser gets JSON."""
    env = production_env(ALLOWED_HOSTS="testserver", PROBE_ACCEPT=BROWSER_ACCEPT)
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert answer["renderers"] == ["rest_framework.renderers.JSONRenderer"]
    assert answer["status"] == 401
    assert answer["type"].startswith("application/json")
