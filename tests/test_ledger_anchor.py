"""Anchoring the ledger against a hostile database administrator (issue 3):
signed head files written by ``flask ledger head``, ``flask ledger verify
--against``, and the demo county built by ``flask demo``."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest
import rfc8785
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import delete, func, select, text, update

from app.models import Handover, LedgerEvent, Responsibility
from app.services import ledger_heads
from app.services.ledger import GENESIS, chain_hash, event_body

# ---------------------------------------------------------------- helpers


@pytest.fixture(autouse=True)
def signing_key(app, tmp_path, monkeypatch):
    """A throw-away bureau key, so tests never touch the instance folder's key."""
    monkeypatch.setitem(app.config, "LEDGER_SIGNING_KEY", str(tmp_path / "ledger-key.pem"))


@pytest.fixture
def cli(app):
    runner = app.test_cli_runner()

    def invoke(*args):
        return runner.invoke(args=list(args))

    return invoke


def write_head(cli, path) -> dict:
    result = cli("ledger", "head", "--out", str(path))
    assert result.exit_code == 0, result.output
    return json.loads(path.read_text(encoding="utf-8"))


def max_seq(db) -> int:
    db.session.commit()
    return db.session.scalar(select(func.max(LedgerEvent.seq)))


def _bypass_triggers(conn) -> None:
    # What a superuser can do: the append-only triggers do not fire for replicas.
    if conn.dialect.name == "postgresql":
        conn.execute(text("SET LOCAL session_replication_role = replica"))


def rewrite_chain_from(db, start: int, *, actor: str = "someone_else") -> None:
    """Change the actor of event ``start`` and recompute every hash from there on,
    so that the chain is consistent again (a whole-chain forgery)."""
    db.session.commit()
    table = LedgerEvent.__table__
    with db.engine.begin() as conn:
        _bypass_triggers(conn)
        prev = GENESIS
        if start > 1:
            prev = conn.scalar(select(table.c.hash).where(table.c.seq == start - 1))
        rows = conn.execute(
            select(table).where(table.c.seq >= start).order_by(table.c.seq)
        ).mappings()
        for row in list(rows):
            new_actor = actor if row["seq"] == start else row["actor"]
            body = event_body(
                seq=row["seq"],
                at=row["at"],
                case_id=row["case_id"],
                actor=new_actor,
                party=row["party"],
                action=row["action"],
                from_state=row["from_state"],
                to_state=row["to_state"],
                documents=row["documents"] or [],
                detail=row["detail"] or {},
            )
            new_hash = chain_hash(prev, body)
            conn.execute(
                update(table)
                .where(table.c.seq == row["seq"])
                .values(actor=new_actor, prev_hash=prev, hash=new_hash)
            )
            prev = new_hash


def activity(world) -> int:
    """Some events on a case: registration, a filing, submit, cosign, approve."""
    return world.to_state("risk_assessment")


# ---------------------------------------------------------------- head files


def test_ledger_head_writes_a_signed_file_of_the_current_head(world, db, cli, tmp_path):
    activity(world)
    head = write_head(cli, tmp_path / "head.json")
    seq = max_seq(db)
    assert head["seq"] == seq
    assert head["hash"] == db.session.scalar(select(LedgerEvent.hash).where(LedgerEvent.seq == seq))
    assert ledger_heads.check_signature(head) is None
    result = cli("ledger", "verify", "--against", str(tmp_path / "head.json"))
    assert result.exit_code == 0, result.output


def test_a_consistent_rewrite_passes_plain_verify_but_not_against_an_earlier_head(
    world, db, cli, tmp_path
):
    cid = activity(world)
    head_file = tmp_path / "head-before.json"
    head = write_head(cli, head_file)
    first_case_event = db.session.scalar(
        select(func.min(LedgerEvent.seq)).where(LedgerEvent.case_id == cid)
    )
    assert first_case_event < head["seq"]

    rewrite_chain_from(db, first_case_event)

    plain = cli("ledger", "verify")
    assert plain.exit_code == 0, plain.output  # the forgery is internally consistent
    assert world.get("env", "/ledger/verify").get_json()["ok"] is True
    events = world.get("env", f"/cases/{cid}/ledger").get_json()["events"]
    assert events[0]["actor"] == "someone_else"

    against = cli("ledger", "verify", "--against", str(head_file))
    assert against.exit_code != 0
    assert str(head["seq"]) in against.output
    assert "hash" in against.output


def test_a_head_that_predates_the_rewritten_region_still_passes(world, db, cli, tmp_path):
    activity(world)
    early_file = tmp_path / "head-early.json"
    early = write_head(cli, early_file)
    world.to_state("survey_review")  # the chain moves on
    late_file = tmp_path / "head-late.json"
    late = write_head(cli, late_file)
    assert late["seq"] > early["seq"] + 1

    rewrite_chain_from(db, early["seq"] + 1)

    assert cli("ledger", "verify").exit_code == 0
    result = cli("ledger", "verify", "--against", str(early_file))
    assert result.exit_code == 0, result.output
    assert cli("ledger", "verify", "--against", str(late_file)).exit_code != 0
    both = cli("ledger", "verify", "--against", str(early_file), "--against", str(late_file))
    assert both.exit_code != 0
    assert late_file.name in both.output and early_file.name in both.output


