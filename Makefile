# roleplan: make run (embedded: SQLite, tasks in-process) · make test (PostgreSQL, Redis, Chromium)
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000

# The test suite's services: the local servers unless DATABASE_URL / REDIS_URL say otherwise.
TEST_DATABASE_URL ?= $(or $(DATABASE_URL),postgres://postgres@127.0.0.1:5432/roleplan)
TEST_REDIS_URL ?= $(or $(REDIS_URL),redis://127.0.0.1:6379/15)

# Every line of these is run by make test (issue 7: access helpers, ownership services,
# reminder delivery, Markdown sanitising); the rest of the code needs 90% (pyproject.toml).
FULL_COVERAGE := */access.py,roleplan/ownership/services.py,roleplan/alignment/delivery.py,roleplan/alignment/reminders.py,roleplan/alignment/digest.py,roleplan/alignment/tasks.py,products/rendering.py

.PHONY: run test lint bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet ".[dev]"
	@touch $(VENV)/.installed $@

run: $(VENV)/.installed
	DEBUG=$${DEBUG:-1} $(BIN)/python manage.py migrate --noinput
	DEBUG=$${DEBUG:-1} $(BIN)/python manage.py seed_demo
	DEBUG=$${DEBUG:-1} SITE_URL=$${SITE_URL:-http://127.0.0.1:$(PORT)} $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

test: $(VENV)/.installed-dev
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing Debian's Chromium for the browser tests..."; \
	    (apt-get install -y -qq chromium >/dev/null 2>&1 || \
	     (apt-get update -qq && apt-get install -y -qq chromium >/dev/null)); \
	  else \
	    echo "Chromium is missing: run 'sudo apt-get install -y chromium' (the browser tests need it)."; exit 1; \
	  fi; }
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) SECRET_KEY=test-only DEBUG=0 \
	  $(BIN)/python -m pytest --cov --cov-report=term $(PYTEST_ARGS)
	@# A whole run (no PYTEST_ARGS) also checks the modules that must be fully tested.
	@if [ -z "$(strip $(PYTEST_ARGS))" ]; then \
	  echo "Modules that need 100% (access helpers, ownership services, reminder delivery, Markdown):"; \
	  $(BIN)/coverage report --fail-under=100 --no-skip-covered --include="$(FULL_COVERAGE)"; \
	 fi
	@# The second pass: the page and form tests again on SQLite with no Redis, as `make run` serves.
	@echo "SQLite pass (make run's database; tests marked postgresql are about the deployment and ran above):"
	DATABASE_URL=sqlite:///$(CURDIR)/.test-sqlite.sqlite3 REDIS_URL= SECRET_KEY=test-only DEBUG=0 \
	  $(BIN)/python -m pytest --no-cov -p no:cacheprovider -m "not postgresql" $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

# Benchmarks (not part of make test): every tests/benchmarks/bench_*.py, each printing its table.
bench: $(VENV)/.installed-dev
	@set -e; for script in tests/benchmarks/bench_*.py; do \
	  echo "== $$script"; $(BIN)/python $$script; done
