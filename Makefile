# The two commands of the README are the contract: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8000

# `make test` runs on PostgreSQL and Redis; override these to point elsewhere.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/okrplatform
TEST_REDIS_URL ?= redis://127.0.0.1:6379
TEST_ENV := OKR_TESTING=1 DATABASE_URL=$(TEST_DATABASE_URL) \
	CELERY_BROKER_URL=$(TEST_REDIS_URL)/14 REDIS_URL=$(TEST_REDIS_URL)/15

.PHONY: run test lint format typecheck install migrate bench loadtest clean

$(STAMP): pyproject.toml requirements/constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements/constraints.txt -e ".[dev]"
	@touch $(STAMP)

install: $(STAMP)

migrate: $(STAMP)
	$(BIN)/python manage.py migrate --no-input

## make run: set up everything and serve the app with a worker and beat (Ctrl-C stops all)
run: migrate
	@$(BIN)/python manage.py seed_demo --url http://127.0.0.1:$(PORT)/
	@# Links in notification emails point at this server unless SITE_URL says otherwise.
	PATH=$(CURDIR)/$(BIN):$$PATH PORT=$(PORT) SITE_URL=$${SITE_URL:-http://127.0.0.1:$(PORT)} \
		$(BIN)/honcho start -f Procfile.dev

## make test: set up everything and run the whole suite on PostgreSQL and Redis
test: $(STAMP)
	@$(TEST_ENV) $(BIN)/python scripts/check_services.py
	$(TEST_ENV) $(BIN)/pytest $(PYTEST_ARGS)

## make bench: every performance figure beside its reference in the same run (bench/results.md);
## BENCH_QUICK=1 make bench is a one-minute smoke test of the bench itself
bench: $(STAMP)
	@$(TEST_ENV) $(BIN)/python scripts/check_services.py
	$(TEST_ENV) $(BIN)/python -m bench $(BENCH_ARGS)

## make loadtest: locust drives boards, check-ins, API pushes and syncs against gunicorn (2.5 min)
loadtest: $(STAMP)
	@$(TEST_ENV) $(BIN)/python scripts/check_services.py
	$(TEST_ENV) $(BIN)/python -m bench.loadtest $(LOADTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache test-output
