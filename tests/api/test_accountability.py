"""Responsible parties and lifelong accountability (issue 3, DESIGN.md §5):
succession, the county-government fallback, joint determinations, land
transfers with their hand-over, bans, credit records, the append-only ledger
on PostgreSQL, published ledger heads and the accountability view."""

from __future__ import annotations

import hashlib
import io
import json
import os
import time
from datetime import timedelta

import pytest
from pypdf import PdfWriter
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from app.models import Handover, LedgerEvent, Party
from app.services import clock, ledger_heads
from tests.support import Actor, bearer, make_party, make_user, new_credit_code

# ---------------------------------------------------------------- helpers


def error(r) -> dict:
    body = r.get_json()
    assert "error" in body, body
    return body["error"]


def ledger(world, cid, who="env") -> list[dict]:
    r = world.get(who, f"/cases/{cid}/ledger")
    assert r.status_code == 200, r.get_json()
    return r.get_json()["events"]


def add_actor(world, key: str, role: str = "landholder", kind: str = "enterprise") -> Actor:
    """A new party with one user, reachable as ``world.<key>``."""
    party = make_party(f"{key}单位", kind=kind)
    user = make_user(role, party)
    world.actors[key] = Actor(user, bearer(user), party)
    return world.actors[key]


def release_clean(world, cid: int, who: str = "landholder") -> None:
    """Survey below the screening values: survey → released in four steps."""
    world.file(who, cid, "survey_report", world.survey_data(lead_mg_kg=100))
    world.act(who, cid, "submit")
    world.act("nr", cid, "cosign")
    assert world.act("env", cid, "approve")["state"] == "released"


def responsibility(world, cid: int, who: str = "env") -> dict:
    return world.case(cid, who)["responsibility"]


def responsible_code(world, cid: int) -> str:
    return responsibility(world, cid)["responsible_party"]["credit_code"]


def history(world, cid: int, role: str = "responsible") -> list[dict]:
    return [h for h in responsibility(world, cid)["history"] if h["role"] == role]


def future(days: int = 90) -> str:
    return (clock.today() + timedelta(days=days)).isoformat()


