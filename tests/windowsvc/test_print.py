"""Printing, checked on the PDF Chromium makes (page.pdf honours each page's CSS page size): the receipt is
one A5 page; the quarterly bulletin prints on A4 pages whose department names stay whole words (before,
the receipt's A5 rule applied to every page and broke them one character per line)."""

from __future__ import annotations

import io

import pdfplumber
import pytest

from tests.factories import build_org, take_in
from tests.fixtures.browser import give_passwords, log_in
from tests.supervision.scenarios import routed_case

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MM = 72 / 25.4  # PDF points per millimetre
A5 = (148 * MM, 210 * MM)
A4 = (210 * MM, 297 * MM)


@pytest.fixture
def org(transactional_db):
    org = build_org()
    give_passwords(org, "v1_clerk", "county_supervisor")
    return org


def pdf_pages(page):
    page.emulate_media(media="print")
    data = page.pdf(prefer_css_page_size=True, print_background=False)
    return pdfplumber.open(io.BytesIO(data))


def size_is(pdf_page, size) -> bool:
    width, height = float(pdf_page.width), float(pdf_page.height)
    return {round(width), round(height)} == {round(size[0]), round(size[1])}


def test_the_receipt_prints_on_one_a5_page(live_server, page, org):
    case = take_in(org, "v1")
    log_in(page, live_server, "v1_clerk")
    page.goto(live_server.url + f"/cases/{case.pk}/receipt/")
    with pdf_pages(page) as pdf:
        assert len(pdf.pages) == 1
        assert size_is(pdf.pages[0], A5) and pdf.pages[0].height > pdf.pages[0].width
        text = pdf.pages[0].extract_text()
    assert case.tracking_number in text
    assert "退出" not in text  # the site chrome is not printed


def test_the_quarterly_bulletin_prints_on_a4_with_whole_department_names(live_server, page, org):
    routed_case(org, when="2026-01-05 09:00")
    routed_case(org, when="2026-01-06 09:00", where="v2", lead="t2_office")
    log_in(page, live_server, "county_supervisor")
    page.goto(live_server.url + "/supervision/bulletin/?period=2026-Q1")
    names = ["暨阳街道便民服务中心", "浣东街道便民服务中心"]
    for name in names:
        assert page.locator("article.bulletin").get_by_text(name).count() >= 1
    with pdf_pages(page) as pdf:
        assert len(pdf.pages) in range(1, 5), len(pdf.pages)  # a quarter's bulletin: a few A4 pages
        assert all(size_is(p, A4) for p in pdf.pages)
        text = "\n".join(p.extract_text() for p in pdf.pages)
        lines = text.splitlines()
    for name in names:
        # Whole on one line, not broken one character per line.
        assert any(name in line for line in lines), name
    assert sum(1 for line in lines if len(line.strip()) == 1) < 5


def test_the_assignment_order_prints_on_one_a4_page_with_its_seal_line(live_server, page, org):
    from tests.cases.page_helpers import routed_case as assigned_case

    case = assigned_case(org, lead="market")
    log_in(page, live_server, "v1_clerk")
    page.goto(live_server.url + f"/cases/{case.pk}/print/assignment/")
    with pdf_pages(page) as pdf:
        assert len(pdf.pages) == 1 and size_is(pdf.pages[0], A4)
        text = pdf.pages[0].extract_text()
    assert "交办单" in text.replace(" ", "") and "（盖章）" in text and "市场监管局" in text


def test_the_monthly_ranking_prints_on_a4_landscape(live_server, page, org):
    routed_case(org, when="2026-01-05 09:00")
    log_in(page, live_server, "county_supervisor")
    page.goto(live_server.url + "/supervision/rankings/")
    with pdf_pages(page) as pdf:
        assert all(size_is(p, A4) and p.width > p.height for p in pdf.pages)
