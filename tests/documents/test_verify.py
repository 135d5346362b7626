"""/verify (public): by a document's SHA-256, by the event hash its QR code
carries, or by uploading the file — which event a document records and
whether the stored copy is intact; unknown or garbled input is a clear 404,
never a 500; a plot not yet public is named by its code only."""

from __future__ import annotations

import io

import pytest

from app.services import storage
from tests.documents.helpers import (
    blank_pdf,
    event_at,
    file_with_attachment,
    jobs,
    needs_pdf_tools,
    page_text,
    pdf_text,
    render,
    sha256,
)
from tests.support import SITE

UNKNOWN = "本系统没有签发过该哈希值对应的文书"
INTACT = "真实、完整"
NOT_INTACT = "存档文件缺失或损坏"


@pytest.fixture
def receipt(world):
    """A filing receipt of a public plot (listed), issued and stored."""
    reg = world.register()
    cid = world.to_state("listed", site=reg)
    job = jobs("filing_receipt")[0]
    doc, data, recorded = render(job)
    return {"code": reg["code"], "cid": cid, "doc": doc, "data": data, "recorded": recorded}


def result_of(response) -> str:
    html = response.get_data(as_text=True)
    assert 'data-testid="verify-result"' in html
    return page_text(response)


def test_by_document_hash_it_is_intact_and_names_the_recorded_event(client, receipt):
    doc, recorded = receipt["doc"], receipt["recorded"]
    r = client.get(f"/verify/{doc.sha256}")
    assert r.status_code == 200
    text = result_of(r)
    assert INTACT in text and NOT_INTACT not in text
    assert 'data-intact="true"' in r.get_data(as_text=True)
    assert "备案回执" in text
    assert f"#{recorded.seq}" in text and recorded.hash in text
    assert "土壤污染状况调查报告" in text  # what the recorded event was
    assert f"{SITE['name']}（{receipt['code']}）" in text  # a public plot is named
    # Upper case, as some scanners print it, names the same document.
    assert client.get(f"/verify/{doc.sha256.upper()}").status_code == 200
    # The form's GET and POST take the hash too.
    assert INTACT in page_text(client.get(f"/verify?digest={doc.sha256}"))
    assert INTACT in page_text(client.post("/verify", data={"digest": doc.sha256}))


def test_by_event_hash_it_lists_the_documents_issued_for_it(client, world, receipt):
    recorded = receipt["recorded"]
    r = client.get(f"/verify/{recorded.hash}")
    assert r.status_code == 200
    text = result_of(r)
    assert "该哈希值是问责台账中的一个事件" in text
    assert f"#{recorded.seq}" in text
    assert f"备案回执： {receipt['doc'].sha256}" in text

    # An approval whose receipt is not rendered yet: the event, no documents.
    approval = jobs("approval_receipt")[-1]
    pending = event_at(approval.event_seq)
    text = page_text(client.get(f"/verify/{pending.hash}"))
    assert "该哈希值是问责台账中的一个事件" in text and "暂无" in text


@needs_pdf_tools
def test_the_qr_code_on_a_receipt_leads_to_its_verification(app, client, receipt, tmp_path):
    from urllib.parse import urlsplit

    from tests.documents.helpers import qr_of

    url = qr_of(receipt["data"], tmp_path)
    assert url.endswith(f"/verify/{receipt['recorded'].hash}")
    r = client.get(urlsplit(url).path)
    assert r.status_code == 200
    assert receipt["doc"].sha256 in result_of(r)


