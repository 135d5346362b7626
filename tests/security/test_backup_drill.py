"""Backup and restore drill (docs/backup.md, app/services/ops/).

The drill: seed a small county, run ``flask backup`` while two writers keep
registering plots and uploading PDF reports, wipe the database and the document
store, run ``flask restore``, and check -- independently of the tool's own
report -- that every table has the manifest's row count, that the ledger
verifies and still holds the signed head saved with the backup, and that every
document hashes to its name. Runs on SQLite (online backup API) and on
PostgreSQL (``pg_dump -Fc`` of an exported snapshot).

Then what must be refused: a damaged document, a tampered manifest, a missing
manifest, a damaged database file, a swapped head file, a non-empty DEST, a
database that holds data (without --force), a restore without the signing key.

Figure (printed): rows and documents restored, plots and reports written during
the backup, backup and restore seconds.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, select, text
from sqlalchemy.engine import make_url

from app.extensions import db as _db
from app.models import Document, Site, TipoffPhoto
from app.services import documents, ledger, ledger_heads, storage
from app.services.ops import archive as backup_service
from tests.security.county import build, pdf_bytes
from tests.support import SITE

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _pg_tools(app):
    if _db.engine.dialect.name == "postgresql" and not all(
        shutil.which(t) for t in ("pg_dump", "pg_restore", "psql")
    ):
        pytest.skip("PostgreSQL client tools (pg_dump, pg_restore, psql) not installed")


@pytest.fixture
def cli(app):
    runner = app.test_cli_runner()

    def invoke(*args):
        result = runner.invoke(args=[str(a) for a in args])
        assert result.exception is None or isinstance(result.exception, SystemExit), (
            result.exc_info
        )  # an expected failure is a message and an exit code, never a traceback
        return result

    return invoke


def _seed(world):
    county = build(world)  # a case in works: manifests, a PDF attachment, a tip-off photo…
    world.to_state("released")
    world.to_state("plan_review")
    documents.run_pending(limit=4)  # a few issued receipts and manifests (PDF) in the store
    _db.session.commit()
    return county


def _live_counts() -> dict[str, int]:
    with _db.engine.connect() as conn:
        return backup_service.table_counts(conn)


def _manifest(folder: Path) -> dict:
    return json.loads((folder / "manifest.json").read_text("utf-8"))


def _wipe(app) -> None:
    """Lose everything: the database (every table, the ledger's triggers with it)
    and the document store."""
    _db.session.remove()
    _db.engine.dispose()
    if _db.engine.dialect.name == "postgresql":
        with _db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    else:
        path = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database
        for suffix in ("", "-journal", "-wal", "-shm"):
            Path(path + suffix).unlink(missing_ok=True)
    _db.engine.dispose()
    store = Path(app.config["STORAGE_DIR"])
    shutil.rmtree(store)
    store.mkdir()
    with _db.engine.connect() as conn:
        assert inspect(conn).get_table_names() == []
    assert not any(store.iterdir())


def _ensure_schema() -> None:
    """If a failed restore left no schema, rebuild it so later tests still run."""
    _db.session.remove()
    _db.engine.dispose()
    with _db.engine.connect() as conn:
        missing = "ledger_events" not in inspect(conn).get_table_names()
    if missing:
        from flask_migrate import upgrade

        upgrade()


def _sha_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_backup_under_concurrent_writes_then_wipe_and_restore(app, world, cli, capsys):
    county = _seed(world)
    case_id = county.case_id
    landholder, contractor = dict(world.landholder.headers), dict(world.contractor.headers)
    stop = threading.Event()
    plots, reports, errors = [], [], []

    def register_plots():
        client = app.test_client()
        while not stop.is_set():
            r = client.post("/api/v1/sites", json={**SITE, "name": f"并发地块{len(plots)}"},
                            headers=landholder)  # fmt: skip
            (plots.append(r.get_json()["code"]) if r.status_code == 201
             else errors.append(("site", r.status_code, r.get_data(as_text=True)[:200])))  # fmt: skip

    def upload_reports():
        client = app.test_client()
        while not stop.is_set():
            n = len(reports)
            pdf = pdf_bytes(f"concurrent report {n} {time.monotonic_ns()}")
            r = client.post(
                f"/api/v1/cases/{case_id}/filings",
                data={"kind": "progress_report",
                      "data": json.dumps({"summary": f"进展 {n}", "percent_complete": 50}),
                      "files": [(io.BytesIO(pdf), f"进展报告{n}.pdf")]},
                headers=contractor,
                content_type="multipart/form-data",
            )  # fmt: skip
            if r.status_code == 201:
                reports.append(hashlib.sha256(pdf).hexdigest())
            else:
                errors.append(("report", r.status_code, r.get_data(as_text=True)[:200]))

    def wait_for(n_plots: int, n_reports: int) -> None:
        deadline = time.monotonic() + 120
        while (len(plots) < n_plots or len(reports) < n_reports) and not errors:
            assert time.monotonic() < deadline, "the writers stalled"
            time.sleep(0.02)

    dest = Path(app.config["STORAGE_DIR"]).parent / "drill-backup"
    threads = [threading.Thread(target=register_plots), threading.Thread(target=upload_reports)]
    for t in threads:
        t.start()
    try:
        wait_for(2, 2)
        plots_before, reports_before = list(plots), list(reports)
        started = time.monotonic()
        result = cli("backup", dest)
        backup_s = time.monotonic() - started
        # Keep writing after the backup: none of it may be in the restored state.
        wait_for(len(plots) + 2, len(reports) + 2)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=120)
    assert not errors, errors[:3]
    assert result.exit_code == 0, result.output
    manifest = _manifest(dest)
    live = _live_counts()
    # A point in time: the snapshot has what was committed before it, not what came after.
    assert manifest["tables"]["ledger_events"] == manifest["ledger_head"]["seq"]
    assert manifest["tables"]["ledger_events"] < live["ledger_events"]
    assert manifest["tables"]["sites"] < live["sites"]
    written_during = (len(plots) - len(plots_before), len(reports) - len(reports_before))

    _wipe(app)
    try:
        started = time.monotonic()
        result = cli("restore", dest)
        restore_s = time.monotonic() - started
        assert result.exit_code == 0, result.output
        assert "校验通过" in result.output

        # Row counts: every table, as the manifest recorded them.
        restored = _live_counts()
        assert restored == manifest["tables"], {
            k: (manifest["tables"].get(k), restored.get(k))
            for k in set(restored) | set(manifest["tables"])
            if manifest["tables"].get(k) != restored.get(k)
        }
        # The ledger: the whole chain, and the signed head saved with the backup.
        verified = ledger.verify()
        assert verified["ok"], verified
        assert verified["events"] == manifest["ledger_head"]["seq"]
        assert verified["head"] == manifest["ledger_head"]["hash"]
        head_file = ledger_heads.load_head_file(str(dest / "ledger-head.json"))
        assert ledger_heads.verify_against(head_file)["against"] is None
        result = cli("ledger", "verify", "--against", dest / "ledger-head.json")
        assert result.exit_code == 0 and "与链头文件一致" in result.output, result.output
        # Documents: every one the restored database names is there and hashes to its name.
        named = set(_db.session.scalars(select(Document.sha256))) | set(
            _db.session.scalars(select(TipoffPhoto.sha256))
        )
        assert named == {d["sha256"] for d in manifest["documents"]}
        for sha in named:
            assert _sha_of(storage.path_for(sha)) == sha
        assert {county.refs["document_sha"], county.refs["photo"]} <= named
        assert set(reports_before) <= named  # committed before the backup started
        codes = set(_db.session.scalars(select(Site.code)))
        assert set(plots_before) <= codes
        assert not set(plots[-2:]) & codes  # written after the backup finished
    finally:
        _ensure_schema()
    with capsys.disabled():
        print(f"\n[backup drill] {_db.engine.dialect.name}: {sum(restored.values())} rows in "
              f"{len(restored)} tables, {verified['events']} ledger events (signed head matched), "
              f"{len(named)} documents restored and hashed; written during the backup: "
              f"{written_during[0]} plots, {written_during[1]} reports; "
              f"backup {backup_s:.2f}s, restore+verify {restore_s:.2f}s")  # fmt: skip


@pytest.fixture
def saved(app, world, cli, tmp_path) -> Path:
    """A good backup of a small county, in a folder of the test's own."""
    _seed(world)
    folder = tmp_path / "backup"
    result = cli("backup", folder)
    assert result.exit_code == 0, result.output
    return folder


def _refused(cli, folder: Path, *words: str, force: bool = True) -> None:
    """restore refuses, says why, and leaves the live database and store as they were."""
    before = _live_counts()
    store = sorted(p.name for p in Path(storage.storage_root()).rglob("*") if p.is_file())
    args = ("restore", folder, "--force") if force else ("restore", folder)
    result = cli(*args)
    assert result.exit_code == 1, result.output
    for word in words:
        assert word in result.output, result.output
    assert _live_counts() == before
    assert sorted(p.name for p in Path(storage.storage_root()).rglob("*") if p.is_file()) == store


def _add_a_plot(world) -> None:
    """Make the live state differ from the backup, so a restore would show."""
    world.register(name="备份之后登记的地块")
    _db.session.commit()


def test_a_corrupted_document_is_refused_before_anything_is_restored(world, cli, saved):
    entry = _manifest(saved)["documents"][0]
    path = saved / "documents" / entry["sha256"][:2] / entry["sha256"][2:4] / entry["sha256"]
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    _add_a_plot(world)
    _refused(cli, saved, "文档", entry["sha256"])


def test_a_missing_document_is_refused(world, cli, saved):
    entry = _manifest(saved)["documents"][-1]
    (saved / "documents" / entry["sha256"][:2] / entry["sha256"][2:4] / entry["sha256"]).unlink()
    _add_a_plot(world)
    _refused(cli, saved, "缺失", entry["sha256"])


@pytest.mark.parametrize(
    "tamper",
    ["row_count", "document_removed", "head_moved_back", "format"],
)
def test_a_tampered_manifest_is_refused(world, cli, saved, tamper):
    manifest = _manifest(saved)
    if tamper == "row_count":
        manifest["tables"]["sites"] += 1
    elif tamper == "document_removed":
        manifest["documents"].pop()
    elif tamper == "head_moved_back":
        manifest["ledger_head"]["seq"] -= 1
    else:
        manifest["format"] = "something-else/1"
    (saved / "manifest.json").write_text(json.dumps(manifest), "utf-8")
    _add_a_plot(world)
    _refused(cli, saved, "manifest.json")


def test_a_missing_manifest_is_refused(world, cli, saved):
    (saved / "manifest.json").unlink()
    _add_a_plot(world)
    _refused(cli, saved, "manifest.json", "没有")


def test_a_damaged_database_file_is_refused(world, cli, saved):
    name = _manifest(saved)["database"]["file"]
    data = bytearray((saved / name).read_bytes())
    data[-100] ^= 0xFF
    (saved / name).write_bytes(bytes(data))
    _add_a_plot(world)
    _refused(cli, saved, name, "损坏")


def test_a_swapped_head_file_is_refused(world, cli, saved):
    """A genuinely signed head, but not the one the backup was taken with."""
    _add_a_plot(world)
    result = cli("ledger", "head", "--out", saved / "ledger-head.json")
    assert result.exit_code == 0, result.output
    _refused(cli, saved, "ledger-head.json")


def test_a_database_that_holds_data_is_replaced_only_with_force(world, cli, saved):
    _add_a_plot(world)
    _refused(cli, saved, "--force", force=False)
    result = cli("restore", saved, "--force")
    assert result.exit_code == 0, result.output
    assert _live_counts() == _manifest(saved)["tables"]
    assert _db.session.scalar(select(Site).where(Site.name == "备份之后登记的地块")) is None


def test_restore_needs_the_signing_key_back_first(app, world, cli, saved, tmp_path):
    _add_a_plot(world)
    key = app.config.get("LEDGER_SIGNING_KEY")
    app.config["LEDGER_SIGNING_KEY"] = str(tmp_path / "no-such-key.pem")
    try:
        _refused(cli, saved, "签名密钥")
    finally:
        app.config["LEDGER_SIGNING_KEY"] = key
    assert not (tmp_path / "no-such-key.pem").exists()


def test_backup_refuses_a_non_empty_destination(world, cli, tmp_path):
    world.to_state("survey")
    dest = tmp_path / "dest"
    dest.mkdir()
    (dest / "notes.txt").write_text("keep me")
    result = cli("backup", dest)
    assert result.exit_code == 1 and "--force" in result.output, result.output
    assert sorted(p.name for p in dest.iterdir()) == ["notes.txt"]

    result = cli("backup", dest, "--force")
    assert result.exit_code == 0, result.output
    assert (dest / "manifest.json").exists() and (dest / "notes.txt").read_text() == "keep me"
    result = cli("backup", dest)  # an earlier backup is not overwritten either
    assert result.exit_code == 1, result.output


# ------------------------------------------------ the shell wrappers, into a second database


class Target:
    """A new, empty database to restore into (a PostgreSQL database or an SQLite file)."""

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

    def counts(self) -> dict[str, int]:
        engine = create_engine(self.url)
        try:
            with engine.connect() as conn:
                return backup_service.table_counts(conn)
        finally:
            engine.dispose()

    def drop(self) -> None:
        if self.admin is not None:
            with self.admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
            self.admin.dispose()


def _script(name: str, *args, url: str, storage_dir: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(DATABASE_URL=url, STORAGE_DIR=str(storage_dir), APP_CONFIG="testing")
    env["FLASK"] = f"{ROOT / '.venv/bin/flask'} --app wsgi"
    return subprocess.run(["bash", str(ROOT / "scripts" / name), *map(str, args)], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=600)  # fmt: skip


def test_the_scripts_back_up_and_restore_into_a_new_database(app, world, tmp_path):
    county = _seed(world)
    url, store = app.config["SQLALCHEMY_DATABASE_URI"], Path(app.config["STORAGE_DIR"])
    made = _script("backup.sh", tmp_path / "backups", url=url, storage_dir=store)
    assert made.returncode == 0, made.stdout + made.stderr
    folder = Path(made.stdout.strip().splitlines()[-1])
    manifest = _manifest(folder)
    target = Target(url, tmp_path, "restored")
    try:
        restored_store = tmp_path / "restored-storage"
        done = _script("restore.sh", folder, url=target.url, storage_dir=restored_store)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "校验通过" in done.stdout
        assert target.counts() == manifest["tables"]
        sha = county.refs["document_sha"]
        path = restored_store / sha[:2] / sha[2:4] / sha
        assert _sha_of(path) == sha
    finally:
        target.drop()
