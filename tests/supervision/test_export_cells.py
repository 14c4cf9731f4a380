"""Exports never hand a spreadsheet a formula: a case title is anyone's input (Open311, the intake form)."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from supervision.exports import safe_cell
from tests.factories import take_in

from .scenarios import travel

INJECTIONS = ['=HYPERLINK("http://x","点我")', "+1+1", "-2+3", "@SUM(A1)", "\tTAB", "\rCR"]


@pytest.mark.parametrize("text", INJECTIONS)
def test_every_formula_start_is_neutralised(text):
    assert safe_cell(text) == "'" + text


def test_numbers_and_plain_text_stay_as_they_are():
    assert safe_cell(-5) == -5 and safe_cell(3.5) == 3.5
    assert safe_cell("营业执照=变更") == "营业执照=变更"
    assert safe_cell("—") == "—"


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_injected_title_reaches_the_export_as_text(client, org, fmt):
    # Intake strips surrounding whitespace, so a title can start with any of these but a tab or CR.
    typed = [text for text in INJECTIONS if not text[0].isspace()]
    with travel("2026-03-02 09:00"):
        cases = [take_in(org, title=text) for text in typed]
    client.force_login(org["county_supervisor"])
    with travel("2026-03-03 09:00"):
        response = client.get(reverse("supervision:export", args=[fmt]))
    body = b"".join(response.streaming_content)
    if fmt == "csv":
        rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))
    else:
        workbook = load_workbook(io.BytesIO(body))  # not read-only: formulas are kept as formulas there
        rows = [[cell.value for cell in row] for row in workbook.active.iter_rows()]
        assert all(cell.data_type != "f" for row in workbook.active.iter_rows() for cell in row)
    header = rows[0]
    titles = {row[0]: row[header.index("事项标题")] for row in rows[1:]}
    for case, text in zip(cases, typed, strict=True):
        assert titles[case.tracking_number] == "'" + text
