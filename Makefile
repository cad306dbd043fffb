.PHONY: setup run test smoke ci

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
