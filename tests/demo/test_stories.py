"""The demo's data files (demo/data/*.yaml): what they hold, and what a mistake in them says."""

import shutil
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from campaign.models import Unit
from demo import stories

LEDGER_HEAD = """\
actors: {clerk: staff, verifiers: [supervisor, inspector], office: admin}
problems:
  - title: 村务公开不及时
    unit: 乌兰淖尔村
    batch: 2
    source: public
    category: conduct
    found_days_ago: 80
    tasks:
      - title: 修订村务公开制度
        unit: 乌兰淖尔村
        term: short
        start_day: -70
        due_day: -10
        person: 苏和
        measures: 修订制度
        steps:
"""


@pytest.fixture
def folder(tmp_path, monkeypatch):
    """A copy of demo/data that a test may spoil; the loaders read it."""
    for path in stories.DATA.glob("*.yaml"):
        shutil.copy(path, tmp_path)
    monkeypatch.setattr(stories, "DATA", tmp_path)
    return tmp_path


def with_steps(folder, steps):
    (folder / "ledger.yaml").write_text(LEDGER_HEAD + steps, encoding="utf-8")


def replace(folder, name, old, new):
    path = folder / name
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def error(read, folder):
    with pytest.raises(stories.DemoDataError) as caught:
        read(folder)
    return str(caught.value)


def test_the_files_hold_the_speechs_figures():
    city = stories.city()
    totals = {
        code: sum(value for by_unit in batches.values() for value in by_unit.values())
        for code, batches in city.indicator_values.items()
    }
    look_back = [sum(figures) for figures in zip(*city.look_back.values(), strict=True)]

    assert totals == {
        "funds": 470, "venues": 960, "instructors": 51, "liaisons": 207, "counsellors": 104,
        "applications": 850, "new_members": 956,
    }  # fmt: skip
    assert look_back == [41, 7, 4]
    assert [user.username for user in city.users] == ["staff", "supervisor", "inspector", "leader", "admin"]


def test_the_ledger_names_every_step_the_loader_plays():
    actions = set()

    def collect(tasks):
        for task in tasks:
            actions.update(step.action for step in task.steps)
            collect(task.subtasks)

    for problem in stories.ledger().problems:
        collect(problem.tasks)
    assert actions == {
        "progress", "explain", "review", "ask_closing", "approve", "send_back", "ask_extension",
        "decide_extension", "urge", "coordinate", "reply", "resolve", "spot_check", "accountability",
    }  # fmt: skip


def test_a_misspelt_field_is_named_with_its_problem_task_and_step(folder):
    with_steps(folder, "          - {do: progress, days_ago: 40, percnt: 50, text: 草案已形成}\n")

    message = error(stories.ledger, folder)

    assert message.startswith("ledger.yaml, problem “村务公开不及时” › task “修订村务公开制度”, step 1")
    assert "percnt" in message


def test_a_unit_missing_from_the_tree_is_named(folder):
    replace(folder, "ledger.yaml", "unit: 市国税局", "unit: 市地税局")

    assert "no unit called “市地税局” in units.yaml" in error(stories.ledger, folder)


def test_a_choice_that_does_not_exist_lists_the_ones_that_do(folder):
    replace(folder, "ledger.yaml", "term: long", "term: forever")

    message = error(stories.ledger, folder)
    assert "term: “forever” is not one of: immediate, short, long" in message


def test_an_answer_without_its_question_is_refused(folder):
    with_steps(folder, "          - {do: approve, days_ago: 3}\n")

    assert "“approve” needs an earlier “ask closing” step" in error(stories.ledger, folder)


def test_an_unknown_step_lists_the_known_ones(folder):
    with_steps(folder, "          - {do: celebrate, days_ago: 3}\n")

    message = error(stories.ledger, folder)
    assert "unknown step “celebrate”" in message and "ask closing" in message


def test_a_spot_check_of_a_task_not_in_the_ledger_is_refused(folder):
    with_steps(folder, """\
          - do: spot check
            days_ago: 5
            units: [乌兰淖尔村]
            summary: 抽查
            findings:
              - {task: 不存在的任务, unit: 乌兰淖尔村, passed: false, new_due_day: 20}
""")

    assert "no task “不存在的任务” of 乌兰淖尔村 in ledger.yaml" in error(stories.ledger, folder)


def test_a_unit_code_written_as_a_number_asks_for_quotes(folder):
    replace(folder, "units.yaml", 'code: "150300"', "code: 150300")

    assert 'units.yaml, code: expected text (put it in quotes if it is a number), found 150300' in error(
        stories.city, folder
    )


def test_a_user_of_the_supervision_group_must_exist(folder):
    replace(folder, "people.yaml", "members: [supervisor]", "members: [supervisr]")

    assert "no user “supervisr” in people.yaml" in error(stories.city, folder)


def test_not_valid_yaml_is_said_so(folder):
    replace(folder, "campaign.yaml", "batches:", "batches: [")

    assert error(stories.city, folder).startswith("campaign.yaml: not valid YAML")


@pytest.mark.django_db
def test_the_command_writes_nothing_when_a_file_is_wrong(folder):
    replace(folder, "ledger.yaml", "do: ask closing", "do: ask for closing")

    with pytest.raises(CommandError, match="unknown step “ask for closing”"):
        call_command("load_demo", stdout=StringIO())
    assert not Unit.objects.exists()