def pdf_bytes(size: int = 200) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(size, size)
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def walk_keys(obj):
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield k
            yield from walk_keys(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from walk_keys(v)


@pytest.fixture
def signing_key(app, tmp_path, monkeypatch):
    """A throw-away bureau key, so tests never touch the instance folder's key."""
    monkeypatch.setitem(app.config, "LEDGER_SIGNING_KEY", str(tmp_path / "ledger-key.pem"))
    return tmp_path / "ledger-key.pem"


# ---------------------------------------------------------------- succession


@pytest.fixture
def dissolving(world):
    """A polluter responsible for three cases (one released) and a case of another party."""
    polluter = add_actor(world, "polluter")
    successor = add_actor(world, "successor")
    code = polluter.party.credit_code
    open_a = world.register(responsible_party_credit_code=code)["case"]["id"]
    open_b = world.to_state(
        "risk_assessment", site=world.register(responsible_party_credit_code=code)
    )
    released = world.register(responsible_party_credit_code=code)["case"]["id"]
    release_clean(world, released)
    other = world.register()["case"]["id"]  # the landholder answers for this one
    return {
        "polluter": polluter,
        "successor": successor,
        "open": [open_a, open_b],
        "released": released,
        "other": other,
    }


def test_succession_moves_all_and_only_the_open_cases_of_the_dissolved_party(world, dissolving):
    polluter, successor = dissolving["polluter"].party, dissolving["successor"].party
    before_other = responsibility(world, dissolving["other"])
    before_counts = {
        cid: len(ledger(world, cid)) for cid in (dissolving["released"], dissolving["other"])
    }

    r = world.post(
        "env",
        f"/parties/{polluter.id}/succession",
        {"successor_credit_code": successor.credit_code},
    )
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert sorted(body["moved_cases"]) == sorted(dissolving["open"])
    assert body["party"]["status"] == "dissolved"

    party = world.get("env", f"/parties/{polluter.credit_code}").get_json()
    assert party["status"] == "dissolved"

    for cid in dissolving["open"]:
        resp = responsibility(world, cid)
        assert resp["responsible_party"]["credit_code"] == successor.credit_code
        assert resp["basis"] == "successor"
        entries = history(world, cid)
        assert [(h["party"]["credit_code"], h["basis"]) for h in entries] == [
            (polluter.credit_code, "polluter"),
            (successor.credit_code, "successor"),
        ]
        assert entries[0]["valid_to"] is not None  # closed, not overwritten
        assert entries[1]["valid_to"] is None
        assert entries[1]["recorded_by"] == world.env.user.username
        moved = [e for e in ledger(world, cid) if e["action"] == "responsibility_changed"]
        assert len(moved) == 1
        assert moved[0]["detail"]["basis"] == "successor"
        assert moved[0]["detail"]["from"] == polluter.credit_code
        assert moved[0]["detail"]["to"] == successor.credit_code

    # The released case keeps its polluter; the other party's case is untouched.
    assert responsible_code(world, dissolving["released"]) == polluter.credit_code
    assert len(history(world, dissolving["released"])) == 1
    assert responsibility(world, dissolving["other"]) == before_other
    for cid, n in before_counts.items():
        assert len(ledger(world, cid)) == n
    assert world.get("env", "/ledger/verify").get_json()["ok"] is True


def test_the_successor_can_work_on_the_cases_it_took_over(world, dissolving):
    polluter, successor = dissolving["polluter"].party, dissolving["successor"].party
    r = world.post(
        "env",
        f"/parties/{polluter.credit_code}/succession",
        {"successor_credit_code": successor.credit_code},
    )
    assert r.status_code == 200, r.get_json()
    cid = dissolving["open"][1]  # in risk_assessment
    case = world.case(cid, "successor")
    assert "responsible" in case["your_roles"]
    world.file("successor", cid, "risk_assessment_report", world.risk_data())
    assert world.act("successor", cid, "submit")["state"] == "risk_assessment_review"
    # Its released case did not move, so the successor does not see it.
    assert world.get("successor", f"/cases/{dissolving['released']}").status_code == 404


@pytest.mark.parametrize("who", ["nr", "landholder", "successor"])
def test_only_an_environment_officer_records_a_succession(world, dissolving, who):
    polluter, successor = dissolving["polluter"].party, dissolving["successor"].party
    r = world.post(
        who,
        f"/parties/{polluter.id}/succession",
        {"successor_credit_code": successor.credit_code},
    )
    assert r.status_code == 403, r.get_json()
    assert error(r)["code"] == "forbidden"
    assert world.get("env", f"/parties/{polluter.id}").get_json()["status"] == "active"
    for cid in dissolving["open"]:
        assert responsible_code(world, cid) == polluter.credit_code


def test_the_successor_must_be_registered_and_not_banned(world, dissolving):
    polluter, successor = dissolving["polluter"].party, dissolving["successor"].party
    url = f"/parties/{polluter.id}/succession"

    r = world.post("env", url, {"successor_credit_code": new_credit_code()})  # valid, unknown
    assert r.status_code == 400
    assert "successor_credit_code" in error(r)["fields"]
    r = world.post("env", url, {"successor_credit_code": "91533124MA00000000"})  # bad check char
    assert r.status_code == 400
    r = world.post("env", url, {})
    assert r.status_code == 400
    r = world.post("env", url, {"successor_credit_code": polluter.credit_code})
    assert r.status_code == 400

    r = world.post(
        "env", f"/parties/{successor.id}/ban", {"until": future(), "reason": "出具虚假报告"}
    )
    assert r.status_code == 200, r.get_json()
    r = world.post("env", url, {"successor_credit_code": successor.credit_code})
    assert r.status_code == 400
    assert "禁止" in error(r)["message"]

    assert world.get("env", f"/parties/{polluter.id}").get_json()["status"] == "active"
    for cid in dissolving["open"]:
        assert responsible_code(world, cid) == polluter.credit_code
        assert len(history(world, cid)) == 1


def test_succession_of_an_unknown_party_is_404(world, dissolving):
    r = world.post(
        "env",
        f"/parties/{new_credit_code()}/succession",
        {"successor_credit_code": dissolving["successor"].party.credit_code},
    )
    assert r.status_code == 404


# ---------------------------------------------------------------- county government


def test_a_vanished_party_falls_to_the_county_government(world, dissolving):
    polluter = dissolving["polluter"].party
    government = make_party("陇川县人民政府", kind="government")
    url = f"/parties/{polluter.credit_code}/dissolution"
    reason = "责任单位已注销且无承继单位（土壤污染防治法第四十五条第二款）"

    # Only a government party may take the cases over.
    enterprise = make_party("某企业")
    r = world.post("env", url, {"government_credit_code": enterprise.credit_code, "reason": reason})
    assert r.status_code == 400
    assert "government_credit_code" in error(r)["fields"]
    r = world.post("env", url, {"government_credit_code": government.credit_code})
    assert r.status_code == 400  # a reason is required
    r = world.post("nr", url, {"government_credit_code": government.credit_code, "reason": reason})
    assert r.status_code == 403
    assert world.get("env", f"/parties/{polluter.id}").get_json()["status"] == "active"
    assert responsible_code(world, dissolving["open"][0]) == polluter.credit_code

    r = world.post("env", url, {"government_credit_code": government.credit_code, "reason": reason})
    assert r.status_code == 200, r.get_json()
    assert sorted(r.get_json()["moved_cases"]) == sorted(dissolving["open"])
    assert world.get("env", f"/parties/{polluter.id}").get_json()["status"] == "dissolved"
    for cid in dissolving["open"]:
        resp = responsibility(world, cid)
        assert resp["responsible_party"]["credit_code"] == government.credit_code
        assert resp["basis"] == "county_government"
        entries = history(world, cid)
        assert entries[0]["valid_to"] is not None and entries[-1]["valid_to"] is None
        events = [e for e in ledger(world, cid) if e["action"] == "responsibility_changed"]
        assert [e["detail"]["basis"] for e in events] == ["county_government"]
    assert responsible_code(world, dissolving["released"]) == polluter.credit_code
    assert responsible_code(world, dissolving["other"]) == world.landholder.party.credit_code


# ---------------------------------------------------------------- determinations


def test_a_determination_is_proposed_by_environment_and_signed_by_natural_resources(world):
    cid = world.register()["case"]["id"]
    polluter = make_party("原冶炼厂")
    before = responsibility(world, cid)
    payload = {
        "credit_code": polluter.credit_code,
        "basis": "polluter",
        "reason": "经调查，地块铅污染由原冶炼厂生产活动造成",
    }

    r = world.post("nr", f"/cases/{cid}/determinations", payload)
    assert r.status_code == 403
    r = world.post("landholder", f"/cases/{cid}/determinations", payload)
    assert r.status_code == 403

    r = world.post("env", f"/cases/{cid}/determinations", payload)
    assert r.status_code == 201, r.get_json()
    det = r.get_json()
    assert det["status"] == "proposed"
    assert det["proposed_by"] == world.env.user.username
    assert det["signed_by"] is None
    assert responsibility(world, cid) == before  # nothing changes until the co-signature

    r = world.post("env", f"/determinations/{det['id']}/sign")
    assert r.status_code == 403
    assert responsibility(world, cid) == before

    r = world.post("nr", f"/determinations/{det['id']}/sign")
    assert r.status_code == 200, r.get_json()
    signed = r.get_json()
    assert signed["status"] == "effective"
    assert signed["signed_by"] == world.nr.user.username
    resp = responsibility(world, cid)
    assert resp["responsible_party"]["credit_code"] == polluter.credit_code
    assert resp["basis"] == "polluter"
    entries = history(world, cid)
    assert [h["party"]["credit_code"] for h in entries] == [
        world.landholder.party.credit_code,
        polluter.credit_code,
    ]
    assert entries[0]["valid_to"] is not None
    actions = [e["action"] for e in ledger(world, cid)]
    assert "determination_proposed" in actions and "responsibility_determined" in actions

    # Signed once; a second signature is refused.
    r = world.post("nr", f"/determinations/{det['id']}/sign")
    assert r.status_code == 409


def test_a_determination_takes_the_proposed_basis(world):
    cid = world.register()["case"]["id"]
    government = make_party("陇川县人民政府", kind="government")
    enterprise = make_party("某企业")
    r = world.post(
        "env",
        f"/cases/{cid}/determinations",
        {"credit_code": enterprise.credit_code, "basis": "county_government", "reason": "不明"},
    )
    assert r.status_code == 400
    r = world.post(
        "env",
        f"/cases/{cid}/determinations",
        {"credit_code": government.credit_code, "basis": "county_government", "reason": "不明"},
    )
    assert r.status_code == 201, r.get_json()
    r = world.post("nr", f"/determinations/{r.get_json()['id']}/sign")
    assert r.status_code == 200
    resp = responsibility(world, cid)
    assert resp["responsible_party"]["credit_code"] == government.credit_code
    assert resp["basis"] == "county_government"


# ---------------------------------------------------------------- land transfer


@pytest.fixture
def sold(world):
    """A plot whose polluter is not the landholder, with survey and risk reports,
    sold to ``buyer``."""
    polluter = make_party("原冶炼厂")
    buyer = add_actor(world, "buyer")
    reg = world.register(responsible_party_credit_code=polluter.credit_code)
    cid = world.to_state("risk_assessment", site=reg)
    world.file("landholder", cid, "risk_assessment_report", world.risk_data())
    reports = [f["id"] for f in world.case(cid)["filings"]]
    seen_before = ledger(world, cid, "landholder")
    r = world.post(
        "landholder",
        f"/sites/{reg['code']}/transfer",
        {
            "transferee_credit_code": buyer.party.credit_code,
            "contract_date": (clock.today() - timedelta(days=3)).isoformat(),
        },
    )
    assert r.status_code == 201, r.get_json()
    return {
        "cid": cid,
        "code": reg["code"],
        "buyer": buyer,
        "polluter": polluter,
        "reports": reports,
        "handover": r.get_json(),
        "seen_before": seen_before,
    }


def test_a_transfer_changes_the_landholder_and_keeps_the_history(world, sold, db):
    cid, code, buyer = sold["cid"], sold["code"], sold["buyer"].party
    seller = world.landholder.party
    assert sold["handover"]["from"]["credit_code"] == seller.credit_code
    assert sold["handover"]["to"]["credit_code"] == buyer.credit_code
    # Survey and risk-assessment reports were handed over (第六十七条).
    assert len(sold["reports"]) == 2
    assert sold["handover"]["handed_over_filings"] == sold["reports"]
    rows = db.session.scalars(select(Handover)).all()
    assert [(h.from_party_id, h.to_party_id, h.filing_ids) for h in rows] == [
        (seller.id, buyer.id, sold["reports"])
    ]

    for who in ("buyer", "env"):
        site = world.get(who, f"/sites/{code}")
        assert site.status_code == 200, site.get_json()
        assert site.get_json()["landholder"]["credit_code"] == buyer.credit_code
    holders = history(world, cid, "landholder")
    assert [h["party"]["credit_code"] for h in holders] == [seller.credit_code, buyer.credit_code]
    assert holders[0]["valid_to"] is not None and holders[1]["valid_to"] is None
    # The polluter stays responsible: the contract did not say otherwise.
    assert responsible_code(world, cid) == sold["polluter"].credit_code
    assert responsibility(world, cid)["basis"] == "polluter"
    events = [e for e in ledger(world, cid) if e["action"] == "land_transferred"]
    assert len(events) == 1
    assert events[0]["detail"]["handed_over_filings"] == sold["reports"]


def test_the_new_landholder_can_act_on_the_case(world, sold):
    cid = sold["cid"]
    case = world.case(cid, "buyer")
    assert "landholder" in case["your_roles"]
    world.file("buyer", cid, "risk_assessment_report", world.risk_data())
    assert world.act("buyer", cid, "submit")["state"] == "risk_assessment_review"


def test_the_previous_landholder_reads_only_the_history_up_to_the_transfer(world, sold):
    cid = sold["cid"]
    late = world.file("buyer", cid, "risk_assessment_report", world.risk_data())
    world.act("buyer", cid, "submit")
    transferred = next(e for e in ledger(world, cid) if e["action"] == "land_transferred")
    late_seqs = {e["seq"] for e in ledger(world, cid) if e["seq"] > transferred["seq"]}
    assert len(late_seqs) == 2  # the buyer's filing and its submit

    case = world.case(cid, "landholder")
    assert case["your_roles"] == ["former_party"]
    assert case["allowed_actions"] == []
    assert [f["id"] for f in case["filings"]] == sold["reports"]
    assert late["id"] not in [f["id"] for f in case["filings"]]
    seqs = {e["seq"] for e in ledger(world, cid, "landholder")}
    assert {e["seq"] for e in sold["seen_before"]} <= seqs
    assert not seqs & late_seqs

    # Read-only: every action, filing, assignment or new transfer is refused.
    version = world.case(cid, "env")["version"]
    r = world.post(
        "landholder", f"/cases/{cid}/actions/return", {"version": version, "comment": "x"}
    )
    assert r.status_code == 403
    r = world.post(
        "landholder",
        f"/cases/{cid}/filings",
        {"kind": "survey_report", "data": world.survey_data()},
    )
    assert r.status_code == 403
    r = world.post(
        "landholder",
        f"/cases/{cid}/assignments",
        {"role": "surveyor", "credit_code": world.surveyor.party.credit_code},
    )
    assert r.status_code == 403
    r = world.post(
        "landholder",
        f"/sites/{sold['code']}/transfer",
        {"transferee_credit_code": world.other_landholder.party.credit_code,
         "contract_date": clock.today().isoformat()},
    )  # fmt: skip
    assert r.status_code == 403
    assert world.case(cid, "env")["version"] == version


def test_the_previous_landholder_sees_the_transfer_it_recorded_in_its_ledger(world, sold):
    """The hand-over is the last event of the seller's history (it made it); whether
    it shows must not depend on microseconds between the cut-off and the event time."""
    cid = sold["cid"]
    transferred = next(e for e in ledger(world, cid) if e["action"] == "land_transferred")
    assert transferred["actor"] == world.landholder.user.username
    seen = ledger(world, cid, "landholder")
    assert transferred["seq"] in [e["seq"] for e in seen]


def test_the_previous_landholder_does_not_list_filings_made_after_the_transfer(world, sold):
    """GET /cases/<id>/filings must apply the same cut-off as GET /cases/<id>."""
    cid = sold["cid"]
    late = world.file("buyer", cid, "risk_assessment_report", world.risk_data())
    r = world.get("landholder", f"/cases/{cid}/filings")
    assert r.status_code == 200
    assert late["id"] not in [f["id"] for f in r.get_json()["items"]]


def test_the_previous_landholder_cannot_download_documents_filed_after_the_transfer(world, sold):
    cid = sold["cid"]
    pdf = pdf_bytes(321)
    r = world.client.post(
        f"/api/v1/cases/{cid}/filings",
        data={
            "kind": "risk_assessment_report",
            "data": json.dumps(world.risk_data(), ensure_ascii=False),
            "files": [(io.BytesIO(pdf), "风险评估报告.pdf")],
        },
        content_type="multipart/form-data",
        headers=world.buyer.headers,
    )
    assert r.status_code == 201, r.get_json()
    doc = r.get_json()["documents"][0]
    assert world.get("buyer", f"/documents/{doc['id']}").status_code == 200
    r = world.get("landholder", f"/documents/{doc['id']}")
    assert r.status_code in (403, 404)


@pytest.fixture
def shanghai_time():
    """The server's local time zone is China's, as on a county server."""
    old = os.environ.get("TZ")
    os.environ["TZ"] = "Asia/Shanghai"
    time.tzset()
    yield
    if old is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = old
    time.tzset()


def test_former_landholder_ledger_cutoff_does_not_depend_on_the_server_time_zone(
    world, sold, shanghai_time
):
    """The cut-off read back from SQLite is naive UTC; turning it into a string
    must not treat it as local time (it would hide 8 hours of history)."""
    seen = ledger(world, sold["cid"], "landholder")
    assert {e["seq"] for e in sold["seen_before"]} <= {e["seq"] for e in seen}


def test_a_transfer_naming_the_transferee_responsible_moves_the_responsibility(world):
    buyer = add_actor(world, "buyer")
    reg = world.register()  # the landholder is also the responsible party
    cid = reg["case"]["id"]
    world.file("landholder", cid, "survey_report", world.survey_data())
    r = world.post(
        "landholder",
        f"/sites/{reg['code']}/transfer",
        {
            "transferee_credit_code": buyer.party.credit_code,
            "contract_date": clock.today().isoformat(),
            "transferee_responsible": True,
        },
    )
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["transferee_responsible"] is True
    resp = responsibility(world, cid)
    assert resp["responsible_party"]["credit_code"] == buyer.party.credit_code
    assert resp["basis"] == "transferee"
    assert resp["landholder"]["credit_code"] == buyer.party.credit_code
    entries = history(world, cid)
    assert [(h["party"]["credit_code"], h["basis"]) for h in entries] == [
        (world.landholder.party.credit_code, "polluter"),
        (buyer.party.credit_code, "transferee"),
    ]
    assert entries[0]["valid_to"] is not None
    # The seller is neither landholder nor responsible any more: read-only.
    assert world.case(cid, "landholder")["your_roles"] == ["former_party"]
    assert world.act("buyer", cid, "submit")["state"] == "survey_review"


def test_a_third_party_cannot_transfer_a_plot(world):
    reg = world.register()
    r = world.post(
        "other_landholder",
        f"/sites/{reg['code']}/transfer",
        {
            "transferee_credit_code": world.other_landholder.party.credit_code,
            "contract_date": clock.today().isoformat(),
        },
    )
    assert r.status_code == 404
    assert error(r)["code"] == "not_found"
    site = world.get("landholder", f"/sites/{reg['code']}").get_json()
    assert site["landholder"]["credit_code"] == world.landholder.party.credit_code
    assert len(history(world, reg["case"]["id"], "landholder")) == 1


def test_transfer_input_is_checked(world):
    reg = world.register()
    url = f"/sites/{reg['code']}/transfer"
    today = clock.today().isoformat()
    for body in (
        {"transferee_credit_code": new_credit_code(), "contract_date": today},  # unregistered
        {"transferee_credit_code": world.landholder.party.credit_code, "contract_date": today},
        {"transferee_credit_code": world.other_landholder.party.credit_code,
         "contract_date": future(10)},
        {"transferee_credit_code": world.other_landholder.party.credit_code},
    ):  # fmt: skip
        r = world.post("landholder", url, body)
        assert r.status_code == 400, body
    assert world.post("landholder", "/sites/NOPE/transfer", {}).status_code in (400, 404)
    site = world.get("landholder", f"/sites/{reg['code']}").get_json()
    assert site["landholder"]["credit_code"] == world.landholder.party.credit_code


# ---------------------------------------------------------------- bans


def ban(world, party: Party, until, who="env", reason="出具虚假调查报告"):
    return world.post(who, f"/parties/{party.credit_code}/ban", {"until": until, "reason": reason})


def test_a_banned_unit_is_refused_on_filing_and_on_assignment(world):
    cid = world.register()["case"]["id"]
    surveyor = world.surveyor.party
    r = ban(world, surveyor, future(365))
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["banned"] is True

    r = world.post(
        "landholder",
        f"/cases/{cid}/filings",
        {"kind": "survey_report", "data": world.survey_data()},
    )
    assert r.status_code == 400
    err = error(r)
    assert "禁止" in err["message"] and surveyor.credit_code in err["message"]
    assert "unit_credit_code" in err["fields"]

    r = world.post(
        "landholder",
        f"/cases/{cid}/assignments",
        {"role": "surveyor", "credit_code": surveyor.credit_code},
    )
    assert r.status_code == 400
    assert "禁止" in error(r)["message"]
    case = world.case(cid)
    assert case["filings"] == [] and case["assignments"] == []


def test_a_lifelong_ban(world):
    cid = world.register()["case"]["id"]
    contractor = world.contractor.party
    r = ban(world, contractor, "lifelong")
    assert r.status_code == 200, r.get_json()
    r = world.post(
        "landholder",
        f"/cases/{cid}/assignments",
        {"role": "contractor", "credit_code": contractor.credit_code},
    )
    assert r.status_code == 400
    assert "终身" in error(r)["message"]
    data = {**world.survey_data(), "unit_credit_code": contractor.credit_code}
    r = world.post("landholder", f"/cases/{cid}/filings", {"kind": "survey_report", "data": data})
    assert r.status_code == 400
    assert "禁止" in error(r)["message"]
    credit = world.get("env", f"/parties/{contractor.credit_code}/credit").get_json()
    assert credit["bans"][0]["until"] == "lifelong"


def test_ban_input_is_checked_and_only_environment_bans(world):
    surveyor = world.surveyor.party
    yesterday = (clock.today() - timedelta(days=1)).isoformat()
    assert ban(world, surveyor, yesterday).status_code == 400
    assert ban(world, surveyor, "forever").status_code == 400
    assert ban(world, surveyor, future(), reason="").status_code == 400
    assert ban(world, surveyor, future(), who="nr").status_code == 403
    assert ban(world, surveyor, future(), who="landholder").status_code == 403
    assert world.get("env", f"/parties/{surveyor.id}").get_json()["banned"] is False
    cid = world.register()["case"]["id"]
    world.file("landholder", cid, "survey_report", world.survey_data())  # still usable


def test_lifting_a_ban_makes_the_unit_usable_again(world):
    cid = world.register()["case"]["id"]
    surveyor = world.surveyor.party
    assert ban(world, surveyor, future()).status_code == 200
    assert ban(world, surveyor, "lifelong").status_code == 200
    lift = f"/parties/{surveyor.credit_code}/ban/lift"
    assert world.post("env", lift, {}).status_code == 400  # a reason is required
    assert world.post("nr", lift, {"reason": "复议撤销"}).status_code == 403
    r = world.post("env", lift, {"reason": "行政复议撤销处罚决定"})
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["banned"] is False
    assert world.post("env", lift, {"reason": "again"}).status_code == 409  # nothing to lift

    world.file("landholder", cid, "survey_report", world.survey_data())
    r = world.post(
        "landholder",
        f"/cases/{cid}/assignments",
        {"role": "surveyor", "credit_code": surveyor.credit_code},
    )
    assert r.status_code == 201, r.get_json()
    credit = world.get("env", f"/parties/{surveyor.credit_code}/credit").get_json()
    assert len(credit["bans"]) == 2
    assert all(b["lifted_at"] for b in credit["bans"])


# ---------------------------------------------------------------- credit record


def drive_to_failed_evaluation(world) -> int:
    """Plan without off-site transfer (the contractor is assigned by the plan),
    works, and a failed evaluation report."""
    cid = world.to_state("plan_filing")
    world.file("landholder", cid, "remediation_plan", world.plan_data(offsite=False))
    world.act("landholder", cid, "submit")
    world.act("env", cid, "approve")
    world.file("contractor", cid, "works_notice", world.notice_data())
    world.act("contractor", cid, "complete_works")
    r = world.post(
        "landholder",
        f"/cases/{cid}/assignments",
        {"role": "evaluator", "credit_code": world.evaluator.party.credit_code},
    )
    assert r.status_code == 201, r.get_json()
    world.file("evaluator", cid, "evaluation_report", world.evaluation_data(passed=False))
    return cid


def test_the_credit_record_counts_filings_returns_failed_evaluations_and_bans(world):
    surveyor, contractor = world.surveyor.party, world.contractor.party
    # A survey returned once, filed again, then a risk assessment by the same unit.
    cid = world.to_state("survey_review")
    world.act("env", cid, "return", comment="布点不足，请补充采样")
    world.file("landholder", cid, "survey_report", world.survey_data())
    world.act("landholder", cid, "submit")
    world.act("nr", cid, "cosign")
    world.act("env", cid, "approve")
    world.file("landholder", cid, "risk_assessment_report", world.risk_data())

    failed = drive_to_failed_evaluation(world)
    assert ban(world, contractor, future(180), reason="修复效果评估不达标且隐瞒").status_code == 200

    record = world.get("env", f"/parties/{surveyor.credit_code}/credit").get_json()
    # drive_to_failed_evaluation filed one more survey and one more risk report.
    assert record["reports_filed_by_kind"] == {"survey_report": 3, "risk_assessment_report": 2}
    assert record["reports_filed"] == 5
    assert record["reports_returned"] == 1
    assert [(r["case_id"], r["kind"]) for r in record["returns"]] == [(cid, "survey_report")]
    assert record["evaluations_failed"] == 0
    assert record["bans"] == [] and record["banned"] is False

    record = world.get("env", f"/parties/{contractor.credit_code}/credit").get_json()
    assert record["reports_filed_by_kind"] == {"remediation_plan": 1}
    assert record["reports_returned"] == 0
    assert record["evaluations_failed"] == 1
    assert [e["case_id"] for e in record["failed_evaluations"]] == [failed]
    assert record["banned"] is True
    assert len(record["bans"]) == 1
    assert record["bans"][0]["decided_by"] == world.env.user.username
    assert record["bans"][0]["reason"] == "修复效果评估不达标且隐瞒"

    # The evaluator filed the report; the failure is not the evaluator's.
    record = world.get("env", f"/parties/{world.evaluator.party.credit_code}/credit").get_json()
    assert record["reports_filed_by_kind"] == {"evaluation_report": 1}
    assert record["evaluations_failed"] == 0


def test_a_return_counts_once_even_if_the_report_was_refiled_before_submission(world):
    cid = world.register()["case"]["id"]
    world.file("landholder", cid, "survey_report", world.survey_data())
    world.file("landholder", cid, "survey_report", world.survey_data())  # a corrected copy
    world.act("landholder", cid, "submit")
    world.act("env", cid, "return", comment="结论与数据不符")
    record = world.get("env", f"/parties/{world.surveyor.party.credit_code}/credit").get_json()
    assert record["reports_filed"] == 2
    assert record["reports_returned"] == 1


def test_the_public_credit_record_has_no_officer_names_and_no_case_ids(world, client):
    contractor = world.contractor.party
    cid = drive_to_failed_evaluation(world)
    world.act("evaluator", cid, "submit")
    world.act("env", cid, "return", comment="补充检测点位")
    assert ban(world, contractor, future(30)).status_code == 200

    r = client.get(f"/api/v1/public/parties/{contractor.credit_code}/credit")  # no login
    assert r.status_code == 200
    public = r.get_json()
    assert public["party"]["credit_code"] == contractor.credit_code
    assert public["evaluations_failed"] == 1
    assert public["reports_filed"] == 1
    assert public["banned"] is True and len(public["bans"]) == 1
    raw = r.get_data(as_text=True)
    for user in (world.env.user, world.nr.user, world.landholder.user, world.contractor.user):
        assert user.username not in raw
    keys = set(walk_keys(public))
    assert not {k for k in keys if "case" in k}, keys
    assert "decided_by" not in keys and "returns" not in keys

    # Another party reading through the API gets the public record too.
    other = world.get("other_landholder", f"/parties/{contractor.credit_code}/credit").get_json()
    assert not {k for k in walk_keys(other) if "case" in k}
    assert world.env.user.username not in json.dumps(other, ensure_ascii=False)
    # The bureau sees the detail.
    full = world.get("env", f"/parties/{contractor.credit_code}/credit").get_json()
    assert [e["case_id"] for e in full["failed_evaluations"]] == [cid]

    assert client.get(f"/api/v1/public/parties/{new_credit_code()}/credit").status_code == 404
    assert client.get(f"/api/v1/parties/{contractor.credit_code}/credit").status_code == 401


# ---------------------------------------------------------------- append-only ledger (PostgreSQL)


def _refused(db, sql: str) -> str:
    """Run ``sql`` on its own connection; it must fail; everything is rolled back."""
    db.session.commit()  # release this session's locks first
    with db.engine.connect() as conn:
        trans = conn.begin()
        try:
            conn.execute(text("SET LOCAL lock_timeout = '5s'"))
            with pytest.raises(DBAPIError) as exc:
                conn.execute(text(sql))
        finally:
            trans.rollback()
    return str(exc.value)


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE ledger_events SET actor = 'someone_else' WHERE seq = 1",
        "UPDATE ledger_events SET detail = '{}'",
        "DELETE FROM ledger_events WHERE seq = (SELECT max(seq) FROM ledger_events)",
        "DELETE FROM ledger_events",
        "TRUNCATE ledger_events",
        "TRUNCATE ledger_events CASCADE",
    ],
    ids=["update-one", "update-all", "delete-one", "delete-all", "truncate", "truncate-cascade"],
)
def test_postgres_refuses_changes_to_the_ledger(world, db, is_postgres, sql):
    if not is_postgres:
        pytest.skip("the append-only triggers are PostgreSQL's")
    world.to_state("survey_review")
    before = db.session.execute(
        select(func.count(), func.max(LedgerEvent.hash)).select_from(LedgerEvent)
    ).one()
    message = _refused(db, sql)
    assert "append-only" in message
    after = db.session.execute(
        select(func.count(), func.max(LedgerEvent.hash)).select_from(LedgerEvent)
    ).one()
    assert tuple(after) == tuple(before)
    assert world.get("env", "/ledger/verify").get_json()["ok"] is True
    # The application still appends after the refused statement.
    world.register()
    assert db.session.scalar(select(func.count()).select_from(LedgerEvent)) > before[0]


