"""``flask worker``: the RQ worker of the shared job queue (app/services/jobs.py).

Outside ``app.services`` because it makes the app (a worker started by ``rq
worker`` rather than ``flask worker`` has none yet)."""

from __future__ import annotations

import logging
import os
import threading

from app.services.jobs import enqueue, function, queue

log = logging.getLogger("app.jobs")

WORKER_APP = None  # the app of `flask worker`, inherited by each forked job
_parent_pid = os.getpid()


def perform(path: str, *args):
    """What the worker runs: ``path(*args)`` in an app context. Raises on failure, so
    that RQ retries it and keeps it among the failed jobs in the end."""
    global WORKER_APP
    if WORKER_APP is None:  # started by `rq worker` rather than `flask worker`
        from app import create_app

        WORKER_APP = create_app()
    from app.extensions import db

    with WORKER_APP.app_context():
        if os.getpid() != _parent_pid:  # a forked job shares no connection of its parent
            db.engine.dispose(close=False)
        try:
            return function(path)(*args)
        finally:
            db.session.remove()


# ---------------------------------------------------------------- the worker


PERIODIC = (
    # (name, every seconds, job, args): queued by whichever worker gets the tick first.
    ("sweep", None, "app.services.documents.sweep", ()),
    ("remind", 3600, "app.services.deadlines.remind", ()),
)


def work(app, *, burst: bool = False, sweep_seconds: int = 30) -> None:
    """Run an RQ worker on the queue with the app (``flask worker``), and queue the
    periodic jobs: the sweep of pending documents, the day's reminders."""
    from rq import Worker

    global WORKER_APP, _parent_pid
    WORKER_APP, _parent_pid = app, os.getpid()
    q = queue(app)
    stop = threading.Event()

    def ticks():
        while not stop.is_set():
            for name, every, path, args in PERIODIC:
                every = every or sweep_seconds
                try:  # one worker of all takes each tick
                    if q.connection.set(f"clc:tick:{name}", os.getpid(), nx=True, ex=every):
                        enqueue(app, path, *args, key=f"tick-{name}")
                except Exception as exc:  # noqa: BLE001 - Redis away: try again later
                    log.warning("periodic job %s not queued: %s", name, exc)
            stop.wait(min(5, sweep_seconds))

    if not burst:
        threading.Thread(target=ticks, name="clc-ticks", daemon=True).start()
    try:
        Worker([q], connection=q.connection).work(burst=burst, with_scheduler=not burst)
    finally:
        stop.set()
