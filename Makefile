# elicit: `make run` sets everything up and serves on http://$(HOST):$(PORT) (default
# http://127.0.0.1:5000); `make test` runs the suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 5000
# The address printed links (login, invitations) are built on. It follows HOST and PORT
# unless ELICIT_BASE_URL is set (in the environment or on the command line), e.g. behind a proxy.
ifeq ($(strip $(ELICIT_BASE_URL)),)
ELICIT_BASE_URL := http://$(HOST):$(PORT)
endif

.PHONY: run test lint types imports check install dev browser bench translations clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.dev-installed: pyproject.toml $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

# The browser tests drive Debian's chromium with Playwright (Playwright's own browser
# download does not work here) and check pages with axe-core from the npm registry.
CHROMIUM ?= /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

$(CHROMIUM):
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium

tests/browser/node_modules/axe-core/axe.min.js: tests/browser/package.json tests/browser/package-lock.json
	npm ci --prefix tests/browser --no-audit --no-fund --silent
	touch $@

install: $(VENV)/.installed  ## the application and its runtime dependencies

dev: $(VENV)/.dev-installed  ## plus pytest, hypothesis, ruff, mypy, import-linter and pre-commit

# Without ELICIT_REDIS_URL, a sender beside the server delivers the outbox every 5 seconds
# (when SMTP is configured) and stops once make, and with it the server, has ended.
run: install  ## migrate, load the question sets and demo study, print the login, serve
	$(BIN)/elicit db upgrade
	ELICIT_BASE_URL='$(ELICIT_BASE_URL)' $(BIN)/elicit demo
	[ -n "$$ELICIT_REDIS_URL" ] || $(BIN)/elicit mail send --every 5 --while-running $$PPID &
	ELICIT_BASE_URL='$(ELICIT_BASE_URL)' $(BIN)/elicit run --host $(HOST) --port $(PORT)

browser: $(CHROMIUM) tests/browser/node_modules/axe-core/axe.min.js  ## chromium and axe-core

test: dev browser  ## the whole suite (SQLite; set ELICIT_TEST_DATABASE_URL for PostgreSQL)
	$(BIN)/pytest

bench: dev  ## speed targets, then the load and fault run: each prints its figures beside its baseline
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	@for script in benchmarks/bench_*.py; do \
		echo "=== $$script"; $(BIN)/python $$script || exit 1; done
	@echo "=== benchmarks/load.py"; $(BIN)/python benchmarks/load.py

lint: dev  ## ruff: lint and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

types: dev  ## mypy: strict on elicit/core, checked on the rest (settings in pyproject.toml)
	$(BIN)/mypy

imports: dev  ## import-linter: the architecture's contracts (in pyproject.toml)
	$(BIN)/lint-imports

check: lint types imports  ## everything CI checks besides the tests (pre-commit runs the same)

# The keywords beyond pybabel's defaults (gettext, ngettext, pgettext, ...) are Flask-Babel's lazy
# ones; tests/test_translations.py extracts with the same. See translations/README.md.
translations: install  ## after changing a message: extract messages.pot, update every catalogue, compile
	$(BIN)/pybabel extract -F babel.cfg -k lazy_gettext -k _l -c TRANSLATORS: \
		--project elicit -o translations/messages.pot .
	$(BIN)/pybabel update --ignore-pot-creation-date -i translations/messages.pot -d translations
	$(BIN)/pybabel compile -d translations

clean:  ## remove the virtualenv and caches (the instance/ database is kept)
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis *.egg-info tests/browser/node_modules
