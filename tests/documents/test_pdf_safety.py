"""WeasyPrint renders only the project's templates and static files: the
sealed URL fetcher refuses every other URL, and markup typed into any field
that reaches a PDF (plot name and address, filing fields, review comments,
works notice, manifest) is printed as text — it fetches nothing, reads no
file and opens no connection."""

from __future__ import annotations

import socket
import sys
import urllib.request
from pathlib import Path

import pytest

from app.services import documents, pdf, storage
from tests.documents.helpers import (
    blank_pdf,
    jobs,
    needs_pdf_tools,
    pdf_text,
    squash,
    web_client,
)

IMG = '<img src="file:///etc/passwd">'
LINK = '<link rel=stylesheet href="http://169.254.169.254/x">'
IFRAME = "<iframe src=file:///etc/passwd>"
CSS = "</td></tr></table><style>@import url(http://127.0.0.1:1/x.css);</style>"
PASSWD_LINE = "root:x:0:0"


# ---------------------------------------------------------------- the fetcher


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "file://localhost/etc/passwd",
        "file:////etc/passwd",
        "http://169.254.169.254/",
        "http://169.254.169.254/latest/meta-data/",
        "http://127.0.0.1:1/",
        "https://example.com/x.css",
        "ftp://x",
        "gopher://127.0.0.1:25/",
        "file://otherhost/etc/passwd",
        "//169.254.169.254/x",
        "css/../../../../../../etc/passwd",
    ],
)
def test_the_fetcher_refuses_everything_but_data_and_static(app, url):
    fetcher = pdf.make_url_fetcher(Path(app.static_folder))
    with pytest.raises(pdf.FetchRefused):
        fetcher.fetch(url)


def test_the_fetcher_refuses_paths_escaping_the_static_folder(app):
    root = Path(app.static_folder).resolve()
    fetcher = pdf.make_url_fetcher(root)
    for url in (
        f"file://{root}/../../../../../../etc/passwd",
        f"file://{root}/css/../../config.py",
        f"file://{root}/%2e%2e/%2e%2e/config.py",
        f"file://{root}/css/..%2F..%2F..%2Fconfig.py",
        f"file://{root}",  # the folder itself is not a file
        f"file://{root}-evil/x.css",  # a sibling whose name merely starts the same
    ):
        with pytest.raises(pdf.FetchRefused):
            fetcher.fetch(url)
    # What it does serve: a stylesheet of the project and an inline image.
    css = root / "css" / "documents.css"
    assert fetcher.fetch(css.as_uri()).read() == css.read_bytes()
    assert fetcher.fetch("data:text/plain;base64,aGk=").read() == b"hi"


def test_a_symlink_inside_the_static_folder_does_not_lead_out(tmp_path):
    root = tmp_path / "static"
    root.mkdir()
    (root / "ok.css").write_text("p{}")
    (root / "passwd.css").symlink_to("/etc/passwd")
    fetcher = pdf.make_url_fetcher(root)
    assert fetcher.fetch((root / "ok.css").as_uri()).read() == b"p{}"
    with pytest.raises(pdf.FetchRefused):
        fetcher.fetch((root / "passwd.css").as_uri())


# ---------------------------------------------------------------- guards


class Tripwire:
    """Fails the test on any network attempt, and records files opened, while
    armed. Audit hooks cannot be removed, so one hook serves the whole run."""

    armed = False
    opened: list[str] = []
    connects: list[str] = []
    installed = False

    @classmethod
    def hook(cls, event, args):
        if not cls.armed:
            return
        if event == "open" and args and isinstance(args[0], str | bytes):
            name = args[0].decode(errors="replace") if isinstance(args[0], bytes) else args[0]
            cls.opened.append(name)
        elif event in ("socket.connect", "socket.getaddrinfo"):
            cls.connects.append(f"{event} {args[:2]!r}")
        elif event == "urllib.Request" and not str(args[0]).startswith("data:"):
            cls.connects.append(f"{event} {args[0]!r}")  # data: URIs decode in memory


@pytest.fixture
def no_network(monkeypatch):
    if not Tripwire.installed:
        sys.addaudithook(Tripwire.hook)
        Tripwire.installed = True
    Tripwire.opened, Tripwire.connects = [], []
    attempts = []

    def refuse(name):
        def fail(*args, **kwargs):
            attempts.append((name, args[:2]))
            raise AssertionError(f"network attempt while rendering: {name}{args[:2]!r}")

        return fail

    monkeypatch.setattr(socket, "create_connection", refuse("create_connection"))
    monkeypatch.setattr(socket.socket, "connect", refuse("socket.connect"))
    monkeypatch.setattr(socket.socket, "connect_ex", refuse("socket.connect_ex"))
    monkeypatch.setattr(urllib.request, "urlopen", refuse("urlopen"))
    Tripwire.armed = True
    yield attempts
    Tripwire.armed = False
    assert attempts == []
    assert Tripwire.connects == []
    leaked = [p for p in Tripwire.opened if "passwd" in p or "hostname" in p]
    assert leaked == [], leaked


def _assert_literal(text: str, *markup: str) -> None:
    flat = squash(text)
    for m in markup:
        assert squash(m) in flat, f"{m!r} is not printed as text"
    assert PASSWD_LINE not in text and "/bin/bash" not in text


