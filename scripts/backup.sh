#!/usr/bin/env bash
# Back up the system of record: the database, the document store and the
# signed ledger head, into DEST_ROOT/<UTC timestamp>/ with SHA-256 sums.
#
#   DATABASE_URL=postgresql://… STORAGE_DIR=/srv/clc/storage scripts/backup.sh [DEST_ROOT]
#
# Order matters (docs/backup.md): the signed ledger head is taken FIRST, so the
# dump taken next contains the event it names; the document store is archived
# LAST, so it holds every document the dump refers to (files are stored once by
# SHA-256 and never deleted, so a later copy is a superset).
#
# PostgreSQL: pg_dump -Fc (a consistent snapshot while the app keeps writing).
# SQLite: the online backup API (a plain file copy of a live WAL database loses data).
set -euo pipefail
cd "$(dirname "$0")/.."

DEST_ROOT=${1:-${BACKUP_DIR:-backups}}
FLASK=${FLASK:-.venv/bin/flask --app wsgi}
PYTHON=${PYTHON:-.venv/bin/python}
: "${DATABASE_URL:?DATABASE_URL must name the database to back up}"
: "${STORAGE_DIR:?STORAGE_DIR must name the document store}"
[ -d "$STORAGE_DIR" ] || { echo "backup: STORAGE_DIR $STORAGE_DIR is not a folder" >&2; exit 2; }

stamp=$(date -u +%Y%m%dT%H%M%SZ)
dest="$DEST_ROOT/$stamp"
n=0
while [ -e "$dest" ]; do n=$((n + 1)); dest="$DEST_ROOT/$stamp-$n"; done
mkdir -p "$dest"
started=$(date +%s.%N)

echo "== 1/3 ledger head -> $dest/ledger-head.json"
$FLASK ledger head --out "$dest/ledger-head.json" >/dev/null

echo "== 2/3 database"
case "$DATABASE_URL" in
  postgres://* | postgresql://* | postgresql+*://*)
    # libpq does not know SQLAlchemy's driver suffix.
    pg_url=$(printf '%s' "$DATABASE_URL" | sed -E 's#^postgres(ql)?(\+[a-z0-9]+)?://#postgresql://#')
    pg_dump --format=custom --no-owner --no-privileges --file "$dest/database.dump" "$pg_url"
    db_file=database.dump
    ;;
  sqlite:///*)
    src=${DATABASE_URL#sqlite:///}
    "$PYTHON" - "$src" "$dest/database.sqlite3" <<'EOF'
import sqlite3, sys
src, out = sys.argv[1], sys.argv[2]
with sqlite3.connect(f"file:{src}?mode=ro", uri=True) as s, sqlite3.connect(out) as d:
    s.backup(d)  # page by page, consistent while writers continue
EOF
    db_file=database.sqlite3
    ;;
  *)
    echo "backup: unsupported DATABASE_URL scheme" >&2
    exit 2
    ;;
esac

echo "== 3/3 document store"
tar -C "$STORAGE_DIR" --exclude='.tmp-*' -czf "$dest/storage.tar.gz" .

{
  echo "created_utc=$stamp"
  echo "database=$db_file"
  echo "git_revision=$(git rev-parse HEAD 2>/dev/null || echo unknown)"
  echo "ledger_head_seq=$("$PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))["seq"])' "$dest/ledger-head.json")"
  echo "documents=$(find "$STORAGE_DIR" -type f ! -name '.tmp-*' | wc -l)"
} >"$dest/MANIFEST"

(cd "$dest" && sha256sum "$db_file" storage.tar.gz ledger-head.json MANIFEST >SHA256SUMS)
elapsed=$(awk -v s="$started" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
echo "backup written to $dest in ${elapsed}s:"
cat "$dest/MANIFEST"
echo "$dest"
