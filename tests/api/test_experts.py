"""Expert review (issue 15): the pool, a draw that excludes conflicts and repeats
from its ledger event, and who may see what."""

from __future__ import annotations

import hashlib
import json

import pytest
from sqlalchemy import select

from app.extensions import db as _db
from app.models import LedgerEvent
from tests.support import Actor, bearer, make_party, make_user
from workflows import experts as rules


def _expert(world, name, employer=None, specialities=("soil",)):
    body = {"name": name, "specialities": list(specialities), "phone": "13800000000"}
    if employer is not None:
        body["employer_credit_code"] = employer.credit_code
    r = world.post("env", "/experts", body)
    assert r.status_code == 201, r.get_json()
    return r.get_json()["id"]


@pytest.fixture
def pool(world):
    """Ten independent experts and one of each conflicted employer."""
    university = make_party("云南大学资源环境学院")
    free = [_expert(world, f"独立专家{i}", university) for i in range(10)]
    conflicted = {
        "landholder": _expert(world, "使用权人的专家", world.landholder.party),
        "report_unit": _expert(world, "调查单位的专家", world.surveyor.party),
        "engaged": _expert(world, "施工单位的专家", world.contractor.party),
    }
    return free, conflicted


def _review_case(world):
    cid = world.to_state("survey_review")
    # The contractor engaged on the case (conflict "engaged").
    r = world.post("landholder", f"/cases/{cid}/assignments",
                   {"role": "contractor", "credit_code": world.contractor.party.credit_code})  # fmt: skip
    assert r.status_code == 201, r.get_json()
    return cid


def test_a_draw_excludes_every_party_of_the_case_and_replays_from_the_ledger(world, pool):
    free, conflicted = pool
    cid = _review_case(world)
    r = world.post("env", f"/cases/{cid}/panels", {"size": 5})
    assert r.status_code == 201, r.get_json()
    panel = r.get_json()
    members = [m["id"] for m in panel["members"]]
    assert len(members) == 5 and set(members) <= set(free)
    assert panel["excluded"] == {str(conflicted["landholder"]): "landholder",
                                 str(conflicted["report_unit"]): "report_unit",
                                 str(conflicted["engaged"]): "engaged"}  # fmt: skip
    assert panel["candidates"] == 10

    # The ledger alone gives the panel back: rank by sha256(seed:id), take five.
    event = _db.session.scalar(select(LedgerEvent).where(LedgerEvent.seq == panel["ledger_seq"]))
    d = event.detail
    by_hand = sorted(d["candidates"],
                     key=lambda e: hashlib.sha256(f"{d['seed']}:{e}".encode()).hexdigest())[:5]  # fmt: skip
    assert by_hand == members == d["members"]
    r = world.get("env", f"/panels/{panel['id']}/replay")
    assert r.status_code == 200
    replay = r.get_json()
    assert replay["matches"] is True and replay["members_replayed"] == members
    assert replay["ledger_hash"] == event.hash


def test_a_redraw_needs_a_reason_and_the_next_round_excludes_past_reviewers(world, pool):
    free, _ = pool
    cid = _review_case(world)
    first = world.post("env", f"/cases/{cid}/panels", {"size": 3}).get_json()
    r = world.post("env", f"/cases/{cid}/panels", {"size": 3})
    assert r.status_code == 400 and "reason" in r.get_json()["error"]["fields"]
    r = world.post("env", f"/cases/{cid}/panels", {"size": 3, "reason": "一名专家因病不能到会"})
    assert r.status_code == 201
    # Returned and resubmitted: the same report's earlier reviewers sit out.
    world.act("env", cid, "return", comment="补充采样点")
    world.file("landholder", cid, "survey_report", world.survey_data())
    world.act("landholder", cid, "submit")
    third = world.post("env", f"/cases/{cid}/panels", {"size": 3}).get_json()
    earlier = {m["id"] for m in first["members"]} | {m["id"] for m in r.get_json()["members"]}
    assert not earlier & {m["id"] for m in third["members"]}
    assert {third["excluded"][str(e)] for e in earlier} == {"reviewed_before"}


def test_too_few_candidates_is_a_clear_error(world, pool):
    cid = _review_case(world)
    r = world.post("env", f"/cases/{cid}/panels", {"size": 11})
    assert r.status_code == 400 and "只有 10 名" in r.get_json()["error"]["fields"]["size"]
    for bad in ({"size": 2}, {"size": 16}, {}):
        assert world.post("env", f"/cases/{cid}/panels", bad).status_code == 400


def test_only_review_stages_and_only_the_bureau(world, pool):
    cid = world.to_state("survey")
    r = world.post("env", f"/cases/{cid}/panels", {"size": 3})
    assert r.status_code == 409
    cid = _review_case(world)
    for who in ("landholder", "contractor", "admin"):
        assert world.post(who, f"/cases/{cid}/panels", {"size": 3}).status_code in (403, 404)
        assert world.get(who, "/experts").status_code == 403
    other = make_user("bureau", department="environment")
    other.region_code = "533102"
    _db.session.commit()
    world.actors["ruili"] = Actor(other, bearer(other))
    assert world.post("ruili", f"/cases/{cid}/panels", {"size": 3}).status_code == 404


def test_the_pool_is_kept_by_the_bureau(world):
    r = world.post("env", "/experts", {"name": "王专家", "specialities": ["soil", "nonsense"]})
    assert r.status_code == 400 and "specialities[1]" in r.get_json()["error"]["fields"]
    eid = _expert(world, "王专家", specialities=("soil", "groundwater"))
    r = world.post("env", f"/experts/{eid}", {"active": False})
    assert r.status_code == 200 and r.get_json()["active"] is False
    listed = world.get("env", "/experts?active=1").get_json()
    assert eid not in [e["id"] for e in listed["items"]]
    assert world.get("env", "/experts?speciality=groundwater").get_json()["total"] == 1


def test_the_ranking_is_the_documented_one():
    seed = "00" * 16
    ranked = rules.draw(seed, [1, 2, 3, 4, 5], 5)
    assert ranked == sorted(
        [1, 2, 3, 4, 5], key=lambda e: hashlib.sha256(f"{seed}:{e}".encode()).hexdigest()
    )
    assert rules.draw(seed, [5, 4, 3, 2, 1], 2) == ranked[:2]  # order of candidates is irrelevant


def test_the_command_line_replays_a_draw_from_its_ledger_event(app, world, pool):
    cid = _review_case(world)
    panel = world.post("env", f"/cases/{cid}/panels", {"size": 3}).get_json()
    runner = app.test_cli_runner()
    r = runner.invoke(args=["experts", "replay", str(panel["ledger_seq"])])
    assert r.exit_code == 0, r.output
    out = json.loads(r.output.strip().splitlines()[-1])
    assert out["matches"] is True and out["members_replayed"] == [m["id"] for m in panel["members"]]
    r = runner.invoke(args=["experts", "replay", "1"])  # the first event is no draw
    assert r.exit_code != 0 and "panel_drawn" in r.output
