# Two commands do all the set-up on a fresh machine:
#   make run   - virtualenv, install, migrate SQLite, demo data, portal on http://127.0.0.1:8000
#   make test  - install the test dependencies and run every suite this machine can reach
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
SCALE ?= demo
# Pinned, hashed dependencies (make lock): what make run/test, CI and the Dockerfile install.
LOCK := requirements.txt
LOCK_TEST := requirements-test.txt
UV_COMPILE := $(VENV)/bin/uv pip compile pyproject.toml --universal --python-version 3.11 --generate-hashes \
	--quiet --custom-compile-command "make lock"

.PHONY: run install install-test lock migrate demo test test-unit test-postgres test-services test-browser lint \
	check-messages format messages bench-import bench-report bench-fixtures bench-pages bench-race clean

# DEBUG defaults to off (production); the local development paths turn it on. Test targets set it their own way.
run migrate demo bench-import bench-report bench-fixtures bench-pages bench-race: export DEBUG ?= true

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed-run: $(LOCK) pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -r $(LOCK)
	$(PY) -m pip install --quiet --no-deps -e .
	touch $@

$(VENV)/.installed-test: $(LOCK_TEST) pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -r $(LOCK_TEST)
	$(PY) -m pip install --quiet --no-deps -e .
	touch $@ $(VENV)/.installed-run

install: $(VENV)/.installed-run
install-test: $(VENV)/.installed-test

# Re-pin after changing the dependencies in pyproject.toml (asks the package index; commit both files).
lock: | $(PY)
	test -x $(VENV)/bin/uv || $(PY) -m pip install --quiet uv
	$(UV_COMPILE) -o $(LOCK)
	$(UV_COMPILE) --extra test -o $(LOCK_TEST)

migrate: install
	$(PY) manage.py migrate --noinput

demo: migrate
	$(PY) manage.py seed_demo --scale $(SCALE)

run: demo
	@echo "Portal: http://$(HOST):$(PORT)/  (admin: http://$(HOST):$(PORT)/admin/)"
	$(PY) manage.py runserver $(HOST):$(PORT)

test: install-test
	$(PY) tests/run_suites.py all

test-unit: install-test
	$(PY) tests/run_suites.py unit

test-postgres: install-test
	$(PY) tests/run_suites.py postgres

test-services: install-test
	$(PY) tests/run_suites.py services

test-browser: install-test
	$(PY) tests/run_suites.py browser

# What CI checks besides the suites: style, the dependency arrows between apps (.importlinter), migrations
# that match the models, and translation catalogues in sync with the code.
lint: install-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache
	DEBUG=true $(PY) manage.py makemigrations --check --dry-run
	$(MAKE) --no-print-directory check-messages

check-messages: install-test
	$(PY) tests/check_messages.py

format: install-test
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# Regenerate the translation catalogues after changing strings, then translate locale/zh_Hans.
# (tests/check_messages.py runs makemessages with the same arguments.)
messages: install
	DEBUG=true $(PY) manage.py makemessages -l zh_Hans -l en --ignore=.venv --ignore=staticfiles --ignore=tests
	DEBUG=true $(PY) manage.py compilemessages --ignore=.venv

# The roster import (ROWS=100000 for the large file), then the hostile files, each refused before it is read.
ROWS ?= 30000
bench-import: migrate
	$(PY) manage.py bench_import --rows $(ROWS)
	$(PY) manage.py bench_import --hostile

# The quarterly and annual workbooks at 1x, 2x and 4x city scale (about 300,000, 600,000 and 1.2 million
# person-times) on PostgreSQL, against a hand-written SQL floor, in a database created and dropped here.
BENCH_REPORT_PG_URL ?= postgres://postgres@127.0.0.1:5432/portal_bench_report
BENCH_REPORT_SCALES ?= 1,2,4
bench-report: install
	psql "$(dir $(BENCH_REPORT_PG_URL))postgres" -qc "DROP DATABASE IF EXISTS $(notdir $(BENCH_REPORT_PG_URL))"
	psql "$(dir $(BENCH_REPORT_PG_URL))postgres" -qc "CREATE DATABASE $(notdir $(BENCH_REPORT_PG_URL))"
	DATABASE_URL=$(BENCH_REPORT_PG_URL) $(PY) manage.py migrate --noinput -v 0
	DATABASE_URL=$(BENCH_REPORT_PG_URL) $(PY) manage.py bench_report --scales $(BENCH_REPORT_SCALES)
	psql "$(dir $(BENCH_REPORT_PG_URL))postgres" -qc "DROP DATABASE $(notdir $(BENCH_REPORT_PG_URL))"

bench-fixtures: install
	$(PY) manage.py bench_fixtures --teams 128

# The busiest pages under load against a bare view and a naive ListView in the same run: gunicorn (2 sync workers)
# on PostgreSQL with city-scale data (seed_demo --scale city), 32 connections, wrk if installed (apt-get install wrk).
BENCH_PG_URL ?= postgres://postgres@127.0.0.1:5432/portal_bench_pages
bench-pages: install
	-psql "$(dir $(BENCH_PG_URL))postgres" -qc "CREATE DATABASE $(notdir $(BENCH_PG_URL))" 2>/dev/null
	DATABASE_URL=$(BENCH_PG_URL) $(PY) manage.py migrate --noinput -v 0
	DATABASE_URL=$(BENCH_PG_URL) $(PY) manage.py bench_pages --seed --duration 5 --rounds 3

# Team-registration race: 200 liaisons POST at once for 50 places, against the same burst of read-only GETs.
BENCH_RACE_PG_URL ?= postgres://postgres@127.0.0.1:5432/portal_bench_race
bench-race: install
	-psql "$(dir $(BENCH_RACE_PG_URL))postgres" -qc "CREATE DATABASE $(notdir $(BENCH_RACE_PG_URL))" 2>/dev/null
	DATABASE_URL=$(BENCH_RACE_PG_URL) $(PY) manage.py migrate --noinput -v 0
	DATABASE_URL=$(BENCH_RACE_PG_URL) $(PY) manage.py bench_race --rounds 5

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles media test-artifacts
