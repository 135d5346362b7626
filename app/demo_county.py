"""The demo county's work outside one plot's lifecycle story (wave 2): the lists
kept before the survey (§12), an expert panel and its meeting, a risk-control
plan (issue 15), and the prefecture around it (issue 18: 德宏州 with 陇川县, 芒市
and 瑞丽市, their officers and one of the prefecture, plots in the two others, a
transfer from 陇川 into 芒市 acknowledged by 芒市's bureau). Steps of
``app.demo.Demo``, run at their dates by ``build_demo``."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from app.demo_places import TOWNSHIPS
from app.demo_places import box as _box
from app.extensions import db
from app.models import Case, Site
from app.services import clock, experts, key_units, manifests, regions, suspects, workdays

if TYPE_CHECKING:
    from app.demo import Demo


def _site_of(d: Demo, key: str) -> Site:
    return db.session.get(Case, d.case_ids[key]).site


def before_survey(d: Demo) -> None:
    """§12: the year's key-unit list (one exceedance, one demolition plan), a unit
    that closed, and suspected plots from every source: one ordered, one dismissed."""
    env, year = d.u("env_officer"), clock.today().year
    for key, industry, township in (("smelter", "有色金属冶炼", "章凤镇"),
                                    ("plating", "电镀", "景罕镇"), ("sugar", "制糖", "章凤镇"),
                                    ("chemical", "化学原料制造", "城子镇")):  # fmt: skip
        key_units.create(env, {"credit_code": d.code(key), "year": year,
                               "industry": industry, "township": township,
                               "address": f"陇川县{township}工业片区"})  # fmt: skip
    sampled = (clock.today() - timedelta(days=12)).isoformat()
    for who, lead in (("smelter", 1350.0), ("plating", 96.0)):
        key_units.file(d.u(who), d.code(who), {
            "kind": "self_monitoring", "year": year, "monitoring_unit": d.parties["surveyor"].name,
            "sampled_on": sampled, "conclusion": "厂区土壤重金属监测结果见附表",
            "samples": [{"point_id": "T1", "depth_m": 0.2, "pollutant": "铅", "value": lead, "unit": "mg/kg"},
                        {"point_id": "T2", "depth_m": 0.5, "pollutant": "镉", "value": 4.2, "unit": "mg/kg"},
                        {"point_id": "T3", "depth_m": 0.2, "pollutant": "砷", "value": 21.0, "unit": "mg/kg"}]})  # fmt: skip
    start = workdays.add_workdays(clock.today(), 25)
    key_units.file(d.u("plating"), d.code("plating"), {
        "kind": "demolition_plan", "demolition_start": start.isoformat(),
        "demolition_end": (start + timedelta(days=45)).isoformat(),
        "facilities": "老电镀车间镀槽、废水处理站及地下管线",
        "measures": "拆除前清空槽液并交有资质单位处置；作业区铺设防渗膜、设置围挡和雨水导排；拆除过程监测",
        "waste_disposal": "含铬、镍污泥和废槽液作为危险废物交有资质单位处置", "contact": "段经理"})  # fmt: skip
    key_units.close(env, d.code("chemical"), {
        "status": "relocated", "date": (clock.today() - timedelta(days=5)).isoformat(),
        "boundary": _box("城子镇", 0.012, -0.008)})  # fmt: skip
    suspected = [
        ("景罕镇原农资仓库地块", "景罕镇", "景罕镇广宋村", "农药仓储", "use_change", "cityinvest", 0.01),
        ("章凤镇收回的原木材加工厂地块", "章凤镇", "章凤镇拉勐村", "木材防腐加工", "land_recovery", None, 0.014),
        ("户撒乡举报的废旧电池堆放点", "户撒阿昌族乡", "户撒乡芒炳村", "废旧电池收集", "tipoff", None, 0.0),
        ("清平乡执法检查发现的原选矿点", "清平乡", "清平乡清平村", "有色金属选矿", "inspection", None, 0.006),
        ("陇把镇原加油站地块", "陇把镇", "陇把镇吕良村", "油品储存", "inspection", "developer", -0.01),
    ]  # fmt: skip
    made = []
    for name, township, address, industry, source, holder, dx in suspected:
        payload = {"name": name, "township": township, "address": address,
                   "former_industry": industry, "source": source,
                   "boundary": _box(township, dx, 0.006)}  # fmt: skip
        if holder:
            payload["landholder_credit_code"] = d.code(holder)
        made.append(suspects.create(env, payload))
    suspects.order_survey(env, made[0].id, {"due": (clock.today() + timedelta(days=60)).isoformat(),
                                            "note": "规划调整为居住用地前须完成调查"})  # fmt: skip
    suspects.dismiss(
        env,
        made[4].id,
        {"reason": "核查加油站已按规范拆除油罐，检测未见异常，不纳入疑似污染地块"},
    )


def control_plan(d: Demo, key: str) -> None:
    """Issue 15: the control plan of a risk-control plot (area, signs, limits)."""
    lat, lon = TOWNSHIPS[_site_of(d, key).township]
    area = _box(_site_of(d, key).township, 0.0, 0.0, size=0.006)
    d.file(d.holder(key), key, "risk_control_plan", {
        "measures": "原仓库区域设置水泥硬化阻隔层，禁止开挖、种植和取用浅层地下水；设围挡隔离",
        "control_area": area,
        "signs": "管控区四周设置警示标识牌 6 块，标明管控范围、禁止事项和监督电话",
        "announcement": "本地块（原城子镇化肥仓库）实施土壤污染风险管控。管控区域内禁止擅自开挖、"
                        "种植农作物和取用地下水；如发现异常请拨打 12369。",
        "monitoring_plan": {"media": ["soil", "groundwater"], "frequency_days": 180,
                            "points": [{"point_id": "GW1", "medium": "groundwater", "lat": lat, "lon": lon},
                                       {"point_id": "GW2", "medium": "groundwater"},
                                       {"point_id": "S1", "medium": "soil"}],
                            "limits": [{"medium": "groundwater", "pollutant": "镉", "limit": 5, "unit": "μg/L"},
                                       {"medium": "soil", "pollutant": "镉", "limit": 65, "unit": "mg/kg"}]}})  # fmt: skip


def expert_review(d: Demo) -> None:
    """Issue 15: an expert pool (two of them employed by parties of p14, so they
    sit out), a panel drawn for p14's survey review, and its meeting."""
    env = d.u("env_officer")
    pool = [("李建华", "教授", ["soil", "risk"], None), ("张卫东", "研究员", ["groundwater"], None),
            ("刀美兰", "高级工程师", ["analysis"], None), ("杨志刚", "教授", ["remediation"], None),
            ("赵丽萍", "正高级工程师", ["management", "soil"], None),
            ("孟凡", "高级工程师", ["risk"], None), ("何伟", "工程师", ["soil"], "surveyor"),
            ("陈晓", "高级工程师", ["analysis"], "cityinvest")]  # fmt: skip
    for name, title, specialities, employer in pool:
        payload = {"name": name, "title": title, "specialities": specialities}
        if employer:
            payload["employer_credit_code"] = d.code(employer)
        experts.add(env, payload)
    panel = experts.draw(env, d.case_ids["p14"], {"size": 5})
    experts.record_meeting(env, panel.id, {
        "held_on": clock.today().isoformat(), "attendance": panel.members,
        "opinions": [{"expert_id": m, "opinion": text} for m, text in zip(panel.members, (
            "布点基本覆盖原窑炉和堆场，建议补充说明对照点选取依据。",
            "地下水监测井深度合理，结论可信。",
            "检测数据完整，质控样品比例符合要求。",
            "同意报告结论，建议完善历史影像分析。",
            "报告编制规范，同意通过。"), strict=True)],
        "conclusion": "pass", "summary": "专家组认为调查报告内容完整、结论可信，同意通过；请按专家意见完善后归档。"})  # fmt: skip


