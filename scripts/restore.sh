#!/usr/bin/env bash
# `make restore FILE=path.tar.gz`: bring an archive of `make backup` back into an EMPTY
# database (PostgreSQL: createdb a new one and set DATABASE_URL; SQLite: a new VAR_DIR):
# the tables are created by the restore itself, not by migrate.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
. scripts/lib.sh
load_dotenv
[ -n "${FILE:-}" ] || die "usage: make restore FILE=var/backups/campaign-YYYYMMDD-HHMMSS.tar.gz"
[ -x .venv/bin/python ] || die "run make setup first (but do not migrate the empty database)"
exec .venv/bin/python manage.py restore "$FILE"
