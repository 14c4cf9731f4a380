"""The base layout in a real browser: zh-hans by default, login and logout, language switch."""

import pytest
from django.contrib.auth import get_user_model

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_member_logs_in_and_out_in_chinese(live_server, page):
    get_user_model().objects.create_user(username="clerk1", password="s3cret-pass-2026", first_name="小王")
    page.goto(live_server.url + "/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    page.get_by_role("link", name="登录").first.click()
    page.get_by_label("用户名").fill("clerk1")
    page.get_by_label("密码").fill("s3cret-pass-2026")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(live_server.url + "/")
    assert page.locator(".user-name").inner_text() == "小王"
    with page.expect_navigation():
        page.get_by_role("button", name="退出").click()
    assert page.get_by_role("link", name="登录").first.is_visible()


def test_wrong_password_shows_an_error_and_stays_on_the_login_page(live_server, page):
    get_user_model().objects.create_user(username="clerk2", password="s3cret-pass-2026")
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("用户名").fill("clerk2")
    page.get_by_label("密码").fill("wrong-password")
    # The answer comes back to the same URL: wait for the POST's page, not the one already shown.
    with page.expect_navigation():
        page.get_by_role("button", name="登录").click()
    assert "/accounts/login/" in page.url
    assert page.locator(".errorlist").count() >= 1


def test_language_switch_to_english(live_server, page):
    page.goto(live_server.url + "/")
    # Selecting submits the form; wait for that navigation, not just the current page's load state.
    with page.expect_navigation():
        page.select_option("select[name=language]", "en")
    assert page.locator("html").get_attribute("lang") == "en"
