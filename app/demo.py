"""The demo county: Longchuan (陇川县), a dozen-odd plots across its townships in
every lifecycle state, driven through the real services so every rule and
every ledger event is the same as in production.

Every plot's story is a list of dated steps; the steps of all plots are run in
date order under a frozen clock, so the ledger reads as a true chronology.
"""

from __future__ import annotations

import heapq
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select

from app import demo_county
from app.demo_places import TOWNSHIPS
from app.demo_places import box as _box
from app.extensions import db
from app.models import Case, KeyUnit, Party, Site, Suspect, User
from app.services import auth, cases, clock, filings, manifests, parties, regions, sites, workdays
from app.services.credit_codes import make_credit_code

DEMO_PASSWORD = "Longchuan-2026"  # noqa: S105 (printed demo credential, demo data only)

# name, credit-code seed, kind
PARTIES = {
    "cityinvest": ("陇川县城市建设投资开发有限公司", "91533124MA6KDEM01", "enterprise"),
    "smelter": ("德宏州陇川铅锌冶炼有限责任公司", "91533124MA6KDEM02", "enterprise"),
    "sugar": ("陇川县章凤糖业有限公司", "91533124MA6KDEM03", "enterprise"),
    "landbank": ("陇川县土地收购储备中心", "12533124MB0DEM004", "institution"),
    "government": ("陇川县人民政府", "11533124MB0DEM005", "government"),
    "surveyor": ("云南滇西环境检测技术有限公司", "91533100MA6KDEM06", "enterprise"),
    "contractor": ("云南绿土环境修复工程有限公司", "91530100MA6KDEM07", "enterprise"),
    "facility": ("德宏州芒市水泥窑协同处置有限公司", "91533103MA6KDEM08", "enterprise"),
    "evaluator": ("昆明中环效果评估咨询有限公司", "91530100MA6KDEM09", "enterprise"),
    "group": ("云南德宏有色金属集团有限公司", "91533100MA6KDEM10", "enterprise"),
    "developer": ("陇川县兴边房地产开发有限公司", "91533124MA6KDEM11", "enterprise"),
    "falsifier": ("云南速检环境咨询有限公司", "91530100MA6KDEM12", "enterprise"),
    "plating": ("陇川县景罕电镀有限公司", "91533124MA6KDEM13", "enterprise"),
    "chemical": ("陇川县城子化工有限公司", "91533124MA6KDEM14", "enterprise"),
}
USERS = [
    # username, role, party key, department, display name
    ("landholder", "landholder", "cityinvest", None, "城投公司 李明"),
    ("smelter", "landholder", "smelter", None, "冶炼公司 王强"),
    ("landbank", "landholder", "landbank", None, "收储中心 杨丽"),
    ("plating", "landholder", "plating", None, "电镀公司 段经理"),
    ("surveyor", "contractor", "surveyor", None, "调查单位 赵工"),
    ("contractor", "contractor", "contractor", None, "施工单位 周工"),
    ("facility", "facility", "facility", None, "接收单位 刀经理"),
    ("evaluator", "evaluator", "evaluator", None, "评估单位 孙工"),
    ("env_officer", "bureau", None, "environment", "生态环境分局 岳科长"),
    ("nr_officer", "bureau", None, "natural_resources", "自然资源局 排科长"),
    ("agri_officer", "bureau", None, "agriculture", "农业农村局 耕保股 尚股长"),
    ("admin", "admin", None, None, "系统管理员"),
]

