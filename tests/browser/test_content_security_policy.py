"""Every page works under the Content-Security-Policy: no inline script or
style is refused by the browser (the `page` fixture fails a test on any
violation Chromium reports), for each persona's pages, the Django admin
included, and htmx still swaps content in."""

from playwright.sync_api import expect


def urls_of(persona):
    from django.contrib.auth import get_user_model
    from django.urls import reverse

    from campaign.models import Batch, Campaign, Unit
    from rectification.models import CoordinationRequest, Problem, SpotCheck, Task

    task = Task.objects.filter(unit__short_name="明达东路社区").order_by("pk").first()
    common = [
        reverse("reports:home"),
        reverse("password_change"),
        reverse("rectification:my_tasks"),
        reverse("rectification:task_list"),
        reverse("reports:ledger"),
        reverse("rectification:coordination_inbox"),
        reverse("rectification:notification_list"),
        reverse("campaign:unit_tree"),
        reverse("campaign:participation_list"),
        reverse("campaign:campaign_detail", args=[Campaign.objects.get().pk]),
        Unit.objects.get(name="中共乌达区委员会").get_absolute_url(),
        task.get_absolute_url(),
        reverse("rectification:problem_detail", args=[task.problem_id]),
        reverse("rectification:figures_list") + "?missing=on",
        reverse("rectification:figures_report", args=[task.unit_id, Batch.objects.get(number=2).pk]),
    ]
    if persona == "staff":
        return common + [
            reverse("rectification:ledger_import"),
            reverse("rectification:problem_create"),
            reverse("rectification:coordination_detail", args=[CoordinationRequest.objects.order_by("pk").first().pk]),
        ]
    if persona == "supervisor":
        from public import surveys
        from public.models import SurveyTarget

        supervisor = get_user_model().objects.get(username="supervisor")
        slips = [
            target for target in SurveyTarget.objects.filter(tokens__isnull=False).select_related("round").distinct()
            if surveys.may_manage(supervisor, target.round) and SurveyTarget.objects.visible_to(supervisor).filter(pk=target.pk).exists()
        ]
        assert slips, "the demo's survey with one-time codes is run by the supervisor's group"
        queue = reverse("rectification:queue")
        return common + [
            reverse("public_staff:target_notice", args=[slips[0].pk]),
            reverse("public_staff:target_slips", args=[slips[0].pk]),  # QR codes as data: images
            reverse("public_staff:survey_detail", args=[slips[0].round_id]),
            *(f"{queue}?tab={tab}" for tab in ("overdue", "verifications", "extensions", "explanations")),
            reverse("rectification:spotcheck_list"),
            reverse("rectification:spotcheck_create"),
            reverse("rectification:spotcheck_detail", args=[SpotCheck.objects.order_by("pk").first().pk]),
            reverse("rectification:accountability_list"),
            reverse("rectification:accountability_create"),
            reverse("reports:dashboard"),
            reverse("reports:dashboard") + f"?unit={Unit.objects.get(short_name='新达街道').pk}",
            reverse("rectification:instruction_list"),
        ]
    if persona == "leader":
        return common + [
            reverse("reports:dashboard"),
            reverse("reports:dashboard") + f"?unit={Unit.objects.get(short_name='乌达区').pk}",
            reverse("rectification:instruction_list"),
        ]
    return common + [  # admin
        reverse("public_staff:opinion_queue"),
        reverse("public_staff:plan_list"),
        reverse("public_staff:survey_list"),
        reverse("campaign:unit_import"),
        reverse("campaign:person_list"),
        reverse("campaign:person_detail", args=[get_user_model().objects.get(username="staff").pk]),
        reverse("campaign:provision"),
        reverse("rectification:operations"),
        reverse("rectification:robot_list", args=[Unit.objects.get(name="中共乌达区委员会").pk]),
        reverse("reports:runs"),
        reverse("reports:summary"),
        reverse("admin:index"),
        reverse("admin:rectification_task_changelist"),
        reverse("admin:rectification_task_change", args=[task.pk]),
        reverse("admin:auth_user_changelist"),
        reverse("rectification:problem_detail", args=[Problem.objects.order_by("pk").first().pk]),
    ]


def test_every_page_of_every_persona_runs_under_the_policy(demo, live_server, login, page):
    from tests.browser.conftest import axe_audit

    inaccessible = []
    for persona in ("staff", "supervisor", "leader", "admin"):  # one demo load for all of them
        page.context.clear_cookies()
        login(persona)
        for url in urls_of(persona):
            response = page.goto(f"{live_server.url}{url}")
            assert response.status == 200, f"{persona} {url}: {response.status}"
            assert "script-src 'self'" in response.headers["content-security-policy"]
            if not url.startswith("/admin/"):
                inaccessible += [f"{persona}: {line}" for line in axe_audit(page)]  # as this persona sees it
    assert page.csp_violations == []
    assert not inaccessible, "\n".join(inaccessible)


def test_the_login_error_and_public_pages_run_under_the_policy(demo, live_server, page):
    from django.urls import reverse

    from campaign.models import Campaign

    campaign = Campaign.objects.get()
    public = [reverse("public:index"), reverse("public:opinion_form", args=[campaign.pk]), reverse("public:board", args=[campaign.pk])]
    for url, status in (("/login/", 200), ("/rectification/tasks/999999/", 302), ("/no-such-page/", 404), *((u, 200) for u in public)):
        response = page.goto(f"{live_server.url}{url}")
        assert response.status in (status, 200), f"{url}: {response.status}"
    assert page.csp_violations == []


def test_htmx_swaps_content_in_under_the_policy(demo, live_server, login, page):
    """"Mark as read" is an htmx POST that swaps the notification in place, without a page load."""
    from django.contrib.auth import get_user_model

    from rectification.models import Notification

    staff = get_user_model().objects.get(username="staff")
    unread = Notification.objects.filter(user=staff, read_at__isnull=True).order_by("-created_at", "-pk").first()
    assert unread is not None, "the demo gives staff unread notifications"
    login("staff")
    page.goto(f"{live_server.url}/rectification/notifications/")
    page.evaluate("window.notReloaded = true")
    item = page.locator(f"#notification-{unread.pk}")
    item.locator("[data-testid=mark-read]").click()
    expect(item.locator("[data-testid=mark-read]")).to_have_count(0)
    assert page.evaluate("window.notReloaded") is True  # swapped by htmx, not a new page
    unread.refresh_from_db()
    assert unread.read_at is not None
    assert page.csp_violations == []
