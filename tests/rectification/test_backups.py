"""`make backup` / `make restore`: one archive with the database and the stored
files, restored into an empty database with the same row counts and the same
file checksums; a database that is not empty is refused.

PostgreSQL: this run's test database is dumped (pg_dump) and restored into a
new database made here; the restore runs as `manage.py restore` in a
subprocess with a fresh VAR_DIR (so a fresh media folder). SQLite (the
embedded shape): both sides are subprocesses with VAR_DIRs of their own.
"""

import hashlib
import os
import sqlite3
import uuid
from pathlib import Path

import psycopg2
import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection

from rectification import services
from rectification.models import Evidence, ProgressUpdate, Task
from tests.conftest import without_production_services
from tests.rectification.conftest import png_bytes
from tests.test_deployment import environment, run

pytestmark = pytest.mark.slow

COUNTED = ("auth_user", "campaign_unit", "rectification_task", "rectification_progressupdate", "rectification_evidence")


def sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def evidence_on(task, user):
    photo = SimpleUploadedFile("现场照片.png", png_bytes() + os.urandom(2048))
    services.add_progress(task, user, entry_date=task.start_date, text="管网改造完成一半", percent=50, files=[photo])
    return Evidence.objects.get(task=task)


@pytest.fixture
def empty_postgres_database():
    db = connection.settings_dict
    if db["ENGINE"] != "django.db.backends.postgresql":
        without_production_services("the PostgreSQL round trip needs DATABASE_URL (CI sets it)")
    name = f"restore_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    params = {"host": db["HOST"] or "127.0.0.1", "port": db["PORT"] or 5432, "user": db["USER"], "password": db["PASSWORD"]}
    admin = psycopg2.connect(dbname="postgres", **params)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    url = f"postgres://{db['USER']}{password}@{params['host']}:{params['port']}/{name}"
    try:
        yield url, lambda: psycopg2.connect(dbname=name, **params)
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.mark.django_db(transaction=True)
def test_a_postgresql_backup_restores_into_an_empty_database_with_the_same_rows_and_files(
    tmp_path, task, unit_staff, empty_postgres_database
):
    url, connect = empty_postgres_database
    evidence = evidence_on(task, unit_staff)
    original = Path(settings.MEDIA_ROOT) / evidence.file.name
    archive = tmp_path / "backup.tar.gz"
    call_command("backup", output=str(archive), stdout=open(os.devnull, "w"))
    assert archive.exists()

    restored_var = tmp_path / "restored"
    result = run(["manage.py", "restore", str(archive)], environment(restored_var, DATABASE_URL=url, SITE_URL="https://example.org"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "row counts and checksums match the manifest" in result.stdout

    with connect() as restored, restored.cursor() as cursor:
        for table in COUNTED:
            cursor.execute(f"SELECT COUNT(*) FROM {table}")
            with connection.cursor() as here:
                here.execute(f"SELECT COUNT(*) FROM {table}")
                assert cursor.fetchone()[0] == here.fetchone()[0], table
        cursor.execute("SELECT file FROM rectification_evidence")
        assert cursor.fetchone()[0] == evidence.file.name
    assert Task.objects.count() >= 1 and ProgressUpdate.objects.count() == 1
    copy = restored_var / "media" / evidence.file.name
    assert sha256(copy) == sha256(original)

    again = run(["manage.py", "restore", str(archive)], environment(tmp_path / "again", DATABASE_URL=url, SITE_URL="https://example.org"))
    assert again.returncode == 1 and "the database already has tables" in again.stderr


@pytest.mark.django_db(transaction=True)
def test_restoring_into_a_database_with_tables_is_refused_and_changes_nothing(tmp_path, task):
    if connection.vendor != "postgresql":
        without_production_services("needs the PostgreSQL test database")
    archive = tmp_path / "backup.tar.gz"
    call_command("backup", output=str(archive), stdout=open(os.devnull, "w"))
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    before = Task.objects.count()
    result = run(["manage.py", "restore", str(archive)], environment(tmp_path / "var", DATABASE_URL=url, SITE_URL="https://example.org"))
    assert result.returncode == 1 and "restore into an empty database" in result.stderr
    assert Task.objects.count() == before


def test_the_embedded_shape_round_trip_keeps_rows_and_files(tmp_path):
    """SQLite's online backup and the media folder, from one VAR_DIR into a new one."""
    source, target = tmp_path / "source", tmp_path / "target"
    shell = environment(source)
    assert run(["manage.py", "migrate", "-v0"], shell).returncode == 0
    make = (
        "from django.core.files.base import ContentFile\n"
        "from django.core.files.storage import default_storage\n"
        "from campaign.models import Unit\n"
        "city = Unit.objects.create(name='中共测试市委员会', kind='city')\n"
        "Unit.objects.create(name='中共东区委员会', kind='district', parent=city)\n"
        "default_storage.save('evidence/1/现场.png', ContentFile(bytes(range(256)) * 64))\n"
    )
    assert run(["manage.py", "shell", "-c", make], shell).returncode == 0
    archive = tmp_path / "embedded.tar.gz"
    result = run(["manage.py", "backup", "--output", str(archive)], shell)
    assert result.returncode == 0, result.stderr

    result = run(["manage.py", "restore", str(archive)], environment(target))
    assert result.returncode == 0, result.stdout + result.stderr
    counts = {}
    for folder in (source, target):
        with sqlite3.connect(folder / "db.sqlite3") as db:
            counts[folder] = [db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] for table in COUNTED]
    assert counts[source] == counts[target] and counts[target][1] == 2
    name = Path("media/evidence/1/现场.png")
    assert sha256(target / name) == sha256(source / name)
