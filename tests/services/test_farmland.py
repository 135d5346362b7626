"""Cultivated land by GB 15618-2018 (issue 21): the standard's values by pH band and
land use at their edges, classification from samples, confirmation with a numbered
decision and its history, measures and crop results, and the safe-use rate on data
computed by hand."""

from __future__ import annotations

import io
import math
from datetime import date
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from app.errors import Forbidden, ValidationError
from app.extensions import db
from app.models import FarmlandClassification, FarmlandSample, LedgerEvent
from app.services import clock, farmland, farmland_indicators
from app.services.screening import farmland as standard
from tests.support import make_user

ROOT = Path(__file__).resolve().parents[2]


# ---------------------------------------------------------------- the standard


def test_the_apps_copy_of_the_standard_is_the_checked_reference():
    reference = ROOT.parent / "shared" / "reference" / "gb15618_2018.csv"
    if not reference.exists():
        pytest.skip("the shared reference folder is not beside this checkout")
    assert standard.DATA_FILE.read_bytes() == reference.read_bytes()


@pytest.mark.parametrize(
    ("ph", "band"),
    [(0, "<=5.5"), (5.5, "<=5.5"), (5.5000001, "5.5-6.5"), (6.5, "5.5-6.5"), (6.51, "6.5-7.5"),
     (7.5, "6.5-7.5"), (7.5000001, ">7.5"), (14, ">7.5")],
)  # fmt: skip
def test_ph_bands_close_on_their_upper_edge(ph, band):
    assert standard.band_of(ph) == band


@pytest.mark.parametrize("ph", [-0.1, 14.01, math.nan, math.inf, "6.5", None, True])
def test_a_ph_outside_0_to_14_or_not_a_number_is_refused(ph):
    with pytest.raises(ValueError):
        standard.band_of(ph)


@pytest.mark.parametrize(
    ("key", "land_use", "ph", "screening", "intervention"),
    [
        ("cadmium", "paddy", 5.5, 0.3, 1.5),
        ("cadmium", "paddy", 6.0, 0.4, 2.0),
        ("cadmium", "paddy", 7.0, 0.6, 3.0),
        ("cadmium", "paddy", 8.0, 0.8, 4.0),
        ("cadmium", "dryland", 6.0, 0.3, 2.0),  # 其他: land other than paddy
        ("cadmium", "orchard", 8.0, 0.6, 4.0),
        ("mercury", "vegetable", 7.0, 2.4, 4.0),
        ("arsenic", "paddy", 7.5, 25, 120),
        ("lead", "paddy", 7.51, 240, 1000),
        ("chromium", "other", 5.0, 150, 800),
        ("copper", "orchard", 5.0, 150, None),  # 果园 for copper
        ("copper", "paddy", 5.0, 50, None),  # every other land: 其他
        ("nickel", "paddy", 6.5, 70, None),  # 不分
        ("zinc", "orchard", 7.6, 300, None),
        ("benzo_a_pyrene", "paddy", 4.0, 0.55, None),  # one value for every pH
    ],
)
def test_values_by_pollutant_ph_and_land_use(key, land_use, ph, screening, intervention):
    limits = standard.limits_for(key, land_use, ph)
    assert (limits.screening, limits.intervention) == (screening, intervention)


@pytest.mark.parametrize(
    ("value", "level", "class_"),
    [(0.4, "below_screening", "priority"),  # equal to the screening value: not "exceeds"
     (0.4001, "above_screening", "safe_use"),
     (2.0, "above_screening", "safe_use"),  # equal to the intervention value
     (2.0001, "above_intervention", "strict")],
)  # fmt: skip
def test_exceeds_is_strictly_greater_at_both_values(value, level, class_):
    r = standard.screen("cadmium", value, "paddy", 6.0)  # screening 0.4, intervention 2.0
    assert (r.level, r.class_) == (level, class_)


