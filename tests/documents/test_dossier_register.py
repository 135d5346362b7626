"""The accountability dossier (问责档案) of a case as a PDF — every stage, unit,
named person, document hash and ledger event hash — for the bureau and the
landholder, not for a former or an unrelated landholder; and the register
(名录) as a printable list of public plots only."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

import workflows
from app.services import clock, documents
from tests.documents.helpers import (
    NAMES,
    blank_pdf,
    events,
    file_with_attachment,
    issued_documents,
    name_people,
    needs_pdf_tools,
    pdf_text,
    sha256,
    squash,
    web_client,
)
from tests.support import SITE

pytestmark = needs_pdf_tools


@pytest.fixture
def released(world):
    """A case taken through every stage, with an uploaded survey report and
    every receipt and manifest issued."""
    name_people(world)
    reg = world.register()
    cid = reg["case"]["id"]
    attachment = blank_pdf(345)
    file_with_attachment(world, "landholder", cid, "survey_report", world.survey_data(),
                         attachment)  # fmt: skip
    world.act("landholder", cid, "submit")
    world.act("nr", cid, "cosign", comment="会签同意")
    world.act("env", cid, "approve")
    _continue_to_released(world, cid)
    assert documents.run_pending()["failed"] == 0
    return {"code": reg["code"], "cid": cid, "attachment": sha256(attachment)}


def _continue_to_released(world, cid: int) -> None:
    """``World.to_state`` always starts from a fresh plot; go on from risk_assessment."""
    world.file("landholder", cid, "risk_assessment_report", world.risk_data())
    world.act("landholder", cid, "submit")
    world.act("nr", cid, "cosign")
    world.act("env", cid, "approve")
    world.act("env", cid, "require_remediation")
    world.file("landholder", cid, "remediation_plan", world.plan_data())
    world.act("landholder", cid, "submit")
    world.act("env", cid, "approve")
    r = world.post("contractor", f"/cases/{cid}/manifests", world.manifest_data())
    assert r.status_code == 201, r.get_json()
    world.act("contractor", cid, "submit")
    world._finish_works(cid)
    r = world.post("landholder", f"/cases/{cid}/assignments",
                   {"role": "evaluator", "credit_code": world.evaluator.party.credit_code})  # fmt: skip
    assert r.status_code in (200, 201), r.get_json()
    world.file("evaluator", cid, "evaluation_report", world.evaluation_data())
    world.act("evaluator", cid, "submit")
    world.act("nr", cid, "cosign")
    assert world.act("env", cid, "approve")["state"] == "released"


def dossier_text(response, tmp_path) -> str:
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment")
    return pdf_text(response.data, tmp_path)


def _check_dossier(text: str, world, released) -> None:
    flat = squash(text)
    cid = released["cid"]
    assert "问责档案" in text
    assert released["code"] in flat and SITE["name"] in flat
    # Every stage the case went through, by its Chinese label.
    for state in ("survey", "risk_assessment", "plan_filing", "works", "evaluation"):
        assert squash(workflows.STATE_LABELS_ZH[state]) in flat, state
    # The units that filed or answer for the plot, by their credit codes.
    for key in ("landholder", "surveyor", "contractor", "evaluator"):
        assert world.actors[key].party.credit_code in flat, key
    # The named persons: filer, officers of the joint review, project leads.
    for name in (NAMES["landholder"], NAMES["nr"], NAMES["env"], "李调查", "赵施工", "孙评估"):
        assert name in flat, name
    assert "会签同意" in flat
    # The uploaded report and the receipt of every filing, by hash.
    assert released["attachment"] in flat
    receipts = [d for d in issued_documents() if d.purpose == "filing_receipt"]
    assert len(receipts) == 5
    for doc in receipts:
        assert doc.sha256 in flat, doc.original_name
    # The ledger hash of every filing and review, and the latest of the case.
    for action in ("survey_report", "risk_assessment_report", "remediation_plan",
                   "works_notice", "evaluation_report", "cosign", "approve",
                   "require_remediation"):  # fmt: skip
        for e in events(action, cid):
            assert e.hash in flat, (action, e.seq)
    assert events(case_id=cid)[-1].hash in flat
    number = world.case(cid, "env")["manifests"][0]["number"]
    assert number in flat


def test_the_bureau_and_the_landholder_get_the_whole_dossier(app, world, released, tmp_path):
    cid = released["cid"]
    text = dossier_text(web_client(app, world.env.user).get(f"/review/cases/{cid}/dossier.pdf"),
                        tmp_path)  # fmt: skip
    _check_dossier(text, world, released)
    text = dossier_text(
        web_client(app, world.landholder.user).get(f"/portal/cases/{cid}/dossier.pdf"), tmp_path
    )
    _check_dossier(text, world, released)


def test_the_dossier_names_every_issued_document_and_the_manifest_trail(
    app, world, released, tmp_path
):
    """BUG (templates/documents/dossier.html, app/services/accountability.build):
    the dossier lists only documents attached to a filing (``Filing.documents``,
    which includes the filing receipts), so the approval receipts and the
    transfer manifest — issued documents with ``filing_id`` None — appear
    nowhere, nor do their ``document_issued`` events; the manifest rows give
    each step's ledger seq but not its hash (``step.ledger_hash`` is in the
    data, not printed) and the receiving facility by name without its credit
    code (``m.destination.credit_code``)."""
    cid = released["cid"]
    r = web_client(app, world.env.user).get(f"/review/cases/{cid}/dossier.pdf")
    flat = squash(dossier_text(r, tmp_path))
    missing = []
    for doc in issued_documents():
        if doc.purpose in ("approval_receipt", "manifest") and doc.sha256 not in flat:
            missing.append(f"{doc.purpose} document {doc.sha256[:12]}")
    for e in events(case_id=cid):
        if e.action.startswith("manifest_") and e.hash not in flat:
            missing.append(f"{e.action} event #{e.seq} hash")
    if world.facility.party.credit_code not in flat:
        missing.append("receiving facility credit code")
    assert missing == [], missing


def test_a_former_landholder_is_refused_and_another_landholder_learns_nothing(app, world, tmp_path):
    from tests.support import Actor, bearer, make_party, make_user

    buyer_party = make_party("受让单位")
    buyer = make_user("landholder", buyer_party)
    world.actors["buyer"] = Actor(buyer, bearer(buyer), buyer_party)
    polluter = make_party("原冶炼厂")
    reg = world.register(responsible_party_credit_code=polluter.credit_code)
    cid = world.to_state("risk_assessment", site=reg)
    r = world.post("landholder", f"/sites/{reg['code']}/transfer",
                   {"transferee_credit_code": buyer_party.credit_code,
                    "contract_date": (clock.today() - timedelta(days=3)).isoformat()})  # fmt: skip
    assert r.status_code == 201, r.get_json()

    former = web_client(app, world.landholder.user)
    assert former.get(f"/portal/cases/{cid}").status_code == 200  # it still reads its history
    assert former.get(f"/portal/cases/{cid}/dossier.pdf").status_code == 403
    other = web_client(app, world.other_landholder.user)
    assert other.get(f"/portal/cases/{cid}/dossier.pdf").status_code == 404
    text = dossier_text(web_client(app, buyer).get(f"/portal/cases/{cid}/dossier.pdf"), tmp_path)
    assert reg["code"] in squash(text) and buyer_party.credit_code in squash(text)
    # Portal users never reach the review desk's copy.
    assert former.get(f"/review/cases/{cid}/dossier.pdf").status_code == 403


def test_the_register_lists_public_plots_only(client, world, tmp_path):
    hidden = world.register(name="尚在调查的电镀厂地块")
    listed = world.register(name="已列入名录的焦化厂地块", township="陇把镇")
    world.to_state("listed", site=listed)
    done = world.register(name="已修复的农药厂地块", township="景罕镇")
    world.to_state("released", site=done)

    r = client.get("/open-data/register.pdf")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    assert r.headers["Content-Disposition"].startswith("attachment")
    text = pdf_text(r.data, tmp_path)
    flat = squash(text)
    assert "名录" in text and "共2个地块" in flat
    rows = re.findall(r"533124-\d{4}-\d{5}", flat)
    assert sorted(rows) == sorted([listed["code"], done["code"]])
    assert "已列入名录的焦化厂地块" in flat and "已修复的农药厂地块" in flat
    assert "陇把镇" in flat and "列入名录" in flat and "铅" in flat
    assert hidden["code"] not in flat and "电镀厂" not in flat
