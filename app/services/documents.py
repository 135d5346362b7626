"""Documents that record events: filing receipts (备案回执), approval receipts
and transfer manifests (转运联单).

A document is rendered ONCE, right after the event it records has committed,
stored by SHA-256 and recorded by a ledger event of its own
(``document_issued``, naming its hash and the hash of the event it records).
Downloads serve the stored bytes, never a fresh rendering, so the PDF a party
kept for years matches the ledger byte for byte.

The job row is written in the event's own transaction, so a crash between
commit and rendering leaves a pending job, never a silent gap. A rendering
that fails is retried and reported (``flask documents run``); it never blocks
or undoes the event.
"""

from __future__ import annotations

import logging

from flask import current_app, has_request_context, url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload

import workflows
from app.extensions import db
from app.models import Case, Document, DocumentJob, Filing, LedgerEvent, Manifest, Review
from app.services import clock, jobs, ledger, regions, storage
from workflows.filings import KIND_LABELS_ZH as FILING_LABELS_ZH

log = logging.getLogger("app.documents")

KINDS = {
    "filing_receipt": ("documents/receipt.html", "备案回执"),
    "approval_receipt": ("documents/receipt.html", "审查决定回执"),
    "manifest": ("documents/manifest.html", "污染土壤转运联单"),
}
MAX_ATTEMPTS = 3


# ---------------------------------------------------------------- scheduling


def schedule(kind: str, event: LedgerEvent, *, filing_id=None, manifest_id=None) -> DocumentJob:
    """Add a rendering job to the CURRENT transaction (the event's own). Rendered after
    the commit (``issue_later``) or by the ``flask documents run`` sweep."""
    job = DocumentJob(
        kind=kind,
        case_id=event.case_id,
        event_seq=event.seq,
        filing_id=filing_id,
        manifest_id=manifest_id,
        status="pending",
        attempts=0,
        created_at=clock.now(),
    )
    db.session.add(job)
    db.session.flush()
    return job


def issue_later(kind: str, event: LedgerEvent, *, filing_id=None, manifest_id=None):
    """Event handler body (``app/services/subscriptions.py``): write the job into the
    event's transaction and return what starts the rendering once it has committed
    (in this process, or through the shared queue: app/services/jobs.py)."""
    job = schedule(kind, event, filing_id=filing_id, manifest_id=manifest_id)
    # Read now: after the commit the job row is expired and the request may be gone.
    return jobs.later(PROCESS_JOB, job.id, _base_url(), key=f"document-{job.id}")


PROCESS_JOB = "app.services.documents.process_job"


def manifest_id_for(event: LedgerEvent) -> int | None:
    return db.session.scalar(select(Manifest.id).where(Manifest.number == event.detail["manifest"]))


def process_job(job_id: int, base_url: str | None = None) -> int | None:
    """A rendering job (app/services/jobs.py): the document's id. Raises when this
    attempt failed and another is due, so that the queue retries it with backoff."""
    document = process(job_id, base_url=base_url)
    if document is None:
        status = db.session.scalar(select(DocumentJob.status).where(DocumentJob.id == job_id))
        if status == "pending":
            raise RuntimeError(f"document job {job_id}: rendering failed, to be retried")
        return None
    return document.id


SWEEP_AFTER_SECONDS = 120


def sweep(stale_seconds: int | None = None, limit: int = 500) -> int:
    """The worker's periodic job: queue again every rendering still pending a while
    after it was asked for — its web node died before queueing it, its worker died
    in the middle of it, or Redis lost it. Rendering is idempotent, so a job that was
    only slow is rendered once all the same. The number queued."""
    from datetime import timedelta

    stale = stale_seconds
    if stale is None:
        stale = int(current_app.config.get("JOBS_SWEEP_AFTER_SECONDS") or SWEEP_AFTER_SECONDS)
    ids = db.session.scalars(
        select(DocumentJob.id)
        .where(
            DocumentJob.status == "pending",
            DocumentJob.created_at < clock.now() - timedelta(seconds=stale),
        )
        .order_by(DocumentJob.id)
        .limit(limit)
    ).all()
    db.session.rollback()
    app, base = current_app._get_current_object(), _base_url()
    for job_id in ids:
        jobs.enqueue(app, PROCESS_JOB, job_id, base, key=f"document-{job_id}")
    if ids:
        log.warning("queued %s pending document jobs again (ids %s…)", len(ids), ids[:5])
    return len(ids)


