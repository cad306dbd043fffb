"""The task list as a background export (campaign.background): the same filters, sort and
columns as the list's own .xlsx/.csv, read a keyset page at a time."""

from django.test import RequestFactory
from django.utils.translation import gettext

from campaign.background import Source, register
from campaign.paging import keyset_chunks
from rectification.filters import TaskFilterSet
from rectification.models import Problem, Task, TaskStatus, Term, WarningLevel
from rectification.tables import TASK_SORTS, TaskTable

CHUNK = 2000


def _request(user, params):
    request = RequestFactory().get("/", params)
    request.user = user
    return request


def task_list(user, params):
    """The tasks ``user`` sees that the list's filters in ``params`` keep, in its sort."""
    filterset = TaskFilterSet(data=params, queryset=Task.objects.visible_to(user).with_related(), user=user)
    rows = filterset.qs if filterset.is_valid() else Task.objects.none()
    rows = rows.with_urgency()
    keyset = TASK_SORTS.get(params.get("sort", ""), TASK_SORTS[""])
    request = _request(user, params)
    header = [str(value) for value in next(iter(TaskTable([], request=request).as_values()))]

    row_of = fast_row()

    def generate():
        for chunk in keyset_chunks(rows, keyset, CHUNK):
            for task in chunk:
                yield row_of(task)

    return Source(title=gettext("Rectification tasks"), header=header, rows=generate(), total=rows.order_by().count())


def fast_row():
    """The values of TaskTable's columns (its ``value_*``) for one task, without the table:
    django-tables2 inspects every cell's function signature, 3–15 ms a row, an hour for a
    million rows. tests/rectification/test_background_exports.py checks that both agree."""
    statuses, levels, terms = dict(TaskStatus.choices), dict(WarningLevel.choices), dict(Term.choices)
    categories = dict(Problem._meta.get_field("category").flatchoices)
    labels = {key: {value: str(label) for value, label in choices.items()} for key, choices in
              (("status", statuses), ("level", levels), ("term", terms), ("category", categories))}  # fmt: skip

    def row(task):
        return [
            task.title,
            labels["status"][task.status],
            labels["level"][task.warning_level] if task.is_open else "",
            task.progress,
            task.due_date,
            task.unit.name,
            labels["term"][task.term],
            task.problem.title,
            labels["category"].get(task.problem.category, task.problem.category),
            task.batch.name,
            task.measures,
            task.leader_name,
            task.person_name,
            task.original_due_date,
        ]

    return row


def connect():
    register("tasks", task_list)
