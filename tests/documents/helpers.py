"""Shared helpers for the document tests: reading PDFs back (pdftotext, the QR
through pdftoppm + zbarimg), the jobs and ledger events behind them, and a
web client logged in through the form."""

from __future__ import annotations

import hashlib
import io
import json
import re
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
from pypdf import PdfWriter
from sqlalchemy import select

from app.extensions import db
from app.models import Document, DocumentJob, Filing, LedgerEvent
from app.services import documents, storage
from tests.support import PASSWORD

TOOLS = ("pdftotext", "pdftoppm", "zbarimg")
needs_pdf_tools = pytest.mark.skipif(
    not all(shutil.which(t) for t in TOOLS), reason="poppler-utils and zbar-tools are needed"
)

# Printed QR codes and verify links point at the public address, not at the
# host a request came in on; the tests pin it so the URL can be compared whole.
BASE = "https://tdwr.example.gov.cn"

# Names a county officer would read on a receipt (the factories leave them empty).
NAMES = {"landholder": "陈申报", "nr": "周会签", "env": "吴审批", "contractor": "赵报告"}


# ---------------------------------------------------------------- PDFs


def _write(data: bytes, tmp_path: Path) -> Path:
    path = tmp_path / f"{uuid.uuid4().hex}.pdf"
    path.write_bytes(data)
    return path


def pdf_text(data: bytes, tmp_path: Path) -> str:
    """The text in content-stream order (``-raw``): WeasyPrint draws a table
    cell by cell, so a code or hash wrapped inside a narrow cell stays in one
    piece once the line breaks are squashed, instead of being interleaved with
    the neighbouring cells as reading-order or ``-layout`` output would be."""
    args = ["pdftotext", "-enc", "UTF-8", "-raw"]
    out = subprocess.run(
        [*args, str(_write(data, tmp_path)), "-"], capture_output=True, check=True, text=True
    )
    return out.stdout


def squash(text: str) -> str:
    """The text without any white space: hashes and codes that the print CSS
    breaks over several lines (word-break: break-all) read whole again."""
    return re.sub(r"\s+", "", text)


def qr_of(data: bytes, tmp_path: Path) -> str:
    """What the QR code on page 1 says (rendered at 150 dpi, decoded by zbar)."""
    pdf = _write(data, tmp_path)
    stem = tmp_path / f"page-{pdf.stem}"
    subprocess.run(["pdftoppm", "-r", "150", "-png", "-f", "1", "-l", "1", str(pdf), str(stem)],
                   check=True)  # fmt: skip
    png = next(tmp_path.glob(f"{stem.name}*.png"))
    out = subprocess.run(["zbarimg", "--raw", "-q", str(png)], capture_output=True, text=True)
    assert out.returncode == 0, f"no QR code found on page 1: {out.stderr}"
    return out.stdout.strip()


def page_count(data: bytes) -> int:
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(data)).pages)


def blank_pdf(size: int = 200) -> bytes:
    """A small valid PDF to upload as an attachment."""
    writer = PdfWriter()
    writer.add_blank_page(size, size)
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# ---------------------------------------------------------------- rows


def jobs(kind: str | None = None) -> list[DocumentJob]:
    db.session.expire_all()
    q = select(DocumentJob).order_by(DocumentJob.id)
    if kind is not None:
        q = q.where(DocumentJob.kind == kind)
    return list(db.session.scalars(q))


def events(action: str | None = None, case_id: int | None = None) -> list[LedgerEvent]:
    db.session.expire_all()
    q = select(LedgerEvent).order_by(LedgerEvent.seq)
    if action is not None:
        q = q.where(LedgerEvent.action == action)
    if case_id is not None:
        q = q.where(LedgerEvent.case_id == case_id)
    return list(db.session.scalars(q))


def event_at(seq: int) -> LedgerEvent:
    return db.session.scalar(select(LedgerEvent).where(LedgerEvent.seq == seq))


def issued_for(event: LedgerEvent) -> list[LedgerEvent]:
    """The document_issued events that record ``event``."""
    return [e for e in events("document_issued") if e.detail.get("records_hash") == event.hash]


def issued_documents() -> list[Document]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(Document)
            .where(Document.purpose.in_(tuple(documents.KINDS)))
            .order_by(Document.id)
        )
    )


def filings() -> list[Filing]:
    db.session.expire_all()
    return list(db.session.scalars(select(Filing).order_by(Filing.id)))


def render(job: DocumentJob) -> tuple[Document, bytes, LedgerEvent]:
    """Process one job; (document, its stored bytes, the event it records)."""
    doc = documents.process(job.id)
    assert doc is not None, jobs()[-1].last_error
    return doc, storage.get(doc.sha256), event_at(job.event_seq)


def name_people(world) -> None:
    """Give the actors the display names a receipt prints."""
    for key, name in NAMES.items():
        world.actors[key].user.display_name = name
    db.session.commit()


def file_with_attachment(world, who: str, case_id: int, kind: str, data: dict, pdf: bytes,
                         name: str = "调查报告.pdf", expect: int = 201) -> dict:  # fmt: skip
    r = world.client.post(
        f"/api/v1/cases/{case_id}/filings",
        data={
            "kind": kind,
            "data": json.dumps(data, ensure_ascii=False),
            "files": [(io.BytesIO(pdf), name)],
        },
        content_type="multipart/form-data",
        headers=world.actors[who].headers,
    )
    assert r.status_code == expect, r.get_json()
    return r.get_json()


# ---------------------------------------------------------------- web


def web_client(app, user):
    """A cookie client logged in through /login as ``user`` (scrypt: ~0.3 s)."""
    client = app.test_client()
    r = client.post("/login", data={"username": user.username, "password": PASSWORD})
    assert r.status_code == 302, r.get_data(as_text=True)[:300]
    return client


def page_text(response) -> str:
    """The visible text of an HTML page, white space collapsed."""
    html = response.get_data(as_text=True)
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
