"""The first day of a district's accounts, in the browser.

The city's administrator imports 乌达区's people from a spreadsheet and sees
their initial passwords; the first of them signs in with the one-time
password, is held at the password page until she chooses her own (a weak one
is refused by Django's validators), and then sees 乌达区's tasks and not
another district's.
"""

import io
import re

import openpyxl
from playwright.sync_api import expect

PEOPLE = [
    ("孙丽娟", "13947300001", "", "乌达区", "填报员"),
    ("郭卫东", "13947300002", "WD-002", "新达街道党工委", "填报员"),
    ("白雪", "13947300003", "", "150304-002", "领导"),
]
NEW_PASSWORD = "乌达区-Spring-Lantern-73"


def roster():
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["乌达区账号花名册"])
    sheet.append(["姓名", "手机号", "工号", "单位", "角色"])
    for row in PEOPLE:
        sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_an_imported_person_signs_in_changes_the_password_and_sees_the_districts_tasks(
    demo, live_server, login, page, tmp_path
):
    sheet = tmp_path / "乌达区账号.xlsx"
    sheet.write_bytes(roster())

    # The administrator imports the sheet and reads the first person's initial password.
    login("admin")
    page.click("nav.mainnav >> text=账号管理")
    page.click("[data-testid=provision]")
    page.set_input_files("#id_file", str(sheet))
    page.click("form button[type=submit].primary")
    expect(page.locator("[data-testid=run-status]")).to_have_attribute("data-status", "done")
    expect(page.locator("[data-testid=count-accounts]")).to_have_text("3")
    row = page.locator("[data-testid=run-accounts] tr", has_text="孙丽娟")
    expect(row).to_contain_text("13947300001")
    password = row.locator("td.mono").last.inner_text().strip()
    assert re.fullmatch(r"[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}", password), password
    expect(page.locator("[data-testid=slips]")).to_be_visible()
    page.click("header form[action='/logout/'] button[type=submit]")
    expect(page.locator("#id_username")).to_be_visible()

    # She signs in with it and is held at the password page.
    login("13947300001", password)
    expect(page).to_have_url(re.compile(r"/account/password/"))
    expect(page.locator("[data-testid=forced-change]")).to_be_visible()
    page.goto(f"{live_server.url}/rectification/tasks/")
    expect(page).to_have_url(re.compile(r"/account/password/"))

    page.fill("#id_old_password", password)
    page.fill("#id_new_password1", "12345678")
    page.fill("#id_new_password2", "12345678")
    page.click("form button[type=submit].primary")
    expect(page.locator("main")).to_contain_text("这个密码太常见了")

    page.fill("#id_old_password", password)
    page.fill("#id_new_password1", NEW_PASSWORD)
    page.fill("#id_new_password2", NEW_PASSWORD)
    page.click("form button[type=submit].primary")
    expect(page.locator(".messages")).to_contain_text("密码已修改")
    expect(page.locator("header .who")).to_have_text("孙丽娟")

    # And now the district's tasks are hers to see, another district's are not.
    page.click("nav.mainnav >> text=整改任务")
    expect(page.locator("main")).to_contain_text("明达东路社区高峰时段临时送水")
    expect(page.locator("main")).to_contain_text("宏达煤业公司安全生产隐患整改")
    expect(page.locator("main")).not_to_contain_text("取消外来人口子女入学借读费")
