"""Many counties on one platform, the public side (issue 18): the register, its
JSON, GeoJSON and CSV filter by county and name each plot's county; each served
county has its page, a prefecture's page sums its served counties; the tip-off
form and the portal's plot form let the reader choose the county when there is
more than one to choose from."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Site, Tipoff
from app.public.forms import issue_timestamp
from app.services import clock, regions
from tests.public.helpers import api, html, plot
from tests.support import World
from tests.web.conftest import logged_in, page

LONGCHUAN, MANGSHI, RUILI = "533124", "533103", "533102"
DEHONG = "533100"


def mangshi_world(client) -> World:
    """A cast of its own for 芒市: its landholder, contractor ... and two officers
    of 芒市's bureau, who review its cases."""
    w = World.build(client)
    for key in ("env", "nr"):
        w.actors[key].user.region_code = MANGSHI
    db.session.commit()
    return w


@pytest.fixture
def two_counties(app, client, world):
    """陇川县 (the deployment's county) and 芒市 served: two public plots in 陇川,
    one public and one still in survey in 芒市."""
    regions.serve(MANGSHI)
    ml = mangshi_world(client)
    lc_listed, _ = plot(world, "listed", name="陇川冶炼厂地块", township="章凤镇")
    lc_control, _ = plot(world, "risk_control", name="陇川化工厂地块", township="景罕镇")
    ms_listed, _ = plot(ml, "listed", name="芒市糖厂地块", township="勐焕街道",
                        address="芒市勐焕街道团结路 4 号", county=MANGSHI)  # fmt: skip
    ms_survey = ml.register(name="芒市砖厂地块", township="勐焕街道", county=MANGSHI)["code"]
    return {"longchuan": {lc_listed, lc_control}, "mangshi": {ms_listed},
            "mangshi_survey": ms_survey}  # fmt: skip


def _codes(items) -> set[str]:
    return {i["code"] for i in items}


# ---------------------------------------------------------------- register: JSON, GeoJSON


def test_the_json_register_filters_by_county_and_names_each_plots_county(client, two_counties):
    everything = api(client, "/api/v1/public/sites?per_page=100")
    assert _codes(everything["items"]) == two_counties["longchuan"] | two_counties["mangshi"]
    by_code = {i["code"]: i for i in everything["items"]}
    for code in two_counties["longchuan"]:
        assert (by_code[code]["county_code"], by_code[code]["county"]) == (LONGCHUAN, "陇川县")
    (ms,) = two_counties["mangshi"]
    assert (by_code[ms]["county_code"], by_code[ms]["county"]) == (MANGSHI, "芒市")
    # Every field of the contract is still there.
    for key in ("code", "name", "township", "state", "land_category", "pollutants"):
        assert key in by_code[ms]

    mangshi = api(client, f"/api/v1/public/sites?county={MANGSHI}")
    assert _codes(mangshi["items"]) == two_counties["mangshi"] and mangshi["total"] == 1
    longchuan = api(client, f"/api/v1/public/sites?county={LONGCHUAN}&per_page=100")
    assert _codes(longchuan["items"]) == two_counties["longchuan"] and longchuan["total"] == 2
    # The plot still in survey is public nowhere, filtered or not.
    assert two_counties["mangshi_survey"] not in _codes(everything["items"])

    detail = api(client, f"/api/v1/public/sites/{ms}")
    assert (detail["county_code"], detail["county"]) == (MANGSHI, "芒市")
    assert detail["notice_board"] is None and "timeline" in detail


def test_the_county_filter_combines_with_the_others(client, two_counties):
    both = api(client, f"/api/v1/public/sites?county={LONGCHUAN}&state=risk_control")
    assert [i["name"] for i in both["items"]] == ["陇川化工厂地块"]
    assert api(client, f"/api/v1/public/sites?county={MANGSHI}&state=risk_control")["total"] == 0


def test_geojson_filters_by_county_and_carries_the_county(client, two_counties):
    fc = api(client, f"/api/v1/public/sites.geojson?county={MANGSHI}")
    assert [f["id"] for f in fc["features"]] == sorted(two_counties["mangshi"])
    props = fc["features"][0]["properties"]
    assert (props["county_code"], props["county"]) == (MANGSHI, "芒市")
    assert props["township"] == "勐焕街道" and props["state"] == "listed"
    everything = api(client, "/api/v1/public/sites.geojson")
    assert {f["properties"]["county_code"] for f in everything["features"]} == {LONGCHUAN, MANGSHI}


