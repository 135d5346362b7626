"""An expert review meeting held on the desk (issue 15) in Chromium: where
``EXPERT_REVIEW_STAGES`` asks for one, the environment officer cannot approve a
co-signed survey until the drawn panel's meeting is recorded; the officer opens
the panel's meeting form on the case page, records who came, each expert's
opinion and the conclusion 通过, and then approves through the page's button.
Screenshots go to tests/browser/screenshots/."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login
from tests.support import World, make_party

pytestmark = pytest.mark.browser

EXPERTS = ["杨土壤", "何水文", "罗毒理", "马规划"]
SUMMARY = "专家组认为调查报告布点合理、检测数据完整，结论可信，同意通过。"
OPINIONS = ["布点基本合理，采样深度符合导则要求。", "建议补充说明 S1 点位深层采样的依据。",
            "检测数据完整，同意调查结论。"]  # fmt: skip
GUARD = "须有本轮专家评审会结论为“通过”，或“修改后通过”且已提交修改后的报告"


@pytest.fixture(scope="module")
def review(live_server):
    """The standard cast (tests.support.World) on the live server's database, with
    the survey review needing a meeting; a pool of four experts, a survey under
    review that natural resources has co-signed, and a panel of three drawn."""
    from app.extensions import db
    from app.services import clock

    app = live_server.app
    had, before = "EXPERT_REVIEW_STAGES" in app.config, app.config.get("EXPERT_REVIEW_STAGES")
    app.config["EXPERT_REVIEW_STAGES"] = ("survey_review",)
    try:
        with app.app_context():
            employer = make_party("云南大学").credit_code
            world = World.build(app.test_client())
            officer = world.env.user.username
            # The last commit expired the parties, whose codes the driver files with.
            for actor in world.actors.values():
                if actor.party:
                    db.session.refresh(actor.party)
            today = clock.today().isoformat()
            db.session.remove()
        # Outside the app context: with one pushed, the client's requests would share
        # it, and Flask-Login's user in ``g`` with it.
        for name in EXPERTS:
            r = world.post("env", "/experts", {"name": name, "specialities": ["soil"],
                                               "employer_credit_code": employer})  # fmt: skip
            assert r.status_code == 201, r.get_json()
        cid = world.to_state("survey_review")
        world.act("nr", cid, "cosign")
        r = world.post("env", f"/cases/{cid}/panels", {"size": 3})
        assert r.status_code == 201, r.get_json()
        panel = r.get_json()
        assert len(panel["members"]) == 3
        yield {"world": world, "officer": officer, "today": today, "case": cid, "panel": panel}
    finally:
        if had:
            app.config["EXPERT_REVIEW_STAGES"] = before
        else:
            app.config.pop("EXPERT_REVIEW_STAGES", None)


def test_the_officer_holds_the_expert_meeting_and_then_approves(
    browser, live_server, review, screenshots
):
    cid, panel, world = review["case"], review["panel"], review["world"]
    members = panel["members"]
    said = dict(zip((m["id"] for m in members), OPINIONS, strict=True))
    context, page, errors = login(browser, live_server.url, review["officer"])
    try:
        page.goto(f"/review/cases/{cid}")
        expect(page.get_by_test_id("case-state")).to_have_attribute("data-state", "survey_review")

        # Before the meeting: no approve button, and the page says why.
        actions = page.locator("#action-form")
        expect(actions.locator('button[data-action="return"]')).to_have_count(1)
        expect(actions.locator('button[data-action="approve"]')).to_have_count(0)
        blocked = page.locator(".next-step ul.text-danger li")
        expect(blocked).to_have_text([f"审查通过：{GUARD}"])
        expect(page.get_by_test_id("expert-reviews")).to_have_count(0)

        # The panel's meeting form, folded until opened.
        panels = page.get_by_test_id("panels")
        expect(panels.locator(f'[data-panel="{panel["id"]}"]')).to_contain_text(
            "、".join(m["name"] for m in members)
        )
        meeting = page.get_by_test_id(f"meeting-form-{panel['id']}")
        held_on = meeting.get_by_label("会议日期")
        expect(held_on).to_be_hidden()
        meeting.locator("summary").click()
        expect(meeting).to_have_attribute("open", "")
        expect(held_on).to_be_visible()

        held_on.fill(review["today"])
        for m in members:
            present = meeting.get_by_label(m["name"], exact=True)
            expect(present).to_have_attribute("name", f"present-{m['id']}")
            expect(present).to_be_checked()  # everyone present by default; left so
            meeting.locator(f'textarea[name="opinion-{m["id"]}"]').fill(said[m["id"]])
        meeting.get_by_label("评审结论").select_option(label="通过")
        meeting.get_by_label("专家组意见").fill(SUMMARY)
        meeting.scroll_into_view_if_needed()
        page.screenshot(path=str(screenshots / "desk-expert-meeting-form.png"), full_page=True)
        with page.expect_navigation():
            meeting.locator("form").get_by_role("button", name="记录评审会").click()

        url = urlsplit(page.url)
        assert (url.path, url.fragment) == (f"/review/cases/{cid}", "panels")
        expect(page.locator(".alert-success")).to_contain_text("已记录专家评审会，结论：通过")
        reviews = page.get_by_test_id("expert-reviews")
        held = reviews.locator('[data-conclusion="pass"]')
        expect(held).to_have_count(1)
        expect(held.locator(".badge")).to_have_text("通过")
        expect(held).to_contain_text(review["today"])
        expect(held).to_contain_text(SUMMARY)
        # Each opinion under the name of the expert who gave it (names: the bureau only).
        expect(held.locator("li")).to_have_text([f"{m['name']}：{said[m['id']]}" for m in members])
        # The meeting is held once: its form is gone; approve is offered now.
        expect(page.get_by_test_id(f"meeting-form-{panel['id']}")).to_have_count(0)
        expect(page.locator(".next-step ul.text-danger")).to_have_count(0)
        approve = page.locator('#action-form button[data-action="approve"]')
        expect(approve).to_have_text("审查通过")
        page.screenshot(path=str(screenshots / "desk-expert-meeting-recorded.png"), full_page=True)

        with page.expect_navigation():
            approve.click()
        expect(page.locator(".alert-success")).to_contain_text("已审查通过")
        badge = page.get_by_test_id("case-state")
        expect(badge).to_have_attribute("data-state", "risk_assessment")
        assert errors == [], "\n".join(errors)
    finally:
        context.close()

    # What was stored: the case moved on, with the meeting the landholder can read.
    case = world.case(cid, "landholder")
    assert case["state"] == "risk_assessment"
    (stored,) = case["expert_reviews"]
    assert (stored["conclusion"], stored["held_on"], stored["summary"]) == (
        "pass", review["today"], SUMMARY
    )  # fmt: skip
    assert sorted(o["opinion"] for o in stored["opinions"]) == sorted(OPINIONS)
