"""The backup folder's format and what backup and restore share: paths, digests,
the manifest signature, the database's kind and connection settings.

See ``app/services/ops/__init__.py`` and docs/backup.md for the whole design.
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from flask import current_app
from sqlalchemy import func, inspect, select, table, text
from sqlalchemy.engine import Connection, make_url

from app.errors import ServiceError
from app.models import Document, LedgerEvent, TipoffPhoto
from app.services import ledger, ledger_heads

FORMAT = "clc-backup/1"
MANIFEST = "manifest.json"
HEAD_FILE = "ledger-head.json"
DOCUMENTS_DIR = "documents"
DATABASE_FILES = {"sqlite": "database.sqlite3", "postgresql": "database.dump"}
# Tables a freshly migrated, still empty database already has rows in.
BOOKKEEPING_TABLES = {"alembic_version", "locks"}
# libpq reads these from the environment; a URL's query may set the ones in PG_QUERY_ENV.
PG_ENV = (
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
PG_QUERY_ENV = {
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "connect_timeout": "PGCONNECT_TIMEOUT",
    "options": "PGOPTIONS",
    "host": "PGHOST",
    "port": "PGPORT",
}
CHUNK = 1 << 20


class BackupError(ServiceError):
    """The backup or restore cannot go on; the message says why and what to do."""


# ---------------------------------------------------------------- helpers


def database_kind() -> str:
    name = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"]).get_backend_name()
    if name not in DATABASE_FILES:
        raise BackupError(f"不支持的数据库类型 {name}（unsupported database）")
    return name


def sqlite_path() -> Path:
    path = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"]).database
    if not path or path == ":memory:":
        raise BackupError("内存中的 SQLite 数据库无法备份或恢复（in-memory database）")
    return Path(path)


def pg_env() -> dict:
    """Connection settings for pg_dump / psql, password included, as environment
    variables: nothing secret ever appears on a command line (``ps``) or in a log."""
    url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    env = {k: v for k, v in os.environ.items() if k not in PG_ENV}
    for key, value in url.query.items():
        if key in PG_QUERY_ENV:
            env[PG_QUERY_ENV[key]] = value if isinstance(value, str) else value[0]
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


def tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise BackupError(
            f"找不到 {name}：请安装 PostgreSQL 客户端（postgresql-client, {name} not found）"
        )
    return found


def file_digest(path: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def document_path(root: Path, sha256: str) -> Path:
    return root / sha256[:2] / sha256[2:4] / sha256


def table_counts(conn: Connection) -> dict[str, int]:
    """Rows in every table of the database ``conn`` is connected to."""
    return {
        name: conn.execute(select(func.count()).select_from(table(name))).scalar_one()
        for name in sorted(inspect(conn).get_table_names())
    }


def snapshot_facts(conn: Connection) -> dict:
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


def git_revision() -> str:
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


def sign(body: dict) -> dict:
    info = ledger_heads.public_key_info()
    body = {**body, "key_id": info["key_id"]}
    signature = ledger_heads.signing_key().sign(rfc8785.dumps(body))
    return {**body, "signature": base64.b64encode(signature).decode()}


def check_manifest_signature(manifest: dict) -> str | None:
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
