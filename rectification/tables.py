import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from campaign.paging import Key, Keyset, parse_bool, parse_date, parse_int, parse_str
from campaign.people import person_name
from rectification.models import AccountabilityRecord, SpotCheck, Task, TaskStatus, WarningLevel

STATUS_BADGES = {
    TaskStatus.IN_PROGRESS: "",
    TaskStatus.PENDING_VERIFICATION: "pending",
    TaskStatus.CLOSED: "ok",
}
WARNING_BADGES = {
    WarningLevel.NONE: "ok",
    WarningLevel.YELLOW: "warn",
    WarningLevel.RED: "bad",
    WarningLevel.ESCALATED: "escalated",
}
NUM = {"td": {"class": "num"}, "th": {"class": "num"}}


def status_badge(task):
    return format_html('<span class="badge {}">{}</span>', STATUS_BADGES.get(task.status, ""), task.get_status_display())


def warning_badge(task):
    """The warning level of an open task; closed tasks carry none."""
    if not task.is_open:
        return "—"
    return format_html(
        '<span class="badge {}">{}</span>', WARNING_BADGES.get(task.warning_level, ""), task.get_warning_level_display()
    )


# The sorts a task list offers, each served by an index (keyset pages, campaign.paging):
# worst first (the default, also the warning column's), by due date, by unit. Other
# columns do not sort: at a province's million tasks no index would serve them.
URGENCY = Keyset("urgency", (Key("closed_last", parse_bool), Key("due_date", parse_date), Key("pk", parse_int)))
BY_DUE_DATE = Keyset("due", (Key("due_date", parse_date), Key("pk", parse_int)))
BY_UNIT = Keyset("unit", (Key("unit_path", parse_str), Key("pk", parse_int)))
TASK_SORTS = {
    "": URGENCY,
    "warning_level": URGENCY,
    "-warning_level": URGENCY.reverse(),
    "due_date": BY_DUE_DATE,
    "-due_date": BY_DUE_DATE.reverse(),
    "unit": BY_UNIT,
    "-unit": BY_UNIT.reverse(),
}


