"""The demo city, loaded once per test session and copied back for each test that reads it.

Loading the demo plays some two hundred workflow steps through the services
and takes seconds; the tests that read it need only its rows. So the first
test that asks for it loads it with ``load_demo`` (committed), the rows of
every table it wrote are copied into tables of their own (``CREATE TABLE …
AS SELECT``, plain SQL that PostgreSQL and SQLite both speak), and the tables
are emptied again: every other test still starts from an empty database.

:meth:`DemoSnapshot.restore` copies the rows back (``INSERT … SELECT``, a few
milliseconds) and moves the id sequences past them:

- inside a test's transaction (the ``db`` fixture), so that whatever the test
  changes is rolled back with it;
- committed, for a live server's other connection (``transactional_db``), whose
  tables pytest-django empties after the test.

The demo's dates count from the day of loading: if the day has changed since
(a run across midnight), the demo is loaded afresh instead.
"""

from io import StringIO

from django.apps import apps
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connection, transaction
from django.utils import timezone

PREFIX = "demo_copy_"


def model_tables():
    return connection.introspection.django_table_names(only_existing=True, include_views=False)


def row_count(table):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")
        return cursor.fetchone()[0]


def copy_name(table):
    name = PREFIX + table
    limit = connection.ops.max_name_length()
    if limit and len(name) > limit:
        raise ValueError(f"{name} is too long a table name for {connection.vendor}")
    return name


class DemoSnapshot:
    def __init__(self, tables, day):
        self.tables = tables  # the tables the demo wrote rows into
        self.day = day

    @classmethod
    def take(cls):
        """Load the demo, copy what it wrote, then empty those tables again."""
        before = {table: row_count(table) for table in model_tables()}
        call_command("load_demo", stdout=StringIO())
        day = timezone.localdate()
        after = {table: row_count(table) for table in before}
        changed = [table for table in before if before[table] and after[table] != before[table]]
        if changed:  # e.g. content types: not ours to copy back and forth
            raise RuntimeError(f"Loading the demo changed tables that were not empty before: {changed}")
        tables = [table for table in before if not before[table] and after[table]]
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            for table in tables:
                cursor.execute(f"CREATE TABLE {quote(copy_name(table))} AS SELECT * FROM {quote(table)}")
        snapshot = cls(tables, day)
        snapshot.empty()
        return snapshot

    def empty(self):
        statements = connection.ops.sql_flush(no_style(), self.tables, allow_cascade=True)  # empty tables that point at them
        connection.ops.execute_sql_flush(statements)

    def restore(self):
        """The demo's rows, as right after loading, in tables that must be empty."""
        if timezone.localdate() != self.day:
            call_command("load_demo", stdout=StringIO())
            return
        quote = connection.ops.quote_name
        with transaction.atomic(), connection.cursor() as cursor:
            for table in self.tables:
                cursor.execute(f"INSERT INTO {quote(table)} SELECT * FROM {quote(copy_name(table))}")
            models = [model for model in apps.get_models(include_auto_created=True) if model._meta.db_table in self.tables]
            for statement in connection.ops.sequence_reset_sql(no_style(), models):
                cursor.execute(statement)

    def drop(self):
        with connection.cursor() as cursor:
            for table in self.tables:
                cursor.execute(f"DROP TABLE {connection.ops.quote_name(copy_name(table))}")