# ---------------------------------------------------------------- rendering


def _base_url() -> str:
    """The address printed on every document: the configured public address, never
    the request's ``Host`` (a forged one would print a genuine, verifiable receipt
    that points to someone else's site). Production requires PUBLIC_BASE_URL."""
    configured = (current_app.config.get("PUBLIC_BASE_URL") or "").rstrip("/")
    return configured or DEV_BASE_URL


DEV_BASE_URL = "http://localhost:5000"  # development and tests only


def absolute(endpoint: str, base_url: str | None = None, **values) -> str:
    base = base_url or _base_url()
    if has_request_context():
        return base + url_for(endpoint, **values)
    with current_app.test_request_context():
        return base + url_for(endpoint, **values)


def qr_data_uri(url: str, scale: int = 6) -> str:
    """A QR code of ``url`` as an SVG data: URI (receipts at 6, the A3 notice board at 10)."""
    import segno

    return segno.make(url, error="m").svg_data_uri(scale=scale, border=2, dark="#000", light="#fff")


def _context(job: DocumentJob, event: LedgerEvent, base_url: str | None) -> dict:
    case = db.session.get(Case, job.case_id)
    verify_url = absolute("public.verify", base_url, digest=event.hash)
    context = {
        "kind": job.kind,
        "title": KINDS[job.kind][1],
        "case": case,
        "site": case.site,
        "event": event,
        "issued_at": clock.now(),
        "verify_url": verify_url,
        "qr": qr_data_uri(verify_url),
        "state_labels": workflows.STATE_LABELS_ZH,
        "action_labels": workflows.ACTION_LABELS_ZH,
    }
    if job.filing_id:
        filing = db.session.scalar(
            select(Filing)
            .options(selectinload(Filing.documents), selectinload(Filing.filer))
            .where(Filing.id == job.filing_id)
        )
        context.update(filing=filing, filing_label=FILING_LABELS_ZH[filing.kind])
    if job.kind == "approval_receipt":
        reviews = db.session.scalars(
            select(Review)
            .options(selectinload(Review.user))
            .where(Review.case_id == case.id, Review.round == event.detail.get("round"))
            .order_by(Review.id)
        ).all()
        context["reviews"] = reviews
    if job.manifest_id:
        context["manifest"] = db.session.get(Manifest, job.manifest_id)
        context["served_codes"] = regions.served_codes()
    return context


def process(job_id: int, *, base_url: str | None = None) -> Document | None:
    """Render one job, store it and record it in the ledger. Commits. Never raises
    for a rendering problem: the job is marked for retry and the failure logged."""
    from app.services.pdf import render_pdf

    # Locked: two workers on one job issue one document.
    job = db.session.scalar(select(DocumentJob).where(DocumentJob.id == job_id).with_for_update())
    if job is None or job.status == "done":
        document = db.session.get(Document, job.document_id) if job else None
        db.session.rollback()
        return document
    event = db.session.scalar(select(LedgerEvent).where(LedgerEvent.seq == job.event_seq))
    try:
        data = render_pdf(KINDS[job.kind][0], **_context(job, event, base_url))
        return _store_and_record(job, event, data)
    except Exception as exc:  # a document must never take the event down with it
        db.session.rollback()
        job = db.session.get(DocumentJob, job_id)
        job.attempts += 1
        job.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        job.status = "failed" if job.attempts >= MAX_ATTEMPTS else "pending"
        db.session.commit()
        log.exception("rendering %s for event %s failed (attempt %s)", job.kind, job.event_seq,
                      job.attempts)  # fmt: skip
        return None


