from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, render

from campaign import widgets
from campaign.models import IndicatorValue, Participation, Unit
from campaign.tree import ancestor_ids_of, nest

# Beyond this many visible units the tree shows only the top levels of the scope;
# deeper units are reached through each unit's page.
TREE_FULL_LIMIT = 1500
TREE_SHALLOW_LEVELS = 2


@login_required
def unit_tree(request):
    visible = Unit.objects.visible_to(request.user).only("id", "name", "short_name", "kind", "path", "depth", "parent")
    query = request.GET.get("q", "").strip()
    matched_ids = set()
    truncated = False
    if query:
        matches = list(visible.filter(Q(name__icontains=query) | Q(short_name__icontains=query))[:500])
        matched_ids = {unit.pk for unit in matches}
        units = matches + list(visible.filter(pk__in=ancestor_ids_of(matches) - matched_ids))
    else:
        total = visible.count()
        if total > TREE_FULL_LIMIT:
            top = visible.order_by("depth").values_list("depth", flat=True).first() or 0
            visible = visible.filter(depth__lte=top + TREE_SHALLOW_LEVELS)
            truncated = True
        units = list(visible)
    context = {
        "roots": nest(units, matched_ids),
        "query": query,
        "match_count": len(matched_ids),
        "truncated": truncated,
    }
    return render(request, "campaign/unit_tree.html", context)


@login_required
def unit_detail(request, pk):
    visible = Unit.objects.visible_to(request.user)
    unit = get_object_or_404(visible, pk=pk)
    children = (
        unit.children.filter(pk__in=visible)
        .annotate(child_count=Count("children", distinct=True))
        .order_by("path")
    )
    participations = Participation.objects.filter(unit=unit).select_related("batch")
    subtree_participation = Participation.objects.within(unit)
    context = {
        "unit": unit,
        "ancestors": unit.ancestors().filter(pk__in=visible),
        "children": children,
        "participations": participations,
        "subtree_totals": subtree_participation.totals(),
        "subtree_unit_count": Unit.objects.subtree(unit).count(),
        "indicators": IndicatorValue.objects.rolled_up(unit),
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
