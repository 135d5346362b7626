"""Open data (DESIGN.md §7): the JSON contract, GeoJSON, CSV; bad queries are 400."""

import csv
import io

import pytest

from tests.public.helpers import api, html, plot

BOX = {
    "type": "Polygon",
    "coordinates": [[[97.79, 24.28], [97.79, 24.284], [97.795, 24.284], [97.795, 24.28],
                     [97.79, 24.28]]],  # clockwise, as some GIS tools draw it
}  # fmt: skip


def _signed_area(ring):
    return sum(a[0] * b[1] - b[0] * a[1] for a, b in zip(ring, ring[1:], strict=False))


def test_list_contract_and_filters(client, world):
    a, _ = plot(world, "listed", name="甲地块", township="章凤镇")
    b, _ = plot(world, "risk_control", name="乙地块", township="陇把镇")
    c, _ = plot(world, "released", name="丙地块", township="章凤镇", address="章凤镇团结路 1 号")
    # Industrial land (second category): lead 650 mg/kg is below its screening value 800.
    d, cid = plot(
        world, "survey_review", name="丁地块", township="陇把镇", planned_use="industrial"
    )
    world.act("nr", cid, "cosign")
    world.act("env", cid, "approve")
    body = api(client, "/api/v1/public/sites")
    assert set(body) >= {"items", "total", "page"}
    assert body["total"] == 4 and body["page"] == 1
    item = {i["code"]: i for i in body["items"]}[a]
    assert set(item) >= {"code", "name", "township", "state", "land_category", "pollutants"}
    assert item == {**item, "name": "甲地块", "township": "章凤镇", "state": "listed",
                    "land_category": 1}  # fmt: skip
    lead = item["pollutants"][0]
    assert (lead["key"], lead["name"], lead["level"]) == ("lead", "铅", "above_screening")
    assert lead["max_mg_kg"] == 650.0

    def codes(query):
        return sorted(i["code"] for i in api(client, f"/api/v1/public/sites?{query}")["items"])

    assert codes("township=章凤镇") == sorted([a, c])
    assert codes("township=陇把镇") == sorted([b, d])
    assert codes("state=risk_control") == [b]
    assert codes("q=丙") == [c] and codes("q=团结路") == [c] and codes(f"q={b[-5:]}") == [b]
    assert codes("q=%25") == [] and codes("q=_") == []  # LIKE wildcards are literal
    assert codes("land_category=2") == [d] and codes("land_category=1") == sorted([a, b, c])
    assert api(client, f"/api/v1/public/sites/{d}")["pollutants"] == []
    assert codes("pollutant=铅") == sorted([a, b, c]) and codes("pollutant=cadmium") == []
    page2 = api(client, "/api/v1/public/sites?per_page=3&page=2")
    assert page2["page"] == 2 and page2["total"] == 4 and len(page2["items"]) == 1
    assert api(client, "/api/v1/public/sites?page=9")["items"] == []


@pytest.mark.parametrize(
    "query",
    [
        "page=abc",
        "page=0",
        "page=%C2%B2",  # "²": isdigit() but not int()
        "per_page=%D9%A3",  # Arabic-Indic 3
        "per_page=1000",
        "per_page=0",
        "per_page=-1",
        "state=bogus",
        "land_category=3",
        "pollutant=kryptonite",
        "lat=24.3",
        "lat=abc&lon=97.8",
        "lat=24.3&lon=97.8&radius=1000",
        "lat=nan&lon=97.8",
        "q=" + "x" * 101,
        "q=%00",
        "township=a%00b",
    ],
)
def test_bad_query_arguments_are_400_never_500(client, world, query):
    r = client.get(f"/api/v1/public/sites?{query}")
    assert r.status_code == 400, query
    assert r.get_json()["error"]["code"] == "validation_error"
    if not query.startswith(("page", "per_page")):
        assert client.get(f"/api/v1/public/sites.geojson?{query}").status_code == 400
        assert client.get(f"/open-data/sites.csv?{query}").status_code == 400
    # The HTML register has a fixed page size; every other bad argument is a 400 page.
    assert client.get(f"/?{query}").status_code == (200 if query.startswith("per_page") else 400)
    assert client.get(f"/map?{query}").status_code in (200, 400)


