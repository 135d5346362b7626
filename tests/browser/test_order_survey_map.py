"""Ordering a survey from the desk's map (DESIGN §12) in Chromium: the environment
officer clicks a suspected plot's dot on /review/suspects, follows its popup to
the plot's page and orders its survey with a due date; the case opens in
``survey`` with its ``survey_order`` deadline and the landholder is told.
Screenshots go to tests/browser/screenshots/."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login
from tests.support import World

pytestmark = pytest.mark.browser


def _square(lon: float, lat: float, half: float = 0.002) -> dict:
    ring = [[lon - half, lat - half], [lon + half, lat - half], [lon + half, lat + half],
            [lon - half, lat + half], [lon - half, lat - half]]  # fmt: skip
    return {"type": "Polygon", "coordinates": [ring]}


PLOT = {
    "name": "原章凤镇电镀厂地块",
    "township": "章凤镇",
    "address": "章凤镇工业园 3 号",
    "former_industry": "电镀",
    "source": "key_enterprise_closure",
    "boundary": _square(97.79, 24.28),
}
OTHER = {
    "name": "城子镇原农药仓库地块",
    "township": "城子镇",
    "address": "城子镇示范路 1 号",
    "former_industry": "农药仓储",
    "source": "tipoff",
    "boundary": _square(97.95, 24.40),
}


@pytest.fixture(scope="module")
def county(live_server):
    """The standard cast (tests.support.World) on the live server's database and two
    suspected plots recorded through the API, the first held by the landholder."""
    from app.extensions import db
    from app.services import clock

    with live_server.app.app_context():
        world = World.build(live_server.app.test_client())
        officer = world.env.user.username
        holder = world.landholder.party.credit_code
        due = (clock.today() + timedelta(days=60)).isoformat()
        db.session.remove()
    # Outside the app context: with one pushed, the client's requests would share it,
    # and Flask-Login's user in ``g`` with it.
    plots = {}
    for key, body in [("plot", {**PLOT, "landholder_credit_code": holder}), ("other", OTHER)]:
        r = world.post("env", "/suspected-sites", body)
        assert r.status_code == 201, r.get_json()
        plots[key] = r.get_json()["id"]
    return {"world": world, "officer": officer, "due": due, **plots}


def test_the_officer_orders_a_survey_from_the_map(browser, live_server, county, screenshots):
    plot, due, world = county["plot"], county["due"], county["world"]
    context, page, errors = login(browser, live_server.url, county["officer"])
    try:
        page.goto("/review/suspects")
        page.wait_for_selector('#suspect-map[data-loaded="2"]')
        for sid in (plot, county["other"]):
            expect(page.locator(f"#suspect-map path.suspect-{sid}")).to_have_count(1)

        # The plot's dot opens its popup, whose link leads to the order form.
        page.locator(f"#suspect-map path.suspect-{plot}").click()
        popup = page.locator("#suspect-map .leaflet-popup")
        expect(popup).to_contain_text(PLOT["name"])
        link = popup.get_by_test_id("suspect-popup-link")
        expect(link).to_have_text("责令调查或排除 →")
        expect(popup).to_have_css("opacity", "1")  # faded in, for the screenshot
        page.screenshot(path=str(screenshots / "desk-suspects-map-popup.png"), full_page=True)
        with page.expect_navigation():
            link.click()
        url = urlsplit(page.url)
        assert (url.path, url.fragment) == (f"/review/suspects/{plot}", "order")

        order = page.locator("#order")
        order.get_by_label("调查报告提交期限").fill(due)
        with page.expect_navigation():
            order.get_by_role("button", name="责令开展调查").click()
        expect(page.locator(".alert-success")).to_contain_text("已责令开展土壤污染状况调查")
        expect(page.get_by_test_id("suspect-status")).to_have_attribute("data-status", "ordered")
        expect(page.get_by_test_id("suspect-due")).to_have_text(due)
        case_link = page.get_by_test_id("suspect-case")
        expect(case_link).to_have_count(1)
        code, href = case_link.inner_text().strip(), case_link.get_attribute("href")
        page.screenshot(path=str(screenshots / "desk-suspect-ordered.png"), full_page=True)
        assert errors == [], "\n".join(errors)
    finally:
        context.close()

    # What was stored: the case in survey with the order's clock, the notice, and
    # nothing done to the other plot.
    ordered = world.get("env", f"/suspected-sites/{plot}").get_json()
    assert (ordered["status"], ordered["due"], ordered["site_code"]) == ("ordered", due, code)
    case = world.case(ordered["case_id"], "landholder")
    assert case["state"] == "survey" and href.endswith(f"/cases/{case['id']}")
    clocks = [(d["kind"], d["owner"], d["due"]) for d in case["deadlines"]]
    assert ("survey_order", "responsible", due) in clocks, clocks
    notes = world.get("landholder", "/notifications").get_json()["items"]
    assert [n["case_id"] for n in notes if n["kind"] == "survey_ordered"] == [case["id"]], notes
    other = world.get("env", f"/suspected-sites/{county['other']}").get_json()
    assert other["status"] == "suspected"
