"""Demo cultivated land of 陇川县 (issue 21): units in all three classes across six
townships, registered and sampled by the agriculture officer, classified by the
environment officer (one reclassified), a year of measures and crop results.

The safe-use rate it gives (the year of the measures):
(120 + 80 + 95 + 60 safe-use mu used safely + 45 + 20 strict-control mu under
control) ÷ (120 + 80 + 30 + 95 + 60 + 45 + 25) = 420 ÷ 455 = 92.3 %; 陇把村's
vegetables exceed GB 2762 (cadmium 0.25 > 0.2), 城子村 has left farming on 20 of its
25 mu.
"""

from __future__ import annotations

from datetime import timedelta

from app.services import clock, farmland

# key, name, township, village, mu, land use, crop, holder,
# samples [(point, pH, {item: mg/kg})], later samples (a reclassification) or None
UNITS = [
    ("dx", "迭撒村一组水田", "章凤镇", "迭撒村", 120, "paddy", "水稻", "迭撒村村民委员会",
     [("DX-1", 5.8, {"镉": 0.55, "铅": 62, "砷": 14, "汞": 0.21, "铬": 95}),
      ("DX-2", 6.1, {"镉": 0.48, "铅": 58, "砷": 12, "汞": 0.18, "铬": 88})], None),
    ("mn", "芒弄村坝区水田", "章凤镇", "芒弄村", 45, "paddy", "水稻", "芒弄村村民委员会",
     [("MN-1", 6.0, {"镉": 1.2, "铅": 88, "砷": 16, "汞": 0.25, "铬": 110})],
     [("MN-2", 6.0, {"镉": 2.4, "铅": 91, "砷": 17, "汞": 0.27, "铬": 112}),
      ("MN-3", 6.2, {"镉": 2.1, "铅": 85, "砷": 15, "汞": 0.22, "铬": 105})]),
    ("lm", "拉勐村旱地", "章凤镇", "拉勐村", 150, "dryland", "玉米", "拉勐村村民委员会",
     [("LM-1", 6.6, {"镉": 0.18, "铅": 40, "砷": 10, "汞": 0.1, "铬": 70})], None),
    ("ll", "吕良村水田", "陇把镇", "吕良村", 80, "paddy", "水稻", "吕良村村民委员会",
     [("LL-1", 6.2, {"镉": 0.3, "铅": 150, "砷": 18, "汞": 0.2, "铬": 100})], None),
    ("la", "龙安村旱地", "陇把镇", "龙安村", 210, "dryland", "甘蔗", "龙安村村民委员会",
     [("LA-1", 5.9, {"镉": 0.2, "铅": 45, "砷": 11, "汞": 0.12, "铬": 80})], None),
    ("lb", "陇把村蔬菜基地", "陇把镇", "陇把村", 30, "vegetable", "叶菜", "陇把蔬菜专业合作社",
     [("LB-1", 6.8, {"镉": 0.45, "铅": 55, "砷": 12, "汞": 0.15, "铬": 90})], None),
    ("gs", "广宋村水田", "景罕镇", "广宋村", 95, "paddy", "水稻", "广宋村村民委员会",
     [("GS-1", 6.0, {"镉": 0.35, "铅": 70, "砷": 35, "汞": 0.2, "铬": 120})], None),
    ("jh", "景罕村水田", "景罕镇", "景罕村", 130, "paddy", "水稻", "景罕村村民委员会",
     [("JH-1", 6.4, {"镉": 0.25, "铅": 60, "砷": 20, "汞": 0.2, "铬": 100})], None),
    ("cz", "城子村沿河水田", "城子镇", "城子村", 25, "paddy", "水稻", "城子村村民委员会",
     [("CZ-1", 7.0, {"镉": 3.5, "铅": 120, "砷": 22, "汞": 0.3, "铬": 130})], None),
    ("hs", "户撒村旱地", "户撒阿昌族乡", "户撒村", 60, "dryland", "玉米", "户撒村村民委员会",
     [("HS-1", 5.4, {"镉": 0.5, "铅": 50, "砷": 15, "汞": 0.2, "铬": 90})], None),
    ("hg", "护国村果园", "护国乡", "护国村", 70, "orchard", "柑橘", "护国村村民委员会",
     [("HG-1", 5.2, {"镉": 0.2, "铅": 45, "砷": 12, "汞": 0.15, "铬": 85, "铜": 180})], None),
]  # fmt: skip

