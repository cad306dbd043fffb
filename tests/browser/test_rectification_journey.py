"""Rectification work in the browser.

``staff`` explains the overdue task of 明达东路社区, records progress with a
photo inline (htmx, no page load) and asks for closing; ``supervisor`` returns
it from the queue with a reason; ``staff`` reads the reason on the task and
finds every step in its timeline. And the task page at phone width.
"""

import re
import struct
import zlib

from playwright.sync_api import expect

TASK = "明达东路社区自来水管网改造"
EXPLANATION = "施工期间气温骤降,8号至11号楼管沟冻土开挖困难,市自来水公司暂停作业五天。"
PROGRESS = "8号至11号楼主管道更换完成约360米,剩余60米本周内完工,已张贴分楼栋停水通知。"
PHOTO_NAME = "明达东路管网更换现场.png"
CLOSING_NOTE = "3号至11号楼供水主管道更换完成,附施工现场照片,申请销号。"
RETURN_REASON = "照片未能反映8号至11号楼恢复供水情况,请补充逐户回访记录后再申请销号。"


def minimal_png():
    """A valid 1×1 PNG (one red pixel): the upload check reads the type from the content."""

    def chunk(tag, data):
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)  # 1×1, 8-bit RGB
    pixels = zlib.compress(b"\x00\xb0\x3a\x2e")  # filter byte, then one pixel
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def the_task():
    from rectification.models import Task

    return Task.objects.select_related("unit").get(title=TASK, unit__short_name="明达东路社区")


def log_out(page):
    page.click("header form[action='/logout/'] button[type=submit]")
    expect(page.locator("#id_username")).to_be_visible()


def test_staff_explain_report_with_photo_ask_closing_supervisor_returns_staff_read_why(
    demo, live_server, login, page, tmp_path
):
    task = the_task()
    task_url = task.get_absolute_url()
    photo = tmp_path / PHOTO_NAME
    photo.write_bytes(minimal_png())

    # 1. The home page and "my units' tasks" list the overdue task that needs an explanation.
    login("staff")
    home_list = page.locator("[data-testid=home-to-explain]")
    expect(home_list.locator(f"a[href='{task_url}#explain']")).to_have_text(TASK)
    home_list.locator("a[href='/rectification/']").click()
    to_explain = page.locator("[data-testid=to-explain]")
    expect(to_explain.locator(f"a[href='{task_url}']")).to_have_text(TASK)
    to_explain.locator(f"a[href='{task_url}']").click()
    expect(page).to_have_url(f"{live_server.url}{task_url}")

    # 2a. The task page asks for the explanation; give it (a full form post).
    expect(page.locator("h1")).to_have_text(TASK)
    expect(page.locator("[data-testid=status-badge]")).to_have_text("整改中")
    callout = page.locator("[data-testid=explain-callout]")
    expect(callout).to_contain_text("该任务已超期，请说明原因")
    callout.locator("#id_explain-reason_code").select_option("objective")
    callout.locator("#id_explain-text").fill(EXPLANATION)
    callout.locator("button[type=submit]").click()
    expect(page.locator("ul.messages")).to_contain_text("原因说明已录入。")
    expect(page.locator("[data-testid=explain-callout]")).to_have_count(0)
    explained = page.locator("#timeline li.kind-explanation").filter(has_text=EXPLANATION)
    expect(explained).to_contain_text("说明超期原因：客观条件限制")

    # 2b. Progress with a photo, through htmx: the page stays, the timeline gains the entry.
    page.evaluate("window.__marker = 1")
    form = page.locator("[data-testid=progress-form]")
    form.locator("#id_progress-percent").fill("85")
    form.locator("#id_progress-text").fill(PROGRESS)
    form.locator("#id_progress-files").set_input_files(str(photo))
    form.locator("button[type=submit]").click()
    expect(page.locator("#progress-panel [role=status]")).to_have_text("整改进展已录入。")
    assert page.evaluate("window.__marker") == 1, "the progress form reloaded the page instead of swapping in htmx"
    expect(page.locator("#progress-panel progress")).to_have_attribute("value", "85")
    expect(page.locator("#id_progress-text")).to_have_value("")  # a blank form for the next entry
    entry = page.locator("#timeline li.kind-progress").first
    expect(entry).to_contain_text(PROGRESS)
    expect(entry).to_contain_text("填报进展：已完成 85%")
    evidence = entry.locator(".evidence a")
    expect(evidence).to_have_text(PHOTO_NAME)
    expect(evidence).to_have_attribute("href", re.compile(r"^/rectification/evidence/\d+/$"))
    download = page.request.get(f"{live_server.url}{evidence.get_attribute('href')}")
    assert download.status == 200
    assert download.headers["content-type"] == "image/png"
    assert download.body() == photo.read_bytes()

    # 3. Ask for closing (申请销号): the badge says it awaits verification.
    page.click("#closing > summary")
    page.fill("#id_closing-note", CLOSING_NOTE)
    page.click("#closing button[type=submit]")
    expect(page.locator("ul.messages")).to_contain_text("已申请销号，督导员将审核佐证材料。")
    expect(page.locator("[data-testid=status-badge]")).to_have_text("待销号审核")
    expect(page.locator("main")).to_contain_text("待销号审核。")
    expect(page.locator("#closing")).to_have_count(0)  # nothing more to ask for
    log_out(page)

    # 4. The supervisor finds the request in the queue and returns it with a reason.
    login("supervisor")
    page.click("nav.mainnav a[href='/rectification/queue/']")
    page.click("[data-testid=tab-verifications]")
    expect(page.locator("[data-testid=tab-verifications][aria-current=page]")).to_be_visible()
    item = page.locator(".queue-item").filter(has=page.locator(f"a.title[href='{task_url}']"))
    expect(item).to_contain_text(CLOSING_NOTE)
    item.locator("input[name=ids]").check()
    page.select_option("#id_action", "return")
    page.fill("#id_note", RETURN_REASON)
    page.click("#bulk-form button[type=submit]")
    expect(page.locator("ul.messages")).to_contain_text("已将 1 项任务退回责任单位。")
    expect(page.locator(f".queue-item a.title[href='{task_url}']")).to_have_count(0)
    log_out(page)

    # 5. Staff open the task: the reason stands out, and the timeline tells every step.
    login("staff")
    page.click("nav.mainnav a[href='/rectification/']")
    page.locator(f"main table a[href='{task_url}']").click()
    expect(page).to_have_url(f"{live_server.url}{task_url}")
    returned = page.locator("[data-testid=returned]")
    expect(returned).to_be_visible()
    expect(returned).to_contain_text("已退回：督导员未予销号")
    expect(returned.locator(".reason")).to_have_text(RETURN_REASON)
    expect(returned).to_contain_text("李振华")
    expect(page.locator("[data-testid=status-badge]")).to_have_text("整改中")

    steps = page.locator("#timeline ol.task-timeline > li")
    expect(steps.nth(0)).to_have_class(re.compile(r"\bkind-decision\b.*\bprominent\b"))
    expect(steps.nth(0)).to_contain_text("退回继续整改")
    expect(steps.nth(0)).to_contain_text(RETURN_REASON)
    expect(steps.nth(0)).to_contain_text("李振华")
    expect(steps.nth(1)).to_have_class(re.compile(r"\bkind-verification\b"))
    expect(steps.nth(1)).to_contain_text("申请销号")
    expect(steps.nth(1)).to_contain_text(CLOSING_NOTE)
    expect(steps.nth(2)).to_have_class(re.compile(r"\bkind-progress\b"))
    expect(steps.nth(2)).to_contain_text(PROGRESS)
    expect(steps.nth(2).locator(".evidence a")).to_have_text(PHOTO_NAME)
    expect(steps.nth(3)).to_have_class(re.compile(r"\bkind-explanation\b"))
    expect(steps.nth(3)).to_contain_text(EXPLANATION)
    for step in range(4):
        expect(steps.nth(step)).to_contain_text("张晓梅" if step else "李振华")

    # What the browser showed is what was stored.
    task.refresh_from_db()
    assert (task.status, task.progress) == ("in_progress", 85)
    assert task.verifications.latest("requested_at").reason == RETURN_REASON


