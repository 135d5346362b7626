"""The farmland desk in HTML (issue 21): register a unit, import its samples, confirm
the class the standard gives; agriculture officers reach cultivated land only; the
public sees aggregates by township, never a parcel."""

from __future__ import annotations

import io
import json

from sqlalchemy import select

from app.extensions import db
from app.models import FarmlandUnit
from app.services import clock, farmland, regions
from tests.support import bearer, make_user
from tests.web.conftest import ledger_count, page

UNIT = {"name": "景罕镇广宋村坝区水田", "township": "景罕镇", "village": "广宋村", "area_mu": "86.4",
        "land_use": "paddy", "crop": "水稻", "holder": "广宋村村民委员会"}  # fmt: skip
SAMPLES = ("点位编号,采样日期,pH,镉,铅,砷,汞,铬\n"
           "GS-1,2026-05-12,5.9,0.62,70,14,0.3,120\n"
           "GS-2,2026-05-12,6.1,0.35,60,12,0.2,110\n").encode()  # fmt: skip


def test_an_officer_registers_imports_and_confirms_a_class(world, login_as):
    officer = login_as(world.env.user)
    r = officer.post("/farmland/", data={**UNIT, "area_mu": "-3"})
    assert r.status_code == 400 and page(r).errors_beside("area_mu")
    r = officer.post("/farmland/", data=UNIT)
    assert r.status_code == 302, r.get_data(as_text=True)[:400]
    unit_url = r.headers["Location"]
    unit = db.session.scalar(select(FarmlandUnit))

    bad = officer.post(unit_url + "/samples", data={"file": (io.BytesIO(b"x,y\n1,2\n"), "s.csv")},
                       content_type="multipart/form-data")  # fmt: skip
    assert bad.status_code == 400 and "表头" in bad.get_data(as_text=True)
    r = officer.post(unit_url + "/samples", data={"file": (io.BytesIO(SAMPLES), "样品.csv")},
                     content_type="multipart/form-data")  # fmt: skip
    assert r.status_code == 302
    html = officer.get(unit_url).get_data(as_text=True)
    assert 'data-testid="proposed-class">按标准划分：<strong>安全利用类' in html
    assert "0.62" in html and "5.5&lt;pH≤6.5" in html

    before = ledger_count()
    r = officer.post(unit_url + "/classification", data={"class_": "priority", "reason": ""})
    assert r.status_code == 400 and page(r).errors_beside("reason")
    assert ledger_count() == before
    r = officer.post(unit_url + "/classification", data={"class_": "safe_use", "reason": ""})
    assert r.status_code == 302
    html = officer.get(unit_url).get_data(as_text=True)
    assert f"陇环土农〔{clock.today().year}〕1号" in html
    db.session.expire_all()
    assert unit.current_class == "safe_use"
    listing = officer.get("/farmland/?class=safe_use").get_data(as_text=True)
    assert unit.code in listing

    r = officer.post(unit_url + "/measures", data={"year": clock.today().year, "kind": "liming",
                                                   "area_mu": "80", "note": "每亩 150 公斤"})  # fmt: skip
    assert r.status_code == 302
    r = officer.post(unit_url + "/crops", data={"year": clock.today().year, "crop": "rice",
                                                "pollutant": "cadmium", "value_mg_kg": "0.12",
                                                "sampled_on": clock.today().isoformat()})  # fmt: skip
    assert r.status_code == 302
    rate = officer.get("/farmland/indicators").get_data(as_text=True)
    assert "92.6%" in rate  # 80 of 86.4 mu used safely


def test_agriculture_officers_reach_cultivated_land_only(world, login_as):
    agri = make_user("bureau", department="agriculture")
    desk = login_as(agri)
    assert desk.get("/account").headers["Location"].endswith("/farmland/")
    assert desk.get("/farmland/").status_code == 200
    assert desk.post("/farmland/", data=UNIT).status_code == 302
    unit = db.session.scalar(select(FarmlandUnit))
    assert desk.get("/review/").status_code == 403
    assert desk.get("/review/cases").status_code == 403
    # They propose; the bureau confirms.
    r = desk.post(f"/farmland/units/{unit.id}/classification", data={"class_": "strict"})
    assert r.status_code == 403
    token = bearer(agri)
    assert world.client.get("/api/v1/cases", headers=token).status_code == 403
    assert world.client.get("/api/v1/me", headers=token).status_code == 200
    # Natural resources officers read cultivated land, and record nothing.
    nr = login_as(world.nr.user)
    assert nr.get(f"/farmland/units/{unit.id}").status_code == 200
    assert nr.post("/farmland/", data=UNIT).status_code == 403


