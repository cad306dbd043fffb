"""Staff log in, see their own unit and not another district's, switch to English and back."""

import re

from playwright.sync_api import expect


def test_staff_sees_own_unit_not_another_district_and_switches_language(demo, live_server, login, page):
    login("staff")
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    expect(page.locator("nav.mainnav")).to_contain_text("单位")
    expect(page.locator("nav.mainnav")).not_to_contain_text("Units")
    expect(page.locator("main")).to_contain_text("明达东路社区党支部")

    page.goto(f"{live_server.url}/campaign/units/")
    tree = page.locator("#unit-tree")
    expect(tree).to_contain_text("中共乌达区委员会")
    page.fill("#tree-q", "明达东路")
    page.press("#tree-q", "Enter")
    expect(page.locator("#unit-tree mark")).to_have_text("明达东路社区党支部")
    page.fill("#tree-q", "海南")
    page.press("#tree-q", "Enter")
    expect(page.locator("main")).not_to_contain_text("中共海南区委员会")

    page.click("[data-testid=lang-en]")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("nav.mainnav")).to_contain_text("Units")
    expect(page.locator("nav.mainnav")).not_to_contain_text("单位")
    page.click("[data-testid=lang-zh-hans]")
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    expect(page.locator("nav.mainnav")).to_contain_text("单位")
    expect(page.locator("header")).to_contain_text(re.compile("English"))


def test_another_districts_unit_page_is_not_found_in_the_browser(demo, live_server, login, page):
    from campaign.models import Unit

    hainan = Unit.objects.get(name="中共海南区委员会")
    login("staff")
    response = page.goto(f"{live_server.url}{hainan.get_absolute_url()}")
    assert response.status == 404
    expect(page.locator("main")).to_contain_text("该页面不存在，或属于您管辖范围以外的单位。")
    expect(page.locator("main")).not_to_contain_text("中共海南区委员会")
