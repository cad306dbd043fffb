#!/usr/bin/env bash
# `make test`: setup, then the whole pytest suite; arguments go to pytest
# (`make test ARGS="-k login -x"`). Uses DATABASE_URL/REDIS_URL when set.
# pytest's exit status is returned as is (5 = no tests collected is a failure).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
. scripts/lib.sh
load_dotenv

# setup's migrate runs the system checks with the project's settings: with DATABASE_URL they want
# SITE_URL (campaign.E001). The tests themselves use tests/settings.py's own.
export SITE_URL="${SITE_URL:-http://127.0.0.1:8000}"
scripts/setup.sh
exec .venv/bin/python -m pytest "$@"
