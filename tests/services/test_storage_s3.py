"""Documents in an S3-compatible object store (issue 20, app/services/storage.py),
against a real S3 server on 127.0.0.1 (moto in server mode), not a mocked client:
uploads and issued PDFs land in the bucket by their hash, downloads stream from it
or redirect to a signed URL, derived copies (notice boards, the register PDF) live
there too, and backup and restore cover the bucket."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import socket
import urllib.request
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Document, TipoffPhoto
from app.services import documents, register_export, storage
from tests.security.county import build, pdf_bytes

BUCKET = "clc-test"

boto3 = pytest.importorskip("boto3")
moto_server = pytest.importorskip("moto.server")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def s3_endpoint():
    port = _free_port()
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                          aws_access_key_id="test", aws_secret_access_key="test")  # fmt: skip
    client.create_bucket(Bucket=BUCKET)
    yield endpoint
    server.stop()


@pytest.fixture
def bucket(app, monkeypatch, s3_endpoint):
    """The app on the bucket, under a prefix of this test's own; a client to look."""
    for name, value in (("AWS_ACCESS_KEY_ID", "test"), ("AWS_SECRET_ACCESS_KEY", "test"),
                        ("AWS_DEFAULT_REGION", "us-east-1")):  # fmt: skip
        monkeypatch.setenv(name, value)
    prefix = f"t-{uuid.uuid4().hex[:12]}"
    monkeypatch.setitem(app.config, "STORAGE_URL", f"s3://{BUCKET}/{prefix}")
    monkeypatch.setitem(app.config, "STORAGE_ENDPOINT_URL", s3_endpoint)
    client = boto3.client("s3", endpoint_url=s3_endpoint)

    class Bucket:
        def names(self) -> set[str]:
            pages = client.get_paginator("list_objects_v2").paginate(
                Bucket=BUCKET, Prefix=prefix + "/"
            )
            return {o["Key"][len(prefix) + 1 :] for p in pages for o in p.get("Contents", [])}

        def put(self, key: str, data: bytes) -> None:
            client.put_object(Bucket=BUCKET, Key=f"{prefix}/{key}", Body=data)

        def empty(self) -> None:
            for key in self.names():
                client.delete_object(Bucket=BUCKET, Key=f"{prefix}/{key}")

    return Bucket()


def _local_files(app) -> list[Path]:
    root = Path(app.config["STORAGE_DIR"])
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def _seed(world):
    county = build(world)  # a case in works: uploads, manifests, a tip-off photo
    documents.run_pending(limit=3)  # issued receipts and manifests (PDF)
    db.session.commit()
    return county


def test_uploads_and_issued_documents_live_in_the_bucket(app, world, bucket):
    before = set(_local_files(app))
    _seed(world)
    shas = set(db.session.scalars(select(Document.sha256)))
    issued = db.session.scalars(
        select(Document.sha256).where(Document.purpose.in_(tuple(documents.KINDS)))
    ).all()
    assert issued, "no receipt was issued"
    keys = bucket.names()
    assert {storage.document_key(s) for s in shas} <= keys
    assert set(_local_files(app)) == before, "a document was written to the local folder"
    assert all(storage.intact(s) for s in shas)