@pytest.mark.parametrize("value", ["999999", RUILI, "abc", "x" * 60, "瑞丽市"])
def test_a_county_the_platform_does_not_serve_is_a_400(client, two_counties, value):
    for url in ("/api/v1/public/sites", "/api/v1/public/sites.geojson"):
        body = api(client, f"{url}?county={value}", status=400)
        assert body["error"]["code"] == "validation_error", body
        assert "county" in body["error"]["fields"]
    assert client.get(f"/?county={value}").status_code == 400
    assert client.get(f"/open-data/sites.csv?county={value}").status_code == 400


def test_a_county_may_be_named(client, two_counties):
    named = api(client, "/api/v1/public/sites?county=芒市")
    assert _codes(named["items"]) == two_counties["mangshi"]


def test_kept_answers_are_kept_per_county(app, client, two_counties):
    """The register keeps whole answers per URL: the county is part of the key."""
    assert app.config["RESPONSE_CACHE_MB"] > 0
    first = client.get(f"/api/v1/public/sites?county={MANGSHI}")
    other = client.get(f"/api/v1/public/sites?county={LONGCHUAN}")
    assert first.headers["ETag"] != other.headers["ETag"]
    assert _codes(other.get_json()["items"]) == two_counties["longchuan"]
    again = client.get(f"/api/v1/public/sites?county={MANGSHI}")
    assert again.headers["ETag"] == first.headers["ETag"]
    assert _codes(again.get_json()["items"]) == two_counties["mangshi"]
    assert "芒市糖厂地块" in html(client, f"/?county={MANGSHI}")
    assert "芒市糖厂地块" not in html(client, f"/?county={LONGCHUAN}")


# ---------------------------------------------------------------- register: HTML


def test_the_register_page_offers_the_served_counties_and_filters_by_one(client, two_counties):
    doc = page(client.get("/"))
    select_ = doc.field("county")
    options = {o.get("value"): doc.text(o) for o in select_.iter() if o.tag == "option"}
    assert options == {"": "全部", LONGCHUAN: "陇川县", MANGSHI: "芒市"}
    names = {doc.text(a) for a in doc.all("a", cls="site-link")}
    assert names == {"陇川冶炼厂地块", "陇川化工厂地块", "芒市糖厂地块"}

    doc = page(client.get(f"/?county={MANGSHI}"))
    assert {doc.text(a) for a in doc.all("a", cls="site-link")} == {"芒市糖厂地块"}
    assert doc.value("county") == MANGSHI
    link = doc.one("a", data_testid="county-page-link")
    assert link.get("href") == f"/counties/{MANGSHI}"
    # The map and the downloads of the page keep the county.
    assert doc.one(id="register-map").get("data-geojson").endswith(f"county={MANGSHI}")
    # Only 芒市's townships are offered while 芒市 is chosen.
    townships = [o.get("value") for o in doc.field("township").iter() if o.tag == "option"]
    assert townships == ["", "勐焕街道"]

    doc = page(client.get(f"/?county={LONGCHUAN}"))
    names = {doc.text(a) for a in doc.all("a", cls="site-link")}
    assert names == {"陇川冶炼厂地块", "陇川化工厂地块"}


def test_one_served_county_shows_no_county_choice(client, world):
    code, _ = plot(world, "listed")
    body = html(client, "/")
    assert 'name="county"' not in body
    assert 'name="county"' not in html(client, "/report")
    assert 'name="county"' not in html(client, "/map")
    # The data still says where the plot lies.
    (item,) = api(client, "/api/v1/public/sites")["items"]
    assert (item["code"], item["county_code"], item["county"]) == (code, LONGCHUAN, "陇川县")


def test_the_map_filters_by_county(client, two_counties):
    doc = page(client.get(f"/map?county={MANGSHI}"))
    assert doc.value("county") == MANGSHI
    assert doc.one(id="full-map").get("data-geojson").endswith(f"county={MANGSHI}")


# ---------------------------------------------------------------- county pages


def _county_rows(doc) -> dict[str, list[str]]:
    table = doc.one("table", data_testid="county-rows")
    rows = {}
    for tr in doc.all("tr", under=table):
        if tr.get("data-county"):
            rows[tr.get("data-county")] = [doc.text(c) for c in tr if c.tag in ("td", "th")]
    return rows


def test_a_county_page_shows_that_county_only(client, two_counties):
    doc = page(client.get(f"/counties/{MANGSHI}"))
    assert doc.text(doc.one("h1")) == "芒市"
    assert doc.text(doc.one(data_testid="division-code")) == MANGSHI
    register = doc.one("a", data_testid="county-register-link")
    assert register.get("href") == f"/?county={MANGSHI}"
    body = doc.source
    assert "勐焕街道" in body and "章凤镇" not in body and "景罕镇" not in body
    # It belongs to 德宏州, whose page sums more than one county.
    assert f'href="/counties/{DEHONG}"' in body

    doc = page(client.get(f"/counties/{LONGCHUAN}"))
    assert "章凤镇" in doc.source and "景罕镇" in doc.source and "勐焕街道" not in doc.source


