"""The supervisor's morning on the overdue dashboard (issue 11).

``supervisor`` logs in, sees the overdue counts of 乌达区, goes down to 新达街道 and
明达东路社区, opens the overdue task, goes back, urges two tasks of the street with a
message and a reply deadline, and exports the ranking: the file holds those rows.
Every page visited is audited with axe-core (tests/browser/conftest.py).
"""

import datetime
import io

from openpyxl import load_workbook
from playwright.sync_api import expect

TASK = "明达东路社区自来水管网改造"
MESSAGE = "请于三日内报告整改进度和下一步措施。"


def test_supervisor_drills_down_opens_a_task_urges_two_and_exports_the_ranking(demo, live_server, login, page):
    from campaign.models import Unit
    from rectification.models import Urge

    login("supervisor")
    page.locator("[data-testid=home-dashboard] a.button").click()
    expect(page.locator("h1")).to_contain_text("超期督办看板：中共乌达区委员会")
    expect(page.locator("[data-testid=dashboard-counts] [data-figure=overdue]")).to_have_text("4")

    # down a level, and another
    page.locator("[data-testid=dashboard-children] a", has_text="新达街道").click()
    expect(page.locator("h1")).to_contain_text("新达街道党工委")
    expect(page.locator("[data-testid=breadcrumbs]")).to_contain_text("乌达区")
    street_url = page.url
    page.locator("[data-testid=dashboard-children] a", has_text="明达东路社区").click()
    expect(page.locator("h1")).to_contain_text("明达东路社区党支部")
    expect(page.locator("[data-testid=dashboard-counts] [data-figure=overdue]")).to_have_text("1")

    # the overdue task, and back
    page.locator("[data-testid=overdue-list] a", has_text=TASK).click()
    expect(page.locator("h1")).to_have_text(TASK)
    page.go_back()
    expect(page.locator("h1")).to_contain_text("明达东路社区党支部")

    # up by the breadcrumbs; urge both overdue tasks of the street
    page.locator("[data-testid=breadcrumbs] a", has_text="新达街道").click()
    expect(page).to_have_url(street_url)
    boxes = page.locator("[data-testid=overdue-list] input[name=ids]")
    expect(boxes).to_have_count(2)
    urges = page.locator("[data-testid=overdue-list] tbody tr td:last-child")
    before = [int(text) for text in urges.all_inner_texts()]
    boxes.nth(0).check()
    boxes.nth(1).check()
    page.fill("#id_message", MESSAGE)
    reply_by = datetime.date.today() + datetime.timedelta(days=3)
    page.fill("#id_reply_by", reply_by.isoformat())
    page.locator("[data-testid=urge-submit]").click()
    expect(page.locator("ul.messages")).to_contain_text("已催办2项任务。")
    assert Urge.objects.filter(message=MESSAGE, reply_by=reply_by).count() == 2
    expect(urges.nth(0)).to_have_text(str(before[0] + 1))  # the urge counts on the dashboard
    expect(urges.nth(1)).to_have_text(str(before[1] + 1))

    # the ranking, downloaded
    with page.expect_download() as download:
        page.locator("[data-testid=export-ranking-xlsx]").click()
    sheet = load_workbook(io.BytesIO(open(download.value.path(), "rb").read())).active
    rows = list(sheet.iter_rows(values_only=True))
    names = {Unit.objects.get(short_name=name).name for name in ("明达东路社区", "新达社区")}
    assert rows[0][:3] == ("名次", "单位", "超期")
    assert {row[1] for row in rows[1:]} == names
    assert all(isinstance(row[2], int) and row[2] == 1 for row in rows[1:])


def test_the_dashboard_fits_a_phone_and_its_filters_do_not_overlap(demo, live_server, login, page):
    """On a phone only the wide tables scroll, inside their frames; on a desk the unit field stays in its column."""
    login("supervisor")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/dashboard/")
    expect(page.locator("[data-testid=dashboard-levels]")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the dashboard scrolls sideways on a phone ({width}px)"

    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/dashboard/")
    fields = page.locator("[data-testid=dashboard-filters] .field")
    first, second = fields.nth(0).bounding_box(), fields.nth(1).bounding_box()
    assert first["y"] == second["y"], "the filters are not side by side on a desk"
    unit_input = fields.nth(0).locator("input:visible").first.bounding_box()
    assert unit_input["x"] + unit_input["width"] <= second["x"], "the unit field runs over the next filter"
