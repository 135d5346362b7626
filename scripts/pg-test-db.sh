#!/usr/bin/env bash
# Start the local PostgreSQL 15 cluster and (re)create the test role and database.
set -euo pipefail
if ! pg_lsclusters 2>/dev/null | grep -q '^15 *main'; then
  pg_createcluster 15 main >/dev/null
fi
pg_ctlcluster 15 main start 2>/dev/null || true
for _ in $(seq 1 30); do
  su postgres -c "pg_isready -q" && break
  sleep 1
done
su postgres -c "psql -qtAc \"SELECT 1 FROM pg_roles WHERE rolname='clc'\"" | grep -q 1 ||
  su postgres -c "psql -qc \"CREATE ROLE clc LOGIN SUPERUSER PASSWORD 'clc'\""
su postgres -c "dropdb --if-exists clc_test" >/dev/null
su postgres -c "createdb -O clc clc_test"