# Each plot: where it is, what it was, and how far its story goes.
PLOTS = [
    # key, name, township, planned use, former industry, trigger, landholder, responsible, story
    ("p01", "原陇川铅锌冶炼厂一期地块", "章凤镇", "residential", "铅锌冶炼", "land_recovery",
     "landbank", "smelter", "released_remediated"),
    ("p02", "章凤镇老糖厂地块", "章凤镇", "school", "制糖", "use_change",
     "cityinvest", "sugar", "released_clean"),
    ("p03", "景罕镇原农机修造厂地块", "景罕镇", "commercial", "农机修造", "use_change",
     "cityinvest", None, "released_risk_ok"),
    ("p04", "城子镇原化肥仓库地块", "城子镇", "industrial", "化肥仓储", "key_enterprise",
     "cityinvest", None, "risk_control"),
    ("p05", "陇把镇原电镀作坊地块", "陇把镇", "residential", "电镀", "use_change",
     "cityinvest", None, "evaluation_review"),
    ("p06", "原陇川铅锌冶炼厂二期地块", "章凤镇", "residential", "铅锌冶炼", "land_recovery",
     "landbank", "smelter", "works"),
    ("p07", "户撒阿昌族乡原刀具锻造厂地块", "户撒阿昌族乡", "elderly_care", "金属锻造", "use_change",
     "cityinvest", None, "evaluation"),
    ("p08", "清平乡原加油站地块", "清平乡", "community_park", "加油站", "use_change",
     "cityinvest", None, "transfer_reporting"),
    ("p09", "护国乡原木材防腐厂地块", "护国乡", "residential", "木材防腐", "use_change",
     "cityinvest", None, "plan_review"),
    ("p10", "王子树乡原农药分装点地块", "王子树乡", "medical", "农药分装", "use_change",
     "cityinvest", None, "plan_filing"),
    ("p11", "勐约乡原汽修厂地块", "勐约乡", "residential", "汽车维修", "use_change",
     "cityinvest", None, "listed"),
    ("p12", "章凤镇原印染厂地块", "章凤镇", "residential", "印染", "use_change",
     "cityinvest", None, "risk_assessment_review"),
    ("p13", "景罕镇原铸造厂地块", "景罕镇", "school", "铸造", "use_change",
     "cityinvest", None, "risk_assessment"),
    ("p14", "城子镇原砖瓦厂地块", "城子镇", "residential", "砖瓦烧制", "use_change",
     "cityinvest", None, "survey_review"),
    ("p15", "陇把镇原蓄电池回收点地块", "陇把镇", "school", "废旧蓄电池回收", "use_change",
     "cityinvest", None, "survey"),
    # Cleared for logistics, then rezoned for housing: reopened by the system (§10).
    ("p16", "景罕镇原物流仓储园地块", "景罕镇", "logistics", "物流仓储", "use_change",
     "cityinvest", None, "reopened_for_use"),
]  # fmt: skip


