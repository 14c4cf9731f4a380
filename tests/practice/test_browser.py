"""A standing-practice item from recurring problem to done, in a real browser (Playwright driving Debian's
Chromium through live_server): the town supervisor opens the cluster the detector found and makes an item
of it; the responsible office reports progress and then done with evidence; the supervisor accepts it and
the page shows the before/since count."""

import re

import pytest
from playwright.sync_api import expect

from practice.choices import ItemCommand, ItemStatus
from practice.models import PracticeItem
from tests.factories import build_org
from tests.fixtures.browser import give_passwords, log_in, log_out

from .helpers import cluster_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def org(transactional_db):
    org = build_org()
    give_passwords(org, "t1_supervisor", "t1_office_head")
    return org


def test_an_item_goes_from_recurring_problem_to_done(live_server, page, org):
    problem = cluster_in(org, "t1")

    log_in(page, live_server, "t1_supervisor")
    page.get_by_role("link", name="常态建设").click()
    row = page.locator(f'tr[data-problem="{problem.pk}"]')
    expect(row.locator(".window-count")).to_have_text("3")
    row.get_by_role("link", name=problem.title).click()
    expect(page.locator(".problem-cases tbody tr")).to_have_count(3)
    form = page.locator("form.item-create")
    form.get_by_label("整改措施").select_option("guide")
    form.get_by_label("整改内容").fill("修订低保办事指南，列明一次性告知的材料清单。")
    form.get_by_label("责任部门").select_option(label="暨阳街道 · 暨阳街道便民服务中心")
    form.get_by_label("完成时限（工作日）").fill("10")
    form.get_by_role("button", name="立项").click()
    page.wait_for_url(re.compile(r"/practice/items/\d+/$"))
    item = PracticeItem.objects.get()
    expect(page.locator(".message.success")).to_contain_text(item.number)
    expect(page.locator(".item-status")).to_contain_text("待落实")
    expect(page.locator("form.command-cancel")).to_be_visible()
    expect(page.locator("form.command-progress")).to_have_count(0)
    log_out(page)

    log_in(page, live_server, "t1_office_head")
    page.goto(f"{live_server.url}/practice/items/")
    page.get_by_role("link", name=item.number).click()
    progress = page.locator("form.command-progress")
    progress.get_by_label("进展情况").fill("已起草新版指南，征求社区意见。")
    progress.get_by_role("button", name="报告进展").click()
    expect(page.locator(".item-status")).to_contain_text("落实中")
    done = page.locator("form.command-submit")
    done.get_by_label("完成情况").fill("新版办事指南已发布，窗口已按清单一次性告知。")
    done.get_by_label("佐证材料").set_input_files(
        files=[{"name": "指南.txt", "mimeType": "text/plain", "buffer": "低保办事指南（修订版）".encode()}]
    )
    done.get_by_role("button", name="报告完成").click()
    expect(page.locator(".item-status")).to_contain_text("待验收")
    expect(page.locator(".evidence")).to_contain_text("指南.txt")
    expect(page.locator("form.command-accept")).to_have_count(0)
    log_out(page)

    log_in(page, live_server, "t1_supervisor")
    page.goto(f"{live_server.url}/practice/items/{item.pk}/")
    page.locator("form.command-accept").get_by_role("button", name="验收通过").click()
    expect(page.locator(".item-status")).to_contain_text("已完成")
    expect(page.locator(".effect .before")).to_have_text("0")
    expect(page.locator(".effect .since")).to_have_text("0")
    history = page.locator(".item-history li")
    expect(history).to_have_count(4)

    item.refresh_from_db()
    assert item.status == ItemStatus.DONE
    assert list(item.events.values_list("kind", flat=True)) == [
        ItemCommand.CREATE,
        ItemCommand.PROGRESS,
        ItemCommand.SUBMIT,
        ItemCommand.ACCEPT,
    ]