def test_another_countys_unit_is_not_found(world, login_as):
    regions.serve("533103")
    admin = world.admin.user
    unit = farmland.register(admin, {**UNIT, "area_mu": 10, "county": "533103"})
    officer = login_as(world.env.user)
    assert officer.get(f"/farmland/units/{unit.id}").status_code == 404
    assert unit.code not in officer.get("/farmland/").get_data(as_text=True)


def test_the_public_sees_aggregates_by_township_and_no_parcel(world, client):
    env = world.env.user
    unit = farmland.register(env, {**UNIT, "area_mu": 50})
    farmland.import_samples(env, unit, "s.csv", SAMPLES)
    farmland.confirm(env, unit, "safe_use")
    html = client.get("/indicators/farmland").get_data(as_text=True)
    assert "景罕镇" in html and "计算方法" in html
    assert unit.name not in html and unit.code not in html and "广宋村" not in html
    data = client.get("/api/v1/public/farmland").get_json()
    assert data["total"]["area_mu"]["safe_use"] == 50 and data["total"]["rate_pct"] == 0.0
    assert "units" not in data
    assert client.get("/api/v1/public/farmland?county=不存在县").status_code == 400
    assert client.get("/api/v1/public/farmland?year=1999").status_code == 400


def test_a_plot_converted_from_farmland_shows_the_lands_history(world, login_as):
    env = world.env.user
    unit = farmland.register(env, {**UNIT, "area_mu": 12})
    farmland.import_samples(env, unit, "s.csv", SAMPLES)
    farmland.confirm(env, unit, "safe_use")
    converted = world.register(name="原广宋村水田转用地块", trigger="agricultural_conversion")
    other = world.register(name="普通用途变更地块")
    officer = login_as(env)
    url = f"/farmland/units/{unit.id}/site"
    r = officer.post(url, data={"site_code": other["code"]})
    assert r.status_code == 400 and "农用地转为建设用地" in page(r).errors_beside("site_code")[0]
    r = officer.post(url, data={"site_code": "533124-2099-99999"})
    assert r.status_code == 400
    before = ledger_count()
    r = officer.post(url, data={"site_code": converted["code"]})
    assert r.status_code == 302 and ledger_count() == before + 1
    case_page = officer.get(f"/review/cases/{converted['case']['id']}").get_data(as_text=True)
    assert 'data-testid="farmland-history"' in case_page
    assert unit.code in case_page and f"陇环土农〔{clock.today().year}〕1号" in case_page
    assert "镉 0.62 mg/kg" in case_page
    # The landholder sees their land's history on their own case page too.
    holder = login_as(world.landholder.user)
    mine = holder.get(f"/portal/cases/{converted['case']['id']}").get_data(as_text=True)
    assert unit.code in mine
    plain = officer.get(f"/review/cases/{other['case']['id']}").get_data(as_text=True)
    assert 'data-testid="farmland-history"' not in plain
    # Agriculture officers may not link (the bureau's record of the plot).
    agri = login_as(make_user("bureau", department="agriculture"))
    assert agri.post(url, data={"site_code": converted["code"]}).status_code == 403


def test_a_boundary_is_checked_and_kept(world, login_as):
    officer = login_as(world.env.user)
    bad = officer.post("/farmland/", data={**UNIT, "geometry": '{"type": "Point"}'})
    assert bad.status_code == 400 and "Polygon" in bad.get_data(as_text=True)
    ring = [[97.9, 24.2], [97.91, 24.2], [97.91, 24.21], [97.9, 24.2]]
    shape = json.dumps({"type": "Polygon", "coordinates": [ring]})
    good = officer.post("/farmland/", data={**UNIT, "geometry": shape})
    assert good.status_code == 302
    unit = db.session.scalar(select(FarmlandUnit))
    assert unit.geometry == {"type": "Polygon", "coordinates": [ring]}


def test_the_register_of_classified_land_as_a_spreadsheet(world, login_as):
    env = world.env.user
    unit = farmland.register(env, {**UNIT, "name": "=HYPERLINK(1)", "area_mu": 20})
    farmland.import_samples(env, unit, "s.csv", SAMPLES)
    row = farmland.confirm(env, unit, "safe_use")
    r = login_as(env).get("/farmland/register.csv")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    lines = r.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert lines[0].startswith("单元编码,单元名称")
    assert lines[1].split(",")[:2] == [unit.code, "'=HYPERLINK(1)"]
    assert "安全利用类" in lines[1] and row.number in lines[1]


def test_non_ascii_digits_in_page_and_year_are_ignored_or_refused(world, login_as, client):
    officer = login_as(world.env.user)
    assert officer.get("/farmland/?page=²").status_code == 200
    assert officer.get("/farmland/indicators?year=²⁰²⁶").status_code == 200
    assert client.get("/api/v1/public/farmland?year=²⁰²⁶").status_code == 400
    assert client.get("/indicators/farmland?year=²⁰²⁶").status_code == 400
