#!/usr/bin/env bash
# Fuzz the /api/v1 OpenAPI contract with schemathesis against the in-process
# app (tests/security/test_schemathesis.py), on SQLite, and on PostgreSQL when
# DATABASE_URL names one. Installs schemathesis into .venv when missing.
#
#   bash scripts/schemathesis.sh                       # SQLite
#   DATABASE_URL=postgresql+psycopg://clc:clc@localhost/clc_test bash scripts/schemathesis.sh
#   SCHEMATHESIS_MAX_EXAMPLES=100 bash scripts/schemathesis.sh   # deeper (default 20)
#
# Stateless phases (every operation, positive and negative), then the stateful
# phase: scenarios that follow the document's OpenAPI links (register a plot →
# its case → file → act; manifest → dispatch …), 2 × MAX_EXAMPLES scenarios of
# up to SCHEMATHESIS_STATEFUL_STEPS (20) steps; it prints the links covered.
#
# Fails on any 5xx, any answer that violates the document (status code, content
# type, body schema) and any invalid request accepted; prints each with its request.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
if ! "$PY" -c "import schemathesis" 2>/dev/null; then
  echo "== installing schemathesis"
  .venv/bin/pip install -q schemathesis
fi
"$PY" -m pytest tests/security/test_schemathesis.py -m schemathesis -p no:cacheprovider -q "$@"