# key: [(measure kind, mu)], [(crop, item key, mg/kg)]
YEAR = {
    "dx": ([("liming", 120), ("variety_replacement", 120)], [("rice", "cadmium", 0.12)]),
    "ll": ([("water_management", 80)], [("rice", "lead", 0.15)]),
    "lb": ([("foliar_control", 30)], [("leafy_vegetable", "cadmium", 0.25)]),
    "gs": ([("variety_replacement", 95)], [("rice", "arsenic", 0.15)]),
    "hs": ([("liming", 60)], [("corn", "cadmium", 0.05)]),
    "mn": ([("crop_change", 45)], []),
    "cz": ([("leave_farming", 20)], []),
}


def _sheet(points) -> bytes:
    items = sorted({k for _, _, values in points for k in values}, key="镉汞砷铅铬铜".index)
    lines = ["点位编号,采样日期,pH," + ",".join(items)]
    day = clock.today().isoformat()
    for point, ph, values in points:
        lines.append(f"{point},{day},{ph}," + ",".join(str(values.get(k, "")) for k in items))
    return ("\n".join(lines) + "\n").encode("utf-8")


def steps(d, latest) -> list[tuple]:
    """(when, step) of the units' year, for the demo's timeline: registered and sampled
    by the agriculture officer, classified by the environment officer, one reclassified
    after more samples, then the year's measures and crop results."""
    units: dict = {}
    measures_at, crops_at = latest - timedelta(days=200), latest - timedelta(days=60)
    year = measures_at.year
    crops_on = (crops_at if crops_at.year == year else measures_at).date().isoformat()

    def register():
        agri = d.u("agri_officer")
        for key, name, town, village, mu, use, crop, holder, points, _ in UNITS:
            units[key] = farmland.register(agri, {
                "name": name, "township": town, "village": village, "area_mu": mu,
                "land_use": use, "crop": crop, "holder": holder})  # fmt: skip
            farmland.import_samples(agri, units[key], f"{key}-土壤样品.csv", _sheet(points))

    def classify():
        env = d.u("env_officer")
        for key, *_ in UNITS:
            farmland.confirm(env, _fresh(units[key]), farmland.proposal(units[key])[0])

    def reclassify():
        agri, env = d.u("agri_officer"), d.u("env_officer")
        for key, *rest in UNITS:
            if rest[-1]:  # more samples, and the unit reclassified
                unit = _fresh(units[key])
                farmland.import_samples(agri, unit, f"{key}-补充采样.csv", _sheet(rest[-1]))
                farmland.confirm(env, unit, farmland.proposal(unit)[0],
                                 "补充采样镉含量超过管制值，调整为严格管控类")  # fmt: skip

    def measures():
        agri = d.u("agri_officer")
        for key, (done, _) in YEAR.items():
            for kind, mu in done:
                farmland.record_measure(agri, _fresh(units[key]),
                                        {"year": year, "kind": kind, "area_mu": mu})  # fmt: skip

    def crops():
        agri = d.u("agri_officer")
        for key, (_, results) in YEAR.items():
            for crop, item, value in results:
                farmland.record_crop_result(agri, _fresh(units[key]), {
                    "year": year, "crop": crop, "pollutant": item, "value_mg_kg": value,
                    "sampled_on": crops_on})  # fmt: skip

    return [(latest - timedelta(days=260), register), (latest - timedelta(days=240), classify),
            (latest - timedelta(days=215), reclassify), (measures_at, measures),
            (crops_at, crops)]  # fmt: skip


def _fresh(unit):
    from app.extensions import db

    return db.session.get(type(unit), unit.id)
