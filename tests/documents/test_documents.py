"""Issued documents (issue 7): a filing receipt (备案回执) for every accepted
filing, an approval receipt (审查决定回执) for every approval and a transfer
manifest (转运联单) for every reported manifest — each scheduled in the event's
own transaction, rendered once after the commit, stored by SHA-256 and
recorded by a ``document_issued`` ledger event; downloads serve the stored
bytes; a rendering that fails is retried and reported and never undoes the
event."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from app.models import Document, DocumentJob, Filing, LedgerEvent
from app.services import documents, filings, ledger, storage
from app.services import jobs as job_queue
from tests.documents.helpers import (
    BASE,
    NAMES,
    blank_pdf,
    event_at,
    events,
    file_with_attachment,
    issued_documents,
    issued_for,
    jobs,
    name_people,
    needs_pdf_tools,
    pdf_text,
    qr_of,
    render,
    sha256,
    squash,
)
from tests.documents.helpers import filings as all_filings
from tests.support import SITE


@pytest.fixture
def base_url(app, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", BASE)
    return BASE


@pytest.fixture
def sync_mode(app, monkeypatch):
    monkeypatch.setitem(app.config, "DOCUMENTS_MODE", "sync")


def count(model) -> int:
    from app.extensions import db

    return db.session.scalar(select(func.count()).select_from(model))


def filing_event(filing_id: int) -> LedgerEvent:
    (event,) = [e for e in events() if e.detail.get("filing_id") == filing_id]
    return event


# ---------------------------------------------------------------- one job per event


def test_every_filing_approval_and_manifest_has_exactly_one_job(world):
    cid = world.to_state("released")
    # Rendering is off in the tests: the jobs are there, nothing is issued yet.
    assert issued_documents() == [] and events("document_issued") == []
    assert all(j.status == "pending" and j.attempts == 0 for j in jobs())

    made = all_filings()
    assert {f.kind for f in made} == {"survey_report", "risk_assessment_report",
                                      "remediation_plan", "works_notice", "evaluation_report"}  # fmt: skip
    receipts = jobs("filing_receipt")
    assert sorted(j.filing_id for j in receipts) == sorted(f.id for f in made)
    for f in made:
        (job,) = [j for j in receipts if j.filing_id == f.id]
        assert job.event_seq == filing_event(f.id).seq and job.case_id == cid

    approvals = events("approve", cid)
    assert len(approvals) == 4  # survey, risk assessment, plan, evaluation
    # The route decision (require_remediation) is a numbered decision too (§10).
    decided = sorted([*approvals, *events("require_remediation", cid)], key=lambda e: e.seq)
    assert len(decided) == 5
    assert sorted(j.event_seq for j in jobs("approval_receipt")) == [e.seq for e in decided]

    reported = events("manifest_reported", cid)
    assert len(reported) == 1
    assert [j.event_seq for j in jobs("manifest")] == [reported[0].seq]
    assert jobs("manifest")[0].manifest_id is not None

    # Nothing else gets a document: cosign, submit, dispatch, …
    assert len(jobs()) == len(made) + len(decided) + len(reported)
    for action in ("cosign", "submit", "manifest_dispatched"):
        seqs = {e.seq for e in events(action, cid)}
        assert seqs and not seqs & {j.event_seq for j in jobs()}, action


def test_refused_stale_and_replayed_requests_schedule_nothing(world):
    cid = world.to_state("survey_review")
    before = len(jobs())
    version = world.case(cid, "env")["version"]
    world.act("nr", cid, "cosign")
    r = world.post("env", f"/cases/{cid}/actions/approve", {"version": version})
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "stale_version"
    r = world.post("landholder", f"/cases/{cid}/actions/approve",
                   {"version": world.case(cid)["version"]})  # fmt: skip
    assert r.status_code in (403, 404), r.get_json()
    # A filing refused for its state, its content or its filer.
    world.file("landholder", cid, "survey_report", world.survey_data(), expect=409)
    cid2 = world.register(name="另一地块")["case"]["id"]
    bad = {**world.survey_data(), "project_lead": 42}
    world.file("landholder", cid2, "survey_report", bad, expect=400)
    world.file("other_landholder", cid2, "survey_report", world.survey_data(), expect=404)
    # An approval the workflow refuses (nothing filed on this plot yet).
    r = world.post(
        "env", f"/cases/{cid2}/actions/approve", {"version": world.case(cid2)["version"]}
    )
    assert r.status_code in (403, 409), r.get_json()
    assert len(jobs()) == before
    assert world.case(cid, "env")["state"] == "survey_review"
    world.act("env", cid, "approve")  # the same approval, now current: one job
    assert len(jobs()) == before + 1 and jobs()[-1].kind == "approval_receipt"

    # An Idempotency-Key replay answers the first filing and schedules nothing.
    headers = {**world.landholder.headers, "Idempotency-Key": "survey-1"}
    body = {"kind": "survey_report", "data": world.survey_data()}
    first = world.client.post(f"/api/v1/cases/{cid2}/filings", json=body, headers=headers)
    again = world.client.post(f"/api/v1/cases/{cid2}/filings", json=body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert len(jobs("filing_receipt")) == len(all_filings())


def test_the_job_commits_with_its_event_and_not_without_it(app, world, db, monkeypatch):
    cid = world.register()["case"]["id"]
    user = world.landholder.user

    # A crash right after the commit (before any rendering) leaves a pending
    # job beside the event: never a silent gap. The filer is not told of it:
    # the filing has committed, the sweep (`flask documents run`) renders later.
    def crash(*args):
        raise RuntimeError("worker died")

    monkeypatch.setitem(app.config, "DOCUMENTS_MODE", "sync")
    monkeypatch.setattr(job_queue, "run_in_app", crash)
    filings.file(user, cid, "survey_report", world.survey_data())
    db.session.rollback()
    (filing,) = all_filings()
    (job,) = jobs("filing_receipt")
    assert (job.filing_id, job.status, job.event_seq) == (filing.id, "pending",
                                                          filing_event(filing.id).seq)  # fmt: skip
    monkeypatch.undo()

    # A failure while scheduling takes the filing and its event down with it.
    original = documents.schedule

    def schedule_then_fail(*args, **kwargs):
        original(*args, **kwargs)
        raise RuntimeError("disk full")

    monkeypatch.setattr(documents, "schedule", schedule_then_fail)
    seq_before = ledger.head()[0]
    with pytest.raises(RuntimeError):
        filings.file(user, cid, "survey_report", world.survey_data())
    db.session.rollback()
    assert len(all_filings()) == 1 and len(jobs()) == 1
    assert ledger.head()[0] == seq_before


# ---------------------------------------------------------------- what the PDFs say


@needs_pdf_tools
def test_filing_receipt_names_plot_kind_filer_attachment_and_event(world, base_url, tmp_path):
    name_people(world)
    reg = world.register()
    attachment = blank_pdf(321)
    file_with_attachment(world, "landholder", reg["case"]["id"], "survey_report",
                         world.survey_data(), attachment)  # fmt: skip
    (job,) = jobs("filing_receipt")
    doc, data, event = render(job)
    assert data.startswith(b"%PDF-") and sha256(data) == doc.sha256

    text = pdf_text(data, tmp_path)
    flat = squash(text)
    assert "备案回执" in text
    assert reg["code"] in flat and SITE["name"] in flat
    assert "材料土壤污染状况调查报告" in flat  # the filing kind, in its row
    assert f"申报人{NAMES['landholder']}（{world.landholder.user.username}）" in flat
    assert world.landholder.party.credit_code in flat
    assert world.surveyor.party.credit_code in flat and "李调查" in flat
    assert sha256(attachment) in flat and sha256(attachment) in event.documents
    assert event.hash in flat and f"#{event.seq}" in text
    assert qr_of(data, tmp_path) == f"{BASE}/verify/{event.hash}"


@needs_pdf_tools
def test_approval_receipt_names_the_cosigning_and_the_approving_officer(world, base_url, tmp_path):
    name_people(world)
    reg = world.register()
    cid = reg["case"]["id"]
    world.to_state("survey_review", site=reg)
    world.act("nr", cid, "cosign", comment="自然资源部门同意")
    world.act("env", cid, "approve", comment="同意，进入风险评估")
    (job,) = jobs("approval_receipt")
    doc, data, event = render(job)
    assert (event.action, event.actor) == ("approve", world.env.user.username)

    text = pdf_text(data, tmp_path)
    flat = squash(text)
    assert "审查决定回执" in text
    assert reg["code"] in flat and SITE["name"] in flat
    # Both officers of the joint review (会同审查), their departments and opinions.
    assert f"会同审查（自然资源）：{NAMES['nr']}（自然资源）" in flat
    assert "意见：自然资源部门同意" in flat
    assert f"审查通过：{NAMES['env']}（生态环境）" in flat
    assert "意见：同意，进入风险评估" in flat
    assert "调查报告审查→风险评估" in flat  # the decision: from which stage to which
    assert event.hash in flat
    assert qr_of(data, tmp_path) == f"{BASE}/verify/{event.hash}"


@needs_pdf_tools
def test_manifest_has_number_destination_quantity_and_a_qr(world, base_url, tmp_path):
    cid = world.to_state("transfer_reporting")
    r = world.post("contractor", f"/cases/{cid}/manifests",
                   {**world.manifest_data(), "quantity_t": 123.5})  # fmt: skip
    assert r.status_code == 201, r.get_json()
    number = r.get_json()["number"]
    (job,) = jobs("manifest")
    doc, data, event = render(job)
    assert event.action == "manifest_reported"

    text = pdf_text(data, tmp_path)
    flat = squash(text)
    assert "污染土壤转运联单" in text and number in flat
    assert f"接收单位facility单位（{world.facility.party.credit_code}）" in flat
    assert "计划转运量123.5吨" in flat
    assert "章凤镇—G320—芒市" in flat and "水泥窑协同处置" in flat
    assert event.hash in flat
    assert qr_of(data, tmp_path) == f"{BASE}/verify/{event.hash}"


@needs_pdf_tools
def test_a_forged_host_never_reaches_a_receipt(world, sync_mode, tmp_path):
    """Issue 17 item 2: receipts print the configured address, whatever the Host header
    of the request that caused them (it used to be printed, QR code and all)."""
    cid = world.register()["case"]["id"]
    r = world.client.post(f"/api/v1/cases/{cid}/filings",
                          json={"kind": "survey_report", "data": world.survey_data()},
                          headers={**world.landholder.headers, "Host": "evil.example"})  # fmt: skip
    assert r.status_code == 201, r.get_json()
    (job,) = jobs("filing_receipt")
    assert job.status == "done"  # rendered inside the request (DOCUMENTS_MODE=sync)
    doc = documents.issued_for_case(cid)[0]
    data = storage.get(doc.sha256)
    assert qr_of(data, tmp_path) == (
        f"{documents.DEV_BASE_URL}/verify/{event_at(job.event_seq).hash}"
    )
    assert "evil.example" not in pdf_text(data, tmp_path)


def test_thread_mode_renders_in_the_background(app, world, monkeypatch):
    monkeypatch.setitem(app.config, "DOCUMENTS_MODE", "thread")
    monkeypatch.setattr(job_queue, "_executor", None)
    cid = world.register()["case"]["id"]
    world.file("landholder", cid, "survey_report", world.survey_data())
    executor = job_queue._executor
    assert executor is not None
    executor.shutdown(wait=True)  # let the worker finish (and drop it)
    (job,) = jobs("filing_receipt")
    assert job.status == "done", job.last_error
    assert len(issued_for(event_at(job.event_seq))) == 1


# ---------------------------------------------------------------- immutability


def test_the_document_is_recorded_by_its_own_ledger_event(world):
    cid = world.to_state("risk_assessment")
    for job in jobs():
        doc, data, recorded = render(job)
        (issued,) = issued_for(recorded)
        assert issued.action == "document_issued" and issued.case_id == cid
        assert issued.documents == [doc.sha256]
        assert issued.detail["records_seq"] == recorded.seq
        assert issued.detail["records_hash"] == recorded.hash
        assert issued.detail["kind"] == job.kind == doc.purpose
        assert issued.detail["document_id"] == doc.id
        assert issued.seq > recorded.seq
        assert storage.intact(doc.sha256) and sha256(data) == doc.sha256
        assert (doc.mime, doc.size, doc.case_id) == ("application/pdf", len(data), cid)
    assert len(jobs()) == 2 and all(j.status == "done" and j.attempts == 1 for j in jobs())
    assert ledger.verify()["ok"] is True


def test_downloads_serve_the_stored_bytes_every_time(world):
    cid = world.register()["case"]["id"]
    world.file("landholder", cid, "survey_report", world.survey_data())
    (job,) = jobs()
    doc, data, recorded = render(job)
    (issued,) = issued_for(recorded)

    first = world.get("landholder", f"/documents/{doc.id}")
    second = world.get("landholder", f"/documents/{doc.id}")
    for r in (first, second):
        assert r.status_code == 200
        assert r.mimetype == "application/pdf"
        assert r.headers["Content-Disposition"].startswith("attachment")
    assert first.data == second.data == data
    assert sha256(first.data) == doc.sha256 == issued.documents[0]
    # Another county's landholder does not learn the receipt exists.
    assert world.get("other_landholder", f"/documents/{doc.id}").status_code == 404


def test_processing_a_job_again_issues_nothing_new(world):
    cid = world.register()["case"]["id"]
    world.file("landholder", cid, "survey_report", world.survey_data())
    (job,) = jobs()
    doc, data, recorded = render(job)
    head = ledger.head()

    assert documents.process(job.id).id == doc.id
    assert documents.run_pending() == {"rendered": 0, "failed": 0}
    assert ledger.head() == head
    assert len(issued_documents()) == 1 and len(issued_for(recorded)) == 1
    assert storage.get(doc.sha256) == data
    assert jobs()[0].attempts == 1
    assert ledger.verify()["ok"] is True


def test_two_workers_on_the_same_job_issue_one_document(app, world, monkeypatch):
    """BUG: ``documents.process`` neither locks nor claims the job, so the
    background thread and a ``flask documents run`` sweep (which picks up every
    *pending* job, including one being rendered) both issue a document for the
    same event: two Document rows, two ``document_issued`` events."""
    cid = world.register()["case"]["id"]
    world.file("landholder", cid, "survey_report", world.survey_data())
    (job,) = jobs()
    from app.services import pdf

    real = pdf.render_pdf
    other: list[threading.Thread] = []

    def render_while_another_worker_runs(*args, **kwargs):
        data = real(*args, **kwargs)
        if not other:  # the first worker, mid-rendering: a second one starts
            t = threading.Thread(
                target=job_queue.run_in_app, args=(app, documents.PROCESS_JOB, (job.id, BASE))
            )
            other.append(t)
            t.start()
            t.join(timeout=15)  # a worker that waits for a lock may not finish yet
        return data

    monkeypatch.setattr(pdf, "render_pdf", render_while_another_worker_runs)
    documents.process(job.id)
    other[0].join(timeout=60)
    assert not other[0].is_alive()
    recorded = event_at(job.event_seq)
    assert len(issued_for(recorded)) == 1, "the same receipt was issued twice"
    assert len(issued_documents()) == 1
    assert jobs()[0].status == "done"


# ---------------------------------------------------------------- failures


@pytest.fixture
def broken_renderer(monkeypatch):
    """``documents.process`` imports ``render_pdf`` from app.services.pdf at call
    time, so patching the module attribute reaches it."""
    from app.services import pdf

    calls = []

    def broken(template, **context):
        calls.append(template)
        raise OSError("fontconfig: no CJK font")

    monkeypatch.setattr(pdf, "render_pdf", broken)
    return calls


def test_a_failing_rendering_is_retried_reported_and_never_undoes_the_event(
    app, world, monkeypatch, broken_renderer
):
    cid = world.register()["case"]["id"]
    world.file("landholder", cid, "survey_report", world.survey_data())
    (job,) = jobs()
    recorded = event_at(job.event_seq)

    assert documents.process(job.id) is None
    job = jobs()[0]
    assert (job.status, job.attempts) == ("pending", 1)
    assert "OSError" in job.last_error and "no CJK font" in job.last_error
    assert event_at(recorded.seq).hash == recorded.hash  # the event stays committed
    assert world.case(cid)["filings"][0]["kind"] == "survey_report"

    documents.process(job.id)
    assert (jobs()[0].status, jobs()[0].attempts) == ("pending", 2)
    documents.process(job.id)
    assert (jobs()[0].status, jobs()[0].attempts) == ("failed", 3)
    assert len(broken_renderer) == 3
    assert issued_documents() == [] and events("document_issued") == []

    runner = app.test_cli_runner()
    result = runner.invoke(args=["documents", "run"])
    assert result.exit_code != 0, result.output
    assert "失败 1" in result.output
    assert jobs()[0].status == "failed"

    monkeypatch.undo()  # the renderer works again
    result = runner.invoke(args=["documents", "run"])
    assert result.exit_code == 0, result.output
    assert "已签发 1" in result.output
    job = jobs()[0]
    assert job.status == "done" and job.document_id is not None
    (issued,) = issued_for(recorded)
    assert issued.documents == [db_document(job.document_id).sha256]
    assert ledger.verify()["ok"] is True


def db_document(document_id: int) -> Document:
    from app.extensions import db

    return db.session.get(Document, document_id)


def test_a_failing_rendering_does_not_fail_the_request(world, sync_mode, broken_renderer):
    reg = world.register()
    cid = reg["case"]["id"]
    r = world.post("landholder", f"/cases/{cid}/filings",
                   {"kind": "survey_report", "data": world.survey_data()})  # fmt: skip
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["kind"] == "survey_report"
    world.act("landholder", cid, "submit")
    world.act("nr", cid, "cosign")
    assert world.act("env", cid, "approve")["state"] == "risk_assessment"

    assert len(broken_renderer) == 2  # tried in the request, once per document
    assert [(j.kind, j.status, j.attempts) for j in jobs()] == [
        ("filing_receipt", "pending", 1),
        ("approval_receipt", "pending", 1),
    ]
    assert count(Filing) == 1 and issued_documents() == []
    assert ledger.verify()["ok"] is True


def test_the_cli_sweep_renders_pending_jobs(app, world):
    world.to_state("risk_assessment")
    result = app.test_cli_runner().invoke(args=["documents", "run"])
    assert result.exit_code == 0, result.output
    assert "已签发 2" in result.output
    assert [j.status for j in jobs()] == ["done", "done"]
    assert count(DocumentJob) == 2 and len(issued_documents()) == 2


def test_a_failure_storing_the_document_does_not_fail_the_request(world, sync_mode, monkeypatch):
    """BUG: ``documents.process`` only guards ``render_pdf``; an error in
    ``storage.put`` (disk full, STORAGE_DIR not writable) or in the ledger append
    escapes it — in DOCUMENTS_MODE=sync the request that already committed the
    filing answers 500 (the client may well file again), the job's attempts are
    not counted and nothing is logged as a document failure."""

    def disk_full(data):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(storage, "put", disk_full)
    cid = world.register()["case"]["id"]
    r = world.post("landholder", f"/cases/{cid}/filings",
                   {"kind": "survey_report", "data": world.survey_data()})  # fmt: skip
    assert count(Filing) == 1  # the filing itself is committed either way
    assert r.status_code == 201, r.status_code
    (job,) = jobs()
    assert (job.status, job.attempts) == ("pending", 1)
    assert "No space left" in (job.last_error or "")