def test_the_worst_classifying_item_decides_and_copper_decides_nothing():
    results = [
        standard.screen("copper", 500, "paddy", 6.0),  # far above copper's screening value
        standard.screen("cadmium", 0.2, "paddy", 6.0),
        standard.screen("lead", 150, "paddy", 6.0),  # above 100, below 500: safe use
    ]
    assert results[0].level == "above_screening" and results[0].class_ is None
    class_, deciding = standard.classify(results)
    assert class_ == "safe_use" and deciding.key == "lead"
    assert standard.classify(results[:1]) == (None, None)
    results.append(standard.screen("arsenic", 121, "paddy", 7.0))  # intervention 120
    assert standard.classify(results)[0] == "strict"


def test_names_and_symbols_find_the_items():
    assert [standard.key_for(n) for n in ("镉", "Cd", "cadmium", "总铬", "六六六", "苯并[a]芘", "氯仿")] == [
        "cadmium", "cadmium", "cadmium", "chromium", "hch_total", "benzo_a_pyrene", None]  # fmt: skip


# ---------------------------------------------------------------- units and samples


UNIT = {"name": "章凤镇迭撒村一组水田", "township": "章凤镇", "village": "迭撒村", "area_mu": 120.5,
        "land_use": "paddy", "crop": "水稻", "holder": "迭撒村村民委员会"}  # fmt: skip
SHEET = "点位编号,采样日期,pH,镉,铅,砷,汞,铬,铜\n{rows}"


def _csv(*rows: str) -> bytes:
    return SHEET.format(rows="\n".join(rows)).encode("utf-8")


@pytest.fixture
def agri(app):
    return make_user("bureau", department="agriculture")


def _unit(user, **overrides):
    return farmland.register(user, {**UNIT, **overrides})


def test_a_unit_is_registered_numbered_and_recorded(world, agri):
    unit = _unit(agri)
    assert unit.code == "533124-GD-0001" and unit.county_code == "533124"
    assert _unit(world.env.user, name="第二单元").code == "533124-GD-0002"
    event = db.session.scalar(
        select(LedgerEvent).where(LedgerEvent.action == "farmland_unit_registered")
    )
    assert event.detail["unit"] == unit.code and event.actor == agri.username
    with pytest.raises(ValidationError) as bad:
        farmland.register(agri, {**UNIT, "area_mu": -1, "land_use": "moon", "name": ""})
    assert set(bad.value.fields) == {"area_mu", "land_use", "name"}
    with pytest.raises(Forbidden):  # natural resources reads, does not record
        farmland.register(world.nr.user, UNIT)


def test_samples_are_imported_all_or_nothing(world, agri):
    unit = _unit(agri)
    bad = _csv("S1,2026-05-10,6.2,0.5,80,12,0.2,200,40", "S2,2026-05-10,15,0.5,80,12,0.2,200,40",
               "S3,2026-05-10,6.0,-1,80,12,0.2,200,40")  # fmt: skip
    with pytest.raises(ValidationError) as refused:
        farmland.import_samples(agri, unit, "samples.csv", bad)
    assert any("pH" in m for m in refused.value.fields.values())
    assert any("非负数" in m for m in refused.value.fields.values())
    assert db.session.scalar(select(func.count()).select_from(FarmlandSample)) == 0
    good = _csv("S1,2026-05-10,6.2,0.5,80,12,0.2,200,40", "S2,2026-05-10,5.4,ND,60,10,0.1,100,30")
    assert farmland.import_samples(agri, unit, "samples.csv", good) == 11  # ND is not stored
    with pytest.raises(ValidationError):  # the same file again
        farmland.import_samples(agri, unit, "samples.csv", good)


def test_an_xlsx_sheet_with_a_title_row_is_read(world, agri):
    unit = _unit(agri)
    book = Workbook()
    sheet = book.active
    sheet.append(["陇川县耕地土壤样品检测结果"])
    sheet.append(["点位编号", "采样日期", "pH值", "镉(mg/kg)", "Pb"])
    sheet.append(["X1", date(2026, 4, 2), 7.8, 0.9, 260])
    raw = io.BytesIO()
    book.save(raw)
    assert farmland.import_samples(agri, unit, "样品.xlsx", raw.getvalue()) == 2
    proposed, deciding = farmland.proposal(unit)
    # pH 7.8 paddy: Cd 0.8/4.0 → above screening; Pb 240/1000 → above screening.
    assert proposed == "safe_use" and deciding.key in ("cadmium", "lead")


