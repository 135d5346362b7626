"""Expert review on the desk (issue 15): the pool page and drawing a panel from
the case page."""

from __future__ import annotations

from app.services import clock
from tests.support import make_party
from tests.web.conftest import ledger_count, page


def _pool(officer, n=6):
    uni = make_party("云南农业大学")
    for i in range(n):
        r = officer.post("/review/experts", data={"name": f"专家{i}", "specialities": ["soil", "risk"],
                                                  "employer_credit_code": uni.credit_code})  # fmt: skip
        assert r.status_code == 302, r.get_data(as_text=True)[:400]


def test_an_officer_keeps_the_pool_and_draws_a_panel_on_the_case_page(world, login_as):
    officer = login_as(world.env.user)
    r = officer.post("/review/experts", data={"name": "", "specialities": []})
    assert r.status_code == 400 and page(r).errors_beside("name")
    _pool(officer)
    html = officer.get("/review/experts").get_data(as_text=True)
    assert "专家5" in html and "云南农业大学" in html

    cid = world.to_state("survey_review")
    doc = page(officer.get(f"/review/cases/{cid}"))
    doc.one(data_testid="panels")
    r = officer.post(f"/review/cases/{cid}/panels", data={"size": "20"})
    assert r.status_code == 400 and page(r).errors_beside("size")
    before = ledger_count()
    r = officer.post(f"/review/cases/{cid}/panels", data={"size": "5"})
    assert r.status_code == 302
    doc = page(officer.get(r.headers["Location"]))
    assert any("已随机抽取 5 名评审专家" in a for a in doc.alerts())
    html = officer.get(f"/review/cases/{cid}").get_data(as_text=True)
    assert html.count('data-panel="') == 1 and "复核抽取" in html
    assert ledger_count() == before + 1
    # Drawing again in the same round needs a reason, shown beside the field.
    r = officer.post(f"/review/cases/{cid}/panels", data={"size": "3"})
    assert r.status_code == 400 and page(r).errors_beside("reason")


def test_parties_see_no_panel_and_cannot_draw(world, login_as):
    cid = world.to_state("survey_review")
    holder = login_as(world.landholder.user)
    assert 'data-testid="panels"' not in holder.get(f"/portal/cases/{cid}").get_data(as_text=True)
    assert holder.post(f"/review/cases/{cid}/panels", data={"size": "3"}).status_code == 403
    assert login_as(world.admin.user).get("/review/experts").status_code == 403


def test_a_meeting_without_a_quorum_comes_back_with_the_reason(world, login_as):
    officer = login_as(world.env.user)
    _pool(officer)
    cid = world.to_state("survey_review")
    panel = world.post("env", f"/cases/{cid}/panels", {"size": 3}).get_json()
    first = panel["members"][0]["id"]
    before = ledger_count()
    r = officer.post(f"/review/panels/{panel['id']}/meeting", data={
        "held_on": clock.today().isoformat(), "conclusion": "pass", "summary": "同意",
        f"present-{first}": "1", f"opinion-{first}": "同意"})  # fmt: skip
    assert r.status_code == 400
    assert any("出席专家不足" in a for a in page(r).alerts())
    assert ledger_count() == before
