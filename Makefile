.PHONY: setup run test smoke ci backup restore

# Extra arguments for pytest: make test ARGS="-k login -x"
ARGS ?=

# Debian packages, .venv, requirements, compilemessages, migrate, collectstatic.
setup:
	scripts/setup.sh

# Setup, demo data, then web + Celery worker + beat; Ctrl-C stops all.
run:
	scripts/run.sh

# Setup, then the whole pytest suite.
test:
	scripts/test.sh $(ARGS)

# The embedded shape from a clean state: start, log in over HTTP, stop.
smoke:
	scripts/smoke_embedded.sh

# What CI runs: PostgreSQL + Redis tests, then the embedded smoke.
ci:
	.ci/run

# One archive with the database and the stored files: make backup [FILE=out.tar.gz].
backup:
	FILE="$(FILE)" scripts/backup.sh

# Into an EMPTY database and storage: make restore FILE=var/backups/campaign-….tar.gz.
restore:
	FILE="$(FILE)" scripts/restore.sh
