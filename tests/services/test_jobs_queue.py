"""Slow work through the RQ queue (issue 20, app/services/jobs.py, app/worker.py), on
a real redis-server: a receipt asked for by a filing is queued after the commit and
issued once by a worker, even when it is queued twice or two workers run it; a job
Redis never got (a web node died, Redis was down) is queued again by the sweep."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from app.extensions import db
from app.models import DocumentJob
from app.services import clock, documents
from app.services import jobs as job_queue
from tests.documents.helpers import event_at, issued_for, jobs
from tests.security.test_ratelimit_workers import REDIS_SERVER, _stop, redis_server

pytestmark = pytest.mark.skipif(REDIS_SERVER is None, reason="redis-server is not installed")


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    folder: Path = tmp_path_factory.mktemp("redis")
    with redis_server(folder) as (proc, uri):
        yield uri.rsplit("/", 1)[0] + "/3"
        _stop(proc)


@pytest.fixture
def queue(app, monkeypatch, redis_url):
    monkeypatch.setitem(app.config, "JOBS_REDIS_URL", redis_url)
    q = job_queue.queue(app)
    q.connection.flushdb()
    yield q
    q.connection.flushdb()


def _work(q) -> None:
    """A worker that runs what is queued, then stops (in this process: no fork)."""
    from rq import SimpleWorker

    SimpleWorker([q], connection=q.connection).work(burst=True)


def test_a_receipt_is_queued_after_the_commit_and_issued_once_by_a_worker(app, world, queue):
    cid = world.register()["case"]["id"]
    world.file("landholder", cid, "survey_report", world.survey_data())
    (job,) = jobs("filing_receipt")
    assert job.status == "pending", "rendered in the request instead of by a worker"
    assert queue.job_ids == [f"document-{job.id}"]
    # Asked for again while it waits (the sweep, a retry): still one job in the queue.
    assert job_queue.enqueue(app, documents.PROCESS_JOB, job.id, None, key=f"document-{job.id}")
    assert queue.count == 1
    _work(queue)
    (job,) = jobs("filing_receipt")
    assert job.status == "done", job.last_error
    assert len(issued_for(event_at(job.event_seq))) == 1


def test_two_workers_on_the_same_job_issue_one_document(app, world, queue):
    cid = world.register()["case"]["id"]
    world.file("landholder", cid, "survey_report", world.survey_data())
    (job,) = jobs("filing_receipt")
    # The same rendering under two queue entries (a retry and a sweep crossing).
    job_queue.enqueue(app, documents.PROCESS_JOB, job.id, None, key=None)
    job_queue.enqueue(app, documents.PROCESS_JOB, job.id, None, key=None)
    assert queue.count == 3
    _work(queue)
    (job,) = jobs("filing_receipt")
    assert job.status == "done"
    assert len(issued_for(event_at(job.event_seq))) == 1
    assert len(documents.issued_for_case(cid)) == 1


def test_work_redis_never_got_is_queued_again_by_the_sweep(
    app, world, queue, monkeypatch, redis_url
):
    cid = world.register()["case"]["id"]
    # Redis unreachable when the filing commits: the filing stands, the job is recorded.
    monkeypatch.setitem(app.config, "JOBS_REDIS_URL", "redis://127.0.0.1:9/0")
    r = world.file("landholder", cid, "survey_report", world.survey_data())
    assert r is not None
    monkeypatch.setitem(app.config, "JOBS_REDIS_URL", redis_url)
    (job,) = jobs("filing_receipt")
    assert job.status == "pending" and queue.count == 0
    # Not yet stale: the sweep leaves it to its first delivery.
    assert documents.sweep(stale_seconds=120) == 0
    db.session.execute(
        update(DocumentJob)
        .where(DocumentJob.id == job.id)
        .values(created_at=clock.now() - timedelta(minutes=5))
    )
    db.session.commit()
    assert documents.sweep(stale_seconds=120) == 1
    _work(queue)
    (job,) = jobs("filing_receipt")
    assert job.status == "done"
    assert len(issued_for(event_at(job.event_seq))) == 1


def test_a_name_that_is_not_a_job_of_the_app_is_refused(app, queue):
    with pytest.raises(ValueError):
        job_queue.enqueue(app, "os.system", "true")
    assert queue.count == 0


def test_the_worker_command_needs_a_queue(app, monkeypatch):
    monkeypatch.setitem(app.config, "JOBS_REDIS_URL", "")
    result = app.test_cli_runner().invoke(args=["worker", "--burst"])
    assert result.exit_code == 2 and "JOBS_REDIS_URL" in result.output


def test_the_worker_command_runs_what_is_queued(app, world, queue, monkeypatch):
    from app import worker

    cid = world.register()["case"]["id"]
    world.file("landholder", cid, "survey_report", world.survey_data())
    (job,) = jobs("filing_receipt")
    # `flask worker --burst` runs the queue with RQ's forking worker; here without
    # the fork, so that it sees this test's database.
    monkeypatch.setattr("rq.Worker", __import__("rq").SimpleWorker)
    result = app.test_cli_runner().invoke(args=["worker", "--burst"])
    assert result.exit_code == 0, result.output
    assert worker.WORKER_APP is app
    (job,) = jobs("filing_receipt")
    assert job.status == "done"
