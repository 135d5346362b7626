"""The works notice board as a printable PDF: its text, its QR code, and a
renderer that fetches nothing from the network or the disk."""

import shutil
import subprocess

import pytest
from flask import current_app

from app.services import pdf
from tests.public.helpers import plot

pytestmark = pytest.mark.skipif(
    not all(shutil.which(t) for t in ("pdftotext", "pdftoppm", "zbarimg")),
    reason="poppler-utils and zbar-tools are needed",
)


def _pdf_text(data: bytes, tmp_path) -> str:
    path = tmp_path / "notice.pdf"
    path.write_bytes(data)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True
    ).stdout


def _qr(data: bytes, tmp_path) -> str:
    path = tmp_path / "notice.pdf"
    path.write_bytes(data)
    subprocess.run(["pdftoppm", "-r", "150", "-png", "-f", "1", "-l", "1", str(path),
                    str(tmp_path / "page")], check=True)  # fmt: skip
    png = next(tmp_path.glob("page*.png"))
    out = subprocess.run(["zbarimg", "--raw", "-q", str(png)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_notice_pdf_has_code_name_and_a_qr_to_the_plot_page(client, world, tmp_path):
    code, _ = plot(world, "evaluation", name="原陇川铅锌冶炼厂地块")
    r = client.get(f"/sites/{code}/notice.pdf")
    assert r.status_code == 200
    assert r.mimetype == "application/pdf"
    data = r.get_data()
    assert data.startswith(b"%PDF-")
    text = _pdf_text(data, tmp_path)
    assert code in text
    assert "原陇川铅锌冶炼厂地块" in text
    assert "施工扬尘" in text and "赵施工 0692-0000000" in text
    assert _qr(data, tmp_path) == f"http://localhost/sites/{code}"
    # A second request with the ETag is answered without rendering.
    again = client.get(f"/sites/{code}/notice.pdf", headers={"If-None-Match": r.headers["ETag"]})
    assert again.status_code == 304


def test_public_base_url_goes_into_the_qr(client, world, tmp_path, monkeypatch):
    code, _ = plot(world, "evaluation")
    monkeypatch.setitem(current_app.config, "PUBLIC_BASE_URL", "https://tdwr.example.gov.cn/")
    data = client.get(f"/sites/{code}/notice.pdf").get_data()
    assert _qr(data, tmp_path) == f"https://tdwr.example.gov.cn/sites/{code}"


def test_no_notice_board_is_404(client, world):
    code, _ = plot(world, "listed")
    assert client.get(f"/sites/{code}/notice.pdf").status_code == 404
    assert "施工公告牌（PDF）" not in client.get(f"/sites/{code}").get_data(as_text=True)


def test_fetcher_allows_only_data_uris_and_static_files(app, tmp_path):
    from pathlib import Path

    root = Path(app.static_folder)
    fetcher = pdf.make_url_fetcher(root)
    css = (root / "css" / "public.css").resolve()
    assert fetcher.fetch(css.as_uri()).read() == css.read_bytes()
    assert fetcher.fetch("data:text/plain;base64,aGk=").read() == b"hi"
    secret = tmp_path / "secret.txt"
    secret.write_text("top secret")
    for url in (
        "http://127.0.0.1:9/x.png",
        "https://example.com/x.css",
        "ftp://example.com/x",
        secret.as_uri(),
        "file:///etc/passwd",
        (root / ".." / ".." / "config.py").as_uri(),
        f"file://otherhost{css}",
    ):
        with pytest.raises(pdf.FetchRefused):
            fetcher.fetch(url)


def test_refused_resources_do_not_stop_or_leak_into_the_pdf(app, tmp_path):
    secret = tmp_path / "secret.css"
    secret.write_text("body::after { content: 'LEAKED-SECRET'; }")
    html = (
        f'<html><head><link rel="stylesheet" href="{secret.as_uri()}">'
        '<link rel="stylesheet" href="http://127.0.0.1:9/evil.css"></head>'
        '<body><p>公告 OK</p><img src="file:///etc/hostname"></body></html>'
    )
    with app.test_request_context():
        data = pdf.html_to_pdf(html)
    text = _pdf_text(data, tmp_path)
    assert "公告 OK" in text and "LEAKED-SECRET" not in text


def test_a_notice_pdf_is_rendered_once_per_version_and_stored(client, world, monkeypatch, tmp_path):
    """Issue 19: the PDF is kept by what it shows, not by the ledger head: another
    plot's change (or a cleared cache) serves the stored copy; a change of this
    plot's board renders a new one."""
    from app import response_cache

    monkeypatch.setitem(current_app.config, "STORAGE_DIR", str(tmp_path))
    code, cid = plot(world, "evaluation")
    renders = []
    real = pdf.render_pdf
    monkeypatch.setattr(pdf, "render_pdf", lambda *a, **k: renders.append(a) or real(*a, **k))
    first = client.get(f"/sites/{code}/notice.pdf").get_data()
    plot(world, "listed")  # the ledger moves elsewhere
    response_cache.clear()
    assert client.get(f"/sites/{code}/notice.pdf").get_data() == first
    assert len(renders) == 1
    world.post("landholder", f"/cases/{cid}/assignments",
               {"role": "evaluator", "credit_code": world.evaluator.party.credit_code})  # fmt: skip
    world.file("evaluator", cid, "evaluation_report", world.evaluation_data())
    world.act("evaluator", cid, "submit")  # this plot's state changes
    response_cache.clear()
    assert client.get(f"/sites/{code}/notice.pdf").status_code == 200
    assert len(renders) == 2


def test_a_changed_board_is_rendered_before_anyone_asks(client, world, monkeypatch, tmp_path):
    """Issue 19: when a change to a plot with a board commits, its new version is
    rendered in the background (here: at once, DOCUMENTS_MODE=sync) where the public
    address is known; the reader then gets the stored copy and renders nothing."""
    from app.services.public import notice

    monkeypatch.setitem(current_app.config, "STORAGE_DIR", str(tmp_path))
    monkeypatch.setitem(current_app.config, "PUBLIC_BASE_URL", "https://tdwr.example.gov.cn")
    monkeypatch.setitem(current_app.config, "DOCUMENTS_MODE", "sync")
    code, cid = plot(world, "evaluation")
    # Rendered as the board was published and again as the state it prints moved,
    # before anyone asked.
    stored = {p.name: p.read_bytes() for p in (tmp_path / "notices").glob("*.pdf")}
    assert len(stored) == 2
    renders = []
    real = notice._render
    monkeypatch.setattr(notice, "_render", lambda n: renders.append(n) or real(n))
    r = client.get(f"/sites/{code}/notice.pdf")
    assert r.status_code == 200 and r.get_data() in stored.values()
    assert renders == []
    world.post("landholder", f"/cases/{cid}/assignments",
               {"role": "evaluator", "credit_code": world.evaluator.party.credit_code})  # fmt: skip
    world.file("evaluator", cid, "evaluation_report", world.evaluation_data())
    world.act("evaluator", cid, "submit")  # the state printed on the board moves
    assert len(renders) == 1
    now = {p.name: p.read_bytes() for p in (tmp_path / "notices").glob("*.pdf")}
    (new,) = set(now) - set(stored)
    assert client.get(f"/sites/{code}/notice.pdf").get_data() == now[new]
    assert len(renders) == 1
    # A plot without a board, or not public, is left alone.
    plot(world, "listed")
    assert len(renders) == 1
