# Two commands do all the set-up on a fresh machine:
#   make run   - virtualenv, install, migrate SQLite, demo data, portal on http://127.0.0.1:8000
#   make test  - install the test dependencies and run every suite this machine can reach
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
SCALE ?= demo

.PHONY: run install install-test migrate demo test test-unit test-postgres test-services test-browser lint format messages bench-import bench-report bench-fixtures bench-pages clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed-run: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e ".[test]"
	touch $@ $(VENV)/.installed-run

install: $(VENV)/.installed-run
install-test: $(VENV)/.installed-test

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

lint: install-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install-test
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# Regenerate the translation catalogues after changing strings, then translate locale/zh_Hans.
messages: install
	$(PY) manage.py makemessages -l zh_Hans -l en --ignore=.venv --ignore=staticfiles --ignore=tests
	$(PY) manage.py compilemessages --ignore=.venv

bench-import: migrate
	$(PY) manage.py bench_import --rows 30000

# The quarterly workbook on city-scale data, in a throwaway SQLite database (the demo database is not touched).
BENCH_ENV := DATABASE_URL=sqlite:////tmp/portal-bench-report.sqlite3 REPORTS_ROOT=/tmp/portal-bench-reports
bench-report: install
	rm -rf /tmp/portal-bench-report.sqlite3 /tmp/portal-bench-reports
	$(BENCH_ENV) $(PY) manage.py migrate --noinput -v 0
	$(BENCH_ENV) $(PY) manage.py seed_demo --scale city
	$(BENCH_ENV) $(PY) manage.py bench_report
	rm -rf /tmp/portal-bench-report.sqlite3 /tmp/portal-bench-reports

bench-fixtures: install
	$(PY) manage.py bench_fixtures --teams 128

# Public competition pages under load: gunicorn (2 sync workers) on PostgreSQL, 32 connections, wrk if installed.
BENCH_PG_URL ?= postgres://postgres@127.0.0.1:5432/portal_bench_pages
bench-pages: install
	-psql "$(dir $(BENCH_PG_URL))postgres" -qc "CREATE DATABASE $(notdir $(BENCH_PG_URL))" 2>/dev/null
	DATABASE_URL=$(BENCH_PG_URL) $(PY) manage.py migrate --noinput -v 0
	DATABASE_URL=$(BENCH_PG_URL) $(PY) manage.py bench_pages

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles media test-artifacts