def test_rewriting_the_whole_chain_is_detected(world, db, cli, tmp_path):
    activity(world)
    head_file = tmp_path / "head.json"
    write_head(cli, head_file)
    rewrite_chain_from(db, 1)
    assert cli("ledger", "verify").exit_code == 0
    assert cli("ledger", "verify", "--against", str(head_file)).exit_code != 0


@pytest.mark.parametrize("field", ["hash", "seq", "signature", "public_key", "county"])
def test_a_tampered_head_file_is_refused(world, db, cli, tmp_path, field):
    activity(world)
    path = tmp_path / "head.json"
    head = write_head(cli, path)
    if field == "hash":
        # Someone "fixes" the head to match a rewritten chain.
        head["hash"] = "f" * 64
    elif field == "seq":
        head["seq"] -= 1
    elif field == "signature":
        raw = bytearray(base64.b64decode(head["signature"]))
        raw[0] ^= 0xFF
        head["signature"] = base64.b64encode(bytes(raw)).decode()
    elif field == "public_key":
        # Signed with another key: a forger's own head file.
        forger = Ed25519PrivateKey.generate()
        pub = forger.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        head["public_key"] = base64.b64encode(pub).decode()
        head["key_id"] = hashlib.sha256(pub).hexdigest()[:16]
        body = {k: head[k] for k in ("format", "county", "seq", "hash", "published_at", "key_id")}
        head["signature"] = base64.b64encode(forger.sign(rfc8785.dumps(body))).decode()
    else:
        head["county"] = "别的县"
    path.write_text(json.dumps(head), encoding="utf-8")
    assert ledger_heads.check_signature(head) is not None
    result = cli("ledger", "verify", "--against", str(path))
    assert result.exit_code != 0, result.output
    assert cli("ledger", "verify").exit_code == 0  # the ledger itself is fine


@pytest.mark.parametrize("content", ["not json", "[1, 2]", "{}"], ids=["text", "list", "empty"])
def test_a_head_file_that_is_not_one_is_refused(world, cli, tmp_path, content):
    path = tmp_path / "head.json"
    path.write_text(content, encoding="utf-8")
    result = cli("ledger", "verify", "--against", str(path))
    assert result.exit_code != 0
    assert "Traceback" not in result.output


def test_a_ledger_cut_short_after_a_published_head_is_detected(world, db, cli, tmp_path):
    activity(world)
    path = tmp_path / "head.json"
    head = write_head(cli, path)
    db.session.commit()
    with db.engine.begin() as conn:
        _bypass_triggers(conn)
        conn.execute(delete(LedgerEvent.__table__).where(LedgerEvent.seq > head["seq"] - 2))
    assert cli("ledger", "verify").exit_code == 0  # a shorter chain is still a chain
    result = cli("ledger", "verify", "--against", str(path))
    assert result.exit_code != 0
    assert str(head["seq"]) in result.output


def test_plain_verify_names_the_first_bad_event_of_a_crude_edit(world, db, cli):
    activity(world)
    db.session.commit()
    with db.engine.begin() as conn:
        _bypass_triggers(conn)
        conn.execute(
            update(LedgerEvent.__table__).where(LedgerEvent.seq == 3).values(actor="someone_else")
        )
    result = cli("ledger", "verify")
    assert result.exit_code != 0
    assert "seq=3" in result.output


def test_ledger_publish_records_todays_head_once(world, db, cli):
    activity(world)
    first = cli("ledger", "publish")
    assert first.exit_code == 0, first.output
    world.register()
    second = cli("ledger", "publish")
    assert second.exit_code == 0
    assert first.output == second.output  # once a day
    items = world.client.get("/api/v1/public/ledger/heads").get_json()["items"]
    assert len(items) == 1
    assert ledger_heads.check_signature(items[0]) is None
    assert f"seq={items[0]['seq']}" in first.output


# ---------------------------------------------------------------- demo county


def test_the_demo_county_has_a_succession_and_a_transferred_plot_and_a_sound_ledger(db, cli):
    result = cli("demo")
    assert result.exit_code == 0, result.output
    db.session.commit()
    successions = db.session.scalars(
        select(Responsibility).where(
            Responsibility.role == "responsible", Responsibility.basis == "successor"
        )
    ).all()
    assert successions
    handovers = db.session.scalars(select(Handover)).all()
    assert handovers
    assert any(h.transferee_responsible for h in handovers)
    assert db.session.scalar(
        select(func.count()).select_from(Responsibility).where(Responsibility.basis == "transferee")
    )
    verify = cli("ledger", "verify")
    assert verify.exit_code == 0, verify.output
    events = db.session.scalar(select(func.count()).select_from(LedgerEvent))
    assert f"{events} 个事件" in verify.output
    # A second run leaves the county as it is.
    assert cli("demo").exit_code == 0
    assert db.session.scalar(select(func.count()).select_from(LedgerEvent)) == events
