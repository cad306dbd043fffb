"""Per-unit roll-ups of participation and indicators (issue 10), and the SQL that
spreads a row over every unit above it (rectification.rollups uses it too).

``ParticipationRollup`` and ``IndicatorRollup`` hold, for every unit and
batch, the totals over the unit's whole subtree. They change only when an
administrator edits a participation or an indicator value, or a unit moves:
then the rows of the units above it are counted again (:func:`refresh`, a few
queries under a lock, so that two refreshes never write stale totals).
:func:`rebuild` counts all of them again.

Reading::

    participation_totals(units, batch=None)  -> the keys of ParticipationQuerySet.totals()
    indicator_totals(units, batch=None)      -> [(indicator, value)], as IndicatorValueQuerySet.rollup()
"""

from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Count, F, Max, Sum

from campaign.models.units import PATH_STEP_WIDTH
from campaign.permissions import ancestor_ids

MAX_DEPTH = 255 // (PATH_STEP_WIDTH + 1)
LOCK_KEY = 0x524F4C4C55  # "ROLLU"
PARTICIPATION_SUMS = (
    "members_expected",
    "members_participated",
    "makeup_members",
    "members_transformed",
    "members_handled",
)


def qn(name):
    return connection.ops.quote_name(name)


def columns(model, names):
    return {name: qn(model._meta.get_field(name).column) for name in names}


# --- spreading rows over the units above --------------------------------------------------------


def steps_sql():
    """A derived table of the numbers 0 … MAX_DEPTH - 1 as ``n`` (portable: no VALUES aliases)."""
    return "(" + " UNION ALL ".join(f"SELECT {n} AS n" for n in range(MAX_DEPTH)) + ")"


def ancestor_sql(path_column):
    """The id of the unit at depth ``k.n`` of the path in ``path_column``, as an integer."""
    width = PATH_STEP_WIDTH + 1
    return f"CAST(SUBSTR({path_column}, 2 + {width} * k.n, {PATH_STEP_WIDTH}) AS BIGINT)"


def expansion(inner_sql, value_columns, keys=(), aggregate="SUM"):
    """SELECT (unit id, batch id, *keys, SUM(value) …) over the rows of ``inner_sql``, which
    has ``unit_path``, ``batch_id``, the keys and the values: each row counts for every
    unit on its path. ``aggregate`` may be a list, one function per value column."""
    width = PATH_STEP_WIDTH + 1
    functions = aggregate if isinstance(aggregate, (list, tuple)) else [aggregate] * len(value_columns)
    extra = "".join(f", g.{column}" for column in keys)
    return (
        f"SELECT {ancestor_sql('g.unit_path')}, g.batch_id{extra}, "
        + ", ".join(f"{function}(g.{column})" for function, column in zip(functions, value_columns))
        + f" FROM ({inner_sql}) g JOIN {steps_sql()} k ON LENGTH(g.unit_path) > {width} * k.n + 1"
        + f" GROUP BY {ancestor_sql('g.unit_path')}, g.batch_id{extra}"
    )


def insert(model, names, select_sql, params, constants=None):
    """INSERT INTO ``model``'s table the ``names`` columns from ``select_sql``, the others
    set to ``constants`` ({field: SQL literal}); returns the rows written."""
    constants = constants or {}
    found = columns(model, [*names, *constants])
    target = ", ".join(found[name] for name in (*names, *constants))
    if constants:
        select_sql = f"SELECT x.*, {', '.join(constants.values())} FROM ({select_sql}) x"
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {qn(model._meta.db_table)} ({target}) {select_sql}", params)
        return cursor.rowcount


def locked():
    """Serialise refreshes (PostgreSQL): each then counts what the one before it wrote."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])


# --- participation and indicators ---------------------------------------------------------------


def _participation_rows(participations):
    inner = (
        participations.order_by()
        .values("batch_id", unit_path=F("unit__path"))
        .annotate(units=Count("pk"), **{name: Sum(name) for name in PARTICIPATION_SUMS})
    )
    return inner.query.sql_with_params()


def _indicator_rows(values):
    inner = (
        values.order_by()
        .values("batch_id", "indicator_id", unit_path=F("unit__path"))
        .annotate(total=Sum("value"), count=Count("pk"), maximum=Max("value"))
    )
    return inner.query.sql_with_params()


def _write(participations, values):
    from campaign.models import IndicatorRollup, ParticipationRollup

    inner, params = _participation_rows(participations)
    written = insert(
        ParticipationRollup,
        ["unit", "batch", "units", *PARTICIPATION_SUMS],
        expansion(inner, ["units", *PARTICIPATION_SUMS]),
        params,
    )
    inner, params = _indicator_rows(values)
    written += insert(
        IndicatorRollup,
        ["unit", "batch", "indicator", "total", "count", "maximum"],
        expansion(inner, ["total", "count", "maximum"], keys=("indicator_id",), aggregate=["SUM", "SUM", "MAX"]),
        params,
    )
    return written


def rebuild():
    """Count every unit's participation and indicator totals again; returns the rows written."""
    from campaign.models import IndicatorRollup, IndicatorValue, Participation, ParticipationRollup

    with transaction.atomic():
        locked()
        ParticipationRollup.objects.all().delete()
        IndicatorRollup.objects.all().delete()
        return _write(Participation.objects.all(), IndicatorValue.objects.all())


