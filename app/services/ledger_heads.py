"""Anchoring the ledger: signed chain heads that outlive the database.

Someone with full database rights could rewrite the whole chain from some
event on and recompute every hash; plain verification would pass. So each day
the head (sequence number and hash) is published on the public site and as a
head file signed with the bureau's Ed25519 key. An auditor keeps the files;
``flask ledger verify --against HEADFILE`` then fails if the event at that
sequence number no longer has that hash.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from pathlib import Path

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from flask import current_app
from sqlalchemy import select

from app.extensions import db
from app.models import LedgerEvent, LedgerHead
from app.services import clock, ledger

FORMAT = "clc-ledger-head/1"


def _key_path() -> Path:
    configured = current_app.config.get("LEDGER_SIGNING_KEY")
    if configured:
        return Path(configured)
    return Path(current_app.instance_path) / "ledger-signing-key.pem"


def signing_key() -> Ed25519PrivateKey:
    """The bureau's key: read from LEDGER_SIGNING_KEY, or created once (mode 0600)."""
    path = _key_path()
    if path.exists():
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise RuntimeError(f"{path} is not an Ed25519 private key")
        return key
    key = Ed25519PrivateKey.generate()
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another worker created it first: use theirs
        return signing_key()
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    return key


def _raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def public_key_info() -> dict:
    raw = _raw_public(signing_key().public_key())
    return {
        "algorithm": "Ed25519",
        "public_key": base64.b64encode(raw).decode(),
        "key_id": hashlib.sha256(raw).hexdigest()[:16],
    }


def _signed_fields(seq: int, hash_: str, published_at: str, key_id: str) -> dict:
    return {
        "format": FORMAT,
        "county": current_app.config["COUNTY_NAME"],
        "seq": seq,
        "hash": hash_,
        "published_at": published_at,
        "key_id": key_id,
    }


def make_head_file(seq: int, hash_: str, published_at: str) -> dict:
    info = public_key_info()
    body = _signed_fields(seq, hash_, published_at, info["key_id"])
    signature = signing_key().sign(rfc8785.dumps(body))
    return {**body, "public_key": info["public_key"],
            "signature": base64.b64encode(signature).decode()}  # fmt: skip


def current_head_file() -> dict:
    seq, hash_ = ledger.head()
    return make_head_file(seq, hash_, ledger.iso(clock.now()))


def publish_today() -> LedgerHead:
    """Record today's head (once per day, Beijing time). Commits."""
    today = clock.today()
    existing = db.session.scalar(select(LedgerHead).where(LedgerHead.day == today))
    if existing is not None:
        return existing
    head_file = current_head_file()
    row = LedgerHead(
        seq=head_file["seq"],
        hash=head_file["hash"],
        published_at=head_file["published_at"],
        day=today,
        signature=head_file["signature"],
        key_id=head_file["key_id"],
    )
    db.session.add(row)
    try:
        db.session.commit()
    except Exception:  # another worker published first
        db.session.rollback()
        return db.session.scalar(select(LedgerHead).where(LedgerHead.day == today))
    return row


def head_row_file(row: LedgerHead) -> dict:
    body = _signed_fields(row.seq, row.hash, row.published_at, row.key_id)
    return {**body, "public_key": public_key_info()["public_key"], "signature": row.signature}


def check_signature(head_file: dict) -> str | None:
    """None if the file is a well-formed head signed by the key it names, which
    must be this bureau's key; otherwise what is wrong."""
    try:
        body = _signed_fields(
            int(head_file["seq"]), str(head_file["hash"]), str(head_file["published_at"]),
            str(head_file["key_id"]),
        )  # fmt: skip
        body["county"] = head_file["county"]
        if head_file.get("format") != FORMAT:
            return "不是链头文件"
        raw = base64.b64decode(head_file["public_key"], validate=True)
        signature = base64.b64decode(head_file["signature"], validate=True)
        Ed25519PublicKey.from_public_bytes(raw).verify(signature, rfc8785.dumps(body))
    except (KeyError, TypeError, ValueError):
        return "链头文件格式不正确"
    except InvalidSignature:
        return "链头文件签名无效（文件被改动或非本局签发）"
    if hashlib.sha256(raw).hexdigest()[:16] != head_file["key_id"]:
        return "签名公钥与 key_id 不符"
    if head_file["key_id"] != public_key_info()["key_id"]:
        return "链头文件不是用本系统当前的签名密钥签发的"
    return None


def verify_against(head_file: dict, verified: dict | None = None) -> dict:
    """Plain verification (or its ``verified`` result, already computed), then: the
    event at the head's seq still has its hash."""
    result = verified if verified is not None else ledger.verify()
    problem = check_signature(head_file)
    if problem is None:
        row = db.session.execute(
            select(LedgerEvent.seq, LedgerEvent.hash).where(LedgerEvent.seq == head_file["seq"])
        ).first()
        if head_file["seq"] == 0:
            pass
        elif row is None:
            problem = f"台账中已没有第 {head_file['seq']} 号事件（台账被截断）"
        elif row.hash != head_file["hash"]:
            problem = f"第 {head_file['seq']} 号事件的 hash 与已公布的链头不符：台账在此之前被重写"
    if problem:
        result = {**result, "ok": False, "against": problem}
        if result["first_bad_seq"] is None:
            result["first_bad_seq"] = head_file.get("seq") if isinstance(head_file, dict) else None
    else:
        result = {**result, "against": None}
    return result


def load_head_file(path: str) -> dict:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValueError(f"无法读取链头文件 {path}：{exc}") from exc
    if not isinstance(data, dict):
        raise ValueError(f"{path} 不是链头文件")
    return data