class TaskTable(tables.Table):
    """Rows come from ``Task.objects.visible_to(user).with_related().with_urgency()``: no query per row.

    Hidden columns are not shown on the page but go into the .xlsx/.csv export.
    """

    title = tables.Column(verbose_name=_("Task"), linkify=True, orderable=False)
    unit = tables.Column(verbose_name=_("Responsible unit"), accessor="unit__name", order_by=("unit_path", "pk"))
    term = tables.Column(verbose_name=_("Term"), orderable=False)
    due_date = tables.DateColumn(verbose_name=_("Due date"), format="Y-m-d", order_by=("due_date", "pk"))
    status = tables.Column(verbose_name=_("Status"), orderable=False)
    warning_level = tables.Column(verbose_name=_("Warning"), order_by=("closed_last", "due_date", "pk"))
    progress = tables.Column(verbose_name=_("Progress %"), attrs=NUM, orderable=False)
    # export only
    problem = tables.Column(verbose_name=_("Problem"), accessor="problem__title", visible=False)
    category = tables.Column(verbose_name=_("Category"), accessor="problem__category", visible=False)
    batch = tables.Column(verbose_name=_("Batch"), accessor="batch__name", visible=False)
    measures = tables.Column(verbose_name=_("Measures"), visible=False)
    leader_name = tables.Column(verbose_name=_("Responsible leader"), visible=False)
    person_name = tables.Column(verbose_name=_("Responsible person"), visible=False)
    original_due_date = tables.DateColumn(verbose_name=_("Original due date"), format="Y-m-d", visible=False)

    class Meta:
        model = Task
        # Status, warning and progress right after the title: on a phone the
        # table scrolls sideways, and these are what a reader looks for first.
        fields = [
            "title",
            "status",
            "warning_level",
            "progress",
            "due_date",
            "unit",
            "term",
            "problem",
            "category",
            "batch",
            "measures",
            "leader_name",
            "person_name",
            "original_due_date",
        ]
        order_by = ("warning_level",)
        attrs = {"class": "table tasks cards"}
        empty_text = _("No tasks match.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for bound in self.columns:  # a phone shows each row as a card, each cell after its header (static/css/app.css)
            column = bound.column
            column.attrs = {**column.attrs, "td": {**column.attrs.get("td", {}), "data-label": bound.verbose_name}}

    def render_unit(self, record):
        return record.unit.display_name

    def value_unit(self, record):
        return record.unit.name

    def render_term(self, record):
        return record.get_term_display()

    def render_due_date(self, record):
        if record.was_extended:
            return format_html(
                '{} <span class="muted small">({} {})</span>',
                f"{record.due_date:%Y-%m-%d}",
                _("originally"),
                f"{record.original_due_date:%Y-%m-%d}",
            )
        return f"{record.due_date:%Y-%m-%d}"

    # Exports keep dates as dates: Excel sorts and filters them (the CSV writes ISO dates).
    def value_due_date(self, record):
        return record.due_date

    def value_original_due_date(self, record):
        return record.original_due_date

    def render_status(self, record):
        return status_badge(record)

    def value_status(self, record):
        return record.get_status_display()

    def render_warning_level(self, record):
        return warning_badge(record)

    def value_warning_level(self, record):
        return record.get_warning_level_display() if record.is_open else ""

    def render_progress(self, record):
        return format_html(
            '<progress class="minibar" value="{}" max="100" aria-hidden="true"></progress> {}%',
            record.progress,
            record.progress,
        )

    def value_progress(self, record):
        return record.progress

    def value_category(self, record):
        return record.problem.get_category_display()

    def render_category(self, record):
        return record.problem.get_category_display()


def person(user):
    return person_name(user) or "—"


class SpotCheckTable(tables.Table):
    checked_on = tables.DateColumn(
        verbose_name=_("Date"), format="Y-m-d", linkify=("rectification:spotcheck_detail", [tables.A("pk")])
    )
    group = tables.Column(verbose_name=_("Supervision group"), order_by="group__name")
    units = tables.Column(verbose_name=_("Units checked"), empty_values=(), orderable=False)
    finding_count = tables.Column(verbose_name=_("Tasks checked"), attrs={"td": {"class": "num"}, "th": {"class": "num"}})
    failed_count = tables.Column(verbose_name=_("Not passed"), attrs={"td": {"class": "num"}, "th": {"class": "num"}})
    created_by = tables.Column(verbose_name=_("Recorded by"), order_by="created_by__username")

    class Meta:
        model = SpotCheck
        fields = ["checked_on", "group", "units", "finding_count", "failed_count", "created_by"]
        order_by = ("-checked_on",)

    def render_units(self, record):
        return "、".join(unit.display_name for unit in record.units.all())

    value_units = render_units

    def render_created_by(self, value):
        return person(value)

    value_created_by = render_created_by


class AccountabilityTable(tables.Table):
    decided_on = tables.DateColumn(verbose_name=_("Date decided"), format="Y-m-d", attrs={"td": {"class": "nowrap"}})
    unit = tables.Column(verbose_name=_("Unit"), order_by="unit__path", linkify=lambda record: record.unit.get_absolute_url())
    person_name = tables.Column(verbose_name=_("Person"))
    person_post = tables.Column(verbose_name=_("Post"))
    measure = tables.Column(verbose_name=_("Measure"))
    tasks = tables.Column(verbose_name=_("Tasks concerned"), empty_values=(), orderable=False)
    decided_by = tables.Column(verbose_name=_("Decided by"), empty_values=(), order_by="decided_by")
    note = tables.Column(verbose_name=_("Details"), orderable=False)
    document = tables.Column(verbose_name=_("Decision document"), empty_values=(), orderable=False)
    recorded_by = tables.Column(verbose_name=_("Recorded by"), order_by="recorded_by__username")

    class Meta:
        model = AccountabilityRecord
        fields = [
            "decided_on", "unit", "person_name", "person_post", "measure", "tasks", "decided_by", "note", "document",
            "recorded_by",
        ]  # fmt: skip
        order_by = ("-decided_on",)

    def render_decided_by(self, record):
        return record.deciding_body

    value_decided_by = render_decided_by

    def render_document(self, record):
        if not record.document:
            return "—"
        url = reverse("rectification:accountability_document", args=[record.pk])
        return format_html('<a href="{}">{}</a>', url, record.document_name)

    def value_document(self, record):
        return record.document_name

    def render_tasks(self, record):
        return "；".join(task.title for task in record.tasks.all())

    value_tasks = render_tasks

    def render_recorded_by(self, value):
        return person(value)

    value_recorded_by = render_recorded_by

    def value_measure(self, record):
        return record.get_measure_display()
