"""Units report their figures, at phone width: ``staff`` of 明达东路社区 opens the unit's
page, follows "填报数据" for the second batch, finds the 五查五看 checklist, reports one
check still open with a note, and finds the figures kept (and the page fits the phone)."""

from django.urls import reverse
from playwright.sync_api import expect

NOTE = "长效机制制度文本已起草，待支部党员大会讨论通过。"


def test_staff_report_the_five_checks_on_a_phone(demo, live_server, login, page):
    from campaign.models import Batch, FigureReport, Participation, Unit

    unit = Unit.objects.get(short_name="明达东路社区")
    second = Batch.objects.get(number=2)
    page.set_viewport_size({"width": 390, "height": 844})
    login("staff")
    page.goto(f"{live_server.url}{reverse('campaign:unit_detail', args=[unit.pk])}")
    link = page.locator("[data-testid=report-figures-link]").first
    expect(link).to_have_text("填报数据")
    link.click()
    expect(page.locator("h1")).to_contain_text("明达东路社区")
    checks = page.locator("[data-testid=five-checks]")
    expect(checks).to_contain_text("长效机制")
    expect(checks.locator("input[name=check_mechanisms]")).to_be_checked()
    checks.locator("input[name=check_mechanisms]").uncheck()
    page.locator("#id_look_back_note").fill(NOTE)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), "the form is wider than the phone"
    page.locator("[data-testid=report-figures]").click()
    expect(page.locator("ul.messages")).to_contain_text("数据已填报")
    expect(page.locator("[data-testid=report-status]")).to_contain_text("已填报")
    expect(page.locator("[data-testid=five-checks] input[name=check_mechanisms]")).not_to_be_checked()
    expect(page.locator("#id_look_back_note")).to_have_value(NOTE)
    participation = Participation.objects.get(unit=unit, batch=second)
    assert not participation.check_mechanisms and participation.checks_done == 4
    assert FigureReport.objects.get(unit=unit, batch=second).reported_by.username == "staff"
