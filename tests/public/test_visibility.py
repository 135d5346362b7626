"""Who the public sees (DESIGN.md §7): plots from ``listed`` on and released
ones; never a plot still in survey or risk assessment; never a person."""

import json

import pytest
from sqlalchemy import update

from app.models import Party, User
from tests.public.helpers import NON_PUBLIC, api, everything_public, html, plot


@pytest.mark.parametrize("state", NON_PUBLIC)
def test_a_plot_before_listing_is_404_everywhere(client, world, state):
    hidden, _ = plot(world, state, name="调查阶段保密地块")
    listed, _ = plot(world, "listed", name="已列入名录地块")

    for url in (f"/sites/{hidden}", f"/sites/{hidden}/notice.pdf"):
        assert client.get(url).status_code == 404
    r = client.get(f"/api/v1/public/sites/{hidden}")
    assert r.status_code == 404 and r.get_json()["error"]["code"] == "not_found"

    text = everything_public(client, listed)
    assert "已列入名录地块" in text
    assert "调查阶段保密地块" not in text and hidden not in text
    listing = api(client, "/api/v1/public/sites")
    assert [i["code"] for i in listing["items"]] == [listed] and listing["total"] == 1
    # Asking for the hidden state by name finds nothing rather than an error.
    assert api(client, f"/api/v1/public/sites?state={state}")["items"] == []
    searched = html(client, f"/?q={hidden}")
    assert "共 0 个地块" in searched and "调查阶段保密地块" not in searched


def test_public_states_are_visible(client, world):
    codes = {state: plot(world, state)[0] for state in ("listed", "risk_control", "works")}
    listing = api(client, "/api/v1/public/sites")
    assert {i["code"]: i["state"] for i in listing["items"]} == {c: s for s, c in codes.items()}
    for state, code in codes.items():
        body = api(client, f"/api/v1/public/sites/{code}")
        assert body["state"] == state
        assert html(client, f"/sites/{code}").count(code) >= 1


def test_plot_released_after_a_clean_survey_is_public(client, world):
    reg = world.register(name="清洁地块")
    cid = reg["case"]["id"]
    world.file("landholder", cid, "survey_report", world.survey_data(lead_mg_kg=100))
    world.act("landholder", cid, "submit")
    world.act("nr", cid, "cosign")
    world.act("env", cid, "approve")
    body = api(client, f"/api/v1/public/sites/{reg['code']}")
    assert body["state"] == "released"
    assert body["release"]["decision"].startswith("土壤污染状况调查表明")
    assert body["evaluation"] is None
    assert "无需列入名录" in html(client, f"/sites/{reg['code']}")


def test_a_reopened_plot_stays_public_and_says_it_is_investigated_again(client, world):
    # DESIGN §10: a plot that has been on the public side stays there when reopened,
    # and its page says why (it used to vanish, hiding that its clearance no longer held).
    reg = world.register(name="重新调查地块")
    cid = reg["case"]["id"]
    world.file("landholder", cid, "survey_report", world.survey_data(lead_mg_kg=100))
    world.act("landholder", cid, "submit")
    world.act("nr", cid, "cosign")
    world.act("env", cid, "approve")
    assert client.get(f"/sites/{reg['code']}").status_code == 200
    world.act("env", cid, "reopen", comment="发现新的污染线索")
    body = api(client, f"/api/v1/public/sites/{reg['code']}")
    assert body["state"] == "survey"
    assert body["reopened"]["reason"] == "生态环境部门决定重新开展土壤污染状况调查"
    assert "发现新的污染线索" not in str(body)  # an officer's comment is not published
    assert "重新开展土壤污染状况调查" in html(client, f"/sites/{reg['code']}")
    assert api(client, "/api/v1/public/sites")["total"] == 1


def test_no_personal_data_anywhere(client, world, db):
    code, cid = plot(world, "released")
    # Give every user a recognisable display name: none may appear.
    for actor in world.actors.values():
        db.session.execute(
            update(User)
            .where(User.id == actor.user.id)
            .values(display_name=f"显示名{actor.user.id}号")
        )
    db.session.commit()
    text = everything_public(client, code)
    for key, actor in world.actors.items():
        assert actor.user.username not in text, key
        assert f"显示名{actor.user.id}号" not in text, key
    # Named persons in the reports (project leads) stay in the bureau's files.
    for lead in ("李调查", "王评估", "孙评估"):
        assert lead not in text
    detail = api(client, f"/api/v1/public/sites/{code}")
    # Entries carry what was decided (decision numbers, §10), never who.
    optional = {"decision", "provincial_decision", "basis", "from_use", "to_use"}
    assert all(set(e) - optional == {"date", "at", "event", "label"} for e in detail["timeline"])
    assert any(e.get("decision") for e in detail["timeline"])
    assert [e["event"] for e in detail["timeline"]][-1] == "released"
    assert "listed" in [e["event"] for e in detail["timeline"]]
    # The works notice's contact line is published by law, and only that.
    assert detail["notice_board"]["contact"] == world.notice_data()["contact"]
    assert detail["evaluation"]["passed"] is True
    assert detail["evaluation"]["evaluator"] == world.evaluator.party.name
    assert "project_lead" not in json.dumps(detail)


def test_an_individual_contractor_is_not_named(client, world, db):
    code, _ = plot(world, "evaluation")
    db.session.execute(
        update(Party).where(Party.id == world.contractor.party.id).values(kind="individual")
    )
    db.session.commit()
    board = api(client, f"/api/v1/public/sites/{code}")["notice_board"]
    assert board["contractor"] is None
    assert world.contractor.party.name not in html(client, f"/sites/{code}")


def test_unknown_codes_are_404(client, world):
    for code in ("nope", "x" * 200, "533124-2099-99999", "%00"):
        assert client.get(f"/sites/{code}").status_code == 404
        assert client.get(f"/api/v1/public/sites/{code}").status_code == 404
