"""The register PDF kept per ledger head (app/services/register_export.py): a small
register is rendered in the request once per head; a large one is never rendered in
a request — the newest copy is served while ``flask documents register`` renders."""

from __future__ import annotations

import shutil

import pytest

from app.services import ledger, register_export, storage
from tests.public.helpers import plot


@pytest.fixture
def exports(app):
    folder = storage.storage_root() / "exports"
    shutil.rmtree(folder, ignore_errors=True)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def renders(monkeypatch):
    """Count real renders of the register."""
    calls = []
    real = register_export.render

    def counting(seq, digest):
        calls.append(seq)
        return real(seq, digest)

    monkeypatch.setattr(register_export, "render", counting)
    return calls


def test_a_small_register_is_rendered_once_per_head(client, world, exports, renders):
    _, case_id = plot(world, "listed")
    first = client.get("/open-data/register.pdf")
    assert first.status_code == 200 and first.data.startswith(b"%PDF")
    seq, digest = ledger.head()
    assert first.headers["X-Register-Ledger-Seq"] == str(seq)
    assert (exports / f"register-{seq}-{digest[:16]}.pdf").read_bytes() == first.data
    assert client.get("/open-data/register.pdf").data == first.data
    assert renders == [seq]

    world.act("env", case_id, "require_control")
    moved = client.get("/open-data/register.pdf")
    assert moved.headers["X-Register-Ledger-Seq"] == str(ledger.head()[0]) != str(seq)
    assert len(renders) == 2
    assert len(list(exports.glob("register-*.pdf"))) == 2  # the newest two are kept


def test_a_large_register_is_never_rendered_in_a_request(app, client, world, exports,
                                                          renders, monkeypatch):  # fmt: skip
    plot(world, "listed")
    monkeypatch.setattr(register_export, "SYNC_MAX_PLOTS", 0)
    started = []
    monkeypatch.setattr(register_export, "refresh_in_background", lambda: started.append(1))
    r = client.get("/open-data/register.pdf")
    assert r.status_code == 503 and r.headers["Retry-After"] == "300"
    assert "正在生成" in r.get_data(as_text=True)
    assert started and renders == []

    result = app.test_cli_runner().invoke(args=["documents", "register"])
    assert result.exit_code == 0, result.output
    assert renders == [ledger.head()[0]]
    r = client.get("/open-data/register.pdf")
    assert r.status_code == 200 and r.headers["X-Register-Ledger-Seq"] == str(ledger.head()[0])
    again = app.test_cli_runner().invoke(args=["documents", "register"])
    assert "已是最新" in again.output and len(renders) == 1


def test_a_copy_from_another_chain_is_never_served(client, world, exports, renders):
    plot(world, "listed")
    client.get("/open-data/register.pdf")
    (kept,) = exports.glob("register-*.pdf")
    seq = kept.name.split("-")[1]
    forged = exports / f"register-{seq}-{'0' * 16}.pdf"
    kept.rename(forged)
    r = client.get("/open-data/register.pdf")
    assert r.status_code == 200
    assert not forged.exists()  # a restore or rebuild left it behind: deleted
    assert len(renders) == 2


def test_only_one_renderer_at_a_time(app, world, exports, renders):
    plot(world, "listed")
    seq, digest = ledger.head()
    assert register_export._take_lock()
    try:
        assert register_export.render_locked(seq, digest) is None
    finally:
        register_export._lock_path().unlink()
    assert register_export.render_locked(seq, digest) is not None
    assert not register_export._lock_path().exists()


def test_a_copy_replaced_during_the_request_is_not_an_error(client, world, exports,
                                                             monkeypatch):  # fmt: skip
    plot(world, "listed")
    assert client.get("/open-data/register.pdf").status_code == 200
    real = register_export.latest
    seq, digest = ledger.head()
    gone = register_export.Copy("exports/register-1-0000000000000000.pdf", seq, digest[:16], 0.0)
    answers = iter([gone])
    monkeypatch.setattr(register_export, "latest", lambda: next(answers, None) or real())
    r = client.get("/open-data/register.pdf")
    assert r.status_code == 200 and r.data.startswith(b"%PDF")
