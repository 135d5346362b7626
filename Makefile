# Two commands for a fresh machine: `make run` (app + demo data on SQLite) and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: setup run demo test test-pg lint gates clean-demo bench bench-pg bench-deps cluster-test cluster-deps

$(BIN)/activate: requirements.txt requirements-dev.txt
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $(BIN)/activate

setup: $(BIN)/activate
	bash scripts/system-deps.sh

# Set up, migrate, load the demo county once, and serve on http://127.0.0.1:5000
run: setup
	$(FLASK) db upgrade
	$(FLASK) demo
	$(FLASK) run --host $(HOST) --port $(PORT)

demo: setup
	$(FLASK) db upgrade
	$(FLASK) demo

# About 7 minutes on 2 cores (browser tests included); skipped tests print their reason
# at the end (-rs): PostgreSQL-only tests skip on SQLite, and the other way round.
test: setup
	@echo "== tests on SQLite (about 7 minutes)"
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The same suite on PostgreSQL (starts the local cluster, creates a throwaway database).
# Browser tests always serve their own SQLite file, so they run once, in `make test`.
test-pg: setup
	@echo "== tests on PostgreSQL (about 12 minutes)"
	bash scripts/pg-test-db.sh
	DATABASE_URL=postgresql+psycopg://clc:clc@localhost/clc_test $(BIN)/python -m pytest -m "not browser" $(PYTEST_ARGS)

# What CI checks first: lint rules, formatting, and the architecture contracts of
# pyproject.toml ([tool.importlinter]: workflows/ pure, services never import views,
# no import cycles between services). Linters are pinned in requirements-dev.txt.
lint: $(BIN)/activate
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

# Security gates (issue 8), each failing on a finding: ruff; bandit on the app code
# (config in pyproject.toml; prints the count per severity, fails on high); semgrep with
# the local rules in .semgrep/rules/ only (offline: no registry, no metrics), then the
# rules' own annotated tests. A justified exception says why beside its
# `# nosemgrep: <rule>` or `# nosec <test>`.
SEMGREP := SEMGREP_ENABLE_VERSION_CHECK=0 SEMGREP_SEND_METRICS=off $(BIN)/semgrep
SEMGREP_FLAGS := --metrics=off --disable-version-check --quiet
gates: $(BIN)/activate
	$(BIN)/ruff check .
	$(BIN)/bandit -c pyproject.toml -r app workflows config.py wsgi.py --severity-level high
	$(SEMGREP) scan $(SEMGREP_FLAGS) --error --config .semgrep/rules/ app workflows templates config.py wsgi.py
	$(SEMGREP) --test $(SEMGREP_FLAGS) .semgrep/rules/

# Benchmark (issue 6): seeds bench/results/db/ once per size, serves with gunicorn in
# production mode, measures with wrk against /healthz; table printed, JSON in bench/results/.
# BENCH_PLOTS=100000 for province scale; BENCH_DURATION seconds per endpoint;
# BENCH_ARGS for more (e.g. --sweep, --mix, --reseed, --skip-writes; see bench/run.py --help);
# --mix adds what users do (random URLs per class, cold vs realistic with a writer; issue 19).
BENCH_PLOTS ?= 1000
BENCH_DURATION ?= 10
BENCH_ARGS ?=

bench-deps:
	@command -v wrk >/dev/null 2>&1 || { export DEBIAN_FRONTEND=noninteractive; \
	  apt-get install -y -qq wrk >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }; }

bench: setup bench-deps
	$(BIN)/python bench/run.py --db sqlite --plots $(BENCH_PLOTS) --duration $(BENCH_DURATION) $(BENCH_ARGS)

bench-pg: setup bench-deps
	$(BIN)/python bench/run.py --db pg --plots $(BENCH_PLOTS) --duration $(BENCH_DURATION) $(BENCH_ARGS)

# Translations. Chinese is the source language (every msgid is the Chinese text);
# English is in translations/en. Extract the msgids (babel.cfg) into messages.pot, merge
# them into the .po (new ones arrive untranslated: translate them), and compile the .mo,
# which is kept in git so a fresh clone needs no compile step.
.PHONY: translations
translations: $(BIN)/activate
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k N_ --add-comments=TRANSLATORS: \
	  --project="Contaminated land cases" --no-wrap -o messages.pot .
	@if [ -f translations/en/LC_MESSAGES/messages.po ]; then \
	  $(BIN)/pybabel update -i messages.pot -d translations -l en --no-wrap --no-fuzzy-matching --ignore-obsolete; \
	else \
	  $(BIN)/pybabel init -i messages.pot -d translations -l en --no-wrap; \
	fi
	$(BIN)/pybabel compile -d translations -l en --statistics

# A province's cluster on one machine, as a test (issue 20): PostgreSQL primary and
# streaming replica, Redis, an S3 server (moto), two gunicorn nodes, two RQ workers and
# nginx, all on 127.0.0.1 in a temporary folder; drives cases through nginx, kills a node
# and a worker mid-run, checks nothing was lost or doubled (scripts/cluster_test.py).
# About two minutes; as root (PostgreSQL runs as the postgres user). Summary in
# bench/results/cluster-latest.json.
cluster-deps:
	@command -v nginx >/dev/null 2>&1 || command -v /usr/sbin/nginx >/dev/null 2>&1 || { \
	  export DEBIAN_FRONTEND=noninteractive; apt-get install -y -qq nginx >/dev/null 2>&1 || \
	  { apt-get update -qq && apt-get install -y -qq nginx >/dev/null; }; }
	@command -v wrk >/dev/null 2>&1 || { export DEBIAN_FRONTEND=noninteractive; \
	  apt-get install -y -qq wrk >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }; }

cluster-test: setup cluster-deps
	timeout 900 $(BIN)/python scripts/cluster_test.py
