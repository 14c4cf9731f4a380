"""The library in a real browser: a department drafts a write-up, a supervisor publishes it, a citizen finds
it on the public page; a clerk sees a suggestion while typing a new matter and follows it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from library import indexing
from library.models import WriteUpReuse
from tests.cases.states import drive
from tests.factories import build_org
from tests.fixtures.browser import give_passwords, log_in

from .helpers import ensure_blocker_types, published

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def org(transactional_db):
    ensure_blocker_types()
    org = build_org()
    give_passwords(org, "v1_clerk", "t1_office_handler", "t1_supervisor")
    return org


def test_department_drafts_supervisor_publishes_citizen_finds_it(live_server, page, org):
    case = drive(org, "resolved")
    log_in(page, live_server, "t1_office_handler")
    page.goto(f"{live_server.url}/cases/{case.pk}/")
    page.get_by_role("link", name="撰写案例").click()
    page.get_by_label("案例标题").fill("老旧小区房产证多年办不下来")
    page.get_by_label("反映问题").fill(f"{case.requester.name}反映开发商破产，二十年未取得不动产权证书。")
    page.get_by_label("卡点类型").select_option(label="政策空白")
    page.get_by_label("解决办法").fill("自然资源局会同住建局专项处置历史遗留问题，分批办理不动产登记。")
    page.get_by_role("button", name="保存").click()
    page.wait_for_url(re.compile(r"/library/\d+/$"))
    page.get_by_role("button", name="提交审核").click()
    expect(page.locator(".writeup-status")).to_have_text("待审核")
    page.get_by_role("button", name="退出").click()

    log_in(page, live_server, "t1_supervisor")
    page.goto(live_server.url + "/library/")
    page.get_by_role("link", name="老旧小区房产证多年办不下来").click()
    page.get_by_role("button", name="发布").click()
    expect(page.locator(".writeup-status")).to_have_text("已发布")
    page.get_by_role("button", name="退出").click()

    page.goto(live_server.url + "/library/cases/")
    page.get_by_label("搜索案例").fill("房产证 不动产登记")
    page.get_by_role("button", name="搜索").click()
    page.get_by_role("link", name="老旧小区房产证多年办不下来").click()
    expect(page.locator(".writeup-solution")).to_contain_text("分批办理不动产登记")
    expect(page.locator("body")).not_to_contain_text(case.requester.name)


def test_clerk_sees_a_suggestion_while_typing_and_follows_it(live_server, page, org):
    writeup = published(
        org, title="小餐饮店食品经营许可证办不下来", solution="按小餐饮备案管理办法办理登记备案，当天开业。"
    )
    indexing.solved_cases_rebuild()
    log_in(page, live_server, "v1_clerk")
    page.goto(live_server.url + "/cases/intake/")
    requests = []
    page.on("request", lambda r: requests.append(r.url) if "/library/suggest/" in r.url else None)
    page.get_by_label("事项标题").press_sequentially("开小吃店食品经营许可证办不下来", delay=20)
    box = page.locator("#library-suggestions")
    expect(box).to_be_visible()
    expect(box).to_contain_text("小餐饮店食品经营许可证办不下来")
    expect(box).to_contain_text("当天开业")
    # Debounced: a handful of requests for a whole phrase typed, and none carries the requester's data.
    assert 0 < len(requests) <= 3
    box.get_by_role("button", name="按此案例办理").first.click()
    expect(box.get_by_role("button", name="已选择参照").first).to_be_disabled()
    assert WriteUpReuse.objects.get().writeup_id == writeup.pk