def test_a_county_page_counts_come_from_its_own_plots(two_counties):
    from app.services.public import indicators

    mangshi = indicators.compute(frozenset({MANGSHI}))
    assert mangshi["public"] == 1 and mangshi["pre_listing"] == 1
    assert mangshi["phases"]["listed"] == 1 and mangshi["phases"]["control"] == 0
    assert [t["township"] for t in mangshi["by_township"]] == ["勐焕街道"]
    assert mangshi["current"]["listed"] == 1
    longchuan = indicators.compute(frozenset({LONGCHUAN}))
    assert longchuan["public"] == 2 and longchuan["pre_listing"] == 0
    assert longchuan["current"]["listed"] == 2 and longchuan["current"]["risk_control"] == 1
    everything = indicators.compute()
    assert everything["public"] == 3 and everything["pre_listing"] == 1
    assert everything["current"]["listed"] == 3


def test_a_prefecture_page_sums_its_served_counties(client, two_counties):
    doc = page(client.get(f"/counties/{DEHONG}"))
    assert doc.text(doc.one("h1")) == "德宏傣族景颇族自治州"
    rows = _county_rows(doc)
    assert set(rows) == {LONGCHUAN, MANGSHI}  # 瑞丽市 is not served
    assert rows[LONGCHUAN][0] == "陇川县" and rows[LONGCHUAN][-2] == "2"
    assert rows[MANGSHI][0] == "芒市" and rows[MANGSHI][-2] == "1"
    # Each county's row links to its page and to the register filtered by it.
    table = doc.one("table", data_testid="county-rows")
    hrefs = {a.get("href") for a in doc.all("a", under=table)}
    assert {f"/counties/{LONGCHUAN}", f"/counties/{MANGSHI}",
            f"/?county={LONGCHUAN}", f"/?county={MANGSHI}"} <= hrefs  # fmt: skip
    (total,) = doc.all("tfoot", under=table)
    cells = [doc.text(c) for c in doc.all(under=total) if c.tag in ("td", "th")]
    assert cells[0] == "合计" and cells[-2] == "3" and cells[2] == "2"  # listed: 1 + 1
    # The townships of both counties, each with its county.
    assert "勐焕街道" in doc.source and "章凤镇" in doc.source
    # The province holds the same counties: its page is the same sum.
    assert set(_county_rows(page(client.get("/counties/530000")))) == {LONGCHUAN, MANGSHI}


def test_the_indicators_page_lists_the_counties_when_several_are_served(client, two_counties):
    assert set(_county_rows(page(client.get("/indicators")))) == {LONGCHUAN, MANGSHI}


def test_the_indicators_page_of_one_county_has_no_county_table(client, world):
    plot(world, "listed")
    assert 'data-testid="county-rows"' not in html(client, "/indicators")
    assert "章凤镇" in html(client, f"/counties/{LONGCHUAN}")


@pytest.mark.parametrize("code", [RUILI, "999999", "abc", "5331240", "533101", "110000"])
def test_a_division_the_platform_does_not_serve_has_no_page(client, two_counties, code):
    assert client.get(f"/counties/{code}").status_code == 404


def test_the_county_page_speaks_english(client, two_counties):
    body = html(client, f"/counties/{DEHONG}?lang=en")
    assert "Dehong Dai and Jingpo Autonomous Prefecture" in body
    assert "Mangshi" in body and "Longchuan County" in body


# ---------------------------------------------------------------- open data


def _csv(client, url: str) -> list[dict]:
    r = client.get(url)
    assert r.status_code == 200, r.status_code
    return list(csv.DictReader(io.StringIO(r.get_data(as_text=True).lstrip("\ufeff"))))


def test_the_csv_carries_each_plots_county_and_filters_by_it(client, two_counties):
    rows = _csv(client, "/open-data/sites.csv")
    by_code = {r["地块编码"]: r for r in rows}
    (ms,) = two_counties["mangshi"]
    assert by_code[ms]["县级行政区划代码"] == MANGSHI and by_code[ms]["所在县（市、区）"] == "芒市"
    assert {by_code[c]["县级行政区划代码"] for c in two_counties["longchuan"]} == {LONGCHUAN}
    only = _csv(client, f"/open-data/sites.csv?county={MANGSHI}")
    assert [r["地块编码"] for r in only] == [ms]


