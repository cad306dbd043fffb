#!/usr/bin/env bash
# Proves the embedded shape from a clean state: with no DATABASE_URL/REDIS_URL
# and an empty temporary VAR_DIR, `scripts/run.sh` (what `make run` does) comes
# up on a free port; staff logs in over HTTP with the demo password; the Celery
# worker and beat start; then everything is stopped. Exit status 0 only if
# every step passed. Used by .ci/run; developers can run it too (`make smoke`).
#
# SMOKE_TIMEOUT (seconds, default 300) bounds the wait for the web server,
# SMOKE_KEEP=1 keeps the temporary VAR_DIR and log for inspection.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
. scripts/lib.sh

# The clean state: nothing from the caller's shell or .env decides the shape.
unset DATABASE_URL REDIS_URL SECRET_KEY DEBUG ALLOWED_HOSTS CSRF_TRUSTED_ORIGINS HTTPS \
    SECURE_HSTS_SECONDS BEHIND_TLS_PROXY STATICFILES_STORAGE HOST PORT DJANGO_SETTINGS_MODULE
export ENV_FILE=/dev/null
export DEMO_PASSWORD="${DEMO_PASSWORD:-demo-pass-2026}"
VAR_DIR="$(mktemp -d "${TMPDIR:-/tmp}/campaign-smoke.XXXXXX")"
export VAR_DIR
LOG="$VAR_DIR/run.log"
JAR="$VAR_DIR/cookies.txt"
TIMEOUT="${SMOKE_TIMEOUT:-300}"
RUN_PID=""

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# Processes started by this run: honcho starts each Procfile process in a
# session of its own, so the process group alone does not find them all; a
# marker variable in their environment does.
RUN_MARK="campaign-smoke-$$-$RANDOM"
run_pids() {
    local environ pid
    for environ in /proc/[0-9]*/environ; do
        pid="${environ#/proc/}"
        pid="${pid%/environ}"
        grep -qzxF "SMOKE_RUN_MARK=$RUN_MARK" "$environ" 2>/dev/null && echo "$pid"
    done
    return 0
}

# Like Ctrl-C in a terminal: SIGINT to run.sh's process group (honcho, or
# run.sh itself while it is still in setup); honcho stops web, worker and beat.
# Returns 1 if anything had to be killed after 20s.
stop_run() {
    [ -n "$RUN_PID" ] || return 0
    kill -INT -- "-$RUN_PID" 2>/dev/null || true
    local waited=0 left
    while [ -n "$(run_pids)" ] && [ $waited -lt 200 ]; do
        sleep 0.1
        waited=$((waited + 1))
    done
    wait "$RUN_PID" 2>/dev/null || true
    RUN_PID=""
    left="$(run_pids | tr '\n' ' ')"
    if [ -n "$left" ]; then
        warn "still running 20s after Ctrl-C, killing: $left"
        # shellcheck disable=SC2086
        kill -KILL $left 2>/dev/null || true
        return 1
    fi
}

finish() {
    local status=$?
    stop_run || status=1
    if [ $status -ne 0 ]; then
        printf '\n---- last lines of %s ----\n' "$LOG" >&2
        tail -n 80 "$LOG" >&2 2>/dev/null || true
        printf 'SMOKE FAILED (exit %s)\n' "$status" >&2
    fi
    if [ "${SMOKE_KEEP:-}" = 1 ]; then
        printf 'kept %s\n' "$VAR_DIR" >&2
    else
        rm -rf "$VAR_DIR"
    fi
    exit $status
}
trap finish EXIT
trap 'exit 130' INT TERM

PORT="$(free_port)"
BASE="http://127.0.0.1:$PORT"
started=$SECONDS
say "starting scripts/run.sh on $BASE with VAR_DIR=$VAR_DIR"
SMOKE_RUN_MARK="$RUN_MARK" PORT="$PORT" setsid scripts/run.sh >"$LOG" 2>&1 </dev/null &
RUN_PID=$!

say "waiting for the web server (up to ${TIMEOUT}s)"
until curl -fsS -o /dev/null --max-time 5 "$BASE/login/" 2>/dev/null; do
    kill -0 "$RUN_PID" 2>/dev/null || die "scripts/run.sh exited before the web server answered"
    [ $((SECONDS - started)) -lt "$TIMEOUT" ] || die "web server did not answer within ${TIMEOUT}s"
    sleep 1
done
say "web server answered after $((SECONDS - started))s"

grep -q "Demo logins" "$LOG" || die "run.sh did not print the demo logins"

say "logging in as staff"
login_page="$(curl -fsS --max-time 10 -c "$JAR" -b "$JAR" "$BASE/login/")"
token="$(printf '%s' "$login_page" | grep -o 'name="csrfmiddlewaretoken" value="[^"]*"' | head -n 1 | sed 's/.*value="\([^"]*\)"/\1/')"
[ -n "$token" ] || die "no csrfmiddlewaretoken hidden input on /login/"
grep -q 'csrftoken' "$JAR" || die "no csrftoken cookie from /login/"

post_status="$(curl -sS --max-time 10 -o /dev/null -w '%{http_code}' -c "$JAR" -b "$JAR" \
    -H "Referer: $BASE/login/" \
    --data-urlencode "csrfmiddlewaretoken=$token" \
    --data-urlencode "username=staff" \
    --data-urlencode "password=$DEMO_PASSWORD" \
    "$BASE/login/")"
[ "$post_status" = 302 ] || die "POST /login/ answered $post_status, expected 302 (wrong demo password?)"

home="$VAR_DIR/home.html"
home_status="$(curl -sS --max-time 10 -o "$home" -w '%{http_code}' -c "$JAR" -b "$JAR" "$BASE/")"
[ "$home_status" = 200 ] || die "GET / after login answered $home_status, expected 200"
if grep -q 'name="password"' "$home"; then
    die "GET / after login shows the login form"
fi
say "staff is logged in; / answered 200"

static_status="$(curl -sS --max-time 10 -o /dev/null -w '%{http_code}' "$BASE/static/admin/css/base.css")"
[ "$static_status" = 200 ] || die "static file not served (GET /static/admin/css/base.css: $static_status)"

say "waiting for the Celery worker and beat"
deadline=$((SECONDS + 60))
until grep -Eq 'worker\.1 +\|.*celery@.* ready\.' "$LOG" && grep -Eq 'beat\.1 +\|.*beat: Starting' "$LOG"; do
    kill -0 "$RUN_PID" 2>/dev/null || die "scripts/run.sh exited while waiting for worker and beat"
    [ $SECONDS -lt $deadline ] || die "worker ready / beat start not seen in the log within 60s"
    sleep 1
done
ls "$VAR_DIR"/celerybeat-schedule* >/dev/null 2>&1 || die "beat did not write its schedule file into VAR_DIR"
[ "$(grep -Ec '^[0-9:]+ beat\.[0-9]+ +\| .*beat: Starting' "$LOG")" = 1 ] || die "expected exactly one beat"

say "stopping (SIGINT, like Ctrl-C)"
stop_run || die "Ctrl-C did not stop web, worker and beat within 20s"
grep -q 'SIGINT received' "$LOG" || die "honcho did not receive the SIGINT"
say "embedded smoke passed in $((SECONDS - started))s"
