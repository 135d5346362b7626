# Two commands for a fresh machine: `make run` (app + demo data on SQLite) and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: setup run demo test test-pg lint clean-demo

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

test: setup
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The same suite on PostgreSQL (starts the local cluster, creates a throwaway database).
test-pg: setup
	bash scripts/pg-test-db.sh
	DATABASE_URL=postgresql+psycopg://clc:clc@localhost/clc_test $(BIN)/python -m pytest $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
