"""Risk control in the portal and on the desk (issue 15): the plan, monitoring with
values, the alert banner and mark, emergency measures — through the forms."""

from __future__ import annotations

import json

from tests.web.conftest import page

AREA = {"type": "Polygon",
        "coordinates": [[[97.79, 24.28], [97.80, 24.28], [97.80, 24.29], [97.79, 24.28]]]}  # fmt: skip


def test_the_holder_files_the_plan_monitoring_and_measures_through_the_forms(world, login_as):
    cid = world.to_state("risk_control")
    holder = login_as(world.landholder.user)
    html = holder.get(f"/portal/cases/{cid}").get_data(as_text=True)
    assert f"/portal/cases/{cid}/file/risk_control_plan" in html
    plan = {"measures": "阻隔层与围挡", "control_area": json.dumps(AREA), "signs": "警示牌 4 块",
            "announcement": "禁止擅自开挖", "media": ["groundwater"], "frequency_days": "90",
            "points": "GW1,groundwater", "limits": "groundwater,铅,0.1,mg/L"}  # fmt: skip
    r = holder.post(f"/portal/cases/{cid}/file/risk_control_plan",
                    data={**plan, "limits": "groundwater,铅,abc,mg/L"})  # fmt: skip
    assert r.status_code == 400 and page(r).errors_beside("limits")
    r = holder.post(f"/portal/cases/{cid}/file/risk_control_plan", data=plan)
    assert r.status_code == 302, r.get_data(as_text=True)[:600]

    monitoring = {"unit_credit_code": world.surveyor.party.credit_code, "media": ["groundwater"],
                  "summary": "GW1 铅偏高", "values": "GW1,groundwater,铅,0.35,mg/L"}  # fmt: skip
    r = holder.post(f"/portal/cases/{cid}/file/monitoring_report", data=monitoring)
    assert r.status_code == 302, r.get_data(as_text=True)[:600]
    html = holder.get(f"/portal/cases/{cid}").get_data(as_text=True)
    assert 'data-testid="control-alerts"' in html and "0.35 mg/L" in html
    officer = login_as(world.env.user)
    assert 'data-alert="true"' in officer.get("/review/cases").get_data(as_text=True)
    assert "每 90 天监测" in officer.get(f"/review/cases/{cid}").get_data(as_text=True)

    r = holder.post(f"/portal/cases/{cid}/file/emergency_measures",
                    data={"measures": "停止取水，设隔离围挡", "isolation": "true"})  # fmt: skip
    assert r.status_code == 302
    html = holder.get(f"/portal/cases/{cid}").get_data(as_text=True)
    assert 'data-testid="control-alerts"' not in html
    assert 'data-alert="true"' not in officer.get("/review/cases").get_data(as_text=True)
