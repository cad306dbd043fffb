#!/usr/bin/env bash
# `make test`: setup, then the whole pytest suite; arguments go to pytest
# (`make test ARGS="-k login -x"`). Uses DATABASE_URL/REDIS_URL when set.
# pytest's exit status is returned as is (5 = no tests collected is a failure).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
. scripts/lib.sh
load_dotenv

scripts/setup.sh
exec .venv/bin/python -m pytest "$@"