class Demo:
    def __init__(self):
        self.parties: dict[str, Party] = {}
        self.users: dict[str, User] = {}
        self.case_ids: dict[str, int] = {}
        self.holders: dict[str, str] = {}

    # ---------------------------------------------------------------- cast

    def cast(self) -> None:
        demo_county.serve_prefecture()
        for key, (name, seed, kind) in {**PARTIES, **demo_county.PARTIES}.items():
            self.parties[key] = parties.create_party(
                name=name, credit_code=make_credit_code(seed), kind=kind
            )
        cast = [(*u, None, None) for u in USERS] + demo_county.USERS
        for username, role, party_key, dept, display, county, level in cast:
            party = self.parties[party_key] if party_key else None
            self.users[username] = auth.create_user(
                username,
                role=role,
                password=DEMO_PASSWORD,
                party_code=party.credit_code if party else None,
                department=dept,
                display_name=display,
                county=county,
                level=level,
            )

    def u(self, name: str) -> User:
        return db.session.get(User, self.users[name].id)

    def code(self, key: str) -> str:
        return self.parties[key].credit_code

    # ---------------------------------------------------------------- steps

    def act(self, who: str, key: str, action: str, comment: str | None = None) -> None:
        case = db.session.get(Case, self.case_ids[key])
        cases.act(self.u(who), case.id, action, {"version": case.version, "comment": comment})

    def file(self, who: str, key: str, kind: str, data: dict) -> None:
        filings.file(self.u(who), self.case_ids[key], kind, data)

    def register(self, plot) -> None:
        key, name, township, use, industry, trigger, holder, responsible, _ = plot
        county = demo_county.PLOT_COUNTY.get(key, regions.home())
        lat, lon = TOWNSHIPS[township]
        n = int(key[1:])
        data = {
            "name": name,
            "township": township,
            "address": f"{regions.name(county)}{township}"
            f"{['迭撒路', '团结路', '兴边路', '民族路'][n % 4]}{n * 3 + 1}号",
            "area_m2": 4000 + n * 1375.5,
            "planned_use": use,
            "former_industry": industry,
            "trigger": trigger,
            "boundary": _box(township, (n % 4) * 0.006 - 0.009, (n % 3) * 0.005 - 0.005),
            "county": county,
        }
        if responsible:
            data["responsible_party_credit_code"] = self.code(responsible)
        if key in ("p01", "p06"):
            data["backgrounds"] = {"砷": 48.0}  # 德宏州 red soil arsenic background
        holder_user = {"landbank": "landbank", "cityinvest": "landholder",
                       **demo_county.HOLDER_USERS}[holder]  # fmt: skip
        site = sites.register_site(self.u(holder_user), data)
        self.case_ids[key] = site.cases[0].id
        self.holders[key] = holder_user

    def holder(self, key: str) -> str:
        return self.holders[key]

    def survey(self, key: str, exceed: bool, pollutant="铅", value=None) -> None:
        samples = [
            {"point_id": "S1", "depth_m": 0.2, "pollutant": "镉", "value": 3.2, "unit": "mg/kg"},
            {"point_id": "S1", "depth_m": 0.2, "pollutant": "砷", "value": 12, "unit": "mg/kg"},
            {"point_id": "S2", "depth_m": 1.0, "pollutant": "苯并[a]芘", "value": 120,
             "unit": "μg/kg"},
            {"point_id": "S3", "depth_m": 0.5, "pollutant": "石油烃（C10-C40）", "value": 210,
             "unit": "mg/kg"},
        ]  # fmt: skip
        if key in ("p01", "p06"):
            # Above the screening value 20 but below the local background 48:
            # GB 36600 footnote ① — not managed as contamination.
            samples.append(
                {"point_id": "S4", "depth_m": 2.0, "pollutant": "砷", "value": 36, "unit": "mg/kg"}
            )
        if exceed:
            samples.append(
                {"point_id": "S2", "depth_m": 0.5, "pollutant": pollutant,
                 "value": value or 1860, "unit": "mg/kg"}
            )  # fmt: skip
        self.file(
            self.holder(key),
            key,
            "survey_report",
            {
                "unit_credit_code": self.code("surveyor"),
                "project_lead": "赵建国",
                "conclusion": "部分点位超过第一类用地筛选值，需开展风险评估"
                if exceed
                else "全部检测项目均未超过筛选值，地块不属于污染地块",
                "samples": samples,
            },
        )
        self.act(self.holder(key), key, "submit")

    def env(self, key: str) -> str:
        return demo_county.officers_of(key)[0]

    def approve_joint(self, key: str, comment="经会同审查，同意") -> None:
        env, nr = demo_county.officers_of(key)
        self.act(nr, key, "cosign", "自然资源部门会审同意")
        self.act(env, key, "approve", comment)

    def risk(self, key: str, acceptable: bool) -> None:
        data = {
            "unit_credit_code": self.code("surveyor"),
            "project_lead": "钱思远",
            "carcinogenic_risk_max": 2.0e-7 if acceptable else 4.6e-5,
            "hazard_quotient_max": 0.4 if acceptable else 3.1,
            "risk_acceptable": acceptable,
        }
        if not acceptable:
            data["targets"] = [{"pollutant": "铅", "target_mg_kg": 400}]
        self.file(self.holder(key), key, "risk_assessment_report", data)
        self.act(self.holder(key), key, "submit")

    def plan(self, key: str, offsite: bool) -> None:
        start = clock.today() + timedelta(days=30)
        self.file(
            self.holder(key),
            key,
            "remediation_plan",
            {
                "contractor_credit_code": self.code("contractor"),
                "project_lead": "周振华",
                "technology": "异位开挖 + 水泥窑协同处置" if offsite else "原位固化稳定化",
                "offsite_transfer": offsite,
                "volume_m3": 5600 if offsite else 2400,
                "start_date": start.isoformat(),
                "end_date": (start + timedelta(days=150)).isoformat(),
                "groundwater_measures": "布设 4 口监测井，施工期每月监测地下水",
            },
        )
        self.act(self.holder(key), key, "submit")

    def manifest(self, key: str, quantity: float) -> int:
        start = workdays.earliest_transfer_start(clock.today(), 5)
        m = manifests.create(
            self.u("contractor"),
            self.case_ids[key],
            {
                "quantity_t": quantity,
                "mode": "road",
                "route": "章凤镇—S233—G320—芒市风平镇（全程约 95 km，避开学校时段）",
                "origin_address": "陇川县章凤镇迭撒路",
                "destination_facility_credit_code": self.code("facility"),
                "destination_county": "芒市",
                "planned_start": start.isoformat(),
                "planned_end": (start + timedelta(days=20)).isoformat(),
                "final_disposal": "水泥窑协同处置",
            },
        )
        return m.id

    def notice(self, key: str) -> None:
        start = clock.today()
        self.file(
            "contractor",
            key,
            "works_notice",
            {
                "project_overview": "对超过筛选值的铅污染土壤开挖外运，回填清洁土",
                "environmental_impacts": "施工扬尘、噪声，运输途中遗撒风险",
                "protective_measures": "密闭大棚开挖，雾炮降尘，车辆苫盖并冲洗，夜间不施工",
                "contact": "周振华 0692-7123456；监督电话 0692-12369",
                "start_date": start.isoformat(),
                "end_date": (start + timedelta(days=150)).isoformat(),
            },
        )

    def transfer(self, key: str, to: str, responsible: bool) -> None:
        from app.services import responsibility

        site = db.session.get(Case, self.case_ids[key]).site
        responsibility.transfer_land(
            self.u(self.holder(key)),
            site.code,
            {"transferee_credit_code": self.code(to),
             "contract_date": (clock.today() - timedelta(days=3)).isoformat(),
             "transferee_responsible": responsible},
        )  # fmt: skip

    def change_use(self, key: str, use: str, basis: str) -> None:
        from app.services import use_change

        site = db.session.get(Case, self.case_ids[key]).site
        use_change.change_use(self.u("nr_officer"), site.code, {"planned_use": use, "basis": basis})

    def county_events(self) -> list[tuple[datetime, callable]]:
        """Events not tied to one plot: a succession and a ban."""
        from app.services import responsibility

        def succession():
            responsibility.succession(
                self.u("env_officer"),
                str(self.parties["smelter"].id),
                {"successor_credit_code": self.code("group"),
                 "note": "陇川铅锌冶炼公司吸收合并入德宏有色金属集团，由集团承继其债权债务"},
            )  # fmt: skip

        def ban():
            party = db.session.get(Party, self.parties["falsifier"].id)
            parties.ban(
                self.u("env_officer"),
                party,
                {"until": "2029-12-31",
                 "reason": "在某地块调查报告中篡改检测数据，出具虚假报告（土壤污染防治法第九十条）"},
            )  # fmt: skip

        def tipoffs():
            """A hotline tip-off handed over to natural resources, and a web one waiting."""
            from app.services import tipoff_desk, tipoffs

            tipoff, _code = tipoff_desk.record(self.u("env_officer"), {
                "channel": "hotline", "township": "护国乡", "location": "护国乡邦外村后山采石场",
                "description": "采石场夜间向山沟倾倒不明废渣，下雨后沟水发黑，村民担心污染农田。"})  # fmt: skip
            tipoff_desk.hand_over(self.u("env_officer"), tipoff.id, {
                "agency": "陇川县自然资源局", "note": "涉及非法采矿，转自然资源部门查处；废渣去向由本局跟踪。"})  # fmt: skip
            tipoffs.create(township="章凤镇", location="章凤镇老糖厂围墙外",
                           description="围墙外堆放的旧设备有油状液体渗出，附近有小孩玩耍。")  # fmt: skip

        return [(datetime(2026, 3, 16, 10, 0, tzinfo=clock.CHINA_TZ), succession),
                (datetime(2025, 11, 4, 15, 0, tzinfo=clock.CHINA_TZ), ban),
                (datetime(2026, 6, 2, 9, 20, tzinfo=clock.CHINA_TZ), tipoffs)]  # fmt: skip

    def evaluation(self, key: str, passed: bool) -> None:
        cases.assign(
            self.u(self.holder(key)),
            self.case_ids[key],
            {"role": "evaluator", "credit_code": self.code("evaluator")},
        )
        self.file(
            "evaluator",
            key,
            "evaluation_report",
            {
                "evaluator_credit_code": self.code("evaluator"),
                "project_lead": "孙立群",
                "passed": passed,
                "results": [
                    {"pollutant": "铅", "value_mg_kg": 286 if passed else 455,
                     "target_mg_kg": 400},
                    {"pollutant": "镉", "value_mg_kg": 2.6, "target_mg_kg": 20},
                ],
            },
        )  # fmt: skip
        self.act("evaluator", key, "submit")


