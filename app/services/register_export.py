"""The register (名录) as a printable PDF, rendered once per ledger head and kept.

A county's register renders in a few seconds; a province's (80,000 public plots)
takes minutes and hundreds of megabytes — far beyond a web request. So a rendered
copy is kept under ``STORAGE_DIR/exports/`` named by the ledger head it shows, and
requests are served the newest copy. When the head has moved, a separate process
(``flask documents register``) renders a new one in the background, one at a time
(a lock file). Only a small register (``SYNC_MAX_PLOTS``) is rendered inside the
request, so that it is always exact there. The copies are derived data: not backed
up, rebuilt on demand.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from flask import current_app

from app.services import clock, jobs, storage

SYNC_MAX_PLOTS = 1000
KEEP_COPIES = 2
LOCK_STALE_SECONDS = 3600
FOLDER = "exports"
_NAME = re.compile(r"^register-(\d+)-([0-9a-f]{16})\.pdf$")


@dataclass(frozen=True)
class Copy:
    name: str  # in storage (app/services/storage.py): exports/register-<seq>-<hash16>.pdf
    seq: int  # the ledger head the copy shows: its seq
    hash16: str  # and the first 16 hex digits of its hash (a restored or rebuilt
    # database can reach the same seq with other events)
    rendered_at: float  # seconds since the epoch

    def data(self) -> bytes | None:
        """The PDF, or None if a newer copy replaced it meanwhile."""
        return storage.read_named(self.name)


def _copies() -> list[Copy]:
    found = [Copy(e.name, int(m.group(1)), m.group(2), e.modified)
             for e in storage.list_named(FOLDER)
             if (m := _NAME.match(e.name.rsplit("/", 1)[-1]))]  # fmt: skip
    return sorted(found, key=lambda c: c.seq)


def latest() -> Copy | None:
    """The newest kept copy whose head is in this ledger, or None. Copies from
    another chain (a restore, a rebuilt database) are deleted."""
    from sqlalchemy import select

    from app.extensions import db
    from app.models import LedgerEvent

    for copy in reversed(_copies()):
        digest = db.session.scalar(select(LedgerEvent.hash).where(LedgerEvent.seq == copy.seq))
        if digest is not None and digest.startswith(copy.hash16):
            return copy
        storage.delete_named(copy.name)
    return None


def render(seq: int, digest: str) -> Copy:
    """Render the register as of now and keep it as the copy for the head (seq, hash)."""
    import workflows
    from app.services import public
    from app.services.pdf import render_pdf

    rows = public.all_public()
    data = render_pdf("documents/register.html", rows=rows, now=clock.now(),
                      state_labels=workflows.STATE_LABELS_ZH)  # fmt: skip
    name = f"{FOLDER}/register-{seq}-{digest[:16]}.pdf"
    storage.write_named(name, data)
    for old in _copies()[:-KEEP_COPIES]:
        storage.delete_named(old.name)
    return Copy(name, seq, digest[:16], time.time())


def _lock_path() -> Path:
    """One renderer at a time on this machine (with several machines, the job queue
    runs the rendering: app/jobs.py)."""
    return storage.storage_root() / FOLDER / ".rendering"


def _take_lock() -> bool:
    """One renderer at a time across processes; a lock older than an hour is stale."""
    lock = _lock_path()
    lock.parent.mkdir(parents=True, exist_ok=True)
    try:
        if time.time() - lock.stat().st_mtime > LOCK_STALE_SECONDS:
            lock.unlink(missing_ok=True)
    except FileNotFoundError:
        pass
    try:
        fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w") as fh:
        fh.write(str(os.getpid()))
    return True


def render_locked(seq: int, digest: str) -> Copy | None:
    """``render`` unless another process is already rendering (then None)."""
    if not _take_lock():
        return None
    try:
        return render(seq, digest)
    finally:
        _lock_path().unlink(missing_ok=True)


def refresh() -> Copy | None:
    """Render a copy for the current ledger head unless one is kept (a job, and
    ``flask documents register``); the copy, or None if another process renders."""
    from app.services import ledger

    head, digest = ledger.head()
    copy = latest()
    if copy is not None and copy.seq >= head:
        return copy
    return render_locked(head, digest)


def refresh_in_background() -> bool:
    """Queue :func:`refresh` for a worker (JOBS_REDIS_URL), or else start ``flask
    documents register`` in its own process unless one is running (DOCUMENTS_MODE
    "thread"); "off" leaves it to cron. True if it was started."""
    if jobs.queued():
        return jobs.enqueue(current_app._get_current_object(),
                            "app.services.register_export.refresh", key="register-export")  # fmt: skip
    if current_app.config.get("DOCUMENTS_MODE", "thread") != "thread":
        return False
    if _lock_path().exists() and time.time() - _lock_path().stat().st_mtime < LOCK_STALE_SECONDS:
        return False
    root = Path(current_app.root_path).parent
    try:
        subprocess.Popen(  # noqa: S603 - fixed arguments, our own command
            [sys.executable, "-m", "flask", "--app", "wsgi", "documents", "register"],
            cwd=root, env=os.environ.copy(), start_new_session=True,
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip  # nosec B603
    except OSError as exc:  # cannot start a process: cron's copy will do
        current_app.logger.warning("register PDF renderer not started: %s", exc)
        return False
    return True
