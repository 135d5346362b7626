"""The works notice board as an A3 PDF (施工公告牌, 《污染地块土壤环境管理办法（试行）》
第十八条), rendered once per version of what it shows (issue 19).

A version names everything the board prints: the plot, its board, its state and
pollutants, the address the QR code points to. Its PDF is stored under
``STORAGE_DIR/notices/<version>.pdf``, so every process and node serves one
rendering. A reader should never wait for WeasyPrint (a quarter of a second per
board): after a change to a plot with a board commits, the new version is
rendered in the background (:func:`prerender_after`), and readers get the stored
copy; a reader only renders one the background has not reached.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select

import workflows
from app.errors import NotFound
from app.extensions import db
from app.models import Site
from app.services import jobs, pdf
from app.services.documents import qr_data_uri
from app.services.public.plot import NOTICE_LABELS_ZH, notice_board
from app.services.public.register import Row, get_public, public_url
from app.services.sites import PLANNED_USE_ZH

log = logging.getLogger("app.notice")


@dataclass
class Notice:
    row: Row
    board: dict
    url: str
    etag: str  # what a browser's copy is checked against (If-None-Match)
    version: str  # the stored file's name


def prepare(code: str) -> Notice:
    """The board of the public plot ``code`` and its version; NotFound when the plot
    is not public or has no board. In a request (``public_url``)."""
    row = get_public(code)
    board = notice_board(row.case)
    if board is None:
        raise NotFound("该地块没有发布施工公告牌")
    url = public_url("public.site", code=row.site.code)
    etag = hashlib.sha256(
        f"{row.site.code}|{board['published_at']}|{url}|{row.case.state}|v2".encode()
    ).hexdigest()
    version = hashlib.sha256(json.dumps(
        [etag, board, row.pollutants, row.site.name, row.site.address, row.site.planned_use,
         row.site.county_code], sort_keys=True, default=str, ensure_ascii=False).encode()
    ).hexdigest()  # fmt: skip
    return Notice(row, board, url, etag, version)


def pdf_bytes(notice: Notice, on_render=None) -> bytes:
    """The stored PDF of ``notice``'s version, rendered (and ``on_render()`` called)
    when it is not there yet."""

    def render() -> bytes:
        if on_render is not None:
            on_render()
        return _render(notice)

    return pdf.stored(f"notices/{notice.version}.pdf", render)


def _render(notice: Notice) -> bytes:
    row = notice.row
    return pdf.render_pdf(
        "documents/notice.html",
        site=row.site,
        case=row.case,
        board=notice.board,
        url=notice.url,
        qr=qr_data_uri(notice.url, scale=10),
        planned_use=PLANNED_USE_ZH.get(row.site.planned_use, row.site.planned_use),
        labels=NOTICE_LABELS_ZH,
        pollutants=row.pollutants,
        state_label=workflows.STATE_LABELS_ZH[row.case.state],
    )


# ---------------------------------------------------------------- ahead of readers


def prerender_after(event):
    """Event handler body (app/services/subscriptions.py): after a case event
    commits, render its plot's board if it has one and this version is not stored
    yet. Only where the public address is configured (the QR code prints it: a
    version rendered for another address would never be asked for) and documents
    are rendered in the background (``DOCUMENTS_MODE``)."""
    base = (current_app.config.get("PUBLIC_BASE_URL") or "").rstrip("/")
    if event.case_id is None or not base:
        return None
    return jobs.later(PRERENDER, event.case_id, base, key=f"notice-{event.case_id}")


PRERENDER = "app.services.public.notice.prerender"


def prerender(case_id: int, base: str) -> bool:
    """Render the board of the plot whose current case is ``case_id`` unless it is
    stored already (a job: app/services/jobs.py). True if there was a board."""
    # A request for public_url, at the public address.
    with current_app.test_request_context("/", base_url=base):
        code = db.session.scalar(select(Site.code).where(Site.current_case_id == case_id))
        if code is None:
            return False
        try:
            notice = prepare(code)
        except NotFound:
            return False  # not public, or no board
        pdf_bytes(notice)
        return True
