"""The desk in a real browser (DESIGN §11): the queue sorted by due date with the
overdue case marked, the agenda filtered to overdue deadlines, the inbox badge."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import watch_console

PASSWORD = "Browser-Desk-2026"
pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def desk(live_server):
    """Four cases waiting for review, submitted 60, 3, 45 and 10 days ago, and one
    returned to its landholder long ago (its revision clock is overdue too)."""
    from sqlalchemy import select

    from app.extensions import db
    from app.models import Case, User
    from app.services import auth, cases, clock, filings, parties, sites
    from app.services.credit_codes import make_credit_code

    with live_server.app.app_context():
        holder = parties.create_party(name="陇川县城投置业有限公司",
                                      credit_code=make_credit_code("91533124MA0000D01"),
                                      kind="enterprise")  # fmt: skip
        surveyor = parties.create_party(name="云南环科调查评估有限公司",
                                        credit_code=make_credit_code("91533124MA0000D02"),
                                        kind="enterprise")  # fmt: skip
        auth.create_user("desk_holder", role="landholder", password=PASSWORD,
                         party_code=holder.credit_code)  # fmt: skip
        auth.create_user("desk_env", role="bureau", password=PASSWORD, department="environment",
                         display_name="刘科长")  # fmt: skip
        auth.create_user("desk_nr", role="bureau", password=PASSWORD,
                         department="natural_resources")  # fmt: skip

        def user(name):
            return db.session.scalar(select(User).where(User.username == name))

        def version(cid):
            db.session.expire_all()
            return db.session.get(Case, cid).version

        now = clock.now()
        names = {}
        for name, days in [("六十天前送审的地块", 60), ("三天前送审的地块", 3),
                           ("四十五天前送审的地块", 45), ("十天前送审的地块", 10)]:  # fmt: skip
            with clock.frozen(now - timedelta(days=days)):
                site = sites.register_site(user("desk_holder"), {
                    "name": name, "township": "章凤镇", "address": "章凤镇迭撒路 1 号",
                    "area_m2": 5000, "planned_use": "residential", "former_industry": "冶炼",
                    "trigger": "use_change"})  # fmt: skip
                cid = site.cases[0].id
                filings.file(user("desk_holder"), cid, "survey_report", {
                    "unit_credit_code": surveyor.credit_code, "project_lead": "周调查",
                    "conclusion": "见样品",
                    "samples": [{"point_id": "A1", "depth_m": 0.5, "pollutant": "铅",
                                 "value": 650, "unit": "mg/kg"}]})  # fmt: skip
                cases.act(user("desk_holder"), cid, "submit", {"version": version(cid)})
            names[name] = cid
        with clock.frozen(now - timedelta(days=59)):
            cid = names["六十天前送审的地块"]
            cases.act(user("desk_env"), cid, "return",
                      {"version": version(cid), "comment": "补充地下水点位"})  # fmt: skip
    return names


def _login(browser, base_url, username):
    context = browser.new_context(base_url=base_url, locale="zh-CN",
                                  viewport={"width": 1366, "height": 900})  # fmt: skip
    page = context.new_page()
    errors = watch_console(page)
    page.goto("/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state("load")
    return context, page, errors


def test_the_desk_queue_is_sorted_by_due_date_and_marks_overdue(
    browser, live_server, desk, screenshots
):
    context, page, errors = _login(browser, live_server.url, "desk_env")
    page.goto("/review/")
    rows = page.locator('[data-testid="review-queue"] tbody tr')
    # Three waiting for review (the fourth was returned): soonest due first.
    expect(rows).to_have_count(3)
    names = [rows.nth(i).locator("a").first.inner_text() for i in range(3)]
    assert names == ["四十五天前送审的地块", "十天前送审的地块", "三天前送审的地块"]
    dues = [rows.nth(i).get_by_test_id("due").inner_text().split()[0] for i in range(3)]
    assert dues == sorted(dues)
    # 45 days ago is past the 20 working days of a review: marked, and on top.
    overdue = [rows.nth(i).get_attribute("data-overdue") == "true" for i in range(3)]
    assert overdue == [True, False, False]
    expect(rows.first.get_by_test_id("due")).to_contain_text("已逾期")
    page.screenshot(path=str(screenshots / "desk-queue-by-due-date.png"), full_page=True)

    # The agenda, overdue only: the revision clock of the returned case is there.
    page.get_by_role("link", name="期限台账").click()
    page.wait_for_load_state("load")
    page.get_by_label("仅看已逾期").check()
    page.get_by_role("button", name="筛选").click()
    page.wait_for_load_state("load")
    agenda = page.locator('[data-testid="agenda"] tbody tr')
    texts = [agenda.nth(i).inner_text() for i in range(agenda.count())]
    assert any("六十天前送审的地块" in t and "修改补充时限" in t for t in texts), texts
    for i in range(agenda.count()):
        assert agenda.nth(i).get_attribute("data-overdue") == "true"
    background = agenda.first.locator("td").first.evaluate(
        "el => getComputedStyle(el).backgroundColor"
    )
    assert background not in ("rgba(0, 0, 0, 0)", "rgb(255, 255, 255)"), background
    page.screenshot(path=str(screenshots / "desk-agenda-overdue.png"), full_page=True)
    assert errors == [], errors
    context.close()


def test_the_landholder_sees_its_own_deadline_first_and_an_inbox_badge(browser, live_server, desk):
    context, page, errors = _login(browser, live_server.url, "desk_holder")
    page.goto("/portal/")
    own = page.get_by_test_id("own-deadlines")
    expect(own).to_contain_text("修改补充时限")
    expect(own).to_contain_text("六十天前送审的地块")
    badge = page.get_by_test_id("unread-badge")
    expect(badge).to_have_text("1")  # the return
    page.get_by_test_id("inbox-link").click()
    page.wait_for_load_state("load")
    expect(page.get_by_test_id("notifications")).to_contain_text("补充地下水点位")
    page.get_by_test_id("notifications").get_by_role("button", name="标为已读").click()
    page.wait_for_load_state("load")
    expect(page.get_by_test_id("unread-badge")).to_have_count(0)
    assert errors == [], errors
    context.close()
