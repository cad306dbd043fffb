"""One archive with everything needed to bring a deployment back: `make backup`, `make restore FILE=…`.

The archive is a .tar.gz holding

- ``database.pgdump``: ``pg_dump --format=custom`` of the PostgreSQL database
  (the PostgreSQL shape), or ``database.sqlite3``: SQLite's online backup of
  the database file (the embedded shape), consistent even while web, worker
  and beat write to it;
- ``files/…``: every file of the default storage (evidence and reports), read
  through Django's storage API, so a backup of an S3-compatible store works
  the same as one of the local disk;
- ``manifest.json`` (written last): the format, the database engine, when it
  was made, the row count of every table and the SHA-256 of every file.

The database is dumped first, then the files: every file a dumped row names
is already stored (evidence is stored before its row is written); a file
uploaded meanwhile is in the archive without a row, which does no harm.

Restoring checks the manifest, refuses a database that already has tables
(restore into an empty one: ``createdb`` for PostgreSQL, a new ``VAR_DIR``
or no ``db.sqlite3`` for SQLite) and a storage that already holds a file of
the archive, restores both, and compares the row counts and checksums with
the manifest: a restore that does not match fails loudly.
"""

import datetime
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.core.files.base import File
from django.core.files.storage import default_storage
from django.db import connection
from django.utils import timezone

FORMAT = 1
MANIFEST = "manifest.json"
PG_DUMP = "database.pgdump"
SQLITE_DUMP = "database.sqlite3"
FILES = "files/"
CHUNK = 1024 * 1024


class BackupError(Exception):
    """Something an operator must know: the message says what and what to do."""


# --- the database ----------------------------------------------------------------------------


def engine():
    vendor = connection.vendor
    if vendor not in ("postgresql", "sqlite"):
        raise BackupError(f"backups support PostgreSQL and SQLite, not {vendor}")
    return vendor


def _pg_command(program, extra):
    executable = shutil.which(program)
    if executable is None:
        raise BackupError(
            f"{program} is not installed: install PostgreSQL's client tools of the server's version "
            "(Debian: postgresql-client)"
        )
    db = connection.settings_dict
    command = [executable, "--no-password"]
    for flag, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if db.get(key):
            command += [flag, str(db[key])]
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = db["PASSWORD"]
    return command + extra + ["--dbname", db["NAME"]], env


def _run(command, env):
    result = subprocess.run(command, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if result.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed: {result.stderr.strip()[-2000:]}")


def dump_database(folder):
    """Write the database into ``folder``; returns the archive member's name."""
    if engine() == "postgresql":
        target = Path(folder) / PG_DUMP
        command, env = _pg_command("pg_dump", ["--format=custom", "--no-owner", "--no-privileges", "--file", str(target)])
        _run(command, env)
        return PG_DUMP
    target = Path(folder) / SQLITE_DUMP
    source = sqlite3.connect(str(connection.settings_dict["NAME"]))
    try:
        copy = sqlite3.connect(str(target))
        with copy:
            source.backup(copy)  # SQLite's online backup: a consistent copy while others write
        copy.close()
    finally:
        source.close()
    return SQLITE_DUMP


def table_counts():
    """{table: rows} for every table of the database."""
    with connection.cursor() as cursor:
        names = sorted(connection.introspection.table_names(cursor))
        counts = {}
        for name in names:
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(name)}")
            counts[name] = cursor.fetchone()[0]
    return counts


def database_is_empty():
    with connection.cursor() as cursor:
        return not connection.introspection.table_names(cursor)


def restore_database(archive, member):
    expected = PG_DUMP if engine() == "postgresql" else SQLITE_DUMP
    if member != expected:
        raise BackupError(
            f"this archive holds a {'PostgreSQL' if member == PG_DUMP else 'SQLite'} database, "
            f"but this deployment uses {engine()}: restore it where it was made"
        )
    with tempfile.TemporaryDirectory(prefix="campaign-restore-") as folder:
        path = Path(folder) / member
        with archive.extractfile(member) as source, open(path, "wb") as target:
            shutil.copyfileobj(source, target, CHUNK)
        if member == PG_DUMP:
            command, env = _pg_command(
                "pg_restore", ["--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction", str(path)]
            )
            _run(command, env)
        else:
            name = Path(connection.settings_dict["NAME"])
            connection.close()  # the file has no table (checked): only SQLite's header, replaced whole
            for stale in (name, Path(f"{name}-wal"), Path(f"{name}-shm")):
                stale.unlink(missing_ok=True)
            source = sqlite3.connect(str(path))
            try:
                target = sqlite3.connect(str(name))
                with target:
                    source.backup(target)
                target.close()
            finally:
                source.close()
    connection.close()


# --- the files ---------------------------------------------------------------------------------