@pytest.mark.parametrize(
    "sql",
    ["UPDATE ledger_heads SET hash = repeat('0', 64)", "DELETE FROM ledger_heads",
     "TRUNCATE ledger_heads"],
    ids=["update", "delete", "truncate"],
)  # fmt: skip
def test_postgres_refuses_changes_to_published_heads(
    world, client, db, is_postgres, signing_key, sql
):
    if not is_postgres:
        pytest.skip("the append-only triggers are PostgreSQL's")
    assert client.get("/api/v1/public/ledger/heads").status_code == 200
    message = _refused(db, sql)
    assert "append-only" in message
    items = client.get("/api/v1/public/ledger/heads").get_json()["items"]
    assert len(items) == 1 and ledger_heads.check_signature(items[0]) is None


# ---------------------------------------------------------------- published heads


def test_todays_head_is_published_once_and_signed(world, client, db, signing_key):
    world.register()
    first = client.get("/api/v1/public/ledger/heads")  # no login
    assert first.status_code == 200, first.get_json()
    world.register()  # the chain moves on; today's published head does not
    second = client.get("/api/v1/public/ledger/heads").get_json()
    assert second["total"] == 1 and len(second["items"]) == 1
    assert second["items"] == first.get_json()["items"]
    item = second["items"][0]
    assert ledger_heads.check_signature(item) is None
    assert item["seq"] < db.session.scalar(select(func.max(LedgerEvent.seq)))
    event_hash = db.session.scalar(select(LedgerEvent.hash).where(LedgerEvent.seq == item["seq"]))
    assert item["hash"] == event_hash
    assert ledger_heads.verify_against(item)["ok"] is True
    assert second["key"]["public_key"] == item["public_key"]
    # The key file is private to the bureau.
    assert signing_key.stat().st_mode & 0o077 == 0

    tampered = {**item, "seq": item["seq"] + 1}
    assert ledger_heads.check_signature(tampered) is not None

    current = client.get("/api/v1/public/ledger/head")
    assert current.status_code == 200
    assert "attachment" in current.headers["Content-Disposition"]
    head = current.get_json()
    assert ledger_heads.check_signature(head) is None
    assert head["seq"] == db.session.scalar(select(func.max(LedgerEvent.seq)))


