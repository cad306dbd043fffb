"""The overdue dashboard (issue 11): reports.dashboard works it out, this shows it,
exports it (.xlsx/.csv of what it shows, figures as numbers) and takes the urging."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from campaign.exports import FORMATS, csv_response, xlsx_response
from campaign.models import Unit
from campaign.permissions import INSTRUCT, OVERSEE, Refused, has_any, require_any
from rectification import queues
from reports import dashboard as dashboards
from reports.forms import UrgeManyForm

EXPORT_LIMIT = 50_000
# the filters that follow a click down or up the tree (and the exports)
KEPT = ("campaign", "batch", "phase", "term", "category", "kind", "as_of")


def _board(request):
    user = request.user
    require_any(user, OVERSEE)
    form = dashboards.DashboardFilters(request.GET or None, user)
    valid = form.is_valid()
    cleaned = form.cleaned_data if hasattr(form, "cleaned_data") else {}
    raw = request.GET.get("unit", "")
    if raw.isdigit():
        unit = get_object_or_404(Unit, pk=raw)  # build() refuses a unit the user does not oversee
    else:
        unit = cleaned.get("unit")
    board = dashboards.build(
        user, unit, campaign=cleaned.get("campaign"), batch=cleaned.get("batch"), phase=cleaned.get("phase"),
        term=cleaned.get("term") or "", category=cleaned.get("category") or "", kind=cleaned.get("kind") or "",
        as_of=cleaned.get("as_of"),
    )  # fmt: skip
    kept = {name: request.GET[name] for name in KEPT if request.GET.get(name) and name in cleaned}
    return form, valid, board, kept


@login_required
def dashboard(request):
    """The current unit's figures, its children ranked, ageing, at-risk, queues, trends."""
    form, valid, board, kept = _board(request)
    export = request.GET.get("export")
    if export in FORMATS:
        return _export(board, request.GET.get("list", "rows"), export)
    here = {**kept, **({"unit": board.unit.pk} if board.unit is not None else {})}
    context = {
        "form": form,
        "board": board,
        "kept_query": urlencode(kept),
        "here_query": urlencode(here),
        "is_supervisor": queues.is_supervisor(request.user),
        "exports": [
            ("rows", _("Child units")), ("ranking", _("Ranking by count")), ("ranking_share", _("Ranking by share")),
            ("at_risk", _("At-risk tasks")), ("overdue", _("Overdue tasks")),
        ],  # fmt: skip
    }
    if board.live:
        context["at_risk_count"] = board.at_risk_count()
        context["at_risk"] = board.at_risk_list()
        context["overdue"] = board.overdue_list()
        context["urges"] = board.urges_last_week()
        context["queues"] = board.queues()
        context["urge_form"] = UrgeManyForm()
    context["charts"] = {"levels": board.level_chart(), "ageing": board.ageing_chart(), "ranking": board.ranking_chart()}
    context["trend_charts"] = board.trend_charts()
    if not queues.is_supervisor(request.user):
        context["participation"] = board.participation()
        context["indicators"] = board.indicators()
    context["may_instruct"] = has_any(request.user, INSTRUCT)
    context["instructions"] = board.instructions()
    return render(request, "reports/dashboard.html", context)


# --- exports ------------------------------------------------------------------------------


def _row_values(row):
    f = row.figures
    return [
        row.unit.name, f.tasks, f.in_progress, f.pending, f.closed, f.completion_rate, f.on_time_rate, f.level_none,
        f.level_yellow, f.level_red, f.level_escalated, f.unexplained, row.share, f.oldest_overdue_days,
        row.rank_count, row.rank_share,
    ]  # fmt: skip


def export_rows(board, which):
    """(title, [header, *rows]) of one of the dashboard's tables: numbers stay numbers."""
    if which in ("ranking", "ranking_share"):
        ranked = board.by_count if which == "ranking" else board.by_share
        header = [_("Rank"), _("Unit"), _("Overdue"), _("Escalated"), _("Tasks"), _("Overdue share %")]
        rows = [
            [row.rank_count if which == "ranking" else row.rank_share, row.unit.name, row.overdue,
             row.figures.level_escalated, row.figures.tasks, row.share]
            for row in ranked
        ]  # fmt: skip
        return (_("Ranking by count") if which == "ranking" else _("Ranking by share")), [header, *rows]
    if which == "at_risk":
        header = [_("Task"), _("Unit"), _("Start date"), _("Due date"), _("Progress %"), _("Lag (points)"), _("Urges")]
        rows = [
            [t.title, t.unit.name, t.start_date, t.due_date, t.progress, round(t.lag, 1), t.urge_count]
            for t in board.at_risk_list(limit=EXPORT_LIMIT)
        ]
        return _("At-risk tasks"), [header, *rows]
    if which == "overdue":
        header = [_("Task"), _("Unit"), _("Due date"), _("Days overdue"), _("Warning level"), _("Progress %"), _("Urges")]
        rows = [
            [t.title, t.unit.name, t.due_date, (board.today - t.due_date).days, str(t.get_warning_level_display()),
             t.progress, t.urge_count]
            for t in board.overdue_list(limit=EXPORT_LIMIT)
        ]  # fmt: skip
        return _("Overdue tasks"), [header, *rows]
    header = [
        _("Unit"), _("Tasks"), _("In progress"), _("Awaiting verification"), _("Closed"), _("Completion rate %"),
        _("On-time rate %"), _("No warning"), _("Warning"), _("Overdue"), _("Escalated"), _("Overdue without explanation"),
        _("Overdue share %"), _("Oldest overdue (days)"), _("Rank by count"), _("Rank by share"),
    ]  # fmt: skip
    return _("Child units"), [header, *[_row_values(row) for row in board.rows]]


def _export(board, which, export):
    title, rows = export_rows(board, which)
    rows = [[("" if value is None else value) for value in row] for row in rows]
    unit = board.unit.display_name if board.unit is not None else _("My scope")
    filename = f"{unit}-{title}-{board.as_of:%Y%m%d}"
    if export == "csv":
        return csv_response(rows, filename)
    return xlsx_response(rows, filename, title)


# --- urging ----------------------------------------------------------------------------------


@login_required
@require_POST
def dashboard_urge(request):
    """Urge (催办) the ticked tasks at once, with one message and a reply deadline."""
    from rectification import services
    from rectification.models import Task

    queues.require_supervisor(request.user)
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = ""
    back = back or reverse("reports:dashboard")
    form = UrgeManyForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return HttpResponseRedirect(back)
    ids = [int(value) for value in request.POST.getlist("ids") if value.isdigit()]
    tasks = Task.objects.filter(pk__in=ids).order_by("pk")
    if not ids:
        messages.error(request, _("Tick the tasks to urge first."))
        return HttpResponseRedirect(back)
    try:
        urged = services.urge_many(tasks, request.user, form.cleaned_data["message"], form.cleaned_data["reply_by"])
    except (Refused, services.TransitionRefused) as refused:
        messages.error(request, refused.message)
        return HttpResponseRedirect(back)
    messages.success(request, _("%(count)d tasks urged.") % {"count": len(urged)})
    return HttpResponseRedirect(back)


