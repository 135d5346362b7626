"""Files stored once by SHA-256 under STORAGE_DIR (outside static)."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from flask import current_app


def storage_root() -> Path:
    return Path(current_app.config["STORAGE_DIR"])


def path_for(sha256: str) -> Path:
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise ValueError("not a sha256 hex digest")
    return storage_root() / sha256[:2] / sha256[2:4] / sha256


def put(data: bytes) -> str:
    """Store ``data`` (idempotent) and return its SHA-256."""
    sha = hashlib.sha256(data).hexdigest()
    target = path_for(sha)
    if target.exists():
        return sha
    write_atomic(target, data)
    return sha


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


def get(sha256: str) -> bytes:
    return path_for(sha256).read_bytes()


def intact(sha256: str) -> bool:
    target = path_for(sha256)
    return target.exists() and hashlib.sha256(target.read_bytes()).hexdigest() == sha256