def test_by_uploading_the_file(client, receipt):
    r = client.post(
        "/verify",
        data={"file": (io.BytesIO(receipt["data"]), "回执.pdf")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 200
    text = result_of(r)
    assert INTACT in text and receipt["doc"].sha256 in text
    assert receipt["recorded"].hash in text

    # One byte changed in the copy a party holds: not ours.
    altered = bytearray(receipt["data"])
    altered[len(altered) // 2] ^= 0x01
    r = client.post(
        "/verify",
        data={"file": (io.BytesIO(bytes(altered)), "回执.pdf")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 404
    assert UNKNOWN in page_text(r) and "文件可能被改动" in page_text(r)


def test_an_unknown_hash_is_a_clear_404(client, receipt):
    r = client.get(f"/verify/{'0' * 64}")
    assert r.status_code == 404
    assert UNKNOWN in result_of(r)
    assert 'data-found="false"' in r.get_data(as_text=True)


@pytest.mark.parametrize(
    "digest",
    [
        "zzz",
        "g" * 64,
        "0" * 63,
        "0" * 65,
        "回执",
        "x" * 5000,
        "%00",
        "<script>alert(1)</script>",
        "' OR 1=1 --",
        "..%2F..%2Fetc%2Fpasswd",
    ],
)
def test_garbage_is_handled_without_a_500(client, digest):
    r = client.get(f"/verify/{digest}")
    assert r.status_code in (404, 405), r.status_code
    r = client.get("/verify", query_string={"digest": digest})
    assert r.status_code == 404
    assert UNKNOWN in page_text(r)
    assert "<script>alert(1)</script>" not in r.get_data(as_text=True)
    r = client.post("/verify", data={"digest": digest})
    assert r.status_code == 404


def test_odd_uploads_are_handled(client):
    # An empty file field is no search; an empty file is an unknown hash.
    r = client.post("/verify", data={"file": (io.BytesIO(b""), "")},
                    content_type="multipart/form-data")  # fmt: skip
    assert r.status_code == 200 and 'data-testid="verify-result"' not in r.get_data(as_text=True)
    r = client.post("/verify", data={"file": (io.BytesIO(b""), "empty.pdf")},
                    content_type="multipart/form-data")  # fmt: skip
    assert r.status_code == 404
    r = client.post("/verify", data={"file": (io.BytesIO(b"\x00\xff" * 1000), "x.bin")},
                    content_type="multipart/form-data")  # fmt: skip
    assert r.status_code == 404


def test_a_tampered_stored_file_is_reported_not_intact(client, receipt):
    doc = receipt["doc"]
    path = storage.path_for(doc.sha256)
    path.write_bytes(receipt["data"].replace(b"%%EOF", b"%%EOX"))
    r = client.get(f"/verify/{doc.sha256}")
    assert r.status_code == 200
    text = result_of(r)
    assert NOT_INTACT in text and INTACT not in text
    assert 'data-intact="false"' in r.get_data(as_text=True)
    # A copy the party kept still names its event: the ledger holds its hash.
    assert receipt["recorded"].hash in text

    path.unlink()
    text = page_text(client.get(f"/verify/{doc.sha256}"))
    assert NOT_INTACT in text


@needs_pdf_tools
def test_a_plot_not_yet_public_is_named_by_its_code_only(client, world, tmp_path):
    reg = world.register(name="尚未公开的化工厂地块", address="景罕镇秘密路 1 号")
    world.file("landholder", reg["case"]["id"], "survey_report", world.survey_data())
    (job,) = jobs("filing_receipt")
    doc, data, recorded = render(job)
    assert "尚未公开的化工厂地块" in pdf_text(data, tmp_path)  # the receipt itself names it

    for digest in (doc.sha256, recorded.hash):
        r = client.get(f"/verify/{digest}")
        assert r.status_code == 200
        html = r.get_data(as_text=True)
        assert reg["code"] in html
        assert "尚未公开的化工厂地块" not in html and "秘密路" not in html


def test_an_uploaded_attachment_is_not_presented_as_issued_by_the_system(client, world):
    """BUG: ``documents.verify`` answers any stored Document by hash, so a
    landholder's own uploaded PDF (purpose ``attachment``) is shown as
    "真实、完整：该文件由本系统签发并存档" with the raw purpose ``attachment`` as its
    kind and no recorded event. Only issued documents (purpose in
    ``documents.KINDS``) should be presented as issued."""
    reg = world.register()
    attachment = blank_pdf(333)
    file_with_attachment(world, "landholder", reg["case"]["id"], "survey_report",
                         world.survey_data(), attachment)  # fmt: skip
    r = client.get(f"/verify/{sha256(attachment)}")
    html = r.get_data(as_text=True)
    assert r.status_code in (200, 404)
    assert "该文件由本系统签发并存档" not in html
    assert ">attachment<" not in html