def _store_and_record(job: DocumentJob, event: LedgerEvent, data: bytes) -> Document:
    # Locks in the order every request takes them -- the case's row, then the ledger's
    # append lock -- or a worker and a filing on the same case wait for each other
    # (the document's row and its event refer to the case). Then look again: another
    # worker that rendered the same job meanwhile has finished it; issue nothing twice.
    db.session.execute(select(Case.id).where(Case.id == job.case_id).with_for_update())
    ledger.take_lock()
    current = db.session.execute(
        select(DocumentJob.status, DocumentJob.document_id).where(DocumentJob.id == job.id)
    ).one()
    if current.status == "done":
        db.session.rollback()
        return db.session.get(Document, current.document_id)
    sha = storage.put(data)
    case = db.session.get(Case, job.case_id)
    doc = Document(
        sha256=sha,
        size=len(data),
        mime="application/pdf",
        original_name=f"{KINDS[job.kind][1]}-{case.site.code}-{event.seq}.pdf",
        purpose=job.kind,
        case_id=case.id,
        created_at=clock.now(),
    )
    db.session.add(doc)
    db.session.flush()
    ledger.append(
        "document_issued",
        actor=None,
        case_id=case.id,
        from_state=case.state,
        to_state=case.state,
        documents=[sha],
        detail={"kind": job.kind, "records_seq": event.seq, "records_hash": event.hash,
                "document_id": doc.id},
    )  # fmt: skip
    job.status, job.document_id, job.finished_at = "done", doc.id, clock.now()
    job.attempts += 1
    db.session.commit()
    return doc


def run_pending(limit: int = 500) -> dict:
    """Render every pending job (and retry failed ones once more)."""
    ids = db.session.scalars(
        select(DocumentJob.id)
        .where(DocumentJob.status.in_(("pending", "failed")))
        .order_by(DocumentJob.id)
        .limit(limit)
    ).all()
    done = failed = 0
    for job_id in ids:
        if process(job_id) is not None:
            done += 1
        else:
            failed += 1
    return {"rendered": done, "failed": failed}


# ---------------------------------------------------------------- reading and verifying


def issued_for_case(case_id: int) -> list[Document]:
    return list(
        db.session.scalars(
            select(Document)
            .where(Document.case_id == case_id, Document.purpose.in_(tuple(KINDS)))
            .order_by(Document.id)
        )
    )


def verify(digest: str) -> dict | None:
    """What a SHA-256 names: a stored document (and the event it records) or a
    ledger event (and the documents issued for it). None if unknown."""
    digest = (digest or "").strip().lower()
    if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        return None
    doc = db.session.scalar(select(Document).where(Document.sha256 == digest).limit(1))
    if doc is not None and doc.purpose not in KINDS:
        # A party's upload: recorded by the ledger, not issued by the system.
        filed = _issue_event(doc, action=None)
        return {"filed_document": doc, "filed": filed, "intact": storage.intact(doc.sha256)}
    if doc is not None:
        issued = _issue_event(doc)
        recorded = (
            db.session.scalar(
                select(LedgerEvent).where(LedgerEvent.seq == issued.detail.get("records_seq"))
            )
            if issued
            else None
        )
        return {"document": doc, "issued": issued, "recorded": recorded,
                "intact": storage.intact(doc.sha256)}  # fmt: skip
    event = db.session.scalar(select(LedgerEvent).where(LedgerEvent.hash == digest))
    if event is None:
        return None
    issued_events = [
        e
        for e in db.session.scalars(
            select(LedgerEvent).where(
                LedgerEvent.case_id == event.case_id, LedgerEvent.action == "document_issued"
            )
        )
        if e.detail.get("records_hash") == event.hash
    ]
    return {"event": event, "issued_events": issued_events}


def _issue_event(doc: Document, action: str | None = "document_issued") -> LedgerEvent | None:
    """The ledger event naming ``doc``'s hash (of ``action``, or any)."""
    query = select(LedgerEvent).where(LedgerEvent.case_id == doc.case_id)
    if action:
        query = query.where(LedgerEvent.action == action)
    for e in db.session.scalars(query.order_by(LedgerEvent.seq)):
        if doc.sha256 in (e.documents or []):
            return e
    return None