def storage_files(storage=None, folder=""):
    """Every file name of the storage, walking its folders."""
    storage = storage or default_storage
    try:
        folders, files = storage.listdir(folder)
    except FileNotFoundError:
        return
    for name in sorted(files):
        yield str(PurePosixPath(folder) / name) if folder else name
    for sub in sorted(folders):
        yield from storage_files(storage, str(PurePosixPath(folder) / sub) if folder else sub)


class _Hashing(io.RawIOBase):
    """Reads through a file, hashing what passes."""

    def __init__(self, handle):
        self.handle = handle
        self.digest = hashlib.sha256()

    def readable(self):
        return True

    def readinto(self, buffer):
        data = self.handle.read(len(buffer))
        self.digest.update(data)
        buffer[: len(data)] = data
        return len(data)


def sha256_of(handle):
    digest = hashlib.sha256()
    for chunk in iter(lambda: handle.read(CHUNK), b""):
        digest.update(chunk)
    return digest.hexdigest()


# --- backup and restore ------------------------------------------------------------------------


def default_path():
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    return Path(settings.VAR_DIR) / "backups" / f"campaign-{stamp}.tar.gz"


def backup(path=None, log=lambda message: None):
    """Write the archive; returns (path, manifest)."""
    path = Path(path or default_path())
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    vendor = engine()
    with tempfile.TemporaryDirectory(prefix="campaign-backup-") as folder, tarfile.open(partial, "w:gz") as archive:
        counts = table_counts()
        log(f"database ({vendor}): {len(counts)} tables, {sum(counts.values())} rows")
        member = dump_database(folder)
        archive.add(Path(folder) / member, arcname=member)
        files = {}
        for name in storage_files():
            with default_storage.open(name, "rb") as handle:
                info = tarfile.TarInfo(FILES + name)
                info.size = default_storage.size(name)
                info.mtime = int(timezone.now().timestamp())
                reader = _Hashing(handle)
                archive.addfile(info, io.BufferedReader(reader, CHUNK))
                files[name] = reader.digest.hexdigest()
        log(f"files: {len(files)}")
        manifest = {
            "format": FORMAT,
            "engine": vendor,
            "database": member,
            "created_at": timezone.now().isoformat(),
            "tables": counts,
            "files": files,
        }
        data = json.dumps(manifest, indent=1, ensure_ascii=False, sort_keys=True).encode()
        info = tarfile.TarInfo(MANIFEST)
        info.size = len(data)
        info.mtime = int(datetime.datetime.now().timestamp())
        archive.addfile(info, io.BytesIO(data))
    partial.rename(path)  # a half-written archive never carries the final name
    return path, manifest


def read_manifest(archive):
    try:
        manifest = json.load(archive.extractfile(MANIFEST))
    except (KeyError, ValueError) as error:
        raise BackupError("this is not a complete backup archive (no manifest.json)") from error
    if manifest.get("format") != FORMAT:
        raise BackupError(f"unknown archive format {manifest.get('format')!r}")
    return manifest


def restore(path, log=lambda message: None):
    """Restore the archive into an empty database and storage; returns the manifest.
    Raises BackupError on anything wrong, including counts or checksums that differ."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"{path}: no such file")
    try:
        archive = tarfile.open(path, "r:gz")
    except (tarfile.TarError, OSError) as error:
        raise BackupError(f"{path} is not a backup archive: {error}") from error
    with archive:
        manifest = read_manifest(archive)
        if not database_is_empty():
            raise BackupError(
                "the database already has tables: restore into an empty database "
                "(PostgreSQL: createdb a new one and point DATABASE_URL at it; SQLite: a new VAR_DIR)"
            )
        taken = [name for name in manifest["files"] if default_storage.exists(name)]
        if taken:
            raise BackupError(f"the storage already holds {len(taken)} of the archive's files, e.g. {taken[0]}")
        restore_database(archive, manifest["database"])
        log(f"database restored from {manifest['database']}")
        for member in archive.getmembers():
            if not member.isfile() or not member.name.startswith(FILES):
                continue
            name = member.name[len(FILES) :]
            if PurePosixPath(name).is_absolute() or ".." in PurePosixPath(name).parts:
                raise BackupError(f"refusing a file outside the storage: {member.name}")
            with archive.extractfile(member) as handle:
                saved = default_storage.save(name, File(handle, name=name))
            if saved != name:
                raise BackupError(f"{name} was stored as {saved}")
        log(f"files restored: {len(manifest['files'])}")
    verify(manifest)
    log("row counts and checksums match the manifest")
    return manifest


def verify(manifest):
    counts = table_counts()
    differ = {table: (rows, counts.get(table)) for table, rows in manifest["tables"].items() if counts.get(table) != rows}
    if differ:
        raise BackupError(f"row counts differ from the manifest (expected, found): {differ}")
    for name, digest in manifest["files"].items():
        with default_storage.open(name, "rb") as handle:
            if sha256_of(handle) != digest:
                raise BackupError(f"{name}: checksum differs from the manifest")