# ---------------------------------------------------------------- classification


def test_a_class_is_confirmed_with_a_number_and_a_reclassification_keeps_history(world, agri):
    unit = _unit(agri)
    farmland.import_samples(agri, unit, "s.csv", _csv("S1,2026-05-10,6.2,0.5,80,12,0.2,200,40"))
    assert farmland.proposal(unit)[0] == "safe_use"  # Cd 0.5 > 0.4, ≤ 2.0
    with pytest.raises(Forbidden):
        farmland.confirm(agri, unit, "safe_use")  # agriculture proposes, the bureau decides
    with pytest.raises(ValidationError) as refused:
        farmland.confirm(world.env.user, unit, "priority")
    assert "reason" in refused.value.fields
    first = farmland.confirm(world.env.user, unit, "safe_use")
    year = clock.today().year
    assert first.number == f"陇环土农〔{year}〕1号" and unit.current_class == "safe_use"
    assert first.basis["pollutant"] == "cadmium" and first.basis["screening"] == 0.4

    # New samples show cadmium above the intervention value: strict control.
    farmland.import_samples(agri, unit, "s2.csv", _csv("S4,2026-09-01,6.2,2.6,80,12,0.2,200,40"))
    second = farmland.confirm(world.env.user, unit, "strict")
    assert second.number == f"陇环土农〔{year}〕2号"
    history = farmland.history(unit)
    assert [h.class_ for h in history] == ["strict", "safe_use"]
    assert history[1].superseded_at == clock.today() and history[0].superseded_at is None
    events = db.session.scalars(
        select(LedgerEvent)
        .where(LedgerEvent.action == "farmland_classified")
        .order_by(LedgerEvent.seq)
    ).all()
    assert [e.detail["number"] for e in events] == [first.number, second.number]
    assert events[1].detail["previous"] == "safe_use"
    assert db.session.scalar(select(func.count()).select_from(FarmlandClassification)) == 2


def test_no_class_without_a_classifying_item(world, agri):
    unit = _unit(agri)
    farmland.import_samples(agri, unit, "cu.csv", b"point,date,ph,Cu\nS1,2026-05-10,6.0,900\n")
    with pytest.raises(ValidationError):
        farmland.confirm(world.env.user, unit, "safe_use")


def test_measures_follow_the_class_and_crop_results_their_limits(world, agri):
    unit = _unit(agri)
    year = clock.today().year
    with pytest.raises(ValidationError):  # not classified yet
        farmland.record_measure(agri, unit, {"year": year, "kind": "liming", "area_mu": 10})
    farmland.import_samples(agri, unit, "s.csv", _csv("S1,2026-05-10,6.2,0.5,80,12,0.2,200,40"))
    farmland.confirm(world.env.user, unit, "safe_use")
    with pytest.raises(ValidationError) as wrong:
        farmland.record_measure(agri, unit, {"year": year, "kind": "leave_farming", "area_mu": 500})
    assert set(wrong.value.fields) == {"kind", "area_mu"}
    farmland.record_measure(agri, unit, {"year": year, "kind": "liming", "area_mu": 120.5})
    result = farmland.record_crop_result(agri, unit, {
        "year": year, "crop": "rice", "pollutant": "cadmium", "value_mg_kg": 0.21,
        "sampled_on": clock.today().isoformat()})  # fmt: skip
    assert result.limit_mg_kg == 0.2  # GB 2762: rice, cadmium
    event = db.session.scalar(
        select(LedgerEvent).where(LedgerEvent.action == "farmland_crop_result_recorded")
    )
    assert event.detail["exceeds"] is True


# ---------------------------------------------------------------- the rate


