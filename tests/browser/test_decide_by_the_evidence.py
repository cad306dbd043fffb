"""At phone width, a supervisor decides a closing where the evidence is (issue 9).

``staff`` of 明达东路社区 has asked to close the water-main task with a site photo.
``supervisor`` (市委第三督导组) follows the queue's evidence link to the task
page, opens the photo from its thumbnail, and closes the task (予以销号) there.
The task list at the same width shows each task as a card with its due date
and unit.
"""

import io
import re

from playwright.sync_api import expect

TASK = "明达东路社区自来水管网改造"
PHOTO_NAME = "管网更换现场.jpg"


def site_photo():
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (1600, 1200), (70, 110, 150))
    ImageDraw.Draw(image).rectangle((200, 500, 1400, 700), fill=(40, 40, 40))  # a trench
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def ask_to_close():
    from django.contrib.auth import get_user_model
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import timezone

    from rectification import services
    from rectification.models import Task

    staff = get_user_model().objects.get(username="staff")
    task = Task.objects.select_related("unit").get(title=TASK, unit__short_name="明达东路社区")
    photo = SimpleUploadedFile(PHOTO_NAME, site_photo(), content_type="image/jpeg")
    services.add_progress(
        task, staff, entry_date=timezone.localdate(), text="主管道更换完成,已通水。", percent=100, files=[photo]
    )
    services.request_verification(task, staff, "管网更换完成,附现场照片,申请销号。")
    return task


def test_a_supervisor_at_phone_width_opens_the_photo_and_closes_the_task_on_its_page(demo, live_server, login, page):
    task = ask_to_close()
    task_url = task.get_absolute_url()
    page.set_viewport_size({"width": 390, "height": 844})
    width = 390

    login("supervisor")
    page.goto(f"{live_server.url}/rectification/queue/?tab=verifications")
    item = page.locator(".queue-item").filter(has=page.locator(f"a.title[href='{task_url}']"))
    evidence_link = item.locator("[data-testid=queue-evidence]")
    expect(evidence_link).to_have_text(re.compile(r"\d+\s*份佐证材料"))
    evidence_link.click()
    expect(page).to_have_url(f"{live_server.url}{task_url}#evidence")

    # The photo is on the page as a thumbnail; opening it shows the full photo.
    gallery = page.locator("[data-testid=evidence]")
    thumbnail = gallery.locator(f"img.thumbnail[alt='{PHOTO_NAME}']")
    expect(thumbnail).to_be_visible()
    thumbnail.scroll_into_view_if_needed()
    page.wait_for_function("(img) => img.complete && img.naturalWidth > 0", arg=thumbnail.element_handle())
    response = page.request.get(f"{live_server.url}{thumbnail.get_attribute('src')}")
    assert response.status == 200 and response.headers["content-type"] == "image/jpeg"
    expect(gallery).to_contain_text(re.compile(r"\d+ KB"))
    expect(gallery).not_to_contain_text("字节")
    with page.context.expect_page() as opened:
        thumbnail.click()
    photo_page = opened.value
    photo_page.wait_for_load_state()
    assert photo_page.evaluate("document.images.length && document.images[0].naturalWidth") == 1600
    photo_page.close()

    # The decision sits on the task page: 予以销号.
    panel = page.locator("[data-testid=decide-closing]")
    panel.scroll_into_view_if_needed()
    expect(panel).to_contain_text("管网更换完成,附现场照片,申请销号。")
    panel.get_by_label("予以销号").check()
    submit = panel.locator("button[type=submit]")
    submit.scroll_into_view_if_needed()
    expect(submit).to_be_in_viewport()
    box = submit.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= width + 1
    submit.click()
    expect(page.locator("ul.messages")).to_contain_text("该任务已予以销号。")
    expect(page.locator("[data-testid=status-badge]")).to_have_text("已销号")
    expect(page.locator("[data-testid=decide-closing]")).to_have_count(0)
    scroll_width = page.evaluate("document.scrollingElement.scrollWidth")
    assert scroll_width <= width + 1, f"the task page scrolls sideways: {scroll_width}px"

    task.refresh_from_db()
    assert task.status == "closed"

    # The task list at phone width: cards that show the due date and the unit without scrolling sideways.
    page.goto(f"{live_server.url}/rectification/tasks/?status=closed")
    card = page.locator("table.tasks tbody tr").first
    for label in ("整改时限", "责任单位"):
        cell = card.locator(f"td[data-label='{label}']")
        expect(cell).to_be_visible()
        cell_box = cell.bounding_box()
        assert cell_box["x"] >= 0 and cell_box["x"] + cell_box["width"] <= width + 1, (label, cell_box)


def test_the_ledger_fits_a_1280_px_screen_with_long_columns_wrapped(demo, live_server, login, page):
    login("leader")
    page.goto(f"{live_server.url}/ledger/")
    table = page.locator("table.ledger")
    expect(table.locator("th").last).to_have_text("备注")
    fits = page.evaluate(
        "() => { const t = document.querySelector('table.ledger'); return [t.scrollWidth, t.parentElement.clientWidth]; }"
    )
    assert fits[0] <= fits[1] + 1, f"the ledger is cut at 1280 px: {fits[0]}px in {fits[1]}px"
    last = table.locator("th").last.bounding_box()
    assert last["x"] + last["width"] <= 1280, last
