"""English translations: the catalog is complete and faithful, and Django really serves English from it.

Chinese (zh-hans) is the source language; locale/en/LC_MESSAGES/django.po holds the English. The .mo is a
build product (compiled by polib at session start in tests/conftest.py), so these tests read the .po.
"""

import re
from collections import Counter
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import translation

from cases.choices import CaseStatus, EventKind, HandlingMode, MatterKind
from routing.choices import StaffRole, Tier

PO_PATH = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES" / "django.po"

# Chinese ideographs and full-width punctuation (，。：（）); curly quotes “” are shared with English.
CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")
NAMED = re.compile(r"%\(\w+\)[sdifr]")
BRACED = re.compile(r"\{\{?\s*\w+\s*\}?\}")
POSITIONAL = re.compile(r"%[sdif]")
TAG = re.compile(r"</?[a-zA-Z][^>]*>")


@pytest.fixture(scope="module")
def catalog() -> polib.POFile:
    return polib.pofile(str(PO_PATH))


@pytest.fixture(autouse=True)
def _restore_language():
    """Requests with Accept-Language activate English for the thread; give later tests back what they had."""
    with translation.override(translation.get_language()):
        yield


def _pairs(entry: polib.POEntry) -> list[tuple[str, str]]:
    """(source, translation) pairs of an entry: one for a singular, one per plural form."""
    if entry.msgid_plural:
        forms = [entry.msgid, *[entry.msgid_plural] * (len(entry.msgstr_plural) - 1)]
        return [(source, entry.msgstr_plural[i]) for i, source in enumerate(forms)]
    return [(entry.msgid, entry.msgstr)]


def _edges(text: str) -> tuple[str, str]:
    stripped = text.strip()
    if not stripped:
        return text, ""
    start = text.index(stripped)
    return text[:start], text[start + len(stripped) :]


def _cjk_free(html: str) -> str:
    """The page without the language switch, whose zh-hans option rightly names itself in Chinese."""
    return re.sub(r"<option\b[^>]*>.*?</option>", "", html, flags=re.S)


# --- The catalog --------------------------------------------------------------------------------------


def test_catalog_declares_english_with_two_plural_forms(catalog):
    assert catalog.metadata["Language"] == "en"
    assert catalog.metadata["Plural-Forms"].startswith("nplurals=2;")
    assert not catalog.metadata_is_fuzzy


def test_catalog_is_fully_translated_and_nothing_is_fuzzy(catalog):
    assert len(catalog) > 100  # the whole product, not a stub
    assert [e.msgid for e in catalog.untranslated_entries()] == []
    assert [e.msgid for e in catalog.fuzzy_entries()] == []
    assert [e.msgid for e in catalog.obsolete_entries()] == []
    for entry in catalog:
        for source, text in _pairs(entry):
            assert text.strip(), f"empty translation for {source!r}"
        if entry.msgid_plural:
            assert sorted(entry.msgstr_plural) == [0, 1], entry.msgid


def test_translations_are_english(catalog):
    chinese = [(e.msgid, text) for e in catalog for _, text in _pairs(e) if CJK.search(text)]
    assert chinese == []


def test_placeholders_tags_and_edge_whitespace_are_preserved(catalog):
    for entry in catalog:
        for source, text in _pairs(entry):
            assert set(NAMED.findall(text)) == set(NAMED.findall(source)), (source, text)
            assert set(BRACED.findall(text)) == set(BRACED.findall(source)), (source, text)
            assert POSITIONAL.findall(text) == POSITIONAL.findall(source), (source, text)
            assert Counter(TAG.findall(text)) == Counter(TAG.findall(source)), (source, text)
            assert _edges(text) == _edges(source), (source, text)


def test_python_format_flag_matches_placeholders(catalog):
    """makemessages flags %-strings python-format; a translation must then format without error."""
    for entry in catalog:
        if "python-format" not in entry.flags:
            continue
        for source, text in _pairs(entry):
            names = {name[2:].split(")")[0] for name in NAMED.findall(source)}
            if names:
                formatted = text % {name: 1 for name in names}  # raises on a broken or unknown placeholder
                assert "%(" not in formatted, (source, text)


# --- Django serves it ---------------------------------------------------------------------------------


def test_choice_labels_follow_the_active_language():
    with translation.override("en"):
        assert str(Tier.COUNTY.label) == "County"
        assert str(Tier.TOWN.label) == "Town"
        assert str(Tier.VILLAGE.label) == "Village"
        assert str(CaseStatus.ASSIGNED.label) == "Awaiting sign-for"
        assert str(CaseStatus.RESOLVED.label) == "Resolved"
        assert str(CaseStatus.CLOSED.label) == "Closed"
        assert str(MatterKind.NOVEL.label) == "Novel matter"
        assert str(HandlingMode.SPECIAL.label) == "Special handling"
        assert str(EventKind.REOPEN.label) == "Reopen"
        assert str(StaffRole.SUPERVISOR.label) == "Supervisor"
        assert dict(CaseStatus.choices)[CaseStatus.SUSPENDED] == "Suspended"
    with translation.override("zh-hans"):
        assert str(Tier.COUNTY.label) == "县(市、区)"
        assert str(CaseStatus.CLOSED.label) == "已销号"


def test_plural_forms_are_chosen_by_count():
    with translation.override("en"):
        assert translation.ngettext("%(n)d 条短信", "%(n)d 条短信", 1) % {"n": 1} == "1 SMS message"
        assert translation.ngettext("%(n)d 条短信", "%(n)d 条短信", 3) % {"n": 3} == "3 SMS messages"


@pytest.mark.django_db
def test_login_page_in_english(client):
    response = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="en">' in html
    for text in ("Staff sign-in", "Username", "Password", "Sign in", "Can’t Get It Done"):
        assert text in html
    assert CJK.findall(_cjk_free(html)) == []


@pytest.mark.django_db
def test_home_page_in_english_for_a_signed_in_staff_member(client):
    user = get_user_model().objects.create_user(
        username="clerk-en", password="s3cret-pass-2026", is_staff=True
    )
    client.force_login(user)
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="en">' in html
    nav = re.search(r'<nav class="site-nav".*?</nav>', html, flags=re.S).group(0)
    for text in ("Admin", "Workbench", "API docs", "Notifications"):
        assert text in nav
    assert CJK.findall(nav) == []
    assert "Sign out" in html
    assert "Welcome, clerk-en." in html
    assert CJK.findall(_cjk_free(html)) == []


@pytest.mark.django_db
def test_pages_stay_chinese_by_default(client):
    html = client.get("/accounts/login/").content.decode()
    assert '<html lang="zh-hans">' in html
    assert "工作人员登录" in html
    assert "Sign in" not in html
