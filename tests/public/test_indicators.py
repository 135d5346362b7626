"""The safe-use rate (污染地块安全利用率) and the indicators page, on plots whose
history is known to the day."""

from datetime import datetime

import pytest

from app.services import clock
from app.services.public import indicators
from tests.public.helpers import api, at, html, plot


def _control(world, cid, when):
    with at(when):
        world.act("env", cid, "require_control")


def _release_after_control(world, cid, when):
    with at(when):
        world.file("landholder", cid, "monitoring_report",
                   {"unit_credit_code": world.surveyor.party.credit_code, "media": ["soil"],
                    "summary": "管控区地下水未检出超标"})  # fmt: skip
        world.act("landholder", cid, "start_evaluation")
        r = world.post("landholder", f"/cases/{cid}/assignments",
                       {"role": "evaluator", "credit_code": world.evaluator.party.credit_code})  # fmt: skip
        assert r.status_code == 201, r.get_json()
        world.file("evaluator", cid, "evaluation_report", world.evaluation_data())
        world.act("evaluator", cid, "submit")
        world.act("nr", cid, "cosign")
        world.act("env", cid, "approve")


@pytest.fixture
def county(world):
    """Five plots:
    A listed 2024-03-01, under risk control from 2024-05-01, released 2025-06-01;
    B listed 2024-09-01, still only listed;
    C listed 2025-02-01, under risk control from 2025-03-01;
    D released 2024-04-01 after a clean survey (never listed);
    E in survey review (never listed)."""
    with at("2024-03-01 10:00"):
        a, a_id = plot(world, "listed", name="A")
    _control(world, a_id, "2024-05-01 10:00")
    _release_after_control(world, a_id, "2025-06-01 10:00")
    with at("2024-09-01 10:00"):
        b, _ = plot(world, "listed", name="B")
    with at("2025-02-01 10:00"):
        c, c_id = plot(world, "listed", name="C")
    _control(world, c_id, "2025-03-01 10:00")
    with at("2024-04-01 10:00"):
        reg = world.register(name="D")
        world.file("landholder", reg["case"]["id"], "survey_report", world.survey_data(100))
        world.act("landholder", reg["case"]["id"], "submit")
        world.act("nr", reg["case"]["id"], "cosign")
        world.act("env", reg["case"]["id"], "approve")
    with at("2025-01-05 10:00"):
        plot(world, "survey_review", name="E")
    return {"A": a, "B": b, "C": c}


def test_safe_use_rate_per_year(county):
    rates = {r.year: r for r in indicators.safe_use_rates(until_year=2026)}
    assert sorted(rates) == [2024, 2025, 2026]
    y24, y25 = rates[2024], rates[2025]
    # End of 2024: A (under control) and B (listed) ever listed; A is safe.
    assert (y24.listed, y24.released, y24.controlled) == (2, 0, 1)
    assert y24.rate == pytest.approx(0.5)
    # End of 2025: A released, B listed, C under control.
    assert (y25.listed, y25.released, y25.controlled) == (3, 1, 1)
    assert y25.rate == pytest.approx(2 / 3)
    assert y24.target == y25.target == 0.90
    assert y25.meets_target is False
    spans = indicators.listing_to_release_days()
    assert spans == [(datetime(2025, 6, 1) - datetime(2024, 3, 1)).days]


def test_targets_follow_the_plan():
    assert indicators.target_for(2019) == 0.90
    assert indicators.target_for(2020) == 0.90
    assert indicators.target_for(2029) == 0.90
    assert indicators.target_for(2030) == 0.95
    assert indicators.target_for(2035) == 0.95


def test_rate_from_synthetic_histories():
    def t(day):
        return datetime.fromisoformat(day).replace(tzinfo=clock.CHINA_TZ)

    histories = {
        1: [(t("2019-05-01"), "survey"), (t("2019-12-31T23:59"), "listed"),
            (t("2020-12-31T23:59"), "plan_filing"), (t("2021-01-01T00:00"), "released")],
        2: [(t("2020-01-01"), "listed"), (t("2020-02-01"), "risk_control")],
        3: [(t("2020-03-01"), "listed"), (t("2020-06-01"), "released"),
            (t("2020-07-01"), "survey")],  # reopened: no longer counts as safe
    }  # fmt: skip
    rates = {r.year: r.to_json() for r in indicators.safe_use_rates(histories, until_year=2021)}
    assert rates[2019] == {**rates[2019], "listed": 1, "safe": 0, "rate": 0.0}
    assert rates[2020] == {**rates[2020], "listed": 3, "released": 0, "risk_control": 1,
                           "rate": round(1 / 3, 4), "target": 0.9, "meets_target": False}  # fmt: skip
    assert rates[2021] == {**rates[2021], "listed": 3, "released": 1, "risk_control": 1}
    assert indicators.listing_to_release_days(histories) == [366, 92]


def test_indicators_page_shows_the_rates_as_svg(client, county):
    body = html(client, "/indicators")
    assert "<svg" in body and 'class="chart"' in body
    assert "66.7%" in body and "50.0%" in body
    assert "2020 年目标 90%" in body and "2030 年目标 95%" in body
    assert "457" in body  # median days from listing to release
    # By state and township, public plots only: E (survey review) is counted as pre-listing.
    assert "调查评估中（未公开）" in body
    assert api(client, "/api/v1/public/sites")["total"] == 4
    assert "<script" not in body.split("<main", 1)[1].split("</main>", 1)[0]
