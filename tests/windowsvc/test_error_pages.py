"""Error pages in the site's layout, in Chinese and English; links only for the roles that may use them;
confirmations before irreversible commands; the favicon."""

import pytest
from django.test import Client
from django.views.defaults import server_error

from tests.cases.page_helpers import routed_case
from tests.factories import build_org

pytestmark = pytest.mark.django_db


@pytest.fixture
def org(db):
    return build_org()


def test_404_is_the_sites_page_in_chinese_and_english(client, org):
    client.force_login(org["market_head"])
    response = client.get("/cases/999999/")
    html = response.content.decode()
    assert response.status_code == 404
    assert 'class="site-header"' in html and 'data-status="404"' in html and "页面不存在" in html
    response = client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404 and "Page not found" in response.content.decode()


def test_403_names_the_reason_in_the_layout(client, org):
    client.force_login(org["market_head"])
    response = client.get("/cases/intake/")
    html = response.content.decode()
    assert response.status_code == 403
    assert 'data-status="403"' in html and "您不是任何受理窗口的工作人员" in html


def test_csrf_failure_page(org):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"username": "x", "password": "y"})
    html = response.content.decode()
    assert response.status_code == 403 and "页面已过期" in html and 'class="site-header"' in html


def test_500_renders_without_a_request_context(rf):
    response = server_error(rf.get("/"))
    assert response.status_code == 500 and "系统出错" in response.content.decode()


def test_department_staff_are_not_shown_the_intake_link(client, org):
    client.force_login(org["market_head"])
    html = client.get("/cases/").content.decode()
    assert 'href="/cases/intake/"' not in html and 'href="/cases/queue/"' in html
    client.force_login(org["v1_clerk"])
    html = client.get("/cases/").content.decode()
    assert 'href="/cases/intake/"' in html and 'href="/cases/queue/"' not in html


def test_irreversible_commands_ask_first(client, org):
    case = routed_case(org, lead="market")
    client.force_login(org["market_head"])
    html = client.get(f"/cases/{case.pk}/actions/return/").content.decode()
    assert 'data-confirm="确定退回该案件？' in html
    html = client.get(f"/cases/{case.pk}/actions/accept/").content.decode()
    assert "data-confirm" not in html


def test_favicon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"].endswith("favicon.svg")