def test_task_page_is_usable_at_phone_width(demo, live_server, login, page):
    task_url = the_task().get_absolute_url()
    page.set_viewport_size({"width": 390, "height": 844})
    login("staff")
    page.goto(f"{live_server.url}{task_url}")
    expect(page.locator("h1")).to_have_text(TASK)

    form = page.locator("[data-testid=progress-form]")
    form.scroll_into_view_if_needed()
    expect(form).to_be_visible()
    expect(form).to_be_in_viewport()
    width = page.evaluate("window.innerWidth")
    for field in ("#id_progress-entry_date", "#id_progress-percent", "#id_progress-text", "#id_progress-files"):
        box = form.locator(field).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width + 1, (field, box, width)
    submit = form.locator("button[type=submit]")
    submit.scroll_into_view_if_needed()
    expect(submit).to_be_in_viewport()
    expect(submit).to_have_text("提交进展")

    scroll_width = page.evaluate("document.scrollingElement.scrollWidth")
    assert scroll_width <= width + 1, f"the page scrolls sideways at phone width: {scroll_width}px in {width}px"


def test_progress_on_a_task_closed_meanwhile_says_so_in_the_panel(demo, live_server, login, page):
    """The server answers 403 with the panel; the page's htmx config swaps it in (the base page's
    config used to shadow the task page's, so the form just stayed on 正在保存…)."""
    from rectification.choices import TaskStatus
    from rectification.models import Task

    task = the_task()
    login("staff")
    page.goto(f"{live_server.url}{task.get_absolute_url()}")
    form = page.locator("[data-testid=progress-form]")
    form.locator("#id_progress-text").fill(PROGRESS)
    Task.objects.filter(pk=task.pk).update(status=TaskStatus.CLOSED)  # closed by someone else meanwhile
    form.locator("button[type=submit]").click()
    expect(page.locator("#task-live [role=alert]")).to_contain_text("该任务已销号")
