"""Backup and restore drill (docs/backup.md): seed a small county, run
scripts/backup.sh, restore with scripts/restore.sh into a fresh database and
folder, and check row counts, the ledger against the saved signed head, and
every document's hash. Runs on PostgreSQL (pg_dump -Fc) — the production
database — and on SQLite (online backup API).

Figure (printed): rows restored, ledger events verified, documents checked,
backup and restore seconds.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from app.extensions import db as _db
from app.models import LedgerEvent
from app.services import documents
from tests.security.county import build
from tests.support import SITE

ROOT = Path(__file__).resolve().parents[2]


def _counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return {
                t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
                for t in _db.metadata.sorted_tables
            }
    finally:
        engine.dispose()


class Target:
    """A new, empty database to restore into (PostgreSQL database or SQLite file)."""

    def __init__(self, source_url: str, tmp: Path, name: str):
        self.source = make_url(source_url)
        self.admin = None
        if self.source.get_backend_name() == "postgresql":
            self.name = f"{self.source.database}_{name}"
            self.admin = create_engine(self.source.set(database="postgres"),
                                       isolation_level="AUTOCOMMIT")  # fmt: skip
            with self.admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
                conn.execute(text(f'CREATE DATABASE "{self.name}"'))
            self.url = self.source.set(database=self.name).render_as_string(hide_password=False)
        else:
            self.url = f"sqlite:///{tmp / f'{name}.db'}"

    def drop(self) -> None:
        if self.admin is not None:
            with self.admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
            self.admin.dispose()


def _env(url: str, storage: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(DATABASE_URL=url, STORAGE_DIR=str(storage), APP_CONFIG="testing")
    env["FLASK"] = f"{ROOT / '.venv/bin/flask'} --app wsgi"
    env["PYTHON"] = str(ROOT / ".venv/bin/python")
    return env


def _run(script: str, *args, env: dict) -> tuple[subprocess.CompletedProcess, float]:
    started = time.monotonic()
    proc = subprocess.run(["bash", str(ROOT / "scripts" / script), *map(str, args)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)  # fmt: skip
    return proc, time.monotonic() - started


def _seed(world) -> None:
    build(world)  # a case in works: manifests, a PDF attachment, a tip-off photo…
    world.to_state("released")
    world.to_state("plan_review")
    documents.run_pending(limit=4)  # a few issued receipts and manifests (PDF) in the store
    _db.session.commit()


@pytest.fixture
def source(app):
    return app.config["SQLALCHEMY_DATABASE_URI"], app.config["STORAGE_DIR"]


def test_backup_restore_drill(app, world, source, tmp_path, capsys):
    url, storage = source
    _seed(world)
    before = _counts(url)
    ledger_events = before["ledger_events"]

    backup, backup_s = _run("backup.sh", tmp_path / "backups", env=_env(url, storage))
    assert backup.returncode == 0, backup.stderr[-2000:]
    folder = Path(backup.stdout.strip().splitlines()[-1])
    assert {p.name for p in folder.iterdir()} >= {
        "ledger-head.json", "storage.tar.gz", "SHA256SUMS", "MANIFEST"
    }  # fmt: skip

    target = Target(url, tmp_path, "restored")
    try:
        restored_storage = tmp_path / "restored-storage"
        restore, restore_s = _run("restore.sh", folder, env=_env(target.url, restored_storage))
        assert restore.returncode == 0, restore.stdout[-2000:] + restore.stderr[-2000:]
        assert "与链头文件一致" in restore.stdout and "台账完整" in restore.stdout
        m = re.search(
            r"rows_total=(\d+) documents_checked=(\d+) documents_bad=(\d+)", restore.stdout
        )
        assert m, restore.stdout[-1000:]
        rows, checked, bad = map(int, m.groups())
        after = _counts(target.url)
        assert after == before, {
            k: (before[k], after.get(k)) for k in before if before[k] != after.get(k)
        }
        assert bad == 0 and checked >= 3
        assert rows == sum(before.values())
    finally:
        target.drop()
    with capsys.disabled():
        print(f"\n[backup drill] {app.config['SQLALCHEMY_DATABASE_URI'].split(':')[0]}: "
              f"rows restored {rows} in {len(before)} tables, ledger verified ({ledger_events} events, "
              f"signed head matched), documents checked {checked} (bad {bad}); "
              f"backup {backup_s:.1f}s, restore+verify {restore_s:.1f}s")  # fmt: skip


def test_a_damaged_backup_is_refused_before_anything_is_restored(app, world, source, tmp_path):
    url, storage = source
    world.to_state("survey_review")
    backup, _ = _run("backup.sh", tmp_path / "backups", env=_env(url, storage))
    assert backup.returncode == 0, backup.stderr[-2000:]
    folder = Path(backup.stdout.strip().splitlines()[-1])
    damaged = tmp_path / "damaged"
    shutil.copytree(folder, damaged)
    archive = damaged / "storage.tar.gz"
    data = bytearray(archive.read_bytes())
    data[len(data) // 2] ^= 0xFF
    archive.write_bytes(bytes(data))
    target = Target(url, tmp_path, "damaged")
    try:
        proc, _ = _run("restore.sh", damaged, env=_env(target.url, tmp_path / "s2"))
        assert proc.returncode == 3, proc.stdout + proc.stderr
        assert "damaged" in proc.stderr
        assert not (tmp_path / "s2").exists()
    finally:
        target.drop()


def test_a_restore_never_overwrites_a_live_database(app, world, source, tmp_path):
    url, storage = source
    world.to_state("survey")
    backup, _ = _run("backup.sh", tmp_path / "backups", env=_env(url, storage))
    assert backup.returncode == 0, backup.stderr[-2000:]
    folder = Path(backup.stdout.strip().splitlines()[-1])
    before = _counts(url)
    proc, _ = _run("restore.sh", folder, env=_env(url, tmp_path / "s3"))  # the live database
    assert proc.returncode == 4, proc.stdout + proc.stderr
    assert _counts(url) == before


def test_backup_under_concurrent_writes_restores_a_verifying_ledger(
    app, world, source, tmp_path, capsys
):
    """Plots keep being registered while the backup runs: the restored chain still
    verifies, contains the signed head, and every document it names is there."""
    url, storage = source
    _seed(world)
    headers = dict(world.landholder.headers)
    _db.session.commit()
    stop, written, errors = threading.Event(), [0], []

    def writer():
        client = FlaskClient(app, app.response_class)
        while not stop.is_set():
            r = client.post("/api/v1/sites", json={**SITE, "name": f"并发地块{written[0]}"},
                            headers=headers)  # fmt: skip
            if r.status_code == 201:
                written[0] += 1
            else:
                errors.append(r.status_code)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        time.sleep(0.3)
        backup, backup_s = _run("backup.sh", tmp_path / "backups", env=_env(url, storage))
    finally:
        stop.set()
        thread.join(timeout=60)
    assert backup.returncode == 0, backup.stderr[-2000:]
    assert not errors and written[0] > 0
    folder = Path(backup.stdout.strip().splitlines()[-1])
    target = Target(url, tmp_path, "concurrent")
    try:
        restore, restore_s = _run("restore.sh", folder, env=_env(target.url, tmp_path / "s4"))
        assert restore.returncode == 0, restore.stdout[-2000:] + restore.stderr[-2000:]
        engine = create_engine(target.url)
        with engine.connect() as conn:
            restored = conn.execute(
                select(func.count()).select_from(LedgerEvent.__table__)
            ).scalar_one()
        engine.dispose()
    finally:
        target.drop()
    live = _counts(url)["ledger_events"]
    with capsys.disabled():
        print(f"\n[backup drill, concurrent] plots written during backup {written[0]}; "
              f"ledger events restored {restored} of {live} live now; backup {backup_s:.1f}s")  # fmt: skip
    assert 0 < restored <= live
