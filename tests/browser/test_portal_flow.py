"""The whole life of a plot, walked in Chromium through the UI only (issue 4):
a landholder registers a plot on the map and files a survey (GB18030 CSV with
Chinese headers and a PDF); natural resources co-signs and the environment
officer approves each joint review; risk assessment, listing, the plan with
off-site transfer; the contractor reports a manifest, publishes the notice
board and dispatches, the facility receives; an evaluator is assigned and
files; the plot is released. Every page is checked for console errors (CSP
violations appear there). Screenshots go to tests/browser/screenshots/."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect
from pypdf import PdfWriter

from tests.browser.conftest import watch_console

pytestmark = pytest.mark.browser

PASSWORD = "browser-pass-2024"
SAMPLES_CSV = (
    "点位编号,深度,污染物,检测值,单位\n"
    "S1,0.5,铅,650,mg/kg\n"
    "S1,0.5,镉,2.1,mg/kg\n"
    "S2,1.5,铅,120,mg/kg\n"
    "S2,1.5,苯并[a]芘,0.2,mg/kg\n"
).encode("gb18030")
PLOT = "原陇川铅锌冶炼厂地块"


def pdf(title: str) -> bytes:
    w = PdfWriter()
    w.add_blank_page(width=595, height=842)
    w.add_metadata({"/Title": title})
    buf = io.BytesIO()
    w.write(buf)
    return buf.getvalue()


# ---------------------------------------------------------------- the county


@pytest.fixture(scope="module")
def county(live_server):
    """Parties and users of the county, created the way an administrator would
    (services), plus three older cases waiting at the desk so the queue looks
    like a working day. The case under test is made through the UI only."""
    from app.services import auth, clock, parties
    from app.services.credit_codes import make_credit_code

    codes = {}
    with live_server.app.app_context():
        for n, (key, name, kind) in enumerate(
            [
                ("landholder", "陇川县城投置业有限公司", "enterprise"),
                ("other", "章凤镇集体资产管理公司", "enterprise"),
                ("surveyor", "云南环科调查评估有限公司", "enterprise"),
                ("contractor", "德宏绿源环境修复工程有限公司", "enterprise"),
                ("facility", "芒市水泥窑协同处置中心", "enterprise"),
                ("evaluator", "昆明第三方效果评估中心", "institution"),
            ],
            1,
        ):
            code = make_credit_code(f"91533124MA{n:07d}")
            parties.create_party(name=name, credit_code=code, kind=kind)
            codes[key] = code
        users = {}
        for key, role, party, dept, display in [
            ("landholder", "landholder", "landholder", None, "张经理（城投置业）"),
            ("other", "landholder", "other", None, "李主任（集体资产）"),
            ("contractor", "contractor", "contractor", None, "赵工（绿源修复）"),
            ("facility", "facility", "facility", None, "王站长（处置中心）"),
            ("evaluator", "evaluator", "evaluator", None, "孙工（效果评估）"),
            ("env", "bureau", None, "environment", "刘科长（土壤科）"),
            ("nr", "bureau", None, "natural_resources", "陈科长（自然资源）"),
        ]:
            auth.create_user(
                f"{key}_user", role=role, password=PASSWORD, department=dept,
                party_code=codes[party] if party else None, display_name=display,
            )  # fmt: skip
            users[key] = f"{key}_user"
        _older_cases(live_server.app, codes, clock)
    return {"codes": codes, "users": users}


def _older_cases(app, codes, clock):
    """Background cases registered by the other landholder, days ago."""
    from sqlalchemy import select

    from app.extensions import db
    from app.models import User
    from app.services import cases, filings, sites

    def user(name):
        return db.session.scalar(select(User).where(User.username == name))

    survey = {
        "unit_credit_code": codes["surveyor"],
        "project_lead": "周调查",
        "conclusion": "部分点位超过第一类用地筛选值",
        "samples": [{"point_id": "A1", "depth_m": 0.5, "pollutant": "砷", "value": 48,
                     "unit": "mg/kg"}],
    }  # fmt: skip
    now = clock.now()
    for name, township, days, further in [
        ("原景罕糖厂地块", "景罕镇", 27, False),
        ("城子镇原农药仓库地块", "城子镇", 12, True),
        ("户撒原电镀作坊地块", "户撒阿昌族乡", 4, False),
    ]:
        with clock.frozen(now - timedelta(days=days + (10 if further else 0))):
            site = sites.register_site(
                user("other_user"),
                {"name": name, "township": township, "address": f"{township}示范路 1 号",
                 "area_m2": 6200, "planned_use": "school", "former_industry": "制糖/农药/电镀",
                 "trigger": "use_change"},
            )  # fmt: skip
            cid = site.cases[0].id
            filings.file(user("other_user"), cid, "survey_report", dict(survey))
            cases.act(user("other_user"), cid, "submit", {"version": _v(cid)})
        if further:
            with clock.frozen(now - timedelta(days=days + 5)):
                cases.act(user("nr_user"), cid, "cosign", {"version": _v(cid)})
                cases.act(user("env_user"), cid, "approve", {"version": _v(cid)})
            with clock.frozen(now - timedelta(days=days)):
                filings.file(
                    user("other_user"), cid, "risk_assessment_report",
                    {"unit_credit_code": codes["surveyor"], "project_lead": "周评估",
                     "carcinogenic_risk_max": 4e-6, "hazard_quotient_max": 0.6,
                     "risk_acceptable": False,
                     "targets": [{"pollutant": "砷", "target_mg_kg": 20}]},
                )  # fmt: skip
                cases.act(user("other_user"), cid, "submit", {"version": _v(cid)})


def _v(case_id: int) -> int:
    from app.extensions import db
    from app.models import Case

    db.session.expire_all()
    return db.session.get(Case, case_id).version


# ---------------------------------------------------------------- a person at a browser


class Person:
    """One user in a browser context of their own, watching the console."""

    def __init__(self, browser, base_url: str, username: str):
        self.username = username
        self.context = browser.new_context(
            base_url=base_url, locale="zh-CN", viewport={"width": 1366, "height": 900}
        )
        self.context.set_default_timeout(15_000)
        self.page = self.context.new_page()
        self.errors = watch_console(self.page)
        self.visited: list[str] = []
        self.page.on("load", lambda p: self.visited.append(p.url))

    def clean(self):
        """No console error on the page now shown (nor on any before it)."""
        self.page.wait_for_load_state("load")
        assert self.errors == [], "\n".join(self.errors)

    def goto(self, path: str):
        self.page.goto(path)
        self.clean()

    def login(self, password: str = PASSWORD):
        self.goto("/login")
        self.page.get_by_label("用户名").fill(self.username)
        self.page.get_by_label("密码").fill(password)
        self.page.get_by_role("button", name="登录").click()
        self.page.wait_for_url(lambda url: urlsplit(url).path != "/login")
        self.clean()

    def open_case(self, plot: str = PLOT, *, desk: bool = False):
        self.goto("/review/" if desk else "/portal/")
        with self.page.expect_navigation():
            self.page.get_by_role("link", name=plot).first.click()
        expect(self.page.get_by_test_id("case-state")).to_be_visible()
        self.clean()

    def act(self, action: str, expect_state: str, comment: str | None = None):
        if comment:
            self.page.locator("#comment").fill(comment)
        with self.page.expect_navigation():
            self.page.locator(f'#action-form button[data-action="{action}"]').click()
        expect(self.page.get_by_test_id("case-state")).to_have_attribute("data-state", expect_state)
        self.clean()
        expect(self.page.locator(".alert-success")).to_contain_text("已")

    def state(self) -> str:
        return self.page.get_by_test_id("case-state").get_attribute("data-state")

    def file(self, label: str):
        """Open the filing form whose link reads ``填报<label>``."""
        with self.page.expect_navigation():
            self.page.get_by_role("link", name=f"填报{label}").click()
        expect(self.page.get_by_role("heading", name=label, level=1)).to_be_visible()
        self.clean()

    def submit_form(self, button: str = "提交材料", *, scope=None):
        with self.page.expect_navigation():
            (scope or self.page).get_by_role("button", name=button).click()
        self.clean()

    def close(self):
        self.context.close()


@pytest.fixture
def people(browser, live_server, county):
    made = []

    def person(key: str) -> Person:
        p = Person(browser, live_server.url, county["users"][key])
        made.append(p)
        p.login()
        return p

    yield person
    for p in made:
        p.close()


# ---------------------------------------------------------------- the walk


def test_a_plot_goes_from_registration_to_release_through_the_ui(
    people, county, live_server, screenshots
):
    codes = county["codes"]
    landholder = people("landholder")
    lp = landholder.page

    # --- the landholder registers a plot, drawing its boundary on the map
    landholder.goto("/portal/")
    with lp.expect_navigation():
        lp.get_by_role("link", name="登记新地块").click()
    expect(lp.locator("#site-map")).to_be_visible()
    landholder.clean()
    lp.get_by_label("地块名称").fill(PLOT)
    lp.get_by_label("乡镇").fill("章凤镇")
    lp.get_by_label("地址").fill("章凤镇迭撒路 88 号")
    lp.get_by_label("面积（平方米）").fill("15230.5")
    lp.get_by_label("规划用途").select_option("residential")
    lp.get_by_label("原用途/原行业").fill("铅锌冶炼")
    lp.get_by_label("调查原因").select_option("use_change")
    site_map = lp.locator("#site-map")
    for x, y in [(120, 110), (300, 100), (320, 260), (140, 280)]:
        site_map.click(position={"x": x, "y": y})
    expect(lp.locator("#map-status")).to_have_text("4 个顶点，已生成边界")
    assert '"Polygon"' in lp.locator("#boundary").input_value()
    lp.screenshot(path=str(screenshots / "register-plot.png"), full_page=True)
    landholder.submit_form("登记地块")
    expect(lp.get_by_test_id("case-state")).to_have_attribute("data-state", "survey")
    expect(lp.locator(".alert-success")).to_contain_text("地块已登记")
    case_path = urlsplit(lp.url).path
    case_id = int(re.search(r"/cases/(\d+)", case_path).group(1))

    # --- the survey report: a GB18030 CSV with Chinese headers and a PDF
    landholder.file("土壤污染状况调查报告")
    lp.get_by_label("调查单位统一社会信用代码").fill(codes["surveyor"])
    lp.get_by_label("项目负责人").fill("李调查")
    lp.get_by_label("调查结论").fill("S1 点位铅含量 650 mg/kg，超过第一类用地筛选值 400 mg/kg。")
    lp.locator("#samples").set_input_files(
        files=[{"name": "样品检测数据.csv", "mimeType": "text/csv", "buffer": SAMPLES_CSV}]
    )
    lp.locator("#files").set_input_files(
        files=[{"name": "调查报告.pdf", "mimeType": "application/pdf",
                "buffer": pdf("土壤污染状况调查报告")}]
    )  # fmt: skip
    landholder.submit_form()
    expect(lp.locator(".alert-success")).to_contain_text("共 4 个样品")
    exceeding = lp.locator("#screening tr.level-above_screening")
    expect(exceeding).to_have_count(1)
    expect(exceeding).to_contain_text("铅")
    expect(exceeding).to_contain_text("650")
    expect(lp.locator("#screening")).to_contain_text("最高级别：超筛选值")
    expect(lp.locator('g.node.current[data-state="survey"]')).to_have_count(1)
    landholder.act("submit", "survey_review")

    # --- joint review: natural resources co-signs, environment approves
    nr, env = people("nr"), people("env")
    nr.open_case(desk=True)
    expect(nr.page.locator('#action-form button[data-action="approve"]')).to_have_count(0)
    nr.act("cosign", "survey_review")
    env.goto("/review/")
    queue = env.page.get_by_test_id("review-queue")
    expect(queue.locator("tbody tr")).to_have_count(4)
    expect(queue.locator("tbody tr").first).to_contain_text("原景罕糖厂地块")
    expect(queue.locator("tbody tr").last).to_contain_text(PLOT)
    expect(queue.locator("tbody tr").first.locator("td").nth(1)).to_have_text("27 天")
    # Soonest review deadline first (DESIGN §11): the oldest survey is due first.
    expect(queue.locator("tbody tr").first.get_by_test_id("due")).to_contain_text("审查时限")
    env.page.screenshot(path=str(screenshots / "review-queue.png"), full_page=True)
    env.open_case(desk=True)
    env.act("approve", "risk_assessment")

    # --- risk assessment: not acceptable, with targets; joint review; listed
    landholder.goto(case_path)
    landholder.file("土壤污染风险评估报告")
    lp.get_by_label("风险评估单位统一社会信用代码").fill(codes["surveyor"])
    lp.get_by_label("项目负责人").fill("王评估")
    lp.get_by_label("最大致癌风险").fill("3.2e-5")
    lp.get_by_label("最大危害商").fill("2.4")
    lp.get_by_label("风险是否可接受").select_option("false")
    lp.locator("#targets").fill("铅,400")
    lp.locator("#files").set_input_files(
        files=[{"name": "风险评估报告.pdf", "mimeType": "application/pdf",
                "buffer": pdf("风险评估报告")}]
    )  # fmt: skip
    landholder.submit_form()
    expect(lp.locator('article[data-kind="risk_assessment_report"]')).to_be_visible()
    landholder.act("submit", "risk_assessment_review")
    nr.open_case(desk=True)
    nr.act("cosign", "risk_assessment_review")
    env.open_case(desk=True)
    env.act("approve", "listed")
    env.act("require_remediation", "plan_filing")

    # --- the remediation plan, with off-site transfer by the contractor
    landholder.goto(case_path)
    landholder.file("修复方案")
    lp.get_by_label("修复施工单位统一社会信用代码").fill(codes["contractor"])
    lp.get_by_label("项目负责人").fill("赵施工")
    lp.get_by_label("修复技术").fill("异位固化稳定化，水泥窑协同处置")
    lp.get_by_label("是否异位转运污染土壤").select_option("true")
    lp.get_by_label("修复土方量（立方米）").fill("3200")
    lp.get_by_label("计划开工日期").fill("2027-01-10")
    lp.get_by_label("计划完工日期").fill("2027-06-30")
    lp.get_by_label("地下水保护措施").fill("设置监测井，施工期每月监测一次")
    landholder.submit_form()
    expect(lp.locator('article[data-kind="remediation_plan"]')).to_be_visible()
    landholder.act("submit", "plan_review")
    env.open_case(desk=True)
    env.act("approve", "transfer_reporting")

    # --- the contractor reports the manifest and goes to works
    from app.services import clock, workdays

    with live_server.app.app_context():
        start = workdays.earliest_transfer_start(clock.today(), 5)
    contractor = people("contractor")
    cp = contractor.page
    contractor.open_case()
    with cp.expect_navigation():
        cp.get_by_role("link", name="报告转运联单").first.click()
    contractor.clean()
    cp.get_by_label("计划转运量（吨）").fill("120")
    cp.get_by_label("运输方式").select_option("road")
    cp.get_by_label("运输路线").fill("章凤镇—G320—芒市")
    expect(cp.get_by_label("起运地址")).to_have_value("章凤镇迭撒路 88 号")
    cp.get_by_label("接收单位统一社会信用代码").fill(codes["facility"])
    cp.get_by_label("接收地（县/市）").fill("芒市")
    cp.get_by_label("计划开始日期").fill(start.isoformat())
    cp.get_by_label("计划结束日期").fill((start + timedelta(days=14)).isoformat())
    cp.get_by_label("最终处置方式").fill("水泥窑协同处置")
    contractor.submit_form("报告转运联单")
    expect(cp.locator("#manifests tbody tr")).to_have_count(1)
    expect(cp.locator("#manifests")).to_contain_text("已报告")
    contractor.act("submit", "works")

    # --- the notice board, then the dispatch
    contractor.file("施工公告牌")
    cp.get_by_label("工程概况").fill("原冶炼厂地块铅污染土壤修复工程")
    cp.get_by_label("主要环境影响").fill("施工扬尘、噪声、运输遗撒")
    cp.get_by_label("环境保护措施").fill("全封闭大棚作业，车辆苫盖，出口洗车")
    cp.get_by_label("联系人及电话").fill("赵施工 0692-0000000")
    cp.get_by_label("开工日期").fill("2027-01-10")
    cp.get_by_label("计划完工日期").fill("2027-06-30")
    contractor.submit_form()
    expect(cp.locator('article[data-kind="works_notice"]')).to_be_visible()
    contractor.goto("/portal/manifests")
    row = cp.get_by_test_id("manifest-list").locator("tbody tr")
    expect(row).to_have_count(1)
    row.get_by_label("发运数量（吨）").fill("120")
    contractor.submit_form("发运", scope=row)
    expect(cp.locator(".alert-success")).to_contain_text("运输中")

    # --- the facility confirms receipt
    facility = people("facility")
    fp = facility.page
    expect(fp).to_have_url(re.compile(r"/portal/manifests$"))
    row = fp.get_by_test_id("manifest-list").locator("tbody tr")
    row.get_by_label("实收数量（吨）").fill("118.5")
    facility.submit_form("确认接收", scope=row)
    expect(fp.locator(".alert-success")).to_contain_text("已接收")

    # --- works complete
    contractor.open_case()
    expect(cp.locator("#manifests")).to_contain_text("已接收")
    contractor.act("complete_works", "evaluation")

    # --- the landholder assigns the evaluator; the evaluator files
    landholder.goto(case_path)
    assignments = lp.locator("#assignments")
    assignments.get_by_label("委托类型").select_option("evaluator")
    assignments.get_by_label("统一社会信用代码").fill(codes["evaluator"])
    landholder.submit_form("委托", scope=assignments)
    expect(lp.locator(".alert-success")).to_contain_text("已委托")
    expect(lp.locator("#responsibility")).to_contain_text("昆明第三方效果评估中心")

    evaluator = people("evaluator")
    ep = evaluator.page
    evaluator.open_case()
    evaluator.file("效果评估报告")
    ep.get_by_label("效果评估单位统一社会信用代码").fill(codes["evaluator"])
    ep.get_by_label("项目负责人").fill("孙评估")
    ep.get_by_label("评估结论：是否达到修复目标").select_option("true")
    ep.locator("#results").fill("铅,320,400")
    ep.locator("#files").set_input_files(
        files=[{"name": "效果评估报告.pdf", "mimeType": "application/pdf",
                "buffer": pdf("效果评估报告")}]
    )  # fmt: skip
    evaluator.submit_form()
    expect(ep.locator('article[data-kind="evaluation_report"]')).to_be_visible()
    evaluator.act("submit", "evaluation_review")

    # --- joint review of the evaluation: released
    nr.open_case(desk=True)
    nr.act("cosign", "evaluation_review")
    env.open_case(desk=True)
    env.act("approve", "released")
    badge = env.page.get_by_test_id("case-state")
    expect(badge).to_have_text("移出名录/无需列入")
    expect(badge).to_have_attribute("data-state", "released")

    # --- what the landholder sees at the end
    landholder.goto(case_path)
    badge = lp.get_by_test_id("case-state")
    expect(badge).to_have_text("移出名录/无需列入")
    expect(badge).to_have_attribute("data-state", "released")
    expect(lp.locator('g.node.current[data-state="released"]')).to_have_count(1)
    expect(lp.locator("#screening tr.level-above_screening")).to_have_count(1)
    expect(lp.locator("#ledger ol.timeline > li").first).to_contain_text("审查通过")
    assert lp.locator("#ledger ol.timeline > li").count() >= 20
    lp.screenshot(path=str(screenshots / "landholder-case.png"), full_page=True)
    assert case_id > 0

    for person in (landholder, nr, env, contractor, facility, evaluator):
        assert person.errors == [], person.errors
        assert person.visited, person.username


def test_landholder_case_page_mid_way_screenshot(people, live_server, screenshots):
    """The case page of a plot still under way (a background case at the
    desk), as the landholder who filed it sees it."""
    other = people("other")
    other.open_case("城子镇原农药仓库地块")
    assert other.state() == "risk_assessment_review"
    expect(other.page.locator("#screening tr.level-above_screening")).to_have_count(1)
    other.page.screenshot(path=str(screenshots / "landholder-case-under-review.png"),
                          full_page=True)  # fmt: skip
    other.goto("/portal/")
    other.page.screenshot(path=str(screenshots / "landholder-portal.png"), full_page=True)
    assert other.errors == []


# ---------------------------------------------------------------- sessions in a real browser


def test_logout_from_the_navbar_and_a_replayed_cookie_is_refused(browser, people, live_server):
    landholder = people("landholder")
    cookie = next(c for c in landholder.context.cookies() if c["name"] == "session")
    copied = {k: cookie[k] for k in ("name", "value", "domain", "path")}

    def replay() -> str:
        thief = browser.new_context(base_url=live_server.url)
        try:
            thief.add_cookies([copied])
            page = thief.new_page()
            page.goto("/portal/")
            return urlsplit(page.url).path
        finally:
            thief.close()

    assert replay() == "/portal/"  # the copied cookie works while the login lasts
    landholder.submit_form("退出")
    expect(landholder.page.locator(".alert")).to_contain_text("您已退出登录")
    assert replay() == "/login"


@pytest.mark.parametrize("payload", ["//evil.com", "////evil.com", "/\t/evil.com", "/\\evil.com"])
def test_next_payloads_stay_on_site_in_the_browser(browser, live_server, county, payload):
    context = browser.new_context(base_url=live_server.url)
    try:
        page = context.new_page()
        page.goto("/login?next=" + payload.replace("\t", "%09").replace("\\", "%5C"))
        page.get_by_label("用户名").fill(county["users"]["env"])
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(lambda url: urlsplit(url).path != "/login")
        assert urlsplit(page.url).netloc == urlsplit(live_server.url).netloc
    finally:
        context.close()


def test_another_landholder_gets_a_404_page(people, live_server):
    from sqlalchemy import select

    from app.extensions import db
    from app.models import Case, Site

    with live_server.app.app_context():
        theirs = db.session.scalar(
            select(Case.id).join(Site).where(Site.name == "城子镇原农药仓库地块")
        )
    landholder = people("landholder")
    response = landholder.page.goto(f"/portal/cases/{theirs}")
    assert response.status == 404
    expect(landholder.page.locator("h1")).to_contain_text("404")
    response = landholder.page.goto(f"/portal/cases/{theirs}/file/risk_assessment_report")
    assert response.status == 404
    # Chromium logs the 404 of the document itself; nothing else may fail.
    assert [e for e in landholder.errors if "status of 404" not in e] == []


def _dominant_colour(png: bytes) -> tuple[int, int, int]:
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    return max(image.getcolors(image.width * image.height), key=lambda c: c[0])[1]


def test_the_exceedance_row_is_visibly_highlighted(people):
    """``tr.level-above_screening`` sets a background on the row, but Bootstrap 5
    paints every cell with its own opaque ``--bs-table-bg``, so the colour must
    reach the cells for the reviewer to see it."""
    other = people("other")
    other.open_case("城子镇原农药仓库地块")
    cell = other.page.locator("#screening tr.level-above_screening td").first
    r, g, b = _dominant_colour(cell.screenshot())
    assert not (r > 245 and g > 245 and b > 245), f"the exceedance row is white: {(r, g, b)}"