def test_a_download_streams_from_the_bucket_or_redirects_to_a_signed_url(
    app, world, bucket, monkeypatch
):
    county = _seed(world)
    pdf = pdf_bytes("s3 report")
    r = world.client.post(
        f"/api/v1/cases/{county.case_id}/filings",
        data={"kind": "progress_report",
              "data": json.dumps({"summary": "进展", "percent_complete": 40}),
              "files": [(io.BytesIO(pdf), "进展报告.pdf")]},
        headers=world.contractor.headers, content_type="multipart/form-data",
    )  # fmt: skip
    assert r.status_code == 201, r.get_data(as_text=True)
    doc = db.session.scalar(
        select(Document).where(Document.sha256 == hashlib.sha256(pdf).hexdigest())
    )
    url = f"/api/v1/documents/{doc.id}"

    streamed = world.client.get(url, headers=world.contractor.headers)
    assert streamed.status_code == 200 and streamed.data == pdf
    assert streamed.headers["Content-Length"] == str(len(pdf))
    assert (
        "filename*=UTF-8''%E8%BF%9B%E5%B1%95%E6%8A%A5%E5%91%8A.pdf"
        in (streamed.headers["Content-Disposition"])
    )
    again = world.client.get(
        url, headers={**world.contractor.headers, "If-None-Match": f'"{doc.sha256}"'}
    )
    assert again.status_code == 304

    monkeypatch.setitem(app.config, "STORAGE_REDIRECT_SECONDS", 60)
    redirected = world.client.get(url, headers=world.contractor.headers)
    assert redirected.status_code == 302
    location = redirected.headers["Location"]
    assert location.startswith(app.config["STORAGE_ENDPOINT_URL"]) and "Expires=" in location
    with urllib.request.urlopen(location, timeout=10) as answer:  # noqa: S310 - our test server
        assert answer.read() == pdf
        assert "attachment" in answer.headers["Content-Disposition"]
    # The signed URL is handed out only after the same checks as a download.
    other = world.client.get(url, headers=world.actors["other_landholder"].headers)
    assert other.status_code == 404


def test_derived_copies_are_kept_in_the_bucket(app, world, bucket):
    storage.write_named("notices/abc.pdf", b"%PDF-1.7 one")
    assert storage.read_named("notices/abc.pdf") == b"%PDF-1.7 one"
    assert [e.name for e in storage.list_named("notices")] == ["notices/abc.pdf"]
    storage.delete_named("notices/abc.pdf")
    assert storage.read_named("notices/abc.pdf") is None
    with pytest.raises(ValueError):
        storage.read_named("../outside")

    from tests.public.helpers import plot

    plot(world, "listed")
    first = world.client.get("/open-data/register.pdf")
    assert first.status_code == 200 and first.data.startswith(b"%PDF")
    copy = register_export.latest()
    assert copy is not None and copy.name in bucket.names()
    assert copy.data() == first.data


def test_a_damaged_object_is_not_intact_and_stops_the_backup(app, world, bucket, tmp_path):
    _seed(world)
    sha = db.session.scalars(select(Document.sha256)).first()
    bucket.put(storage.document_key(sha), b"not what was filed")
    assert not storage.intact(sha)
    result = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "b")])
    assert result.exit_code == 1 and sha in result.output


def test_backup_and_restore_cover_the_bucket(app, world, bucket, tmp_path):
    if db.engine.dialect.name == "postgresql" and not shutil.which("pg_dump"):
        pytest.skip("pg_dump not installed")
    from tests.security.test_backup_drill import _ensure_schema, _wipe

    _seed(world)
    shas = set(db.session.scalars(select(Document.sha256)))
    shas |= set(db.session.scalars(select(TipoffPhoto.sha256)))
    runner = app.test_cli_runner()
    folder = tmp_path / "backup"
    result = runner.invoke(args=["backup", str(folder)])
    assert result.exit_code == 0, result.output
    manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
    assert {d["sha256"] for d in manifest["documents"]} == shas
    for sha in shas:  # the backup holds the bytes themselves, checked
        kept = folder / "documents" / sha[:2] / sha[2:4] / sha
        assert hashlib.sha256(kept.read_bytes()).hexdigest() == sha

    try:
        _wipe(app)  # the database and the local folder
        bucket.empty()  # and the bucket
        result = runner.invoke(args=["restore", str(folder)])
        assert result.exit_code == 0, result.output
        assert {storage.document_key(s) for s in shas} <= bucket.names()
        assert all(storage.intact(s) for s in shas)
    finally:
        _ensure_schema()