def _story(d: Demo, plot) -> list[tuple[int, callable]]:
    """(day offset, step) pairs: how far this plot's case has come."""
    key, story = plot[0], plot[-1]
    steps: list[tuple[int, callable]] = [(0, lambda: d.register(plot))]
    add = steps.append
    order = [
        "survey", "survey_review", "risk_assessment", "risk_assessment_review", "listed",
        "plan_filing", "plan_review", "transfer_reporting", "works", "evaluation",
        "evaluation_review", "released",
    ]  # fmt: skip
    if story == "released_clean":
        add((40, lambda: d.survey(key, exceed=False)))
        add((55, lambda: d.approve_joint(key, "未超过筛选值，不属于污染地块")))
        return steps
    if story == "reopened_for_use":
        add((40, lambda: d.survey(key, exceed=True, pollutant="镍", value=400)))
        add((55, lambda: d.approve_joint(key, "未超过第二类用地筛选值，不属于污染地块")))
        add((150, lambda: d.change_use(key, "residential",
                                        "陇川县人民政府关于景罕镇控制性详细规划局部调整的批复"
                                        "（陇政复〔2026〕15号）：地块调整为二类居住用地")))  # fmt: skip
        return steps
    if story == "released_risk_ok":
        add((35, lambda: d.survey(key, exceed=True, pollutant="镍", value=1200)))
        add((50, lambda: d.approve_joint(key)))
        add((110, lambda: d.risk(key, acceptable=True)))
        add((130, lambda: d.approve_joint(key, "风险可接受，不列入名录")))
        return steps
    target = "released" if story == "released_remediated" else story
    if target == "risk_control":
        reach = order.index("listed")
    else:
        reach = order.index(target)

    def upto(state):
        return order.index(state) <= reach

    if upto("survey_review"):
        add((30, lambda: d.survey(key, exceed=True)))
    if upto("risk_assessment"):
        add((45, lambda: d.approve_joint(key)))
    if upto("risk_assessment_review"):
        add((100, lambda: d.risk(key, acceptable=False)))
    if story == "risk_assessment_review":
        # Returned once for a missing exposure pathway, then corrected and resubmitted.
        add(
            (
                108,
                lambda: d.act(d.env(key), key, "return", "未评估地下水摄入途径，请补充后重新提交"),
            )
        )
        add((118, lambda: d.risk(key, acceptable=False)))
    if upto("listed"):
        add(
            (
                120,
                lambda: d.approve_joint(
                    key, "风险不可接受，列入建设用地土壤污染风险管控和修复名录"
                ),
            )
        )
    if key == "p11":
        # Sold while listed; the contract makes the buyer answer for the clean-up.
        add((140, lambda: d.transfer(key, "developer", responsible=True)))
    if story == "risk_control":
        add((125, lambda: d.act(d.env(key), key, "require_control", "暂不开发，实施风险管控")))
        add((140, lambda: demo_county.control_plan(d, key)))
        add((160, lambda: d.file(d.holder(key), key, "monitoring_report", {
            "unit_credit_code": d.code("surveyor"), "media": ["soil", "groundwater"],
            "summary": "管控区围挡完好，地下水监测井未检出超标",
            "values": [{"point_id": "GW1", "medium": "groundwater", "pollutant": "镉",
                        "value": 2.1, "unit": "μg/L"}]})))  # fmt: skip
        # The second round finds cadmium above the limit: an alert, measures pending.
        add((250, lambda: d.file(d.holder(key), key, "monitoring_report", {
            "unit_credit_code": d.code("surveyor"), "media": ["groundwater"],
            "summary": "GW2 监测井镉浓度超出管控限值，需核查原因",
            "values": [{"point_id": "GW2", "medium": "groundwater", "pollutant": "镉",
                        "value": 8.6, "unit": "μg/L"}]})))  # fmt: skip
        return steps
    offsite = key in ("p01", "p06", "p08")
    if upto("plan_filing"):
        add((125, lambda: d.act(d.env(key), key, "require_remediation", "实施修复")))
    if upto("plan_review"):
        add((150, lambda: d.plan(key, offsite=offsite)))
    if upto("transfer_reporting"):
        add((165, lambda: d.act(d.env(key), key, "approve", "修复方案予以备案")))
    if offsite and upto("transfer_reporting"):
        add((170, lambda: d.manifest(key, 860.0)))
        add((172, lambda: d.manifest(key, 640.0)))
    if upto("works"):
        if offsite:
            add((175, lambda: d.act("contractor", key, "submit")))
        add((178, lambda: d.notice(key)))
    if upto("evaluation") and offsite:

        def transport():
            for m in manifests.for_case(d.case_ids[key]):
                manifests.dispatch(d.u("contractor"), m.id, {"quantity_t": float(m.quantity_t)})
                manifests.receive(d.u("facility"), m.id, {"quantity_t": float(m.quantity_t) * 0.97})

        add((190, transport))
    if upto("evaluation"):
        add((200, lambda: d.file("contractor", key, "progress_report",
                                 {"summary": "开挖、外运、回填全部完成", "percent_complete": 100})))  # fmt: skip
        add((205, lambda: d.act("contractor", key, "complete_works")))
    if upto("evaluation_review"):
        add((240, lambda: d.evaluation(key, passed=True)))
    if upto("released"):
        add((260, lambda: d.approve_joint(key, "效果评估达标，移出名录")))
    if story == "works" and key == "p06":
        add((185, lambda: d.file("contractor", key, "progress_report",
                                 {"summary": "已完成开挖 60%，外运 2 车次", "percent_complete": 60})))  # fmt: skip
    return steps


