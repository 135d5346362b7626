"""Where files live: stored once by SHA-256, in a local folder or an S3 bucket.

Two kinds of object, both under one root:

- **documents** (uploads, issued receipts, tip-off photos) are named by the SHA-256
  of their bytes (``ab/cd/abcd…``): written once, never changed, checked against
  their name (:func:`intact`);
- **derived copies** (notice-board PDFs per version, register exports) are named by
  the caller (``notices/<version>.pdf``) and can be rebuilt from the database.

The backend is chosen by ``STORAGE_URL`` (issue 20): empty, the folder
``STORAGE_DIR`` (one machine, or a shared mount); ``s3://bucket/prefix``, any
S3-compatible object store through ``boto3`` (MinIO, Ceph RGW, a government cloud),
with the endpoint and credentials from the environment (``AWS_ENDPOINT_URL``,
``AWS_ACCESS_KEY_ID``…). Several app nodes then share the files without a shared
disk. Downloads are streamed through the app, or with ``STORAGE_REDIRECT_SECONDS``
answered by a redirect to a signed URL valid that long.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlparse

from flask import current_app

CHUNK = 1024 * 1024


def _check(sha256: str) -> str:
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise ValueError("not a sha256 hex digest")
    return sha256


def document_key(sha256: str) -> str:
    _check(sha256)
    return f"{sha256[:2]}/{sha256[2:4]}/{sha256}"


def _named_key(name: str) -> str:
    parts = name.split("/")
    if not name or name.startswith("/") or any(p in ("", ".", "..") for p in parts):
        raise ValueError(f"not a storage name: {name!r}")
    return name


@dataclass(frozen=True)
class Entry:
    name: str
    modified: float  # seconds since the epoch


class LocalStore:
    """The folder ``root``; every write goes to a temporary file, then is renamed."""

    kind = "local"

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, key: str) -> Path:
        return self.root / key

    def read(self, key: str) -> bytes | None:
        try:
            return self.path(key).read_bytes()
        except FileNotFoundError:
            return None

    def chunks(self, key: str) -> Iterator[bytes] | None:
        try:
            fh = open(self.path(key), "rb")  # noqa: SIM115 - closed by the generator
        except FileNotFoundError:
            return None

        def stream():
            with fh:
                while chunk := fh.read(CHUNK):
                    yield chunk

        return stream()

    def open(self, key: str):
        try:
            fh = open(self.path(key), "rb")  # noqa: SIM115 - the caller closes it
        except FileNotFoundError:
            return None
        return fh, os.fstat(fh.fileno()).st_size

    def write(self, key: str, data: bytes) -> None:
        write_atomic(self.path(key), data)

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def size(self, key: str) -> int | None:
        try:
            return self.path(key).stat().st_size
        except FileNotFoundError:
            return None

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    def listing(self, prefix: str) -> list[Entry]:
        folder = self.path(prefix)
        if not folder.is_dir():
            return []
        out = []
        for p in folder.iterdir():
            if p.is_file() and not p.name.startswith("."):
                try:
                    out.append(Entry(f"{prefix.rstrip('/')}/{p.name}", p.stat().st_mtime))
                except FileNotFoundError:  # replaced meanwhile
                    continue
        return out

    def signed_url(self, key: str, seconds: int, filename: str, mime: str) -> str | None:
        return None  # a folder has no address of its own: streamed by the app


class S3Store:
    """A bucket of an S3-compatible object store, under ``prefix``."""

    kind = "s3"

    def __init__(self, bucket: str, prefix: str, endpoint_url: str | None) -> None:
        self.bucket, self.prefix, self.endpoint_url = bucket, prefix.strip("/"), endpoint_url
        self._clients: dict[int, object] = {}
        self._lock = threading.Lock()

    @property
    def client(self):
        """One client per process (a client must not cross a fork); thread-safe."""
        pid = os.getpid()
        client = self._clients.get(pid)
        if client is None:
            import boto3
            from botocore.config import Config as BotoConfig

            with self._lock:
                client = self._clients.get(pid)
                if client is None:
                    client = boto3.session.Session().client(
                        "s3",
                        endpoint_url=self.endpoint_url,
                        config=BotoConfig(
                            retries={"max_attempts": 5, "mode": "standard"},
                            connect_timeout=5,
                            read_timeout=60,
                            s3={"addressing_style": "path"},
                        ),
                    )
                    self._clients = {pid: client}
        return client

    def _key(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def _missing(self, exc) -> bool:
        code = str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))
        return code in ("404", "NoSuchKey", "NotFound")

    def _get(self, key: str):
        from botocore.exceptions import ClientError

        try:
            return self.client.get_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as exc:
            if self._missing(exc):
                return None
            raise

    def read(self, key: str) -> bytes | None:
        answer = self._get(key)
        return None if answer is None else answer["Body"].read()

    def chunks(self, key: str) -> Iterator[bytes] | None:
        answer = self._get(key)
        if answer is None:
            return None
        body = answer["Body"]

        def stream():
            try:
                yield from body.iter_chunks(CHUNK)
            finally:
                body.close()

        return stream()

    def open(self, key: str):
        answer = self._get(key)
        return None if answer is None else (answer["Body"], int(answer["ContentLength"]))

    def write(self, key: str, data: bytes) -> None:
        # An object appears whole or not at all; the store checks the body's MD5.
        self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=data)

    def _head(self, key: str):
        from botocore.exceptions import ClientError

        try:
            return self.client.head_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as exc:
            if self._missing(exc):
                return None
            raise

    def exists(self, key: str) -> bool:
        return self._head(key) is not None

    def size(self, key: str) -> int | None:
        head = self._head(key)
        return None if head is None else int(head["ContentLength"])

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._key(key))

    def listing(self, prefix: str) -> list[Entry]:
        out = []
        paginator = self.client.get_paginator("list_objects_v2")
        start = self._key(prefix.rstrip("/") + "/")
        strip = len(self._key(""))
        for page in paginator.paginate(Bucket=self.bucket, Prefix=start):
            for item in page.get("Contents", []):
                out.append(Entry(item["Key"][strip:], item["LastModified"].timestamp()))
        return out

    def signed_url(self, key: str, seconds: int, filename: str, mime: str) -> str | None:
        return self.client.generate_presigned_url(
            "get_object",
            Params={
                "Bucket": self.bucket,
                "Key": self._key(key),
                "ResponseContentType": mime,
                "ResponseContentDisposition": f"attachment; filename*=UTF-8''{quote(filename)}",
            },
            ExpiresIn=seconds,
        )


def parse_url(url: str) -> tuple[str, str]:
    """``s3://bucket/prefix`` → (bucket, prefix); anything else is a ValueError."""
    parsed = urlparse(url)
    if parsed.scheme != "s3" or not parsed.netloc:
        raise ValueError(f"STORAGE_URL must look like s3://bucket/prefix, got {url!r}")
    return parsed.netloc, parsed.path.strip("/")