# ---------------------------------------------------------------- accountability view


def test_the_accountability_view_names_every_unit_person_document_and_ledger_hash(world):
    cid = world.register()["case"]["id"]
    pdf = pdf_bytes()
    r = world.client.post(
        f"/api/v1/cases/{cid}/filings",
        data={
            "kind": "survey_report",
            "data": json.dumps(world.survey_data(), ensure_ascii=False),
            "files": [(io.BytesIO(pdf), "调查报告.pdf")],
        },
        content_type="multipart/form-data",
        headers=world.landholder.headers,
    )
    assert r.status_code == 201, r.get_json()
    world.act("landholder", cid, "submit")
    world.act("nr", cid, "cosign", comment="同意")
    world.act("env", cid, "approve", comment="进入风险评估")

    r = world.get("env", f"/cases/{cid}/accountability")
    assert r.status_code == 200, r.get_json()
    view = r.get_json()
    assert view["case_id"] == cid
    stages = {s["stage"]: s for s in view["stages"]}
    survey = stages["survey"]
    (filing,) = survey["filings"]
    assert filing["kind"] == "survey_report"
    assert filing["unit"]["credit_code"] == world.surveyor.party.credit_code
    assert filing["project_lead"] == "李调查"
    assert filing["filed_by"]["username"] == world.landholder.user.username
    assert filing["filed_by"]["party"]["credit_code"] == world.landholder.party.credit_code
    assert hashlib.sha256(pdf).hexdigest() in [d["sha256"] for d in filing["documents"]]

    reviews = {rv["action"]: rv for rv in survey["reviews"]}
    assert set(reviews) == {"cosign", "approve"}
    assert reviews["cosign"]["by"]["username"] == world.nr.user.username
    assert reviews["cosign"]["by"]["department"] == "natural_resources"
    assert reviews["approve"]["by"]["username"] == world.env.user.username
    assert reviews["approve"]["by"]["department"] == "environment"
    assert reviews["approve"]["comment"] == "进入风险评估"

    chain = {e["hash"]: e for e in ledger(world, cid)}
    assert filing["ledger_hash"] in chain
    assert chain[filing["ledger_hash"]]["action"] == "survey_report"
    assert hashlib.sha256(pdf).hexdigest() in chain[filing["ledger_hash"]]["documents"]
    for action, rv in reviews.items():
        assert rv["ledger_hash"] in chain
        assert chain[rv["ledger_hash"]]["action"] == action
        assert chain[rv["ledger_hash"]]["actor"] == rv["by"]["username"]
    assert view["ledger_head_of_case"] == ledger(world, cid)[-1]["hash"]

    assert world.get("other_landholder", f"/cases/{cid}/accountability").status_code == 404
    assert world.client.get(f"/api/v1/cases/{cid}/accountability").status_code == 401
