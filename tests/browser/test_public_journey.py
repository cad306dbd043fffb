"""The public's journey on a phone (390 × 844): a member of the public gives an opinion and
keeps the receipt code; staff accept it as a problem; the status page tells the public.
Another member scans a survey's QR code (opens its URL) and answers."""

from playwright.sync_api import expect

OPINION = "明达东路12号楼前的健身器材坏了，孩子玩的时候容易受伤，希望尽快修好。"
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "locale": "zh-CN"}


def test_opinion_to_problem_to_status_and_a_survey_answer_on_a_phone(demo, live_server, browser, login, page):
    from public.models import Opinion, SurveyRound, SurveyTarget
    from rectification.models import Problem

    phone = browser.new_context(**PHONE)
    public = phone.new_page()
    try:
        # 1. The unit's link (as printed on its notice) fixes the unit; no account, no script needed.
        campaign_id = SurveyRound.objects.first().campaign_id
        from campaign.models import Unit

        unit = Unit.objects.get(name="明达东路社区党支部")
        public.goto(f"{live_server.url}/public/c/{campaign_id}/u/{unit.pk}/opinion/")
        expect(public.locator("[data-testid=fixed-unit]")).to_contain_text("明达东路社区党支部")
        width = public.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the page scrolls sideways on a phone ({width}px)"
        public.click("main button[type=submit]")  # empty: told what is missing
        expect(public.locator(".errorlist")).to_contain_text("必填项")
        public.fill("#id_text", OPINION)
        public.fill("#id_phone", "13904739999")
        public.click("main button[type=submit]")
        code = public.locator("[data-testid=receipt-code]").inner_text()
        assert len(code) == 11 and code[5] == "-"
        public.click("text=查看办理情况")
        expect(public.locator("[data-testid=status-label]")).to_have_text("处理中")

        # 2. Staff of the community accept it as a problem of their ledger.
        opinion = Opinion.objects.get(text=OPINION)
        login("staff")
        page.goto(f"{live_server.url}/voice/opinions/")
        page.click(f"text={opinion.receipt_display}")
        expect(page.locator("[data-testid=contact]")).to_contain_text("13904739999")
        form = page.locator("[data-testid=accept-form]")
        form.locator("#id_title").fill("明达东路12号楼健身器材损坏")
        form.locator("#id_category").select_option("livelihood")
        form.locator("button[type=submit]").click()
        expect(page.locator("ul.messages")).to_contain_text("已受理")
        assert Problem.objects.filter(title="明达东路12号楼健身器材损坏", source="public").exists()

        # 3. The public's status page says so, without anyone's name.
        public.reload()
        expect(public.locator("[data-testid=status-label]")).to_have_text("已受理，列入整改问题")
        expect(public.locator("[data-testid=problem]")).to_have_text("明达东路12号楼健身器材损坏")
        assert "张晓梅" not in public.content()

        # 4. Another member scans the survey's QR code: its URL opens the answer page.
        target = SurveyTarget.objects.filter(round__closed_at__isnull=False).first()
        SurveyRound.objects.filter(pk=target.round_id).update(closed_at=None, closes_on="2099-12-31")
        other = browser.new_context(**PHONE).new_page()
        other.goto(f"{live_server.url}/public/s/{target.key}/")
        other.locator("label", has_text="基本满意").click()
        other.fill("#id_comment", "路灯修好了，下水道还要再盯一盯。")
        other.click("main button[type=submit]")
        expect(other.locator("[data-testid=survey-thanks]")).to_be_visible()
        other.reload()
        other.locator("label", has_text="满意").first.click()
        other.click("main button[type=submit]")
        expect(other.locator(".pub-error")).to_contain_text("这台设备已对该单位作答")
        other.context.close()
    finally:
        phone.close()