def build_demo(end: datetime | None = None) -> str:
    """Create the demo county in an empty database; returns a summary."""
    if db.session.scalar(select(func.count()).select_from(Site)):
        return "数据库中已有地块，未创建演示数据。"
    end = end or clock.now()
    first = datetime(2025, 3, 3, 9, 30, tzinfo=clock.CHINA_TZ)
    d = Demo()
    # Receipts are issued in one sweep at the end (a background renderer would
    # stamp them with today's date in the middle of the demo's past).
    mode = current_app.config.get("DOCUMENTS_MODE")
    current_app.config["DOCUMENTS_MODE"] = "off"
    with clock.frozen(first - timedelta(days=3)):
        d.cast()
    # Plots start at staggered dates so that the newest step lands before ``end``.
    queue: list = []
    latest = (end.astimezone(clock.CHINA_TZ) - timedelta(days=2)).replace(tzinfo=clock.CHINA_TZ)
    span = (latest - first).days
    for i, plot in enumerate(PLOTS + demo_county.PLOTS):
        steps = _story(d, plot)
        length = max(offset for offset, _ in steps)
        start = first + timedelta(days=min(i * 20, max(span - length, 0)))
        for j, (offset, step) in enumerate(steps):
            at = start + timedelta(days=offset, minutes=j * 7 + i)
            heapq.heappush(queue, (at, i, j, step))
    for k, (at, step) in enumerate(d.county_events()):
        heapq.heappush(queue, (at, 1000 + k, 0, step))
    # Wave 2: the county's lists before the survey, an expert panel (app/demo_county.py).
    heapq.heappush(
        queue, (latest - timedelta(days=1), 2000, 0, lambda: demo_county.before_survey(d))
    )
    heapq.heappush(
        queue, (latest - timedelta(hours=20), 2001, 0, lambda: demo_county.expert_review(d))
    )
    heapq.heappush(
        queue, (latest - timedelta(hours=18), 2002, 0, lambda: demo_county.acknowledge_incoming(d))
    )
    # Issue 21: a year of cultivated land (app/demo_farmland.py).
    from app import demo_farmland

    for k, (at, step) in enumerate(demo_farmland.steps(d, latest)):
        heapq.heappush(queue, (at, 3000 + k, 0, step))
    try:
        while queue:
            at, _, _, step = heapq.heappop(queue)
            with clock.frozen(at):
                step()
    finally:
        current_app.config["DOCUMENTS_MODE"] = mode
    from app.services import documents

    with clock.frozen(latest + timedelta(days=1)):
        issued = documents.run_pending(limit=10_000)
    # Today's reminders (催办) of the deadlines the demo's history has let pass (§11).
    from app.services import deadlines

    reminded = deadlines.remind()
    states = db.session.execute(select(Case.state, func.count()).group_by(Case.state)).all()
    lines = [
        f"演示州已创建：陇川县 {len(PLOTS)} 个地块，芒市、瑞丽市 {len(demo_county.PLOTS)} 个，"
        f"签发回执与联单 {issued['rendered']} 份。"
        f"用户密码均为 {DEMO_PASSWORD}",
        f"逾期期限 {reminded['overdue']} 项，今日催办 {reminded['reminders_sent']} 条。",
        f"疑似污染地块 {db.session.scalar(select(func.count()).select_from(Suspect))} 个"
        f"（其中责令调查 1 个），重点监管单位 "
        f"{db.session.scalar(select(func.count()).select_from(KeyUnit))} 家。",
    ]
    from app.services import farmland_indicators

    year = (latest - timedelta(days=200)).year
    rate = farmland_indicators.compute(frozenset({regions.home()}), year).total
    lines.append(f"耕地单元 {rate.units} 个；{year} 年受污染耕地安全利用率 {rate.rate}%"
                 f"（{rate.achieved_mu} ÷ {rate.contaminated_mu} 亩）。")  # fmt: skip
    lines += [f"  用户 {u[0]}（{u[4]}）" for u in USERS + demo_county.USERS]
    lines += [f"  {state}: {n}" for state, n in sorted(states)]
    return "\n".join(lines)
