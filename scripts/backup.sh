#!/usr/bin/env bash
# Back up the system of record into DEST_ROOT/<UTC timestamp>/ with
# `flask backup` (app/services/ops/, docs/backup.md): the database
# (SQLite online backup API, or pg_dump -Fc of one snapshot), the documents it
# names, the signed ledger head and a signed manifest.json. For cron:
#
#   DATABASE_URL=postgresql+psycopg://… STORAGE_DIR=/srv/clc/storage scripts/backup.sh [DEST_ROOT]
#
# Prints the folder written as its last line.
set -euo pipefail
cd "$(dirname "$0")/.."

DEST_ROOT=${1:-${BACKUP_DIR:-backups}}
FLASK=${FLASK:-.venv/bin/flask --app wsgi}

stamp=$(date -u +%Y%m%dT%H%M%SZ)
dest="$DEST_ROOT/$stamp"
n=0
while [ -e "$dest" ]; do n=$((n + 1)); dest="$DEST_ROOT/$stamp-$n"; done
$FLASK backup "$dest"
echo "$dest"