# ---------------------------------------------------------------- hostile fields


@pytest.fixture
def hostile_case(world, monkeypatch):
    """A case in works whose every user-typed field carries markup."""
    survey = world.survey_data()
    survey.update(project_lead=IFRAME, conclusion=f"{IMG}{LINK}{IFRAME}{CSS}")
    monkeypatch.setattr(world, "survey_data", lambda lead_mg_kg=650.0: survey)
    notice = {**world.notice_data(), "project_overview": IMG, "environmental_impacts": LINK,
              "protective_measures": IFRAME, "contact": CSS}  # fmt: skip
    monkeypatch.setattr(world, "notice_data", lambda: notice)
    manifest = {**world.manifest_data(), "route": f"{IMG}{LINK}", "final_disposal": IFRAME,
                "origin_address": CSS}  # fmt: skip
    monkeypatch.setattr(world, "manifest_data", lambda quantity=120.0: manifest)
    act = world.act

    def act_with_comment(who, case_id, action, comment=None, expect=200):
        if action in ("cosign", "approve") and comment is None:
            comment = f"{LINK}{IFRAME}"
        return act(who, case_id, action, comment=comment, expect=expect)

    monkeypatch.setattr(world, "act", act_with_comment)
    reg = world.register(name=IMG, address=f"{LINK}{CSS}")
    cid = world.to_state("works", site=reg)
    world.file("contractor", cid, "works_notice", world.notice_data())
    return {"code": reg["code"], "cid": cid}


@needs_pdf_tools
def test_hostile_fields_print_as_text_in_every_issued_document(
    app, world, hostile_case, no_network, tmp_path
):
    rendered = {}
    for job in jobs():
        doc = documents.process(job.id)
        assert doc is not None, job.last_error
        rendered.setdefault(job.kind, []).append(pdf_text(storage.get(doc.sha256), tmp_path))
    assert sorted(rendered) == ["approval_receipt", "filing_receipt", "manifest"]

    for text in rendered["filing_receipt"]:
        _assert_literal(text, IMG, LINK, CSS)  # plot name and address on every receipt
    survey_receipt = rendered["filing_receipt"][0]
    assert "土壤污染状况调查报告" in survey_receipt
    _assert_literal(survey_receipt, IFRAME)  # project_lead
    for text in rendered["approval_receipt"][:2]:  # the reviews that carry comments
        _assert_literal(text, IMG, LINK, IFRAME)
    (manifest,) = rendered["manifest"]
    _assert_literal(manifest, IMG, LINK, IFRAME, CSS)


@needs_pdf_tools
def test_hostile_fields_print_as_text_on_the_notice_dossier_and_register(
    app, client, world, hostile_case, no_network, tmp_path
):
    code, cid = hostile_case["code"], hostile_case["cid"]
    r = client.get(f"/sites/{code}/notice.pdf")
    assert r.status_code == 200
    _assert_literal(pdf_text(r.data, tmp_path), IMG, LINK, IFRAME, CSS)

    r = web_client(app, world.env.user).get(f"/review/cases/{cid}/dossier.pdf")
    assert r.status_code == 200
    _assert_literal(pdf_text(r.data, tmp_path), IMG, IFRAME, LINK)

    r = client.get("/open-data/register.pdf")
    assert r.status_code == 200
    _assert_literal(pdf_text(r.data, tmp_path), IMG)


@needs_pdf_tools
def test_hostile_attachment_names_print_as_text(world, no_network, tmp_path):
    from tests.documents.helpers import file_with_attachment

    reg = world.register()
    name = '<img src="file:///etc/passwd">.pdf'
    file_with_attachment(world, "landholder", reg["case"]["id"], "survey_report",
                         world.survey_data(), blank_pdf(), name=name)  # fmt: skip
    (job,) = jobs()
    doc = documents.process(job.id)
    text = pdf_text(storage.get(doc.sha256), tmp_path)
    assert PASSWD_LINE not in text
    from sqlalchemy import select

    from app.extensions import db
    from app.models import Document

    (attachment,) = db.session.scalars(select(Document).where(Document.purpose == "attachment"))
    assert "img" in attachment.original_name
    assert squash(attachment.original_name) in squash(text)  # printed, not obeyed


@needs_pdf_tools
def test_the_renderer_itself_never_fetches_for_raw_html(app, no_network, tmp_path):
    """Even markup that escapes templating (it cannot) would fetch nothing."""
    html = (
        "<html><head>"
        '<link rel="stylesheet" href="http://169.254.169.254/x.css">'
        '<link rel="stylesheet" href="file:///etc/passwd">'
        "<style>@import url(http://127.0.0.1:1/x.css);"
        "@font-face{font-family:x;src:url(file:///etc/passwd)}"
        "body{background:url(ftp://x/bg.png)}</style>"
        '</head><body><p>正文 OK</p><img src="file:///etc/passwd">'
        '<iframe src="file:///etc/passwd"></iframe><object data="file:///etc/passwd"></object>'
        '<img src="http://127.0.0.1:1/x.png"><embed src="file:///etc/passwd">'
        "</body></html>"
    )
    with app.test_request_context():
        data = pdf.html_to_pdf(html)
    text = pdf_text(data, tmp_path)
    assert "正文 OK" in text and PASSWD_LINE not in text
