#!/usr/bin/env bash
# Restore a backup made by scripts/backup.sh into a NEW, empty database and a
# NEW document folder, then prove it: the ledger chain verifies and still
# contains the signed head saved with the backup, and every stored document
# (attachments, issued receipts, tip-off photos) hashes to its name.
#
#   DATABASE_URL=postgresql://…/clc_restored STORAGE_DIR=/srv/clc/storage.new \
#     scripts/restore.sh BACKUP_DIR
#
# Exits non-zero, naming the problem, when a checksum does not match, the
# target is not empty, the ledger does not verify or a document is damaged.
# The ledger signing key (LEDGER_SIGNING_KEY or instance/ledger-signing-key.pem)
# is NOT in the backup: restore it from its own safe keeping (docs/backup.md).
set -euo pipefail
cd "$(dirname "$0")/.."

src=${1:?usage: scripts/restore.sh BACKUP_DIR}
FLASK=${FLASK:-.venv/bin/flask --app wsgi}
PYTHON=${PYTHON:-.venv/bin/python}
: "${DATABASE_URL:?DATABASE_URL must name the NEW database to restore into}"
: "${STORAGE_DIR:?STORAGE_DIR must name the NEW document folder}"
started=$(date +%s.%N)

echo "== 1/5 checksums"
(cd "$src" && sha256sum --quiet --check SHA256SUMS) || {
  echo "restore: the backup in $src is damaged (SHA256SUMS does not match)" >&2
  exit 3
}
db_file=$(sed -n 's/^database=//p' "$src/MANIFEST")

echo "== 2/5 document store -> $STORAGE_DIR"
mkdir -p "$STORAGE_DIR"
if [ -n "$(find "$STORAGE_DIR" -mindepth 1 -print -quit)" ]; then
  echo "restore: $STORAGE_DIR is not empty; restore into a new folder" >&2
  exit 4
fi
tar -C "$STORAGE_DIR" -xzf "$src/storage.tar.gz"

echo "== 3/5 database"
case "$DATABASE_URL" in
  postgres://* | postgresql://* | postgresql+*://*)
    pg_url=$(printf '%s' "$DATABASE_URL" | sed -E 's#^postgres(ql)?(\+[a-z0-9]+)?://#postgresql://#')
    tables=$(psql "$pg_url" -qtAc "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
    if [ "$tables" != "0" ]; then
      echo "restore: the target database already has $tables tables; restore into a new one" >&2
      exit 4
    fi
    pg_restore --exit-on-error --no-owner --no-privileges --dbname "$pg_url" "$src/$db_file"
    ;;
  sqlite:///*)
    target=${DATABASE_URL#sqlite:///}
    if [ -s "$target" ]; then
      echo "restore: $target exists; restore into a new file" >&2
      exit 4
    fi
    mkdir -p "$(dirname "$target")"
    cp "$src/$db_file" "$target"
    ;;
  *)
    echo "restore: unsupported DATABASE_URL scheme" >&2
    exit 2
    ;;
esac

echo "== 4/5 ledger: chain and saved head"
$FLASK ledger verify --against "$src/ledger-head.json"

echo "== 5/5 documents"
"$PYTHON" - <<'EOF'
import sys

from sqlalchemy import func, select

from app import create_app
from app.extensions import db
from app.models import Document, TipoffPhoto
from app.services import storage

app = create_app()
with app.app_context():
    digests = set(db.session.scalars(select(Document.sha256)))
    digests |= set(db.session.scalars(select(TipoffPhoto.sha256)))
    bad = sorted(d for d in digests if not storage.intact(d))
    rows = {
        t.name: db.session.scalar(select(func.count()).select_from(t))
        for t in db.metadata.sorted_tables
    }
print("rows " + " ".join(f"{k}={v}" for k, v in sorted(rows.items())))
print(f"rows_total={sum(rows.values())} documents_checked={len(digests)} documents_bad={len(bad)}")
for d in bad:
    print(f"damaged or missing document {d}", file=sys.stderr)
sys.exit(1 if bad else 0)
EOF
elapsed=$(awk -v s="$started" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
echo "restore verified in ${elapsed}s"
