"""Confirming a class of cultivated land (issue 21) in Chromium: the agriculture
officer registers a unit and uploads its soil samples; the environment officer opens
the unit from the register, sees the class the standard gives and the deciding
sample, confirms it, and the numbered decision appears in the unit's history and the
register's counts. Screenshots go to tests/browser/screenshots/."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from app.services import clock
from tests.browser.conftest import login
from tests.support import World, make_user

pytestmark = pytest.mark.browser

SAMPLES = ("点位编号,采样日期,pH,镉,铅,砷,汞,铬\n"
           "GS-1,2026-05-12,5.9,0.62,70,14,0.3,120\n"
           "GS-2,2026-05-12,6.1,0.35,60,12,0.2,110\n")  # fmt: skip


@pytest.fixture(scope="module")
def cast(live_server):
    from app.extensions import db

    with live_server.app.app_context():
        world = World.build(live_server.app.test_client())
        agri = make_user("bureau", department="agriculture").username
        officer = world.env.user.username
        db.session.remove()
    return {"agri": agri, "officer": officer}


def test_an_officer_confirms_the_class_the_samples_give(browser, live_server, cast, tmp_path,
                                                       screenshots):  # fmt: skip
    # The agriculture officer lands on cultivated land, registers a unit, uploads samples.
    context, page, errors = login(browser, live_server.url, cast["agri"])
    assert urlsplit(page.url).path == "/farmland/"
    form = page.locator("#new-unit")
    form.get_by_label("单元名称").fill("景罕镇广宋村坝区水田")
    form.get_by_label("乡镇").fill("景罕镇")
    form.get_by_label("村（社区）").fill("广宋村")
    form.get_by_label("面积（亩）").fill("86.4")
    form.get_by_label("地类").select_option("paddy")
    form.get_by_label("主要作物").fill("水稻")
    form.get_by_label("经营主体（村集体或农户）").fill("广宋村村民委员会")
    form.get_by_role("button", name="登记耕地单元").click()
    expect(page.get_by_role("heading", name="景罕镇广宋村坝区水田")).to_be_visible()
    sheet = tmp_path / "广宋村样品.csv"
    sheet.write_text(SAMPLES, encoding="utf-8")
    page.get_by_label("土壤样品表（CSV 或 XLSX）").set_input_files(str(sheet))
    page.get_by_role("button", name="导入样品").click()
    expect(page.get_by_text("已导入 10 项检测数据")).to_be_visible()
    # Agriculture proposes; the class is the bureau's decision: no button for them.
    expect(page.locator("#confirm-form")).to_have_count(0)
    expect(page.get_by_text("类别由生态环境部门确认。")).to_be_visible()
    context.close()

    # The environment officer finds it in the register, unclassified.
    context, page, more = login(browser, live_server.url, cast["officer"])
    errors += more
    page.goto("/farmland/")
    page.get_by_role("link", name="景罕镇广宋村坝区水田").click()
    proposed = page.get_by_test_id("proposed-class")
    expect(proposed).to_contain_text("安全利用类")
    expect(page.get_by_text("依据：镉 0.62 mg/kg")).to_be_visible()
    # Cadmium 0.62 at pH 5.9 on paddy: above 0.4, not above 2.0.
    row = page.get_by_test_id("samples").locator("tr", has_text="0.62")
    expect(row).to_contain_text("超筛选值")

    # Choosing another class without a reason is refused beside the field.
    confirm = page.locator("#confirm-form")
    confirm.get_by_label("确认类别").select_option("priority")
    confirm.get_by_role("button", name="确认类别并编号").click()
    expect(page.get_by_text("须说明理由").first).to_be_visible()
    expect(page.get_by_test_id("class-history")).to_contain_text("尚未确认类别")

    confirm = page.locator("#confirm-form")
    confirm.get_by_label("确认类别").select_option("safe_use")
    confirm.get_by_role("button", name="确认类别并编号").click()
    expect(page.get_by_text("已确认为安全利用类：陇环土农〔")).to_be_visible()
    history = page.get_by_test_id("class-history")
    expect(history).to_contain_text("安全利用类")
    year = clock.today().year
    expect(history.locator(".decision-number")).to_have_text(f"陇环土农〔{year}〕1号")
    expect(page.get_by_test_id("current-class")).to_contain_text("安全利用类")
    page.screenshot(path=str(screenshots / "farmland-classified.png"), full_page=True)

    page.goto("/farmland/")
    counts = page.get_by_test_id("class-counts")
    expect(counts).to_contain_text("86.40")
    assert not errors, errors
    context.close()
