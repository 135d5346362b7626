"""The ledger head pushed to each process by PostgreSQL (``LISTEN``/``NOTIFY``).

Public answers are kept until the ledger head moves (app/response_cache.py).
Asking the database for the head costs a round trip per request; instead, every
append notifies ``clc_ledger`` with its seq when its transaction commits
(``ledger.append``), and one thread per process listens and keeps the highest seq
seen. The thread first LISTENs, then reads ``max(seq)``, so nothing committed in
between is missed.

While the listener is not connected (starting, database restarted) ``current``
answers None and callers read the head from the database as before. Appends in
this process move the local value at once (``note_commit``), so a process never
serves an answer older than its own writes. Switched on by ``LEDGER_HEAD_NOTIFY``
(production); PostgreSQL only.
"""

from __future__ import annotations

import logging
import os
import threading
import time

from sqlalchemy import event
from sqlalchemy.orm import Session

CHANNEL = "clc_ledger"
log = logging.getLogger(__name__)


class _Watch:
    def __init__(self, url: str) -> None:
        self.url = url
        self.pid = os.getpid()
        self.seq: int | None = None
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, name="ledger-head-watch", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        import psycopg

        while not self.stopping.is_set():
            try:
                with psycopg.connect(self.url, autocommit=True, connect_timeout=5) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    row = conn.execute("SELECT coalesce(max(seq), 0) FROM ledger_events").fetchone()
                    self.bump(row[0])
                    while not self.stopping.is_set():
                        for note in conn.notifies(timeout=1.0):
                            self.bump(int(note.payload))
            except Exception as exc:  # noqa: BLE001 - any failure: fall back, retry
                log.warning("ledger head listener: %s; reading the head per request", exc)
            self.seq = None
            self.stopping.wait(1.0)

    def bump(self, seq: int) -> None:
        if self.seq is None or seq > self.seq:
            self.seq = seq


_watches: dict[str, _Watch] = {}
_lock = threading.Lock()


def _libpq_url(engine) -> str | None:
    url = engine.url
    if url.get_backend_name() != "postgresql":
        return None
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def _watch(engine) -> _Watch | None:
    url = _libpq_url(engine)
    if url is None:
        return None
    watch = _watches.get(url)
    if watch is None or watch.pid != os.getpid():  # a forked worker starts its own
        with _lock:
            watch = _watches.get(url)
            if watch is None or watch.pid != os.getpid():
                watch = _watches[url] = _Watch(url)
    return watch


def current(engine) -> int | None:
    """The head seq pushed to this process, or None (read it from the database)."""
    watch = _watch(engine)
    return None if watch is None else watch.seq


def note_commit(engine, seq: int) -> None:
    """An append committed in this process: never answer older than it."""
    watch = _watches.get(_libpq_url(engine) or "")
    if watch is not None and watch.pid == os.getpid() and watch.seq is not None:
        watch.bump(seq)


def stop_all(timeout: float = 3.0) -> None:
    """Stop every listener of this process (tests, shutdown)."""
    with _lock:
        watches = list(_watches.values())
        _watches.clear()
    for watch in watches:
        watch.stopping.set()
    deadline = time.monotonic() + timeout
    for watch in watches:
        watch.thread.join(max(0.0, deadline - time.monotonic()))


def _after_commit(session) -> None:
    seq = session.info.pop("ledger_head_appended", None)
    if seq is not None:
        note_commit(session.get_bind(), seq)


def _after_rollback(session) -> None:
    session.info.pop("ledger_head_appended", None)


event.listen(Session, "after_commit", _after_commit)
event.listen(Session, "after_soft_rollback", lambda session, _previous: _after_rollback(session))
