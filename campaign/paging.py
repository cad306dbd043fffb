"""Lists that stay fast at any size (issue 10): keyset pages and counts that stop.

**Keyset pages.** A page is "the next ``per_page`` rows after this one", found
with a row comparison on the list's sort key, ``(a, b, id) > (x, y, z)``, which
an index on ``(a, b, id)`` answers by seeking: page 20,000 costs what page 1
costs, where ``OFFSET 500000`` reads half a million rows. The position travels
in the URL as an opaque ``cursor`` (the sort key of the row it starts after,
and how many rows came before, so rows keep their numbers); a cursor that
does not decode is the first page.

**Counts that stop.** :func:`capped_count` counts at most ``cap`` rows and
says so ("1,000+"); a list whose exact count is known another way (the
roll-ups) passes it instead.
"""

import base64
import datetime
import json
from dataclasses import dataclass, field

from django.db.models import BooleanField, Expression, F
from django.utils.translation import gettext as _

COUNT_CAP = 1000


# --- counting -----------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Tally:
    """A number of rows, exact or at least ``value`` (``capped``)."""

    value: int
    capped: bool = False

    def __str__(self):
        return f"{self.value:,}+" if self.capped else f"{self.value:,}"

    def __int__(self):
        return self.value

    def __bool__(self):
        return self.value > 0

    def __eq__(self, other):
        if isinstance(other, int) and not isinstance(other, bool):
            return not self.capped and self.value == other
        if isinstance(other, Tally):
            return (self.value, self.capped) == (other.value, other.capped)
        return NotImplemented

    def __hash__(self):
        return hash((self.value, self.capped))


def capped_count(queryset, cap=None):
    """How many rows ``queryset`` has, counting no further than ``cap`` (COUNT_CAP; one query)."""
    cap = COUNT_CAP if cap is None else cap
    count = queryset.order_by()[: cap + 1].count()
    return Tally(cap, True) if count > cap else Tally(count)


# --- keyset pages -------------------------------------------------------------------------------


class RowCompare(Expression):
    """``(e1, e2, …) > (v1, v2, …)`` (or ``<``): a row comparison an index on (e1, e2, …) seeks to."""

    output_field = BooleanField()

    def __init__(self, expressions, operator, values):
        super().__init__()
        self.expressions = [F(e) if isinstance(e, str) else e for e in expressions]
        self.operator = operator
        self.values = list(values)

    def get_source_expressions(self):
        return self.expressions

    def set_source_expressions(self, expressions):
        self.expressions = expressions

    def as_sql(self, compiler, connection):
        parts, params = [], []
        for expression in self.expressions:
            sql, expression_params = compiler.compile(expression)
            parts.append(sql)
            params.extend(expression_params)
        placeholders = ", ".join(["%s"] * len(self.values))
        return f"({', '.join(parts)}) {self.operator} ({placeholders})", [*params, *self.values]


@dataclass(frozen=True)
class Key:
    """One column of a sort key: an annotation or field name, and how to read its value back."""

    name: str
    parse: object = None  # value from JSON -> Python; None: as is


def parse_date(value):
    return datetime.date.fromisoformat(value)


@dataclass(frozen=True)
class Keyset:
    """A sort key (all columns in one direction, the last one unique: the primary key),
    named so that a cursor of another sort is refused."""

    name: str
    keys: tuple
    descending: bool = False

    def reverse(self):
        return Keyset(f"-{self.name}", self.keys, not self.descending)

    @property
    def names(self):
        return [key.name for key in self.keys]

    def ordering(self, backwards=False):
        down = self.descending != backwards
        return [f"-{name}" if down else name for name in self.names]

    def values_of(self, row):
        return [getattr(row, name) for name in self.names]


