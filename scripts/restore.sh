#!/usr/bin/env bash
# Restore a backup folder with `flask restore` (app/services/ops/,
# docs/backup.md) into DATABASE_URL and STORAGE_DIR, then verify it: the
# ledger chain, the signed head saved with the backup, every table's row count
# and every document's hash. Exits non-zero, naming the problem, otherwise.
#
#   DATABASE_URL=postgresql+psycopg://…/clc STORAGE_DIR=/srv/clc/storage \
#     scripts/restore.sh BACKUP_DIR [--force]
#
# --force replaces a database that already holds data. The ledger signing key
# is NOT in the backup: put it back first (docs/backup.md).
set -euo pipefail
cd "$(dirname "$0")/.."

src=${1:?usage: scripts/restore.sh BACKUP_DIR [--force]}
shift
FLASK=${FLASK:-.venv/bin/flask --app wsgi}
$FLASK restore "$src" "$@"
