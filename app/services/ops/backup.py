"""``flask backup DEST``: one consistent snapshot of database, documents and signed
ledger head, with a signed manifest (docs/backup.md)."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import time
from pathlib import Path

from flask import current_app
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from app.extensions import db
from app.services import clock, ledger, ledger_heads, storage
from app.services.ops.archive import (
    DATABASE_FILES,
    DOCUMENTS_DIR,
    FORMAT,
    HEAD_FILE,
    MANIFEST,
    BackupError,
    database_kind,
    document_path,
    file_digest,
    git_revision,
    pg_env,
    sign,
    snapshot_facts,
    sqlite_path,
    tool,
)

# ---------------------------------------------------------------- backup


def _prepare_destination(dest: Path, force: bool) -> None:
    if dest.exists() and not dest.is_dir():
        raise BackupError(f"{dest} 不是目录（not a directory）")
    dest.mkdir(parents=True, exist_ok=True)
    if not any(dest.iterdir()):
        return
    if not force:
        raise BackupError(f"备份目录 {dest} 不是空的；换一个目录，或加 --force 覆盖（not empty）")
    # --force replaces an earlier backup in this folder; other files are left alone.
    for name in (MANIFEST, HEAD_FILE, *DATABASE_FILES.values()):
        (dest / name).unlink(missing_ok=True)
    shutil.rmtree(dest / DOCUMENTS_DIR, ignore_errors=True)


def _snapshot_sqlite(out: Path) -> dict:
    """Copy the live database with SQLite's online backup API; read the facts from the copy."""
    source = sqlite_path()
    if not source.exists():
        raise BackupError(f"数据库文件 {source} 不存在（database file missing）")
    src = sqlite3.connect(source, timeout=60)
    dst = sqlite3.connect(out)
    try:
        src.backup(dst)  # pages=-1: one step under one read lock, so one consistent state
        # A self-contained file even when the live database runs in WAL mode.
        dst.execute("PRAGMA journal_mode=DELETE")
    finally:
        dst.close()
        src.close()
    engine = create_engine(f"sqlite:///{out}", poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return snapshot_facts(conn)
    finally:
        engine.dispose()


def _snapshot_postgresql(out: Path) -> dict:
    """pg_dump the snapshot a REPEATABLE READ transaction exported; the facts are
    read in that same transaction, so they describe exactly what was dumped."""
    pg_dump = tool("pg_dump")
    with db.engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn:
        snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
        facts = snapshot_facts(conn)
        proc = subprocess.run(  # noqa: S603 (fixed arguments, no shell)
            [
                pg_dump,
                "--format=custom",
                "--no-owner",
                "--no-privileges",
                f"--snapshot={snapshot}",
                f"--file={out}",
            ],
            env=pg_env(),
            capture_output=True,
            text=True,
        )
        conn.rollback()
    if proc.returncode != 0:
        raise BackupError(f"pg_dump 失败：{proc.stderr.strip()[-2000:]}")
    return facts


def backup(dest: str | os.PathLike, *, force: bool = False) -> dict:
    """Write a backup into the folder ``dest``; return its manifest."""
    started = time.monotonic()
    dest = Path(dest)
    kind = database_kind()
    _prepare_destination(dest, force)
    database_file = dest / DATABASE_FILES[kind]
    created_at = ledger.iso(clock.now())
    if kind == "sqlite":
        facts = _snapshot_sqlite(database_file)
    else:
        facts = _snapshot_postgresql(database_file)

    copied, damaged = [], []
    for sha in facts["documents"]:
        # From the folder or the bucket (STORAGE_URL), checked against its name.
        size = storage.copy_out(sha, document_path(dest / DOCUMENTS_DIR, sha))
        if size is None:
            damaged.append(sha)
        else:
            copied.append({"sha256": sha, "size": size})
    if damaged:
        raise BackupError(
            f"文档库中有 {len(damaged)} 份文档缺失或损坏，备份未完成"
            f"（documents missing or damaged）：{', '.join(damaged[:10])}"
        )

    seq, hash_ = facts["head"]
    head_file = ledger_heads.make_head_file(seq, hash_, created_at)
    head_path = dest / HEAD_FILE
    head_path.write_text(json.dumps(head_file, ensure_ascii=False, indent=2) + "\n", "utf-8")
    db_sha, db_size = file_digest(database_file)
    manifest = sign(
        {
            "format": FORMAT,
            "created_at": created_at,
            "county": current_app.config["COUNTY_NAME"],
            "database": {
                "kind": kind,
                "file": database_file.name,
                "sha256": db_sha,
                "size": db_size,
            },
            "alembic_revision": facts["alembic_revision"],
            "tables": facts["tables"],
            "ledger_head": {
                "seq": seq,
                "hash": hash_,
                "file": HEAD_FILE,
                "sha256": file_digest(head_path)[0],
            },
            "documents": copied,
            "tool": {"name": "flask backup", "format_version": 1, "git_revision": git_revision()},
        }
    )
    # The manifest is written last, and atomically: a folder without one is an
    # unfinished backup, and restore refuses it.
    tmp = dest / f".{MANIFEST}.tmp"
    tmp.write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", "utf-8")
    os.replace(tmp, dest / MANIFEST)
    return {**manifest, "seconds": round(time.monotonic() - started, 2)}
