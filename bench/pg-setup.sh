#!/usr/bin/env bash
# Start the local PostgreSQL 15 cluster and make sure the role clc exists (the benchmark
# creates its own databases, clc_bench_<plots>; it never touches clc_test).
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
