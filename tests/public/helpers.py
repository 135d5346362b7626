"""Shared helpers for the public-site tests."""

from __future__ import annotations

import json

from app.services import clock

# Every state a case can be in, and whether the public may see a plot in it.
NON_PUBLIC = ["survey", "survey_review", "risk_assessment", "risk_assessment_review"]

XSS = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>']


def plot(world, state: str, **site) -> tuple[str, int]:
    """Register a plot and drive its case to ``state``; (code, case id)."""
    reg = world.register(**site)
    cid = world.to_state(state, site=reg)
    return reg["code"], cid


def html(client, url: str, status: int = 200) -> str:
    r = client.get(url)
    assert r.status_code == status, (url, r.status_code)
    return r.get_data(as_text=True)


def api(client, url: str, status: int = 200):
    r = client.get(url)
    assert r.status_code == status, (url, r.status_code, r.get_data(as_text=True)[:300])
    return r.get_json()


def everything_public(client, code: str) -> str:
    """All public output that could mention the plot, concatenated as text."""
    parts = [
        html(client, "/"),
        html(client, "/map"),
        html(client, f"/sites/{code}"),
        html(client, "/indicators"),
        html(client, "/open-data"),
        html(client, "/report"),
        client.get("/open-data/sites.csv").get_data(as_text=True),
        json.dumps(api(client, "/api/v1/public/sites?per_page=100"), ensure_ascii=False),
        json.dumps(api(client, f"/api/v1/public/sites/{code}"), ensure_ascii=False),
        json.dumps(api(client, "/api/v1/public/sites.geojson"), ensure_ascii=False),
    ]
    return "\n".join(parts)


def at(text: str):
    """``clock.frozen`` at a Beijing-time 'YYYY-MM-DD HH:MM'."""
    from datetime import datetime

    return clock.frozen(datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=clock.CHINA_TZ))
