"""Risk control (issue 15): the control plan, monitoring values against its limits,
alerts that block the evaluation until emergency measures are filed, the public
announcement and area, and the monitoring duty after release."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db as _db
from app.models import LedgerEvent

AREA = {"type": "Polygon",
        "coordinates": [[[97.79, 24.28], [97.80, 24.28], [97.80, 24.29], [97.79, 24.29], [97.79, 24.28]]]}  # fmt: skip


def plan(**overrides) -> dict:
    data = {
        "measures": "设置防渗阻隔层，禁止开挖和种植，地下水禁止取用",
        "control_area": AREA,
        "signs": "四周设置警示标识牌 8 块",
        "announcement": "本地块实施风险管控，管控区域内禁止擅自开挖、种植和取用地下水。",
        "monitoring_plan": {
            "media": ["groundwater", "soil"],
            "frequency_days": 90,
            "points": [{"point_id": "GW1", "medium": "groundwater"},
                       {"point_id": "S1", "medium": "soil"}],
            "limits": [{"medium": "groundwater", "pollutant": "铅", "limit": 0.1, "unit": "mg/L"},
                       {"medium": "soil", "pollutant": "镉", "limit": 65, "unit": "mg/kg"}],
        },
    }  # fmt: skip
    data.update(overrides)
    return data


def monitoring(world, values, *, expect=201):
    data = {"unit_credit_code": world.surveyor.party.credit_code,
            "media": ["groundwater", "soil"], "summary": "按方案开展第二季度监测", "values": values}  # fmt: skip
    return world.file("landholder", world.cid, "monitoring_report", data, expect=expect)


@pytest.fixture
def controlled(world):
    world.cid = world.to_state("risk_control")
    world.file("landholder", world.cid, "risk_control_plan", plan())
    return world.cid


def test_a_bad_plan_is_refused_field_by_field(world):
    cid = world.to_state("risk_control")
    bad = plan(control_area={"type": "Point", "coordinates": [97.79, 24.28]})
    bad["monitoring_plan"]["limits"][0]["unit"] = "mg/kg"  # a soil unit for groundwater
    bad["monitoring_plan"]["limits"].append(
        {"medium": "air", "pollutant": "苯", "limit": 1, "unit": "mg/m3"}
    )
    body = world.file("landholder", cid, "risk_control_plan", bad, expect=400)
    fields = body["error"]["fields"]
    assert {"control_area", "monitoring_plan.limits[0].unit",
            "monitoring_plan.limits[2].medium"} <= set(fields)  # fmt: skip


def test_an_exceedance_alerts_and_blocks_the_evaluation_until_measures_are_filed(world, controlled):
    cid = controlled
    # 120 μg/L is above 0.1 mg/L; 30 mg/kg of cadmium is below 65.
    monitoring(world, [{"point_id": "GW1", "medium": "groundwater", "pollutant": "Pb",
                        "value": 120, "unit": "μg/L"},
                       {"point_id": "S1", "medium": "soil", "pollutant": "镉", "value": 30,
                        "unit": "mg/kg"}])  # fmt: skip
    case = world.case(cid, "env")
    alerts = case["control"]["open_alerts"]
    assert len(alerts) == 1 and alerts[0]["exceedances"][0]["pollutant"] == "Pb"
    events = _db.session.scalars(
        select(LedgerEvent.action).where(LedgerEvent.case_id == cid).order_by(LedgerEvent.seq)
    ).all()
    assert events[-2:] == ["monitoring_report", "control_alert"]
    for who in ("env", "landholder"):
        kinds = [n["kind"] for n in world.get(who, "/notifications").get_json()["items"]]
        assert "control_alert" in kinds, who
    body = world.act("landholder", cid, "start_evaluation", expect=409)
    assert "no_open_alert" in body["error"]["message"]

    world.file("landholder", cid, "emergency_measures",
               {"measures": "停止抽取地下水，加密监测并设置隔离围挡", "isolation": True})  # fmt: skip
    assert world.case(cid, "env")["control"]["open_alerts"] == []
    world.act("landholder", cid, "start_evaluation")
    assert world.case(cid, "env")["state"] == "evaluation"


def test_values_within_the_limits_raise_nothing(world, controlled):
    monitoring(world, [{"point_id": "GW1", "medium": "groundwater", "pollutant": "铅",
                        "value": 80, "unit": "ug/l"}])  # fmt: skip
    assert world.case(controlled, "env")["control"]["open_alerts"] == []
    body = monitoring(world, [{"point_id": "GW1", "medium": "groundwater", "pollutant": "铅",
                               "value": 80, "unit": "mg/kg"}], expect=400)  # fmt: skip
    assert "values[0].unit" in body["error"]["fields"]


def test_a_plan_is_required_first_where_configured(app, world, monkeypatch):
    cid = world.to_state("risk_control")
    world.cid = cid
    monitoring(world, [])  # DESIGN §3 as before: no plan needed by default
    monkeypatch.setitem(app.config, "RISK_CONTROL_PLAN_REQUIRED", True)
    body = monitoring(world, [], expect=409)
    assert "risk_control_plan" in body["error"]["message"]
    world.file("landholder", cid, "risk_control_plan", plan())
    monitoring(world, [])


def test_the_public_sees_the_area_the_announcement_and_the_alert(world, controlled, client):
    code = world.case(controlled, "env")["site"]["code"]
    monitoring(world, [{"point_id": "GW1", "medium": "groundwater", "pollutant": "铅",
                        "value": 0.5, "unit": "mg/L"}])  # fmt: skip
    data = client.get(f"/api/v1/public/sites/{code}").get_json()
    assert data["control_plan"]["announcement"].startswith("本地块实施风险管控")
    assert data["control_plan"]["control_area"]["type"] == "Polygon"
    assert "GW1" not in str(data["control_plan"])  # monitoring points stay internal
    assert {"control_plan", "control_alert"} <= {e["event"] for e in data["timeline"]}
    html = client.get(f"/sites/{code}").get_data(as_text=True)
    assert 'data-testid="control-plan"' in html and 'id="control-map"' in html


def test_a_plot_released_after_control_keeps_a_monitoring_duty(world, controlled):
    cid = controlled
    monitoring(world, [])
    world.act("landholder", cid, "start_evaluation")
    world.post("landholder", f"/cases/{cid}/assignments",
               {"role": "evaluator", "credit_code": world.evaluator.party.credit_code})  # fmt: skip
    world.file("evaluator", cid, "evaluation_report", world.evaluation_data())
    world.act("evaluator", cid, "submit")
    world.act("nr", cid, "cosign")
    world.act("env", cid, "approve")
    case = world.case(cid, "landholder")
    assert case["state"] == "released"
    duty = [d for d in case["deadlines"] if d["kind"] == "post_release_monitoring"]
    assert len(duty) == 1 and duty[0]["owner"] == "responsible"
    first_due = duty[0]["due"]
    # A monitoring report after release meets it and starts the next period.
    monitoring(world, [])
    duty = [d for d in world.case(cid, "landholder")["deadlines"]
            if d["kind"] == "post_release_monitoring"]  # fmt: skip
    assert len(duty) == 1 and duty[0]["due"] >= first_due
    # An exceedance after release alerts too, and the measures that close it can be filed.
    monitoring(world, [{"point_id": "GW1", "medium": "groundwater", "pollutant": "铅",
                        "value": 0.4, "unit": "mg/L"}])  # fmt: skip
    assert len(world.case(cid, "env")["control"]["open_alerts"]) == 1
    world.file("landholder", cid, "emergency_measures", {"measures": "停止取水", "isolation": True})
    assert world.case(cid, "env")["control"]["open_alerts"] == []


def test_a_plot_released_after_works_has_no_such_duty(world):
    cid = world.to_state("released")
    case = world.case(cid, "landholder")
    assert not [d for d in case["deadlines"] if d["kind"] == "post_release_monitoring"]
    world.cid = cid
    monitoring(world, [], expect=409)
