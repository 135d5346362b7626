"""Every public field is data, never markup: escaped in HTML, exact in JSON."""

import json

import pytest

from tests.public.helpers import XSS, api, html, plot

FIELDS = ("name", "address", "former_industry", "township")
NOTICE_FIELDS = ("project_overview", "environmental_impacts", "protective_measures", "contact")


def _hostile_plot(world, payload: str) -> str:
    site = {f: payload if f != "name" else f"{payload}地块" for f in FIELDS}
    code, cid = plot(world, "works", **site)
    notice = {**world.notice_data(), **{f: f"{payload} {f}" for f in NOTICE_FIELDS}}
    world.file("contractor", cid, "works_notice", notice)
    return code


def _assert_escaped(body: str, payload: str, where: str) -> None:
    assert payload not in body, where
    assert "<script>alert(1)" not in body, where
    assert "<img src=x" not in body, where
    assert "onerror=alert(1)>" not in body.replace("&gt;", ""), where


@pytest.mark.parametrize("payload", XSS)
def test_payload_in_every_field_is_escaped_in_html(client, world, payload):
    code = _hostile_plot(world, payload)
    pages = [
        "/",
        f"/?q={code}",
        "/map",
        f"/sites/{code}",
        "/indicators",
        "/open-data",
        "/report",
        "/?lat=24.3&lon=97.8&radius=50",
    ]
    escaped = payload.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    escaped = escaped.replace('"', "&#34;")
    for url in pages:
        body = html(client, url)
        _assert_escaped(body, payload, url)
    site_page = html(client, f"/sites/{code}")
    assert site_page.count(escaped) >= len(FIELDS) + len(NOTICE_FIELDS)
    assert f"<title>{escaped}地块" in site_page
    # The township lands in filter options, charts and the tip-off form.
    assert escaped in html(client, "/indicators")
    assert escaped in html(client, "/report")


@pytest.mark.parametrize("payload", XSS)
def test_payload_is_exact_in_json_geojson_and_csv(client, world, payload):
    code = _hostile_plot(world, payload)
    detail = api(client, f"/api/v1/public/sites/{code}")
    assert detail["name"] == f"{payload}地块"
    assert detail["address"] == payload
    assert detail["former_industry"] == payload
    assert detail["township"] == payload
    for f in NOTICE_FIELDS:
        assert detail["notice_board"][f] == f"{payload} {f}"
    r = client.get("/api/v1/public/sites")
    assert r.mimetype == "application/json"
    assert r.get_json()["items"][0]["name"] == f"{payload}地块"
    feature = api(client, "/api/v1/public/sites.geojson")["features"][0]
    assert feature["properties"]["name"] == f"{payload}地块"
    csv_text = client.get("/open-data/sites.csv").get_data(as_text=True)
    assert payload in csv_text or json.dumps(payload)[1:-1] in csv_text.replace('""', '"')


def test_svg_charts_escape_township_names(client, world):
    plot(world, "listed", township="</text><script>alert(1)</script>")
    body = html(client, "/indicators")
    assert "<script>alert(1)" not in body
    assert "&lt;/text&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in body
