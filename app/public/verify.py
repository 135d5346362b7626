"""/verify: anyone can check a receipt, manifest or other issued document —
by its SHA-256, by the QR code printed on it (which carries the hash of the
event it records), or by uploading the file itself."""

from __future__ import annotations

import hashlib
from datetime import datetime
from email.utils import formatdate

from flask import Response, render_template, request

from app.extensions import limiter
from app.public import bp
from app.services import clock, documents, public

MAX_UPLOAD = 40 * 1024 * 1024


def _plot_label(case) -> str:
    """Name a plot only if it is on the public register; else its code only."""
    if case is None:
        return ""
    try:
        public.get_public(case.site.code)
    except Exception:  # not public: no name, no address
        return case.site.code
    return f"{case.site.name}（{case.site.code}）"


@bp.route("/verify", methods=["GET", "POST"], endpoint="verify_form")
@limiter.limit("60 per minute")
def verify_form():
    digest = (request.values.get("digest") or "").strip().lower()
    upload = request.files.get("file")
    if request.method == "POST" and upload is not None and upload.filename:
        data = upload.read(MAX_UPLOAD + 1)
        digest = hashlib.sha256(data[:MAX_UPLOAD]).hexdigest()
    if not digest:
        return render_template("public/verify.html", digest="", result=None, searched=False)
    return _show(digest)


@bp.get("/verify/<digest>", endpoint="verify")
@limiter.limit("60 per minute")
def verify(digest):
    return _show(digest)


def _show(digest: str):
    result = documents.verify(digest)
    case = None
    if result:
        event = result.get("recorded") or result.get("event") or result.get("filed")
        if event is not None and event.case_id:
            from app.extensions import db
            from app.models import Case

            case = db.session.get(Case, event.case_id)
    status = 200 if result else 404
    return (
        render_template(
            "public/verify.html", digest=digest, result=result, searched=True,
            plot=_plot_label(case), kinds=documents.KINDS,
        ),
        status,
    )  # fmt: skip


@bp.get("/open-data/register.pdf", endpoint="register_pdf")
@limiter.limit("10 per minute")
def register_pdf():
    """The register (名录) as a printable list: the copy kept for the current ledger
    head, or the newest copy while a new one renders in the background
    (app/services/register_export.py). A small register is rendered here."""
    from app.response_cache import memo
    from app.services import ledger, register_export

    head, digest = ledger.head()
    copy = register_export.latest()
    if copy is None or copy.seq < head:
        plots = memo("summary", public.summary)["public"]
        if plots <= register_export.SYNC_MAX_PLOTS:
            copy = register_export.render_locked(head, digest) or copy
        else:
            register_export.refresh_in_background()
    data = copy.data() if copy is not None else None
    if data is None:  # replaced by a newer copy a moment ago
        copy = register_export.latest()
        data = copy.data() if copy is not None else None
    if copy is None:
        return Response(
            "名录 PDF 正在生成，请几分钟后再试。The register PDF is being prepared; "
            "please try again in a few minutes.\n",
            status=503, mimetype="text/plain", headers={"Retry-After": "300"},
        )  # fmt: skip
    day = datetime.fromtimestamp(copy.rendered_at, clock.CHINA_TZ).strftime("%Y%m%d")
    response = Response(data, mimetype="application/pdf")
    name = f"register-{day}-{copy.seq}.pdf"
    response.headers["Content-Disposition"] = f"attachment; filename={name}"
    response.headers["X-Register-Ledger-Seq"] = str(copy.seq)
    response.headers["Last-Modified"] = formatdate(copy.rendered_at, usegmt=True)
    return response