def _classified(user, township: str, class_: str | None, area: float, name: str):
    unit = farmland.register(user, {**UNIT, "township": township, "area_mu": area, "name": name})
    if class_:
        row = FarmlandClassification(unit_id=unit.id, class_=class_, proposed_class=class_,
                                     basis={}, number=f"测试{unit.id}", decided_on=clock.today(),
                                     decided_by_id=user.id, created_at=clock.now())  # fmt: skip
        db.session.add(row)
        unit.current_class = class_
        db.session.commit()
    return unit


def test_the_safe_use_rate_on_hand_computed_data(world):
    env = world.env.user
    year = clock.today().year
    day = clock.today().isoformat()

    def measure(unit, kind, area):
        farmland.record_measure(env, unit, {"year": year, "kind": kind, "area_mu": area})

    def rice(unit, cd):
        farmland.record_crop_result(env, unit, {"year": year, "crop": "rice", "pollutant": "cadmium",
                                                "value_mg_kg": cd, "sampled_on": day})  # fmt: skip

    a = _classified(env, "章凤镇", "safe_use", 100, "A")  # measures, rice compliant: 100
    measure(a, "liming", 100)
    rice(a, 0.15)
    b = _classified(env, "章凤镇", "safe_use", 50, "B")  # measures, rice above 0.2: 0
    measure(b, "water_management", 50)
    rice(b, 0.25)
    c = _classified(env, "陇把镇", "strict", 30, "C")  # crops changed, nothing tested: 30
    measure(c, "crop_change", 30)
    _classified(env, "陇把镇", "strict", 20, "D")  # nothing done: 0
    _classified(env, "陇把镇", "priority", 200, "E")  # not contaminated: in neither term
    f = _classified(env, "陇把镇", "safe_use", 40, "F")  # half its area treated: 20
    measure(f, "variety_replacement", 20)
    rice(f, 0.1)
    g = _classified(env, "陇把镇", "safe_use", 10, "G")  # treated, never tested: 0
    measure(g, "liming", 10)
    _classified(env, "陇把镇", None, 5, "H")  # not classified yet

    result = farmland_indicators.compute(frozenset({"533124"}), year)
    # (100 + 30 + 20) / (100 + 50 + 40 + 10 + 30 + 20) = 150 / 250 = 60.0 %
    assert result.total.contaminated_mu == 250 and result.total.achieved_mu == 150
    assert result.total.rate == 60.0 and result.meets_target is False
    towns = {t.township: t for t in result.townships}
    assert towns["章凤镇"].rate == round(100 * 100 / 150, 1)  # 66.7
    assert towns["陇把镇"].rate == round(100 * 50 / 100, 1)  # 50.0
    assert towns["陇把镇"].area["priority"] == 200 and towns["陇把镇"].area["unclassified"] == 5
    status = {s.unit.name: s.status for s in result.units}
    assert status == {"A": "safe", "B": "exceeds", "C": "controlled", "D": "no_measure",
                      "F": "safe", "G": "not_tested"}  # fmt: skip
    # Last year: nothing recorded then, and the classes were not decided yet.
    before = farmland_indicators.compute(frozenset({"533124"}), year - 1)
    assert before.total.rate is None and before.total.area["unclassified"] == 455


def test_the_rate_costs_four_queries_whatever_the_units(world):
    from sqlalchemy import event

    env = world.env.user
    for n in range(6):
        _classified(env, "章凤镇", "safe_use", 10, f"U{n}")
    statements = []
    listener = lambda *a, **k: statements.append(a[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        db.session.expire_all()
        farmland_indicators.compute(frozenset({"533124"}), clock.today().year)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert len(statements) <= 4, statements


def test_a_boundary_nested_too_deep_is_a_field_error_not_a_crash(world, agri):
    with pytest.raises(ValidationError) as bad:
        farmland.register(agri, {**UNIT, "geometry": "[" * 100_000 + "]" * 100_000})
    assert "geometry" in bad.value.fields