def test_near_me_uses_distance(client, world):
    near, _ = plot(world, "listed", name="近处地块", boundary=BOX)
    far_box = {"type": "Polygon", "coordinates": [[[97.95, 24.35], [97.954, 24.35],
               [97.954, 24.354], [97.95, 24.354], [97.95, 24.35]]]}  # fmt: skip
    far, _ = plot(world, "listed", name="远处地块", boundary=far_box)
    plot(world, "listed", name="无边界地块")
    body = api(client, "/api/v1/public/sites?lat=24.282&lon=97.7925&radius=2")
    assert [i["code"] for i in body["items"]] == [near]
    assert body["items"][0]["distance_km"] < 0.1
    body = api(client, "/api/v1/public/sites?lat=24.282&lon=97.7925&radius=30")
    assert [i["code"] for i in body["items"]] == [near, far]
    assert 15 < body["items"][1]["distance_km"] < 20
    page = html(client, "/?lat=24.282&lon=97.7925&radius=2")
    assert "近处地块" in page and "远处地块" not in page and "km" in page


def test_geojson_is_valid(client, world):
    with_box, _ = plot(world, "listed", boundary=BOX)
    without, _ = plot(world, "works")
    r = client.get("/api/v1/public/sites.geojson")
    assert r.status_code == 200 and r.mimetype == "application/geo+json"
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    data = r.get_json()
    assert data["type"] == "FeatureCollection"
    features = {f["properties"]["code"]: f for f in data["features"]}
    assert set(features) == {with_box, without}
    for f in data["features"]:
        assert f["type"] == "Feature" and isinstance(f["properties"], dict)
    assert features[without]["geometry"] is None
    geom = features[with_box]["geometry"]
    assert geom["type"] == "Polygon"
    for ring in geom["coordinates"]:
        assert len(ring) >= 4 and ring[0] == ring[-1]
        assert all(len(p) == 2 and -180 <= p[0] <= 180 and -90 <= p[1] <= 90 for p in ring)
    # RFC 7946 right-hand rule: the exterior ring counterclockwise (input was clockwise).
    assert _signed_area(geom["coordinates"][0]) > 0
    assert sorted(map(tuple, geom["coordinates"][0])) == sorted(map(tuple, BOX["coordinates"][0]))


@pytest.mark.parametrize(
    "name", ['=HYPERLINK("http://x","点我")', "+1+1", "-2+3", "@SUM(1,1)", "-"]
)
def test_csv_neutralises_formulas(client, world, name):
    code, _ = plot(world, "listed", name=name, former_industry="=cmd|' /C calc'!A0")
    r = client.get("/open-data/sites.csv")
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in r.headers["Content-Disposition"]
    raw = r.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    header, row = rows[0], rows[1]
    assert header[:3] == ["地块编码", "地块名称", "乡镇"]
    cells = dict(zip(header, row, strict=True))
    assert cells["地块编码"] == code
    assert cells["地块名称"] == "'" + name
    assert cells["原行业"] == "'=cmd|' /C calc'!A0"
    for cell in row:
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell


def test_csv_cell_rule():
    from app.services.public import csv_cell

    for raw in ("=1", "+1", "-1", "@A1", "\t=1", "\r=1"):
        assert csv_cell(raw) == "'" + raw
    for raw in ("铅", "1", "", None, "a=b", " =1"):
        assert csv_cell(raw) == ("" if raw is None else raw)


def test_csv_has_one_row_per_public_plot(client, world):
    listed, _ = plot(world, "listed")
    plot(world, "survey")
    released, _ = plot(world, "released")
    rows = list(
        csv.DictReader(
            io.StringIO(client.get("/open-data/sites.csv").get_data(as_text=True).lstrip("\ufeff"))
        )
    )
    assert sorted(r["地块编码"] for r in rows) == sorted([listed, released])
    done = next(r for r in rows if r["地块编码"] == released)
    assert done["状态代码"] == "released" and done["列入名录日期"] and done["移出名录日期"]
    assert "铅（超筛选值）" in done["关注污染物"]


def test_open_data_page_documents_every_dataset(client, world):
    body = html(client, "/open-data")
    for text in ("/api/v1/public/sites", "/api/v1/public/sites.geojson", "/open-data/sites.csv",
                 "notice_board", "timeline", "evaluation", "per_page", "validation_error"):  # fmt: skip
        assert text in body, text


def _statements(client, url: str, db) -> int:
    """Statements of a request computed afresh (nothing kept from an earlier one)."""
    from sqlalchemy import event

    from app import response_cache

    response_cache.clear()
    count = 0

    def before(*_args):
        nonlocal count
        count += 1

    event.listen(db.engine, "before_cursor_execute", before)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", before)
    return count


def test_no_query_per_row(client, world, db):
    plot(world, "listed")
    plot(world, "works")
    urls = ["/", "/api/v1/public/sites", "/api/v1/public/sites.geojson", "/open-data/sites.csv",
            "/?lat=24.28&lon=97.79&radius=50", "/indicators"]  # fmt: skip
    few = {u: _statements(client, u, db) for u in urls}
    for state in ("listed", "risk_control", "released", "evaluation"):
        plot(world, state)
    many = {u: _statements(client, u, db) for u in urls}
    assert many == few
