from django.contrib.auth.decorators import login_required
from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import get_object_or_404, render

from campaign import permissions, rollups, widgets
from campaign.models import Membership, Participation, Role, Unit
from campaign.tree import ancestor_ids_of, nest

SEARCH_LIMIT = 100


def _with_child_count(units):
    children = Unit.objects.filter(parent=OuterRef("pk")).order_by().values("parent").annotate(n=Count("pk")).values("n")
    return units.annotate(child_count=Coalesce(Subquery(children), 0))


@login_required
def unit_tree(request):
    """The tree, opened level by level: the user's outermost units and the units right
    below them; deeper levels are loaded when a unit is opened (:func:`unit_children`).
    A search by name, short name or code shows the matches with the way down to them."""
    visible = Unit.objects.visible_to(request.user).only("id", "name", "short_name", "kind", "path", "depth", "parent")
    query = request.GET.get("q", "").strip()[:100]
    matched_ids = set()
    more = False
    if query:
        found = Q(name__icontains=query) | Q(short_name__icontains=query) | Q(code__iexact=query)
        matches = list(visible.filter(found).order_by("depth", "path")[: SEARCH_LIMIT + 1])
        more = len(matches) > SEARCH_LIMIT
        matches = matches[:SEARCH_LIMIT]
        matched_ids = {unit.pk for unit in matches}
        units = matches + list(visible.filter(pk__in=ancestor_ids_of(matches) - matched_ids))
        roots = nest(units, matched_ids)
    else:
        tops = list(_with_child_count(visible.filter(pk__in=permissions.outermost_unit_ids(request.user))).order_by("path"))
        below = list(_with_child_count(visible.filter(parent__in=tops)).order_by("path"))
        roots = nest(tops + below)
    context = {"roots": roots, "query": query, "match_count": len(matched_ids), "more": more}
    return render(request, "campaign/unit_tree.html", context)


@login_required
def unit_children(request, pk):
    """The units right below a unit of the tree (an HTML fragment for the tree page)."""
    unit = get_object_or_404(Unit.objects.visible_to(request.user), pk=pk)
    children = _with_child_count(unit.children.order_by("path"))
    return render(request, "campaign/_tree_children.html", {"nodes": nest(children)})


@login_required
def unit_detail(request, pk):
    """A unit, its figures over its subtree (read from the roll-ups) and the units below it."""
    visible = Unit.objects.visible_to(request.user)
    unit = get_object_or_404(visible, pk=pk)
    # A visible unit's whole subtree is visible: its children need no further filter.
    staffed = Membership.objects.filter(unit=OuterRef("pk"), role=Role.STAFF, user__is_active=True)
    children = list(_with_child_count(unit.children.order_by("path")).annotate(has_staff=Exists(staffed)))
    participations = Participation.objects.filter(unit=unit).select_related("batch")
    context = {
        "unit": unit,
        "has_staff": Membership.objects.filter(unit=unit, role=Role.STAFF, user__is_active=True).exists(),
        "ancestors": unit.ancestors().filter(pk__in=visible),
        "children": children,
        "participations": participations,
        "may_report": permissions.may(request.user, permissions.REPORT, unit),
        "subtree_totals": rollups.participation_totals([unit]),
        "indicators": rollups.indicator_totals([unit]),
        "administers": permissions.may(request.user, permissions.ADMINISTER, unit),
    }
    return render(request, "campaign/unit_detail.html", context)


@login_required
def unit_search(request):
    """The units a picker offers (campaign.widgets): the source's units matching ``q``."""
    source = widgets.SOURCES.get(request.GET.get("source", ""))
    if source is None:
        raise Http404
    query = request.GET.get("q", "")[:100]
    found = list(widgets.search(source(request.user), query, limit=widgets.SEARCH_LIMIT + 1))
    context = {"units": found[: widgets.SEARCH_LIMIT], "more": len(found) > widgets.SEARCH_LIMIT, "query": query}
    return render(request, "campaign/_unit_search_results.html", context)