def encode_cursor(keyset, values, offset):
    def plain(value):
        return value.isoformat() if isinstance(value, (datetime.date, datetime.datetime)) else value

    text = json.dumps([keyset.name, [plain(value) for value in values], offset], separators=(",", ":"), ensure_ascii=False)
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(cursor, keyset):
    """(values, offset) of a cursor, or None when it does not decode for this key."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        name, values, offset = json.loads(base64.urlsafe_b64decode(padded.encode()).decode())
        if name != keyset.name or len(values) != len(keyset.keys) or not isinstance(offset, int) or offset < 0:
            return None
        return [key.parse(value) if key.parse and value is not None else value for key, value in zip(keyset.keys, values)], offset
    except (ValueError, TypeError, UnicodeDecodeError):
        return None


@dataclass
class KeysetPage:
    """One page of rows: ``object_list``, numbered from ``start`` (1-based), and the
    cursors of the pages before and after it (None at either end)."""

    object_list: list
    start: int
    per_page: int
    next_cursor: str | None = None
    previous_cursor: str | None = None
    count: Tally | None = None
    is_first: bool = True
    extra: dict = field(default_factory=dict)

    @property
    def end(self):
        return self.start + len(self.object_list) - 1

    @property
    def has_next(self):
        return self.next_cursor is not None

    @property
    def has_previous(self):
        return self.previous_cursor is not None

    @property
    def has_other_pages(self):
        return self.has_next or self.has_previous

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self):
        return len(self.object_list)


def keyset_page(queryset, keyset, cursor=None, per_page=25, backwards=False, count=None):
    """The page of ``queryset`` after ``cursor`` (before it when ``backwards``), in ``keyset``'s order.

    ``cursor`` is what a previous page's ``next_cursor`` or ``previous_cursor``
    said; ``backwards`` is true for a ``previous_cursor``. One query of
    ``per_page + 1`` rows, whatever the page."""
    decoded = decode_cursor(cursor, keyset) if cursor else None
    rows = queryset
    offset = 0
    if decoded is not None:
        values, offset = decoded
        after = ">" if keyset.descending == backwards else "<"
        rows = rows.filter(RowCompare(keyset.names, after, values))
    rows = list(rows.order_by(*keyset.ordering(backwards))[: per_page + 1])
    more = len(rows) > per_page
    rows = rows[:per_page]
    if backwards:
        rows.reverse()
        start = max(offset - len(rows), 0) + 1
        is_first = not more
        has_next = True
    else:
        start = offset + 1
        is_first = decoded is None
        has_next = more
    page = KeysetPage(object_list=rows, start=start, per_page=per_page, count=count, is_first=is_first)
    if rows and has_next:
        page.next_cursor = encode_cursor(keyset, keyset.values_of(rows[-1]), start - 1 + len(rows))
    if rows and not is_first:
        page.previous_cursor = encode_cursor(keyset, keyset.values_of(rows[0]), start - 1)
    return page


def keyset_chunks(queryset, keyset, size=2000):
    """Every row of ``queryset`` in ``keyset``'s order, read ``size`` rows at a time (one
    keyset page per query), so that a large export holds one chunk in memory, not the whole list."""
    cursor = None
    while True:
        page = keyset_page(queryset, keyset, cursor=cursor, per_page=size)
        yield page.object_list
        if not page.next_cursor:
            return
        cursor = page.next_cursor


def describe(page):
    """“Rows 26–50 of 1,000+” for the page's heading line."""
    if not page.object_list:
        return _("No rows.")
    rows = {"start": page.start, "end": page.end}
    if page.count is None or (page.count.capped and page.end > page.count.value):
        return _("Rows %(start)s–%(end)s") % rows
    if page.count.capped:
        return _("Rows %(start)s–%(end)s of more than %(count)s") % {**rows, "count": page.count.value}
    return _("Rows %(start)s–%(end)s of %(count)s") % {**rows, "count": page.count.value}


def parse_int(value):
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("not an integer")
    return value


def parse_bool(value):
    if not isinstance(value, bool):
        raise ValueError("not a boolean")
    return value


def parse_str(value):
    if not isinstance(value, str):
        raise ValueError("not a string")
    return value


PAGE_PARAMETERS = ("cursor", "back", "page")


class KeysetListMixin:
    """For django-tables2 list views: the table shows one keyset page of the (filtered)
    rows, sorted by ``?sort=`` among ``keysets`` ({sort parameter: Keyset}; "" is the
    default), with ``page`` (a :class:`KeysetPage` carrying its links) in the context.
    ``list_count(rows)`` says how many rows there are (capped by default)."""

    keysets = {}
    per_page = 25

    def get_table_pagination(self, table):
        return False

    def sort_parameter(self):
        return sort_parameter(self.request, self.keysets)

    def keyset_rows(self, rows):
        """The rows to page through (annotate what the sort keys need here)."""
        return rows

    def list_count(self, rows):
        return capped_count(rows)

    def get_table_data(self):
        rows = self.keyset_rows(super().get_table_data())
        self.page = paged(self.request, rows, self.keysets, count=self.list_count(rows), per_page=self.per_page)
        return self.page.object_list

    def get_table_kwargs(self):
        kwargs = super().get_table_kwargs()
        kwargs["order_by"] = self.sort_parameter() or None
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["page"] = self.page
        return context


def sort_parameter(request, keysets):
    sort = request.GET.get("sort", "")
    return sort if sort in keysets else ""


def paged(request, rows, keysets, count=None, per_page=25):
    """The keyset page of ``rows`` that the request asks for (``?sort``, ``?cursor``, ``?back``), with its links."""
    page = keyset_page(
        rows,
        keysets[sort_parameter(request, keysets)],
        cursor=request.GET.get("cursor"),
        backwards=request.GET.get("back") == "1",
        per_page=per_page,
        count=count,
    )
    set_links(page, request)
    return page


def set_links(page, request):
    """The query strings of the first, previous and next pages, keeping every other parameter."""
    base = request.GET.copy()
    for name in (*PAGE_PARAMETERS, "export"):
        base.pop(name, None)
    page.first_query = base.urlencode()
    if page.previous_cursor:
        previous = base.copy()
        previous["cursor"], previous["back"] = page.previous_cursor, "1"
        page.previous_query = previous.urlencode()
    if page.next_cursor:
        following = base.copy()
        following["cursor"] = page.next_cursor
        page.next_query = following.urlencode()
    page.description = describe(page)