def refresh(*paths):
    """Count again the totals of every unit on ``paths`` (a unit's path: it and the units above)."""
    from campaign.models import IndicatorRollup, IndicatorValue, Participation, ParticipationRollup, Unit

    unit_ids = sorted({unit_id for path in paths if path for unit_id in ancestor_ids(path)})
    if not unit_ids:
        return
    with transaction.atomic():
        locked()
        ParticipationRollup.objects.filter(unit_id__in=unit_ids).delete()
        IndicatorRollup.objects.filter(unit_id__in=unit_ids).delete()
        for unit in Unit.objects.filter(pk__in=unit_ids).only("pk", "path"):
            # Only this unit's own row: count its subtree, keep the row for it alone.
            inner, params = _participation_rows(Participation.objects.within(unit))
            _insert_for(ParticipationRollup, unit, inner, params, ["units", *PARTICIPATION_SUMS], ["SUM"] * 6, ())
            inner, params = _indicator_rows(IndicatorValue.objects.within(unit))
            _insert_for(
                IndicatorRollup, unit, inner, params, ["total", "count", "maximum"], ["SUM", "SUM", "MAX"], ("indicator_id",)
            )


def _insert_for(model, unit, inner, params, values, functions, keys):
    """One unit's rows: the subtree's rows summed by batch (and keys), written for ``unit``."""
    key_list = "".join(f", g.{key}" for key in keys)
    select_sql = (
        f"SELECT %s, g.batch_id{key_list}, "
        + ", ".join(f"{function}(g.{column})" for function, column in zip(functions, values))
        + f" FROM ({inner}) g GROUP BY g.batch_id{key_list}"
    )
    names = ["unit", "batch", *[key.removesuffix("_id") for key in keys], *values]
    insert(model, names, select_sql, [unit.pk, *params])


def parent_path(path):
    """The path of the unit above the unit at ``path`` ("" for a top-level unit)."""
    return path.rsplit("/", 2)[0] + "/" if path.count("/") > 2 else ""


def unit_moved(sender=None, old_path="", new_path="", **kwargs):
    """A unit moved: the units above its old and its new place count again."""
    refresh(parent_path(old_path), parent_path(new_path))


def participation_changed(sender, instance, **kwargs):
    refresh(instance.unit.path)


# --- reading ------------------------------------------------------------------------------------


def participation_totals(units, batch=None):
    """The totals of ``units``' subtrees (added up), with the keys of
    ``ParticipationQuerySet.totals()``; one query."""
    from campaign.models import ParticipationRollup

    rows = ParticipationRollup.objects.filter(unit__in=list(units))
    if batch is not None:
        rows = rows.filter(batch=batch)
    return rows.aggregate(units=Sum("units", default=0), **{name: Sum(name, default=0) for name in PARTICIPATION_SUMS})


def indicator_totals(units, batch=None):
    """Each indicator's value over ``units``' subtrees, rolled up as its indicator says:
    [(indicator, value)] in the indicators' order, as ``IndicatorValueQuerySet.rollup()``."""
    from campaign.models import Indicator, IndicatorRollup

    rows = IndicatorRollup.objects.filter(unit__in=list(units))
    if batch is not None:
        rows = rows.filter(batch=batch)
    sums = {
        row["indicator"]: row
        for row in rows.values("indicator").annotate(total=Sum("total"), count=Sum("count"), biggest=Max("maximum"))
    }
    result = []
    for indicator in Indicator.objects.filter(pk__in=list(sums)).order_by("order", "code"):
        row = sums[indicator.pk]
        value = {
            "sum": row["total"],
            "max": row["biggest"],
            "avg": row["total"] / row["count"] if row["count"] else Decimal(0),
        }[indicator.rollup]
        result.append((indicator, Decimal(value).quantize(Decimal("0.01"))))
    return result