def backend() -> LocalStore | S3Store:
    """The app's store, made once per app and configuration."""
    app = current_app._get_current_object()
    url, folder = app.config.get("STORAGE_URL") or "", app.config["STORAGE_DIR"]
    made = app.extensions.get("clc_storage")
    if made is None or made[0] != (url, folder):
        if url:
            bucket, prefix = parse_url(url)
            store = S3Store(bucket, prefix, app.config.get("STORAGE_ENDPOINT_URL") or None)
        else:
            store = LocalStore(Path(folder))
        made = app.extensions["clc_storage"] = ((url, folder), store)
    return made[1]


def storage_root() -> Path:
    """The local folder (``STORAGE_DIR``): the local backend's root; with S3, where
    locks and scratch files of this machine go."""
    return Path(current_app.config["STORAGE_DIR"])


def path_for(sha256: str) -> Path:
    """Where the local backend keeps a document."""
    return storage_root() / document_key(sha256)


# ---------------------------------------------------------------- documents by hash


def put(data: bytes) -> str:
    """Store ``data`` (idempotent) and return its SHA-256."""
    sha = hashlib.sha256(data).hexdigest()
    store, key = backend(), document_key(sha)
    if not store.exists(key):
        store.write(key, data)
    return sha


def get(sha256: str) -> bytes:
    data = backend().read(document_key(sha256))
    if data is None:
        raise FileNotFoundError(sha256)
    return data


def exists(sha256: str) -> bool:
    return backend().exists(document_key(sha256))


def intact(sha256: str) -> bool:
    """The document is there and its bytes still hash to its name."""
    chunks = backend().chunks(document_key(sha256))
    if chunks is None:
        return False
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(chunk)
    return digest.hexdigest() == sha256


def open_document(sha256: str):
    """(a binary file object, its size) of the document, or None if it is missing;
    the caller closes it (Flask's ``send_file`` does)."""
    return backend().open(document_key(sha256))


def signed_url(sha256: str, filename: str, mime: str) -> str | None:
    """A short-lived address of the document in the object store, when downloads
    are to be redirected there (``STORAGE_REDIRECT_SECONDS`` > 0); else None."""
    seconds = int(current_app.config.get("STORAGE_REDIRECT_SECONDS") or 0)
    if seconds <= 0:
        return None
    return backend().signed_url(document_key(sha256), seconds, filename, mime)


def copy_out(sha256: str, target: Path) -> int | None:
    """Write the document to the file ``target`` (a backup) if its bytes hash to its
    name: the size written, or None (nothing written) if it is missing or damaged."""
    chunks = backend().chunks(document_key(sha256))
    if chunks is None:
        return None
    target.parent.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as out:
            for chunk in chunks:
                digest.update(chunk)
                size += len(chunk)
                out.write(chunk)
        if digest.hexdigest() != sha256:
            Path(tmp).unlink()
            return None
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return size


def copy_in(source: Path, sha256: str) -> int | None:
    """Store the file ``source`` (a restore) if its bytes hash to ``sha256``: the size,
    or None (nothing stored) if they do not."""
    data = source.read_bytes()
    if hashlib.sha256(data).hexdigest() != _check(sha256):
        return None
    backend().write(document_key(sha256), data)
    return len(data)


# ---------------------------------------------------------------- derived copies by name


def read_named(name: str) -> bytes | None:
    return backend().read(_named_key(name))


def write_named(name: str, data: bytes) -> None:
    backend().write(_named_key(name), data)


def delete_named(name: str) -> None:
    backend().delete(_named_key(name))


def list_named(prefix: str) -> list[Entry]:
    """The copies directly under the folder ``prefix`` (e.g. ``exports``)."""
    return backend().listing(_named_key(prefix))


def write_atomic(target: Path, data: bytes) -> None:
    """Write then rename: a reader never sees half a file."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