def test_the_open_data_page_lists_the_served_counties(client, two_counties):
    doc = page(client.get("/open-data"))
    table = doc.one("table", data_testid="served-counties")
    text = doc.text(table)
    assert LONGCHUAN in text and "陇川县" in text and MANGSHI in text and "芒市" in text
    assert RUILI not in text
    assert "county_code" in doc.source


# ---------------------------------------------------------------- the tip-off form


def _tipoff(client, **overrides):
    with clock.frozen(clock.now() - timedelta(seconds=60)):
        issued = issue_timestamp()
    data = {"township": "其他/不确定", "location": "勐焕街道团结路东头的空地",
            "description": "昨晚有两辆渣土车在空地倾倒黑色废渣，有刺鼻气味。",
            "website": "", "issued": issued, **overrides}  # fmt: skip
    return client.post("/report", data=data, content_type="multipart/form-data")


def test_with_several_counties_the_tipoff_names_its_county(client, two_counties):
    doc = page(client.get(f"/report?county={MANGSHI}"))
    assert doc.value("county") == MANGSHI
    r = _tipoff(client, county=MANGSHI)
    assert r.status_code == 303, r.get_data(as_text=True)[:500]
    assert db.session.scalars(select(Tipoff.county_code)).all() == [MANGSHI]


def test_with_several_counties_a_tipoff_without_one_is_refused(client, two_counties):
    r = _tipoff(client)
    assert r.status_code == 400
    assert page(r).errors_beside("county") == ["请选择县（市、区）"]
    r = _tipoff(client, county=RUILI)
    assert r.status_code == 400
    assert page(r).errors_beside("county") == ["请从列表中选择县（市、区）"]
    assert db.session.scalars(select(Tipoff)).all() == []


def test_with_one_county_the_tipoff_goes_to_it(client):
    r = _tipoff(client, county=MANGSHI)  # not offered, so not taken
    assert r.status_code == 303
    assert db.session.scalars(select(Tipoff.county_code)).all() == [LONGCHUAN]


# ---------------------------------------------------------------- the portal's plot form

SITE_FORM = {
    "name": "芒市原糖厂地块",
    "township": "勐焕街道",
    "address": "芒市勐焕街道团结路 4 号",
    "area_m2": "5375.5",
    "planned_use": "residential",
    "former_industry": "制糖",
    "trigger": "use_change",
}


def test_a_landholder_registers_a_plot_in_another_served_county(app, world):
    regions.serve(MANGSHI)
    client = logged_in(app, world.landholder.user)
    doc = page(client.get("/portal/sites/new"))
    options = [o.get("value") for o in doc.field("county").iter() if o.tag == "option"]
    assert options == [MANGSHI, LONGCHUAN]  # in code order
    assert doc.value("county") == LONGCHUAN  # the deployment's county first
    township = doc.field("township")
    assert township.tag == "input" and township.get("list") == "township-options"
    suggested = [o.get("value") for o in doc.all("option", under=doc.one(id="township-options"))]
    assert "章凤镇" in suggested and len(suggested) == 9

    r = client.post("/portal/sites/new", data={**SITE_FORM, "county": MANGSHI})
    assert r.status_code == 302, r.get_data(as_text=True)[:800]
    site = db.session.scalar(select(Site).where(Site.name == "芒市原糖厂地块"))
    assert site.county_code == MANGSHI and site.township == "勐焕街道"
    assert site.code.startswith(f"{MANGSHI}-")


def test_the_plot_form_refuses_a_county_not_served_and_a_long_township(app, world):
    regions.serve(MANGSHI)
    client = logged_in(app, world.landholder.user)
    r = client.post("/portal/sites/new", data={**SITE_FORM, "county": RUILI})
    assert r.status_code == 400
    assert page(r).errors_beside("county") == ["请从列表中选择县（市、区）"]
    r = client.post("/portal/sites/new", data={**SITE_FORM, "township": "镇" * 51})
    assert r.status_code == 400
    doc = page(r)
    assert doc.errors_beside("township") == ["不超过 50 个字"]
    assert doc.value("township") == "镇" * 51  # what was typed is kept
    r = client.post("/portal/sites/new", data={**SITE_FORM, "township": "  "})
    assert r.status_code == 400
    assert page(r).errors_beside("township") == ["此项必填"]
    assert db.session.scalars(select(Site)).all() == []


def test_with_one_county_the_plot_form_has_no_county_choice(app, world):
    client = logged_in(app, world.landholder.user)
    doc = page(client.get("/portal/sites/new"))
    assert 'name="county"' not in doc.source
    r = client.post("/portal/sites/new", data={**SITE_FORM, "township": "勐约乡"})
    assert r.status_code == 302
    site = db.session.scalar(select(Site))
    assert site.county_code == LONGCHUAN and site.township == "勐约乡"
