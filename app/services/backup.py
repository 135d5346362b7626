"""Backup and restore of the system of record (docs/backup.md).

A backup is one folder holding the three parts that must be kept together:
the database, the documents it names, and the signed ledger head, plus a
``manifest.json`` that lists them (row counts, document hashes and sizes, the
head) and is signed with the bureau's ledger key.

Every figure comes from ONE snapshot of the database, so the folder is
consistent as of the moment that snapshot was taken, however busy the
application is meanwhile:

- SQLite: ``sqlite3.Connection.backup`` copies the live file page by page in a
  single step under a read lock (a plain file copy of a live database, WAL or
  not, can lose or tear data); the counts and the head are then read from the
  copy.
- PostgreSQL: a REPEATABLE READ transaction exports its snapshot, the counts
  and the head are read inside it, and ``pg_dump -Fc --snapshot`` dumps that
  very snapshot.

Documents are stored once by SHA-256 and only ever added, and their file is
written before the row naming it commits, so every document the snapshot names
is on disk when it is copied.

Restore checks the whole folder before it touches anything (manifest
signature, database file, head file, every document's hash), replaces the
database, puts the documents back, and then proves the result: the chain
verifies, it still holds the signed head, every table has the manifest's row
count and every document hashes to its name. The signing key is not in the
backup; it must be back in place first (docs/backup.md).

《土壤污染防治法》第四十三条、第九十条: the accountability ledger and the
documents it names are kept for life, so they must survive the loss of a server.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
import time
from pathlib import Path

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from flask import current_app
from sqlalchemy import create_engine, func, inspect, select, table, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.pool import NullPool

from app.errors import ServiceError
from app.extensions import db
from app.models import Document, LedgerEvent, TipoffPhoto
from app.services import clock, ledger, ledger_heads, storage

FORMAT = "clc-backup/1"
MANIFEST = "manifest.json"
HEAD_FILE = "ledger-head.json"
DOCUMENTS_DIR = "documents"
DATABASE_FILES = {"sqlite": "database.sqlite3", "postgresql": "database.dump"}
# Tables a freshly migrated, still empty database already has rows in.
BOOKKEEPING_TABLES = {"alembic_version", "locks"}
# libpq reads these from the environment; a URL's query may set the ones in _PG_QUERY_ENV.
_PG_ENV = (
    "PGHOST",
    "PGPORT",
    "PGUSER",
    "PGPASSWORD",
    "PGDATABASE",
    "PGSERVICE",
    "PGSSLMODE",
    "PGOPTIONS",
    "PGCONNECT_TIMEOUT",
    "PGSSLROOTCERT",
    "PGSSLCERT",
    "PGSSLKEY",
)
_PG_QUERY_ENV = {
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "connect_timeout": "PGCONNECT_TIMEOUT",
    "options": "PGOPTIONS",
    "host": "PGHOST",
    "port": "PGPORT",
}
_CHUNK = 1 << 20


class BackupError(ServiceError):
    """The backup or restore cannot go on; the message says why and what to do."""


# ---------------------------------------------------------------- helpers


def _database_kind() -> str:
    name = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"]).get_backend_name()
    if name not in DATABASE_FILES:
        raise BackupError(f"不支持的数据库类型 {name}（unsupported database）")
    return name


def _sqlite_path() -> Path:
    path = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"]).database
    if not path or path == ":memory:":
        raise BackupError("内存中的 SQLite 数据库无法备份或恢复（in-memory database）")
    return Path(path)


def _pg_env() -> dict:
    """Connection settings for pg_dump / psql, password included, as environment
    variables: nothing secret ever appears on a command line (``ps``) or in a log."""
    url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    env = {k: v for k, v in os.environ.items() if k not in _PG_ENV}
    for key, value in url.query.items():
        if key in _PG_QUERY_ENV:
            env[_PG_QUERY_ENV[key]] = value if isinstance(value, str) else value[0]
    for name, value in (
        ("PGHOST", url.host),
        ("PGPORT", url.port),
        ("PGUSER", url.username),
        ("PGPASSWORD", url.password),
        ("PGDATABASE", url.database),
    ):
        if value is not None:
            env[name] = str(value)
    return env


def _tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise BackupError(
            f"找不到 {name}：请安装 PostgreSQL 客户端（postgresql-client, {name} not found）"
        )
    return found


def _file_digest(path: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _copy_verified(source: Path, target: Path, sha256: str) -> int | None:
    """Copy ``source`` to ``target`` (write, then rename) if its bytes hash to
    ``sha256``; the size copied, or None (and nothing written) if they do not."""
    target.parent.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
    try:
        with open(source, "rb") as src, os.fdopen(fd, "wb") as out:
            while chunk := src.read(_CHUNK):
                digest.update(chunk)
                size += len(chunk)
                out.write(chunk)
        if digest.hexdigest() != sha256:
            Path(tmp).unlink()
            return None
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return size


def _document_path(root: Path, sha256: str) -> Path:
    return root / sha256[:2] / sha256[2:4] / sha256


def table_counts(conn: Connection) -> dict[str, int]:
    """Rows in every table of the database ``conn`` is connected to."""
    return {
        name: conn.execute(select(func.count()).select_from(table(name))).scalar_one()
        for name in sorted(inspect(conn).get_table_names())
    }


def _facts(conn: Connection) -> dict:
    """What the manifest says about a database, all read through ``conn``."""
    names = set(inspect(conn).get_table_names())
    if not {"ledger_events", "documents", "tipoff_photos", "alembic_version"} <= names:
        raise BackupError("数据库还没有建表：先运行 flask db upgrade（no schema）")
    row = conn.execute(
        select(LedgerEvent.seq, LedgerEvent.hash).order_by(LedgerEvent.seq.desc()).limit(1)
    ).first()
    digests = conn.execute(select(Document.sha256).union(select(TipoffPhoto.sha256))).scalars()
    return {
        "alembic_revision": conn.execute(text("SELECT version_num FROM alembic_version")).scalar(),
        "tables": table_counts(conn),
        "head": (row.seq, row.hash) if row else (0, ledger.GENESIS),
        "documents": sorted(set(digests)),
    }


def _git_revision() -> str:
    try:
        out = subprocess.run(  # noqa: S603
            ["git", "rev-parse", "HEAD"],  # noqa: S607
            cwd=Path(current_app.root_path).parent,
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.stdout.strip() if out.returncode == 0 else "unknown"


def _sign(body: dict) -> dict:
    info = ledger_heads.public_key_info()
    body = {**body, "key_id": info["key_id"]}
    signature = ledger_heads.signing_key().sign(rfc8785.dumps(body))
    return {**body, "signature": base64.b64encode(signature).decode()}


def _check_manifest_signature(manifest: dict) -> str | None:
    body = {k: v for k, v in manifest.items() if k != "signature"}
    info = ledger_heads.public_key_info()
    if manifest.get("key_id") != info["key_id"]:
        return "manifest.json 不是用本系统当前的签名密钥签发的（先放回签名密钥，见 docs/backup.md）"
    try:
        signature = base64.b64decode(manifest["signature"], validate=True)
        Ed25519PublicKey.from_public_bytes(base64.b64decode(info["public_key"])).verify(
            signature, rfc8785.dumps(body)
        )
    except (KeyError, TypeError, ValueError):
        return "manifest.json 的签名格式不正确"
    except InvalidSignature:
        return "manifest.json 的签名无效：清单被改动过（manifest was altered）"
    return None


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
    source = _sqlite_path()
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
            return _facts(conn)
    finally:
        engine.dispose()


def _snapshot_postgresql(out: Path) -> dict:
    """pg_dump the snapshot a REPEATABLE READ transaction exported; the facts are
    read in that same transaction, so they describe exactly what was dumped."""
    pg_dump = _tool("pg_dump")
    with db.engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn:
        snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
        facts = _facts(conn)
        proc = subprocess.run(  # noqa: S603 (fixed arguments, no shell)
            [
                pg_dump,
                "--format=custom",
                "--no-owner",
                "--no-privileges",
                f"--snapshot={snapshot}",
                f"--file={out}",
            ],
            env=_pg_env(),
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
    kind = _database_kind()
    _prepare_destination(dest, force)
    database_file = dest / DATABASE_FILES[kind]
    created_at = ledger.iso(clock.now())
    if kind == "sqlite":
        facts = _snapshot_sqlite(database_file)
    else:
        facts = _snapshot_postgresql(database_file)

    store, copied, damaged = storage.storage_root(), [], []
    for sha in facts["documents"]:
        source = _document_path(store, sha)
        size = None
        if source.is_file():
            size = _copy_verified(source, _document_path(dest / DOCUMENTS_DIR, sha), sha)
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
    db_sha, db_size = _file_digest(database_file)
    manifest = _sign(
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
                "sha256": _file_digest(head_path)[0],
            },
            "documents": copied,
            "tool": {"name": "flask backup", "format_version": 1, "git_revision": _git_revision()},
        }
    )
    # The manifest is written last, and atomically: a folder without one is an
    # unfinished backup, and restore refuses it.
    tmp = dest / f".{MANIFEST}.tmp"
    tmp.write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", "utf-8")
    os.replace(tmp, dest / MANIFEST)
    return {**manifest, "seconds": round(time.monotonic() - started, 2)}


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
    problem = _check_manifest_signature(manifest)
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
    if _file_digest(path) != (database["sha256"], database["size"]):
        raise BackupError(f"数据库文件 {database['file']} 与清单不符：备份已损坏（damaged）")

    head_path = src / HEAD_FILE
    try:
        head_ok = _file_digest(head_path)[0] == manifest["ledger_head"]["sha256"]
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
        doc = _document_path(src / DOCUMENTS_DIR, entry["sha256"])
        try:
            if _file_digest(doc) != (entry["sha256"], entry["size"]):
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
    target = _sqlite_path()
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
    pg_restore, psql = _tool("pg_restore"), _tool("psql")
    env = _pg_env()
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
            shutil.copyfileobj(restore.stdout, apply.stdin, _CHUNK)
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
        size = _copy_verified(_document_path(src / DOCUMENTS_DIR, sha), storage.path_for(sha), sha)
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
        facts = _facts(conn)
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
    kind = _database_kind()
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
    if kind == "sqlite" and not _sqlite_path().exists():
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
