"""The desk side of DESIGN §10: officers record a change of planned use and a
provincial decision with the forms on the case page; a landholder's portal has
neither; the decision numbers are listed on the case page."""

from __future__ import annotations

from datetime import timedelta

from app.services import clock
from tests.web.conftest import page


def _released_industrial(world) -> tuple[dict, int]:
    reg = world.register(planned_use="industrial")
    cid = reg["case"]["id"]
    world.file("landholder", cid, "survey_report", world.survey_data(lead_mg_kg=500))
    world.act("landholder", cid, "submit")
    world.act("nr", cid, "cosign")
    world.act("env", cid, "approve")
    return reg, cid


def test_an_officer_records_a_use_change_on_the_desk_and_the_plot_reopens(world, login_as):
    reg, cid = _released_industrial(world)
    officer = login_as(world.nr.user)
    doc = page(officer.get(f"/review/cases/{cid}"))
    assert doc.field("planned_use") is not None and doc.field("basis") is not None

    # A missing basis: the form comes back with the error beside the field.
    r = officer.post(f"/review/cases/{cid}/use-change", data={"planned_use": "residential"})
    assert r.status_code == 400
    assert page(r).errors_beside("basis")
    assert world.case(cid, "env")["state"] == "released"

    r = officer.post(f"/review/cases/{cid}/use-change",
                     data={"planned_use": "residential", "basis": "陇政复〔2026〕15号"})  # fmt: skip
    assert r.status_code == 302
    doc = page(officer.get(r.headers["Location"]))
    assert any("重新进入土壤污染状况调查" in a for a in doc.alerts())
    case = world.case(cid, "env")
    assert case["state"] == "survey" and case["site"]["planned_use"] == "residential"


def test_the_landholder_has_no_use_change_form_and_cannot_post_one(world, login_as):
    reg, cid = _released_industrial(world)
    holder = login_as(world.landholder.user)
    html = holder.get(f"/portal/cases/{cid}").get_data(as_text=True)
    assert 'name="basis"' not in html
    r = holder.post(f"/review/cases/{cid}/use-change",
                    data={"planned_use": "residential", "basis": "x"})  # fmt: skip
    assert r.status_code == 403
    assert world.case(cid, "env")["state"] == "released"


def test_the_approve_form_takes_the_provincial_decision_for_listing(world, login_as):
    cid = world.to_state("risk_assessment_review")
    world.act("nr", cid, "cosign")
    officer = login_as(world.env.user)
    doc = page(officer.get(f"/review/cases/{cid}"))
    doc.one("fieldset", data_testid="provincial-decision")
    version = world.case(cid, "env")["version"]
    day = (clock.today() - timedelta(days=1)).isoformat()

    # A number without a date is refused with a message, nothing decided.
    r = officer.post(
        f"/review/cases/{cid}/act",
        data={"action": "approve", "version": version, "provincial_number": "云环土〔2026〕3号"},
    )
    assert r.status_code == 409
    assert any("省级决定" in a for a in page(r).alerts())
    assert world.case(cid, "env")["state"] == "risk_assessment_review"

    r = officer.post(f"/review/cases/{cid}/act", data={
        "action": "approve", "version": version, "provincial_number": "云环土〔2026〕3号",
        "provincial_date": day})  # fmt: skip
    assert r.status_code == 302
    case = world.case(cid, "env")
    assert case["state"] == "listed"
    assert case["decisions"][-1]["provincial_decision"] == {"number": "云环土〔2026〕3号",
                                                            "date": day}  # fmt: skip
    doc = page(officer.get(f"/review/cases/{cid}"))
    numbers = [doc.text(li) for li in doc.all("li", data_testid="decision")]
    assert any(case["decisions"][-1]["number"] in n and "云环土〔2026〕3号" in n for n in numbers)
    # Not offered where the law has no provincial decision (the route decision).
    assert not doc.all("fieldset", data_testid="provincial-decision")
