"""Report runs: asked for through the page, made by the worker's task, progress shown,
downloaded byte for byte, an identical request served at once, failures say why, a
district leader kept to the district by form and by URL, snapshots when a phase ends,
the check page and the narrative form."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from campaign.models import IndicatorValue, Phase, Role, Unit
from campaign import rollups
from reports import runs
from reports.models import Narrative, ReportRun, RunStatus
from tests.conftest import member
from tests.reports import pdfs

pytestmark = pytest.mark.django_db


def unit(short_name):
    return Unit.objects.get(short_name=short_name)


@pytest.fixture
def leader_client(client, demo_city, django_user_model):
    client.force_login(django_user_model.objects.get(username="leader"))
    return client


@pytest.fixture
def wuda_leader(demo_city):
    return member(unit("乌达区"), Role.LEADER, "wuda-leader")


def ask(client, django_capture_on_commit_callbacks, **data):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(reverse("reports:runs"), {"kind": "summary", **data})
    return response, callbacks


def test_a_run_is_made_by_the_worker_and_downloads_the_same_bytes(leader_client, django_capture_on_commit_callbacks):
    city = unit("乌海市")
    response, callbacks = ask(leader_client, django_capture_on_commit_callbacks, unit=city.pk)
    run = ReportRun.objects.get()
    assert response.status_code == 302 and response.url == reverse("reports:run_detail", args=[run.pk])
    assert len(callbacks) == 1  # the worker is asked once the request's transaction commits
    assert run.status == RunStatus.QUEUED and run.requested_by.username == "leader"
    page = leader_client.get(response.url)
    body = page.content.decode()
    assert 'hx-get="%s"' % response.url in body and "排队中" in body

    assert runs.execute(run.pk) == RunStatus.DONE
    assert runs.execute(run.pk) is None  # claimed once
    run.refresh_from_db()
    assert run.progress == 100 and run.figures["values"]["funds"] == "470.00"
    page = leader_client.get(response.url).content.decode()
    assert "hx-get" not in page and reverse("reports:run_download", args=[run.pk]) in page

    first = b"".join(leader_client.get(reverse("reports:run_download", args=[run.pk])).streaming_content)
    second = b"".join(leader_client.get(reverse("reports:run_download", args=[run.pk])).streaming_content)
    assert first == second and first.startswith(b"%PDF")
    assert "列支470万元基层党建工作经费" in pdfs.text(first)
    with run.file.open("rb") as stored:
        assert stored.read() == first


def test_an_identical_request_is_served_the_fresh_run(leader_client, django_capture_on_commit_callbacks):
    city = unit("乌海市")
    ask(leader_client, django_capture_on_commit_callbacks, unit=city.pk)
    run = ReportRun.objects.get()
    runs.execute(run.pk)
    response, callbacks = ask(leader_client, django_capture_on_commit_callbacks, unit=city.pk)
    assert response.url == reverse("reports:run_detail", args=[run.pk]) and not callbacks
    assert ReportRun.objects.count() == 1
    # A changed paragraph is a different report.
    Narrative.objects.create(unit=city, batch=None, key="practice_1", text="新写的一段。")
    ask(leader_client, django_capture_on_commit_callbacks, unit=city.pk)
    assert ReportRun.objects.count() == 2


def test_a_failed_run_says_why(leader_client, django_capture_on_commit_callbacks, monkeypatch):
    from reports import documents

    def broken(*args, **kwargs):
        raise RuntimeError("字体缺失")

    monkeypatch.setattr(documents, "make", broken)
    response, _ = ask(leader_client, django_capture_on_commit_callbacks, unit=unit("乌海市").pk, kind="ledger")
    run = ReportRun.objects.get()
    assert runs.execute(run.pk) == RunStatus.FAILED
    page = leader_client.get(response.url).content.decode()
    assert "字体缺失" in page and "hx-get" not in page
    assert leader_client.get(reverse("reports:run_download", args=[run.pk])).status_code == 404


def test_a_district_leader_stays_in_the_district(client, wuda_leader, django_capture_on_commit_callbacks):
    client.force_login(wuda_leader)
    # By form: another district is not among the units offered or accepted.
    response, callbacks = ask(client, django_capture_on_commit_callbacks, unit=unit("海南区").pk)
    assert response.status_code == 200 and not callbacks and not ReportRun.objects.exists()
    assert "errorlist" in response.content.decode()
    response, _ = ask(client, django_capture_on_commit_callbacks, unit_search="海南区")
    assert response.status_code == 200 and not ReportRun.objects.exists()
    page = client.get(reverse("reports:summary"), {"unit": unit("海南区").pk}).content.decode()
    assert "narrative-form" not in page
    # By URL: another district's run is not there.
    other, _ = runs.request_run(None, "summary", unit("海南区"), queue=lambda pk: None)
    runs.execute(other.pk)
    assert client.get(reverse("reports:run_detail", args=[other.pk])).status_code == 404
    assert client.get(reverse("reports:run_download", args=[other.pk])).status_code == 404
    # The district's own report is theirs.
    response, _ = ask(client, django_capture_on_commit_callbacks, unit=unit("乌达区").pk)
    own = ReportRun.objects.get(unit__short_name="乌达区")
    assert response.url == reverse("reports:run_detail", args=[own.pk])
    runs.execute(own.pk)
    assert client.get(reverse("reports:run_download", args=[own.pk])).status_code == 200
    listed = client.get(reverse("reports:runs")).content.decode()
    assert reverse("reports:run_detail", args=[own.pk]) in listed
    assert reverse("reports:run_detail", args=[other.pk]) not in listed


def test_the_check_page_lists_figures_without_data(leader_client):
    IndicatorValue.objects.filter(indicator__code="venues").delete()
    rollups.rebuild()
    page = leader_client.get(reverse("reports:summary")).content.decode()
    assert 'data-figure="venues"' in page
    assert 'data-figure="funds"' not in page


def test_the_as_of_date_is_filled_in_as_the_date_field_reads_it(leader_client):
    """A Chinese page formats dates 2026/12/01, which a date field throws away: it must be 2026-12-01."""
    today = timezone.localdate().isoformat()
    for name in ("reports:summary", "reports:runs"):
        page = leader_client.get(reverse(name)).content.decode()
        assert f'type="date" name="as_of" value="{today}"' in page, name
    day = (timezone.localdate() - datetime.timedelta(days=3)).isoformat()
    board = leader_client.get(reverse("reports:dashboard"), {"as_of": day}).content.decode()
    assert f'type="date" name="as_of" value="{day}"' in board


def test_the_narrative_form_saves_and_keeps_what_was_typed_on_a_clash(leader_client):
    url = reverse("reports:summary")
    page = leader_client.get(url)
    form = page.context["form"]
    data = {name: (field.initial if field.initial is not None else "") for name, field in form.fields.items()}
    data["practice_1"] = "我们的第一段话。"
    response = leader_client.post(url, data)
    assert response.status_code == 302
    assert Narrative.objects.get(key="practice_1").text == "我们的第一段话。"
    # Someone else saves meanwhile; this editor's older form clashes and keeps the typed text.
    paragraph = Narrative.objects.get(key="practice_1")
    paragraph.text, paragraph.version = "别人改过。", 2
    paragraph.save()
    data["practice_1"] = "我基于旧稿的修改。"
    data["practice_1__version"] = 1
    response = leader_client.post(url, data)
    assert response.status_code == 200
    body = response.content.decode()
    assert "我基于旧稿的修改。" in body and "errorlist" in body
    assert Narrative.objects.get(key="practice_1").text == "别人改过。"


def test_a_snapshot_is_made_when_a_phase_ends(demo_city):
    today = timezone.localdate()
    phase = Phase.objects.order_by("pk").first()
    Phase.objects.filter(pk=phase.pk).update(end_date=today - datetime.timedelta(days=1))
    queued = []
    made = runs.snapshot_ended_phases(today=today, queue=queued.append)
    again = runs.snapshot_ended_phases(today=today, queue=queued.append)
    assert queued == [run.pk for run in made]
    assert len(made) >= 1 and again == []
    run = next(r for r in made if r.batch_id == phase.batch_id)
    assert run.snapshot and run.as_of == today - datetime.timedelta(days=1) and run.kind == "summary"
    assert run.unit == phase.batch.campaign.issuing_unit
    assert runs.execute(run.pk) == RunStatus.DONE


def test_the_summary_downloads_as_word_with_the_figures(leader_client):
    import io

    from docx import Document

    wuda = unit("乌达区")
    response = leader_client.get(reverse("reports:summary_docx"), {"unit": wuda.pk})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.wordprocessingml")
    text = "\n".join(p.text for p in Document(io.BytesIO(response.content)).paragraphs)
    assert "中共乌达区委员会关于保持共产党员先进性教育活动整改工作情况的报告" in text
    for heading in ("一、主要做法", "二、工作成效", "三、几点体会"):
        assert heading in text
    # The summary page links to it for its own scope.
    page = leader_client.get(reverse("reports:summary"), {"unit": wuda.pk}).content.decode()
    assert reverse("reports:summary_docx") + f"?unit={wuda.pk}" in page.replace("&amp;", "&")


def test_a_district_leader_gets_no_word_file_of_another_district(client, wuda_leader):
    client.force_login(wuda_leader)
    assert client.get(reverse("reports:summary_docx"), {"unit": unit("海南区").pk}).status_code == 404
    assert client.get(reverse("reports:summary_docx"), {"unit": unit("乌达区").pk}).status_code == 200


def test_the_celery_tasks_render_a_run_and_record_the_snapshot_job(demo_city, django_capture_on_commit_callbacks):
    from rectification.models import JobRun
    from reports import tasks

    run, reused = runs.request_run(None, "circular", unit("乌海市"), queue=lambda pk: None, number="乌教活办〔2026〕3号")
    assert not reused
    assert tasks.render_report(run.pk) == RunStatus.DONE
    run.refresh_from_db()
    assert run.figures["warnings"] == [] and run.figures["number"] == "乌教活办〔2026〕3号"
    assert "乌教活办〔2026〕3号" in pdfs.text(run.file.open("rb").read())
    Phase.objects.filter(pk=Phase.objects.order_by("pk").first().pk).update(
        end_date=timezone.localdate() - datetime.timedelta(days=1)
    )
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        changes = tasks.snapshot_ended_phases()
    assert changes["snapshots"] >= 1 and len(callbacks) == changes["snapshots"]
    assert JobRun.objects.filter(name="reports.snapshot_ended_phases", ok=True).exists()
