"""The summary report: the demo city's figures are the speech's, every figure is checked
against a direct count, a figure without data is left out and listed, nothing is fetched
from outside, no glyph is missing, the first page is not blank."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from campaign.models import Batch, IndicatorValue, Participation, Unit
from public.pdf import RefusedFetch, static_only_fetcher
from rectification.models import Problem, Task, TaskStatus
from reports import documents, facts, numbers, summary
from reports.models import Narrative
from tests.reports import pdfs

pytestmark = pytest.mark.django_db

HEADINGS = ("一、主要做法", "二、工作成效", "三、几点体会")


def city():
    return Unit.objects.get(short_name="乌海市")


def render(unit, **kwargs):
    rendered, figures = documents.make("summary", unit, **kwargs)
    assert rendered.warnings == [], rendered.warnings
    return rendered, figures


def test_numbers_as_the_speech_writes_them():
    assert numbers.money(Decimal("470.00")) == "470"
    assert numbers.money(Decimal("12.35")) == "12.4"
    assert numbers.money(Decimal("0.04")) == "0"
    assert numbers.percent(90) == "90.0%"
    assert numbers.percent(26.32) == "26.3%"
    assert numbers.day(datetime.date(2026, 11, 28)) == "2026年11月28日"
    assert numbers.cn_ordinal(3) == "三" and numbers.cn_ordinal(12) == "十二"


def test_the_demo_citys_summary_carries_the_speechs_figures(demo_city):
    rendered, _figures = render(city())
    text = pdfs.text(rendered.pdf)
    assert "中共乌海市委员会关于保持共产党员先进性教育活动整改工作情况的报告" in text
    for heading in HEADINGS:
        assert heading in text
    for phrase in (
        "列支470万元基层党建工作经费",
        "共投入960万元",
        "选派了51名党建工作指导员",
        "选派了207名党建工作联络员",
        "选派了104名先进性教育活动辅导员",
        "850名非党群众向党组织递交了入党申请书",
        "新发展956名党员",
        "安排41名党员参加了补课",
        "使7名党员得到教育转化",
        "对4名党员进行了组织处理",
    ):
        assert phrase in text, phrase
    assert "亿元,同比" not in text and "万元," not in text.replace("万元,做到", "")


def test_task_figures_equal_direct_counts(demo_city):
    unit = city()
    today = timezone.localdate()
    tasks = Task.objects.filter(unit_path__startswith=unit.path, start_date__lte=today)
    closed = tasks.filter(status=TaskStatus.CLOSED).count()
    problems = Problem.objects.filter(unit__path__startswith=unit.path).count()
    public = Problem.objects.filter(unit__path__startswith=unit.path, source="public").count()
    overdue = tasks.exclude(status=TaskStatus.CLOSED).filter(due_date__lt=today).count()
    rendered, figures = render(unit)
    text = pdfs.text(rendered.pdf)
    assert f"全市共查摆问题{problems}个(群众意见{public}个" in text
    assert f"制定整改措施{tasks.count()}项" in text
    assert f"已销号{closed}项,完成率{numbers.percent(100 * closed / tasks.count())}" in text
    assert f"超期未完成{overdue}项" in text
    assert f"截至{numbers.day(today)}" in text
    # the groups formed, whether or not they have spot-checked yet (the demo city has two)
    assert "全市共组建督导组2个" in text
    assert figures["values"]["tasks"] == tasks.count() and figures["values"]["closed"] == closed
    # Appendix 1: every district's row is its own count.
    for district in Unit.objects.filter(parent=unit, kind="district"):
        n = tasks.filter(unit_path__startswith=district.path).count()
        assert any(row["unit"] == district.short_name and row["tasks"] == n for row in figures["districts"])


def test_a_districts_summary_counts_only_the_district(demo_city):
    wuda = Unit.objects.get(short_name="乌达区")
    batch = Batch.objects.get(number=2)
    f = facts.facts(wuda, batch=batch)
    direct = Task.objects.filter(unit_path__startswith=wuda.path, batch=batch, start_date__lte=f.as_of).count()
    assert f["tasks"] == direct
    rendered, _ = render(wuda, batch=batch)
    text = pdfs.text(rendered.pdf)
    assert "中共乌达区委员会关于保持共产党员先进性教育活动第二批整改工作情况的报告" in text
    assert f"制定整改措施{direct}项" in text
    assert "全区" in text
    assert f["groups"] == 1  # the group watching the district (市委第三督导组)


def test_a_figure_without_data_is_left_out_and_listed(demo_city):
    unit = city()
    IndicatorValue.objects.filter(indicator__code="funds").delete()
    Participation.objects.all().delete()
    from campaign import rollups

    rollups.rebuild()
    f = facts.facts(unit)
    assert f["funds"] is None and f["makeup"] is None
    missing = dict(f.missing)
    assert "funds" in missing and "makeup" in missing and "venues" not in missing
    rendered, _ = render(unit)
    text = pdfs.text(rendered.pdf)
    assert "基层党建工作经费" not in text  # the sentence is gone, not printed with a blank or 0
    assert "补课" not in text
    assert "共投入960万元" in text  # the others stay


def test_the_narrative_is_the_edited_text_and_keeps_its_history(demo_city, django_user_model):
    unit = city()
    user = django_user_model.objects.get(username="leader")
    summary.save_narrative(unit, None, {"practice_2": "我们坚持上下联动,第一稿。"}, {}, user)
    summary.save_narrative(unit, None, {"practice_2": "我们坚持上下联动,协调解决难点问题。"}, {"practice_2": 1}, user)
    with pytest.raises(summary.EditedMeanwhile):
        summary.save_narrative(unit, None, {"practice_2": "旧稿上改的。"}, {"practice_2": 1}, user)
    paragraph = Narrative.objects.get(unit=unit, batch=None, key="practice_2")
    assert [h.text for h in paragraph.history.order_by("history_date")] == [
        "我们坚持上下联动,第一稿。",
        "我们坚持上下联动,协调解决难点问题。",
    ]
    rendered, _ = render(unit)
    text = pdfs.text(rendered.pdf)
    assert "我们坚持上下联动,协调解决难点问题。基层难以解决" in text  # narrative, then the facts


def test_nothing_outside_is_fetched_from_narrative_text(demo_city, django_user_model):
    unit = city()
    hostile = '<img src="file:///etc/passwd"><link rel="stylesheet" href="http://example.com/x.css">file:///etc/passwd'
    summary.save_narrative(unit, None, {"lesson_1": hostile}, {}, None)
    rendered, _ = render(unit)  # no warning: nothing was even tried
    text = pdfs.text(rendered.pdf)
    assert "root:x:0" not in text
    assert "file:///etc/passwd" in text  # printed as the words typed
    fetcher = static_only_fetcher()
    for url in ("file:///etc/passwd", "http://example.com/x.css", "https://127.0.0.1/static/css/report-pdf.css",
                "/static/../../etc/passwd"):
        with pytest.raises(RefusedFetch):
            fetcher.fetch(url)
    assert fetcher.fetch("/static/css/report-pdf.css") is not None


def test_fonts_cover_every_character_and_the_first_page_is_not_blank(demo_city):
    rendered, _ = render(city())
    assert pdfs.uncovered(rendered.pdf) == set()
    assert all("Noto" in name for name in pdfs.fonts(rendered.pdf)), pdfs.fonts(rendered.pdf)
    assert pdfs.first_page_ink(rendered.pdf) > 0.005
    page_texts = pdfs.pages(rendered.pdf)
    assert "第 1 页 共" in page_texts[0].replace("\n", " ") or "第1页共" in page_texts[0].replace(" ", "")
    # The running title heads the pages after the first.
    assert all("整改工作情况的报告" in page.replace("\n", "") for page in page_texts[1:])


def test_figures_as_of_an_earlier_date_are_counted_as_they_stood(demo_city):
    unit = city()
    today = timezone.localdate()
    closed = list(Task.objects.filter(unit_path__startswith=unit.path, status=TaskStatus.CLOSED).order_by("closed_at"))
    assert len(closed) >= 2
    # Close the first of them long ago: as of a day between, only it counts as closed.
    earlier = today - datetime.timedelta(days=60)
    Task.objects.filter(pk=closed[0].pk).update(closed_at=timezone.now() - datetime.timedelta(days=90))
    Task.objects.filter(pk__in=[t.pk for t in closed[1:]]).update(closed_at=timezone.now())
    f = facts.facts(unit, as_of=earlier)
    started = Task.objects.filter(unit_path__startswith=unit.path, start_date__lte=earlier)
    assert f["tasks"] == started.count()
    assert f["closed"] == (1 if closed[0].start_date <= earlier else 0)
    assert f["overdue"] == started.exclude(pk=closed[0].pk).filter(due_date__lt=earlier).count()
    rendered, _ = render(unit, as_of=earlier)
    assert f"截至{numbers.day(earlier)}" in pdfs.text(rendered.pdf)


def test_participation_and_batches_are_told(demo_city):
    rendered, figures = render(city())
    text = pdfs.text(rendered.pdf)
    values = figures["values"]
    assert f"{values['members_participated']}名党员参加了教育活动" in text
    for row in Batch.objects.filter(tasks__isnull=False).distinct():
        n = Task.objects.filter(batch=row, start_date__lte=timezone.localdate()).count()
        assert f"{row.name}整改任务{n}项" in text


def test_todays_figures_are_the_dashboards_roll_ups(demo_city):
    """The report says what the dashboards say for the same scope and date (REPORT-SAMPLE.md)."""
    from rectification import rollups

    unit = city()
    f = facts.facts(unit)
    kept = rollups.figures(unit)
    assert (f["tasks"], f["closed"], f["on_time"], f["overdue"], f["escalated"]) == (
        kept.tasks, kept.closed, kept.closed_on_time, kept.overdue, kept.level_escalated
    )
    assert (f["rate_closed"], f["rate_on_time"]) == (kept.completion_rate, kept.on_time_rate)
    by_child = {(c.unit.short_name or c.unit.name): c for c in rollups.child_figures(unit)}
    for row in f.districts:
        assert (row["tasks"], row["closed"], row["overdue"]) == (
            by_child[row["unit"]].tasks, by_child[row["unit"]].closed, by_child[row["unit"]].overdue
        )