# ---------------------------------------------------------------- the prefecture (issue 18)

PREFECTURE = "533100"  # 德宏傣族景颇族自治州
NEIGHBOURS = {"533103": "mangshi", "533102": "ruili"}  # 芒市, 瑞丽市
PARTIES = {
    "mscity": ("芒市城市建设投资有限公司", "91533103MA6KDEM15", "enterprise"),
    "rlbank": ("瑞丽市土地收购储备中心", "12533102MB0DEM016", "institution"),
}
USERS = [
    # username, role, party key, department, display name, county, level
    ("mangshi_holder", "landholder", "mscity", None, "芒市城投 孟经理", None, None),
    ("ruili_holder", "landholder", "rlbank", None, "瑞丽收储中心 岩主任", None, None),
    ("mangshi_env", "bureau", None, "environment", "芒市生态环境分局 线科长", "533103", None),
    ("mangshi_nr", "bureau", None, "natural_resources", "芒市自然资源局 方科长", "533103", None),
    ("ruili_env", "bureau", None, "environment", "瑞丽市生态环境分局 尹科长", "533102", None),
    ("ruili_nr", "bureau", None, "natural_resources", "瑞丽市自然资源局 金科长", "533102", None),
    (
        "dehong_env",
        "bureau",
        None,
        "environment",
        "德宏州生态环境局 土壤科 刀科长",
        PREFECTURE,
        "prefecture",
    ),
]
# Plots of the two other counties, as app/demo.py's PLOTS, with their county.
PLOTS = [
    ("m01", "芒市原糖厂地块", "勐焕街道", "residential", "制糖", "use_change",
     "mscity", None, "listed"),
    ("m02", "风平镇原化工厂地块", "风平镇", "school", "化学原料制造", "use_change",
     "mscity", None, "survey_review"),
    ("r01", "瑞丽市原木材加工厂地块", "勐卯街道", "commercial", "木材加工", "use_change",
     "rlbank", None, "released_clean"),
]  # fmt: skip
PLOT_COUNTY = {"m01": "533103", "m02": "533103", "r01": "533102"}
HOLDER_USERS = {"mscity": "mangshi_holder", "rlbank": "ruili_holder"}


def serve_prefecture() -> None:
    """The deployment serves three counties of 德宏州 (the home county already)."""
    for code in NEIGHBOURS:
        regions.serve(code)


def officers_of(key: str) -> tuple[str, str]:
    """The environment and natural-resources officers deciding the plot's case."""
    prefix = NEIGHBOURS.get(PLOT_COUNTY.get(key, ""))
    return (f"{prefix}_env", f"{prefix}_nr") if prefix else ("env_officer", "nr_officer")


def acknowledge_incoming(d: Demo) -> None:
    """芒市's bureau confirms it was told of the first transfer from 陇川 into 芒市;
    the second waits on its desk."""
    officer = d.u("mangshi_env")
    page = manifests.list_for(officer, per_page=200)
    incoming = sorted((m for m in page.items if m.destination_county_code == "533103"
                       and m.origin_county_code != "533103"), key=lambda m: m.id)  # fmt: skip
    if incoming:
        manifests.acknowledge(
            officer, incoming[0].id, {"comment": "已知悉，将对接收单位开展现场核查"}
        )
