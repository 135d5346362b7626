"""Downloading a stored document (DESIGN.md §8): from the folder or the object store
(app/services/storage.py), after the case's access check."""

from __future__ import annotations

from flask import g, redirect, send_file

from app import security_log
from app.api import bp
from app.api.routes import login_required
from app.errors import NotFound
from app.extensions import db
from app.models import Document
from app.services import cases as case_service
from app.services import ledger as ledger_service
from app.services import storage, uploads


@bp.get("/documents/<int:document_id>")
@login_required
def download_document(document_id):
    doc = db.session.get(Document, document_id) if document_id < 2**31 else None
    if doc is None or doc.case_id is None:
        raise NotFound("文件不存在")
    case, caps = case_service.load(g.user, doc.case_id)
    if caps == {"former_party"}:
        cutoff = case_service.history_cutoff(g.user, case)
        if ledger_service.iso(doc.created_at) > ledger_service.iso(cutoff):
            security_log.event("authz_fail", user=g.user, object=f"document:{document_id}")
            raise NotFound("文件不存在")
    name = uploads.safe_download_name(doc.original_name)
    signed = storage.signed_url(doc.sha256, name, doc.mime)
    if signed is not None:  # STORAGE_REDIRECT_SECONDS: fetched from the object store
        return redirect(signed, code=302)
    found = storage.open_document(doc.sha256)
    if found is None:
        raise NotFound("文件内容缺失，请联系管理员")
    fileobj, size = found
    response = send_file(fileobj, mimetype=doc.mime, as_attachment=True, download_name=name,
                         etag=doc.sha256, max_age=0)  # fmt: skip
    response.content_length = size
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
