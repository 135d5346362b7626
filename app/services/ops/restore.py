"""``flask restore SRC``: check the whole backup first, restore it, then prove the
result (chain, signed head, row counts, document hashes; docs/backup.md)."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
import time
from pathlib import Path

from app.extensions import db
from app.services import ledger_heads, storage
from app.services.ops.archive import (
    BOOKKEEPING_TABLES,
    CHUNK,
    DATABASE_FILES,
    DOCUMENTS_DIR,
    FORMAT,
    HEAD_FILE,
    MANIFEST,
    BackupError,
    check_manifest_signature,
    database_kind,
    document_path,
    file_digest,
    pg_env,
    snapshot_facts,
    sqlite_path,
    table_counts,
    tool,
)

# ---------------------------------------------------------------- restore


def _load_manifest(src: Path) -> dict:
    path = src / MANIFEST
    if not path.is_file():
        raise BackupError(f"{src} 中没有 {MANIFEST}：不是备份目录，或备份没有完成（no manifest）")
    try:
        manifest = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise BackupError(f"无法读取 {path}：{exc}") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{path} 不是本系统的备份清单（format {FORMAT} expected）")
    problem = check_manifest_signature(manifest)
    if problem:
        raise BackupError(problem)
    try:
        ok = (
            manifest["database"]["kind"] in DATABASE_FILES
            and manifest["database"]["file"] == DATABASE_FILES[manifest["database"]["kind"]]
            and isinstance(manifest["tables"], dict)
            and isinstance(manifest["ledger_head"]["seq"], int)
            and manifest["ledger_head"]["file"] == HEAD_FILE
            and all(
                isinstance(d["sha256"], str)
                and len(d["sha256"]) == 64
                and all(c in "0123456789abcdef" for c in d["sha256"])
                for d in manifest["documents"]
            )
        )
    except (KeyError, TypeError):
        ok = False
    if not ok:
        raise BackupError(f"{path} 内容不完整或格式不正确（manifest malformed）")
    return manifest


def check(src: str | os.PathLike) -> tuple[dict, dict]:
    """Everything restore relies on, checked before anything is touched: the
    manifest and its signature, the database file, the head file, and every
    document. Returns (manifest, head file); raises BackupError naming the first
    kind of problem found (all damaged documents are listed)."""
    src = Path(src)
    if not src.is_dir():
        raise BackupError(f"{src} 不是目录（not a directory）")
    manifest = _load_manifest(src)

    database = manifest["database"]
    path = src / database["file"]
    if not path.is_file():
        raise BackupError(f"备份中缺少数据库文件 {database['file']}（database file missing）")
    if file_digest(path) != (database["sha256"], database["size"]):
        raise BackupError(f"数据库文件 {database['file']} 与清单不符：备份已损坏（damaged）")

    head_path = src / HEAD_FILE
    try:
        head_ok = file_digest(head_path)[0] == manifest["ledger_head"]["sha256"]
    except OSError:
        head_ok = False
    if not head_ok:
        raise BackupError(f"{HEAD_FILE} 缺失或与清单不符：备份已损坏（damaged）")
    head_file = ledger_heads.load_head_file(str(head_path))
    problem = ledger_heads.check_signature(head_file)
    if problem:
        raise BackupError(f"{HEAD_FILE}：{problem}")
    if (head_file["seq"], head_file["hash"]) != (
        manifest["ledger_head"]["seq"],
        manifest["ledger_head"]["hash"],
    ) or manifest["tables"].get("ledger_events") != head_file["seq"]:
        raise BackupError("链头文件、清单与台账事件数互不一致（manifest inconsistent）")

    bad = []
    for entry in manifest["documents"]:
        doc = document_path(src / DOCUMENTS_DIR, entry["sha256"])
        try:
            if file_digest(doc) != (entry["sha256"], entry["size"]):
                bad.append(entry["sha256"])
        except OSError:
            bad.append(entry["sha256"])
    if bad:
        raise BackupError(
            f"备份中有 {len(bad)} 份文档缺失或损坏，未恢复任何内容"
            f"（documents damaged, nothing restored）：{', '.join(bad[:10])}"
        )
    return manifest, head_file


def _target_rows() -> int:
    """Rows held by the target database outside the bookkeeping tables."""
    with db.engine.connect() as conn:
        counts = table_counts(conn)
    return sum(n for name, n in counts.items() if name not in BOOKKEEPING_TABLES)


def _restore_sqlite(path: Path) -> None:
    target = sqlite_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    # immutable: the backup may sit on read-only media; nothing else writes it.
    src = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True)
    dst = sqlite3.connect(target, timeout=60)
    try:
        src.backup(dst)  # replaces every page of the target in one write transaction
    finally:
        dst.close()
        src.close()


def _restore_postgresql(path: Path) -> None:
    """Replace the target's public schema with the dump, in ONE transaction.

    The ledger tables refuse DELETE and TRUNCATE (migration 0002), so emptying
    them row by row is impossible; dropping the schema drops them whole. psql
    runs the drop and the whole restore script as a single transaction: if any
    step fails, the database is left exactly as it was."""
    pg_restore, psql = tool("pg_restore"), tool("psql")
    env = pg_env()
    # Errors go to files: a full stderr pipe nobody reads would stall the tools.
    with tempfile.TemporaryFile() as restore_err, tempfile.TemporaryFile() as apply_err:
        restore = subprocess.Popen(  # noqa: S603 (fixed arguments, no shell)
            [pg_restore, "--no-owner", "--no-privileges", "--file=-", str(path)],
            stdout=subprocess.PIPE,
            stderr=restore_err,
            env=env,
        )
        apply = subprocess.Popen(  # noqa: S603
            [
                psql,
                "--no-psqlrc",
                "--quiet",
                "--single-transaction",
                "--set=ON_ERROR_STOP=1",
                "--file=-",
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=apply_err,
            env=env,
        )
        try:
            # A running application holds locks: fail after a minute rather than hang.
            apply.stdin.write(
                b"SET client_min_messages = warning;\nSET lock_timeout = '60s';\n"
                b"DROP SCHEMA IF EXISTS public CASCADE;\nCREATE SCHEMA public;\n"
            )
            shutil.copyfileobj(restore.stdout, apply.stdin, CHUNK)
            apply.stdin.close()
        except BrokenPipeError:
            pass  # psql stopped at an error; its stderr says which
        restore.stdout.close()
        restore.wait()
        apply.wait()
        if restore.returncode != 0 or apply.returncode != 0:
            restore_err.seek(0)
            apply_err.seek(0)
            detail = (restore_err.read() + apply_err.read()).decode(errors="replace")
            raise BackupError(
                "数据库恢复失败，目标数据库未改动（restore failed, target unchanged）："
                f"{detail.strip()[-2000:]}"
            )


def _restore_documents(src: Path, manifest: dict) -> int:
    """Put back every document the backup holds; one already intact in the store
    is left as it is (files are named by their hash, so it is the same file)."""
    written = 0
    for entry in manifest["documents"]:
        sha = entry["sha256"]
        if storage.intact(sha):
            continue
        size = storage.copy_in(document_path(src / DOCUMENTS_DIR, sha), sha)
        if size is None:
            raise BackupError(
                f"恢复时文档 {sha} 的内容与名称不符（document changed during restore）"
            )
        written += 1
    return written


def _code_heads() -> set[str]:
    from alembic.script import ScriptDirectory

    from app.extensions import migrate

    return set(ScriptDirectory.from_config(migrate.get_config()).get_heads())


def verify_restored(manifest: dict, head_file: dict) -> dict:
    """Prove the restored database and documents are the backup: the chain, the
    signed head, every table's row count, every document's hash."""
    db.session.remove()
    problems: list[str] = []
    result = ledger_heads.verify_against(head_file)
    if not result["ok"]:
        problems.append(
            f"台账校验失败：seq={result['first_bad_seq']} "
            f"{result.get('against') or result['reason']}"
        )
    with db.engine.connect() as conn:
        facts = snapshot_facts(conn)
    expected = manifest["tables"]
    for name in sorted(set(expected) | set(facts["tables"])):
        if expected.get(name) != facts["tables"].get(name):
            problems.append(
                f"表 {name} 行数 {facts['tables'].get(name)}，清单为 {expected.get(name)}"
            )
    if facts["alembic_revision"] != manifest["alembic_revision"]:
        problems.append(
            f"数据库版本 {facts['alembic_revision']}，清单为 {manifest['alembic_revision']}"
        )
    listed = {d["sha256"] for d in manifest["documents"]}
    if set(facts["documents"]) != listed:
        problems.append("数据库中的文档与清单所列不一致")
    bad = [sha for sha in sorted(set(facts["documents"]) | listed) if not storage.intact(sha)]
    if bad:
        problems.append(f"{len(bad)} 份文档缺失或损坏：{', '.join(bad[:10])}")
    db.session.remove()
    return {
        "ok": not problems,
        "problems": problems,
        "events": result["events"],
        "head_seq": head_file["seq"],
        "rows": sum(facts["tables"].values()),
        "tables": len(facts["tables"]),
        "documents": len(listed) - len(bad),
        "upgrade_needed": facts["alembic_revision"] not in _code_heads(),
    }


def restore(src: str | os.PathLike, *, force: bool = False) -> dict:
    """Restore the backup in ``src`` into the configured database and document
    store, then verify it (see ``verify_restored``)."""
    started = time.monotonic()
    src = Path(src)
    kind = database_kind()
    if not ledger_heads._key_path().exists():
        # Checking a signature would otherwise create a new key, which can never match.
        raise BackupError(
            "找不到台账签名密钥（LEDGER_SIGNING_KEY）：先从安全保管处放回密钥，"
            "见 docs/backup.md（the signing key is not in the backup）"
        )
    manifest, head_file = check(src)
    if manifest["database"]["kind"] != kind:
        raise BackupError(
            f"这是 {manifest['database']['kind']} 的备份，不能恢复到 {kind} 数据库"
            "（backup and target database differ）"
        )
    db.session.remove()
    if kind == "sqlite" and not sqlite_path().exists():
        held = 0
    else:
        held = _target_rows()
    if held and not force:
        raise BackupError(
            f"目标数据库已有 {held} 行数据；恢复会整体替换它。确认后加 --force"
            "（target database holds data; use --force to replace it）"
        )
    # Pooled connections must not outlive the database they were opened on.
    db.engine.dispose()
    if kind == "sqlite":
        _restore_sqlite(src / manifest["database"]["file"])
    else:
        _restore_postgresql(src / manifest["database"]["file"])
    db.engine.dispose()
    written = _restore_documents(src, manifest)
    report = verify_restored(manifest, head_file)
    return {
        **report,
        "documents_written": written,
        "backup_created_at": manifest["created_at"],
        "seconds": round(time.monotonic() - started, 2),
    }
