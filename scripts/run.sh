#!/usr/bin/env bash
# `make run`: setup, demo data, then web + Celery worker + one Celery beat
# (Procfile, via honcho) in the foreground. Ctrl-C stops all three.
#
# No variables set: the embedded shape (SQLite in var/db.sqlite3, Celery broker
# on disk under var/celery), with the demo city and its logins. With
# DATABASE_URL and REDIS_URL: PostgreSQL and Redis, and NO demo (its password
# is published) unless DEMO=1: create the first administrator with
# `python manage.py createsuperuser`. HOST/PORT choose the address (default
# 127.0.0.1:8000). HTTPS defaults to off here (plain-HTTP local server) unless
# you set it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
. scripts/lib.sh
load_dotenv

export HOST="${HOST:-127.0.0.1}"
export PORT="${PORT:-8000}"
export HTTPS="${HTTPS:-off}"
export DEMO_PASSWORD="${DEMO_PASSWORD:-demo-pass-2026}"
export PATH="$PWD/.venv/bin:$PATH"

[[ "$PORT" =~ ^[0-9]+$ ]] || die "PORT must be a number, not '$PORT'"

scripts/setup.sh

# Fail early and clearly when the port is taken (gunicorn would only retry).
.venv/bin/python - "$HOST" "$PORT" <<'PY' || die "cannot listen on $HOST:$PORT (in use?); choose another with PORT=..."
import socket, sys
host, port = sys.argv[1], int(sys.argv[2])
family = socket.AF_INET6 if ":" in host.strip("[]") else socket.AF_INET
with socket.socket(family) as s:
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((host.strip("[]"), port))
PY

# The same rule as settings.DEMO: on in the embedded shape, off with DATABASE_URL, DEMO=1/0 decides.
if [ -n "${DEMO:-}" ]; then demo="$DEMO"; elif [ -n "${DATABASE_URL:-}" ]; then demo=off; else demo=on; fi
case "$demo" in 1 | true | yes | on | TRUE | True | YES | ON) demo=on ;; *) demo=off ;; esac
if [ "$demo" = on ]; then
    say "loading demo data"
else
    say "production shape: no demo data (DEMO=1 loads it)"
fi
# --if-allowed: the command itself refuses to load the demo where settings.DEMO is off.
.venv/bin/python manage.py load_demo --if-allowed

case "$HOST" in
    0.0.0.0 | '::' | '[::]') shown_host=127.0.0.1 ;;
    *:*) shown_host="[${HOST#[}"; shown_host="${shown_host%]}]" ;;
    *) shown_host="$HOST" ;;
esac
case "$HTTPS" in 1 | true | yes | on | TRUE | True | YES | ON) scheme=https ;; *) scheme=http ;; esac
if [ -n "${DATABASE_URL:-}" ]; then db="PostgreSQL/other (DATABASE_URL)"; else db="SQLite ${VAR_DIR:-var}/db.sqlite3"; fi
if [ -n "${REDIS_URL:-}" ]; then broker="Redis (REDIS_URL)"; else broker="filesystem ${VAR_DIR:-var}/celery"; fi

cat <<EOF

  Campaign rectification tracker
  Address:   $scheme://$shown_host:$PORT/
  Database:  $db
  Broker:    $broker
EOF
if [ "$demo" = on ]; then
    cat <<EOF

  Demo logins (password: $DEMO_PASSWORD)
    staff       staff of a community and of its district
    supervisor  district supervisor
    leader      city leader
    admin       city administrator (also Django admin at /admin/)
EOF
else
    cat <<EOF

  No demo data and no logins were created. First administrator:
    .venv/bin/python manage.py createsuperuser
EOF
fi
cat <<EOF

  Ctrl-C stops web, worker and beat.

EOF
if [ "$HOST" != 127.0.0.1 ] && [ "$HOST" != localhost ] && [ -z "${ALLOWED_HOSTS:-}" ]; then
    warn "HOST=$HOST but ALLOWED_HOSTS is unset: only localhost names are accepted; set ALLOWED_HOSTS=your.host.name"
fi

if [ "$HOST" != 127.0.0.1 ] && [ "$HOST" != localhost ] && [ -z "${SITE_URL:-}" ]; then
    warn "HOST=$HOST but SITE_URL is unset: links in notifications point to $scheme://$shown_host:$PORT/; set SITE_URL=the address people type"
fi

# -e /dev/null: .env was already read above (where the environment wins);
# honcho's own reading would let the file override the environment.
exec honcho start -f Procfile -e /dev/null -p "$PORT"
