"""The public site in Chromium, on the demo county, at a phone (390×844) and a
desktop (1366×900) viewport: the register with its map, a plot page and the
indicators. Screenshots go to tests/browser/screenshots/ (git-ignored); every
page is checked for console errors (CSP violations appear there), for plot
outlines drawn on the map, and for not scrolling sideways on a phone."""

from __future__ import annotations

import pytest

from tests.browser.conftest import watch_console

pytestmark = pytest.mark.browser

VIEWPORTS = {
    "phone": {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2,
              "is_mobile": True, "has_touch": True},
    "desktop": {"viewport": {"width": 1366, "height": 900}},
}  # fmt: skip


@pytest.fixture(scope="module")
def demo(live_server):
    """The demo county, built through the real services; a plot under works."""
    from app.demo import build_demo
    from app.extensions import db
    from app.services import public

    with live_server.app.app_context():
        build_demo()
        works = public.search(public.Filters(state="works")).items[0].site.code
        total = public.search(public.Filters()).total
        db.session.remove()
    return {"works": works, "total": total}


def _wait_for_map(page, selector: str) -> None:
    page.wait_for_selector(f"{selector}[data-loaded]", timeout=15_000)
    assert page.get_attribute(selector, "data-loaded") != "error"


def _click_map_centre(page, map_id: str) -> None:
    """A click on the map at its centre, through Leaflet (a real mouse click could
    land on a plot or a label, which open their own popups)."""
    page.evaluate(
        "id => { const m = document.getElementById(id)._leafletMap;"
        " m.fire('click', {latlng: m.getCenter()}); }",
        map_id,
    )


def _no_sideways_scroll(page, width: int) -> None:
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"{page.url} scrolls sideways: {scroll}px > {width}px"


@pytest.mark.parametrize("device", list(VIEWPORTS))
def test_public_screens(browser, live_server, demo, screenshots, device):
    context = browser.new_context(locale="zh-CN", **VIEWPORTS[device])
    page = context.new_page()
    errors = watch_console(page)
    width = VIEWPORTS[device]["viewport"]["width"]
    try:
        # The register: filters, list, and the map with every plot outlined.
        page.goto(f"{live_server.url}/")
        assert page.title().startswith("建设用地土壤污染风险管控和修复名录")
        assert page.locator('meta[property="og:title"]').count() == 1
        _wait_for_map(page, "#register-map")
        paths = page.locator("#register-map svg path.leaflet-interactive")
        assert paths.count() >= demo["total"], "each public plot has a boundary and a dot"
        assert page.get_by_text(f"共 {demo['total']} 个地块").is_visible()
        _no_sideways_scroll(page, width)
        page.screenshot(path=str(screenshots / f"public-register-{device}.png"), full_page=True)

        # Clicking the map offers "plots near here"; following it lists them by distance.
        _click_map_centre(page, "register-map")
        near = page.locator(".leaflet-popup a", has_text="查看周边 5 公里内的地块")
        near.wait_for()
        with page.expect_navigation():
            near.click()
        assert "lat=" in page.url and "radius=5" in page.url
        assert page.get_by_text("内的地块，按距离排序").is_visible()

        # A plot under works: state in plain Chinese, timeline, notice board, its outline.
        page.goto(f"{live_server.url}/sites/{demo['works']}")
        assert demo["works"] in page.title()
        assert page.get_by_role("heading", name="施工公告牌").is_visible()
        assert page.get_by_role("heading", name="公开进展").is_visible()
        _wait_for_map(page, "#site-map")
        assert page.locator("#site-map svg path.leaflet-interactive").count() == 1
        _no_sideways_scroll(page, width)
        page.screenshot(path=str(screenshots / f"public-site-{device}.png"), full_page=True)

        # Indicators: charts are server-side SVG.
        page.goto(f"{live_server.url}/indicators")
        assert page.title().startswith("统计指标")
        assert page.locator("svg.chart").count() == 3
        assert page.get_by_text("污染地块安全利用率").first.is_visible()
        _no_sideways_scroll(page, width)
        page.screenshot(path=str(screenshots / f"public-indicators-{device}.png"), full_page=True)

        # The tip-off form with its map picker, and the open-data page.
        page.goto(f"{live_server.url}/report")
        _wait_for_map(page, "#report-map")
        _click_map_centre(page, "report-map")
        assert page.input_value("#lat") and page.input_value("#lon")
        honeypot = page.locator("input[name=website]").bounding_box()
        assert honeypot is None or honeypot["x"] + honeypot["width"] <= 0, "honeypot on screen"
        _no_sideways_scroll(page, width)
        page.screenshot(path=str(screenshots / f"public-report-{device}.png"), full_page=True)
        page.goto(f"{live_server.url}/open-data")
        _no_sideways_scroll(page, width)
        page.screenshot(path=str(screenshots / f"public-open-data-{device}.png"), full_page=True)
    finally:
        context.close()
    assert errors == []
