"""Slow work after the commit: issued PDFs, notice boards, the register PDF, reminders.

On one machine (no ``JOBS_REDIS_URL``) a job runs in this process once the
transaction that asked for it has committed, as it always has: in the process's
one background thread (``DOCUMENTS_MODE=thread``), in the request (``sync``), or
not at all (``off``: left to the ``flask documents run`` sweep).

With ``JOBS_REDIS_URL`` the job goes to an RQ queue on that Redis (the one that
already keeps the shared rate-limit counters), and ``flask worker`` runs it on any
machine: forked per job, retried with backoff, kept on failure. Redis is only the
delivery: what must happen is recorded in the database in the event's own
transaction (``document_jobs``), each job is idempotent (a document is issued under
a row lock and the ledger's append lock, once), and the worker's sweep queues again
whatever is still pending after a crash — of a web node before it queued, of a
worker in the middle of a job, or of Redis itself.

Jobs are named by the dotted path of a function taking plain arguments; it runs in
an app context of its own (``app.worker.perform``).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from flask import current_app

log = logging.getLogger("app.jobs")

QUEUE = "clc"
# Retried three times, after 10 s, 1 min and 5 min; a job taking longer than 15 min
# (a province's register PDF takes a few) is stopped.
RETRY_INTERVALS = (10, 60, 300)
JOB_TIMEOUT = 900

_executor: ThreadPoolExecutor | None = None
_queues: dict = {}
_lock = threading.Lock()


def background() -> ThreadPoolExecutor:
    """The process's one background thread (single-machine deployments)."""
    global _executor
    if _executor is None:
        _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="documents")
    return _executor


def queued() -> bool:
    """Whether jobs go to the shared queue (several machines) rather than this process."""
    return bool(current_app.config.get("JOBS_REDIS_URL"))


def later(path: str, *args, key: str | None = None):
    """What runs ``path(*args)`` once the current transaction has committed (for
    ``events.after_commit``), or None when nothing should run now (DOCUMENTS_MODE
    "off" without a queue). ``key`` names the job in the queue."""
    app = current_app._get_current_object()
    if app.config.get("JOBS_REDIS_URL"):
        return lambda: enqueue(app, path, *args, key=key)
    mode = app.config.get("DOCUMENTS_MODE", "thread")
    if mode == "off":
        return None
    if mode == "sync":
        return lambda: run_in_app(app, path, args)
    return lambda: background().submit(run_in_app, app, path, args)


def run_in_app(app, path: str, args) -> None:
    """Run a job in this process, in an app context (and database session) of its own;
    a failure is logged (the sweep or a reader will do it again), never raised."""
    with app.app_context():
        try:
            function(path)(*args)
        except Exception:  # a background job has no one else to tell
            log.exception("job %s%r failed", path, tuple(args))
        finally:
            from app.extensions import db

            db.session.remove()


def function(path: str):
    """The job function named by ``path`` (a function of this app only)."""
    from rq.utils import import_attribute

    if not path.startswith("app."):
        raise ValueError(f"not a job of this app: {path}")
    return import_attribute(path)


def queue(app=None):
    """The RQ queue on ``JOBS_REDIS_URL`` (one connection pool per process)."""
    from redis import Redis
    from rq import Queue

    app = app or current_app._get_current_object()
    url = app.config["JOBS_REDIS_URL"]
    key = (os.getpid(), url)
    found = _queues.get(key)
    if found is None:
        with _lock:
            found = _queues.get(key)
            if found is None:
                connection = Redis.from_url(url, socket_connect_timeout=3, socket_timeout=10)
                found = _queues[key] = Queue(QUEUE, connection=connection)
    return found


def enqueue(app, path: str, *args, key: str | None = None) -> bool:
    """Put ``path(*args)`` on the queue. A job already waiting under ``key`` is not
    queued twice. False (logged) when Redis cannot be reached: the database still
    records the work, and the sweep queues it when Redis is back."""
    from rq import Retry

    function(path)  # refuse a name that is not a job before it reaches a worker
    try:
        q = queue(app)
        if key is not None:
            existing = q.fetch_job(key)
            if existing is not None and existing.get_status(refresh=False) in (
                "queued", "scheduled", "deferred"
            ):  # fmt: skip
                return True
        q.enqueue(
            "app.worker.perform", path, *args,
            job_id=key, retry=Retry(max=len(RETRY_INTERVALS), interval=list(RETRY_INTERVALS)),
            job_timeout=JOB_TIMEOUT, result_ttl=3600, failure_ttl=30 * 86400,
            description=f"{path}{tuple(args)!r}",
        )  # fmt: skip
        return True
    except Exception as exc:  # noqa: BLE001 - Redis down must not fail the request
        log.warning("job %s%r not queued (%s); the sweep will queue it", path, args, exc)
        return False


def wait_idle(app, timeout: float = 30.0) -> bool:
    """For tests and the cluster check: True once the queue is empty and no job runs."""
    from rq.registry import StartedJobRegistry

    q = queue(app)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if q.count == 0 and StartedJobRegistry(queue=q).count == 0:
            return True
        time.sleep(0.2)
    return False
