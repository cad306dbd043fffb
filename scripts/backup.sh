#!/usr/bin/env bash
# `make backup [FILE=path.tar.gz]`: one archive with the database and every stored file
# (campaign/backups.py). Uses DATABASE_URL (pg_dump) when set, else the embedded SQLite.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
. scripts/lib.sh
load_dotenv
[ -x .venv/bin/python ] || die "run make setup first"
if [ -n "${FILE:-}" ]; then
    exec .venv/bin/python manage.py backup --output "$FILE"
fi
exec .venv/bin/python manage.py backup
