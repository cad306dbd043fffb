"""The task list as a background export (campaign.background): the same filters, sort and
columns as the list's own .xlsx/.csv, read a keyset page at a time."""

from django.test import RequestFactory
from django.utils.translation import gettext

from campaign.background import Source, register
from campaign.paging import keyset_chunks
from rectification.filters import TaskFilterSet
from rectification.models import Task
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

    def generate():
        for chunk in keyset_chunks(rows, keyset, CHUNK):
            values = TaskTable(chunk, request=request).as_values()
            next(values)  # the header
            for row in values:
                yield ["" if value is None else value for value in row]

    return Source(title=gettext("Rectification tasks"), header=header, rows=generate(), total=rows.order_by().count())


def connect():
    register("tasks", task_list)
