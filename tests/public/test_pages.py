"""Every public page: Chinese by default, a real <title>, Open Graph tags, and
markup the strict CSP allows (no inline script, no style attributes)."""

import re

import pytest

from tests.public.helpers import html, plot

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
STYLE_ATTR = re.compile(r"<[^>]+\sstyle\s*=", re.I)


@pytest.fixture
def code(world):
    return plot(world, "works", name="原冶炼厂地块")[0]


def _pages(code):
    return {
        "/": "建设用地土壤污染风险管控和修复名录",
        "/map": "地块地图",
        f"/sites/{code}": f"原冶炼厂地块（{code}）",
        "/indicators": "统计指标",
        "/open-data": "开放数据",
        "/report": "举报土壤污染违法行为",
        "/report/track": "查询举报办理进度",
    }


def test_pages_are_chinese_titled_shareable_and_csp_clean(client, code):
    for url, title in _pages(code).items():
        r = client.get(url)
        assert r.status_code == 200, url
        body = r.get_data(as_text=True)
        assert '<html lang="zh-CN">' in body, url
        assert re.search(rf"<title>{re.escape(title)} · 陇川县</title>", body), url
        for prop in ("og:title", "og:description", "og:url", "og:type", "og:site_name"):
            assert f'property="{prop}"' in body, (url, prop)
        assert '<meta name="viewport"' in body
        assert 'href="/static/css/public.css"' in body
        assert not INLINE_SCRIPT.search(body), url
        assert not STYLE_ATTR.search(body), url
        assert "<style" not in body, url
        csp = r.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert r.headers["X-Content-Type-Options"] == "nosniff"


def test_og_tags_describe_the_plot(client, code):
    body = html(client, f"/sites/{code}")
    assert f'<meta property="og:url" content="http://localhost/sites/{code}">' in body
    assert '<meta property="og:title" content="原冶炼厂地块' in body
    assert "当前状态：修复施工" in body


def test_maps_are_offline(client, code):
    body = html(client, "/")
    assert "/static/vendor/leaflet/leaflet.js" in body
    assert "/static/vendor/leaflet/leaflet.css" in body
    assert "unpkg" not in body and "cdn" not in body.lower()
    assert 'data-tiles=""' in body  # no tile server configured: plain background
    assert client.get("/static/vendor/leaflet/leaflet.js").status_code == 200
    assert client.get("/static/js/public-map.js").status_code == 200


def test_print_styles_exist(client):
    css = client.get("/static/css/public.css").get_data(as_text=True)
    assert "@media print" in css and "@page notice-board" in css


def test_register_pages(client, world):
    codes = [plot(world, "listed", name=f"地块{i:02d}")[0] for i in range(22)]
    first = html(client, "/")
    assert "共 22 个地块" in first and "地块00" in first and "地块21" not in first
    second = html(client, "/?page=2")
    assert "地块21" in second and "地块00" not in second
    assert 'rel="prev"' in second
    assert codes[0] in first


def test_an_empty_county_renders(client):
    for url in ("/", "/map", "/indicators", "/open-data", "/report", "/open-data/sites.csv"):
        assert client.get(url).status_code == 200, url
    assert "尚无列入名录的地块" in html(client, "/indicators")
    assert client.get("/api/v1/public/sites.geojson").get_json() == {
        "type": "FeatureCollection",
        "features": [],
    }
