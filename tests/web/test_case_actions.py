"""Acting on a case from its page (issue 4 §3, §5): the buttons are exactly
what ``allowed_actions`` permits, a stale form says someone else acted first
and keeps the comment, ``return`` needs a comment; and who may see what."""

from __future__ import annotations

import pytest

from tests.web.conftest import case_row, ledger_count, page


def _buttons(doc) -> dict[str, str]:
    form = doc.all("form", id="action-form")
    if not form:
        return {}
    return {
        b.get("data-action"): doc.text(b) for b in doc.all("button", name="action", under=form[0])
    }


def _allowed(world, who, cid) -> list[str]:
    return world.case(cid, who)["allowed_actions"]


def test_the_natural_resources_officer_may_cosign_but_not_approve(login_as, world):
    cid = world.to_state("survey_review")
    doc = page(login_as(world.nr.user).get(f"/review/cases/{cid}"))
    buttons = _buttons(doc)
    assert "cosign" in buttons and "会同审查" in buttons["cosign"]
    assert "approve" not in buttons
    assert "审查通过" not in doc.text(doc.one("form", id="action-form"))
    assert sorted(buttons) == sorted(_allowed(world, "nr", cid))


def test_the_environment_officer_may_approve_only_after_the_cosign(login_as, world):
    cid = world.to_state("survey_review")
    env = login_as(world.env.user)
    doc = page(env.get(f"/review/cases/{cid}"))
    assert "approve" not in _buttons(doc)
    assert sorted(_buttons(doc)) == sorted(_allowed(world, "env", cid))

    world.act("nr", cid, "cosign")
    doc = page(env.get(f"/review/cases/{cid}"))
    buttons = _buttons(doc)
    assert buttons.get("approve") == "审查通过"
    assert "cosign" not in buttons
    assert sorted(buttons) == sorted(_allowed(world, "env", cid))


def test_a_landholder_sees_submit_only_once_the_survey_is_filed(login_as, world):
    cid = world.to_state("survey")
    client = login_as(world.landholder.user)
    assert "submit" not in _buttons(page(client.get(f"/portal/cases/{cid}")))
    world.file("landholder", cid, "survey_report", world.survey_data())
    assert _buttons(page(client.get(f"/portal/cases/{cid}"))) == {"submit": "提交"}


@pytest.mark.parametrize(
    ("state", "who", "expected"),
    [
        ("listed", "env", {"require_remediation", "require_control"}),
        ("listed", "nr", set()),
        ("plan_review", "env", {"approve", "return"}),
        ("released", "env", {"reopen"}),
    ],
)
def test_the_buttons_match_allowed_actions(login_as, world, state, who, expected):
    cid = world.to_state(state)
    buttons = _buttons(page(login_as(world.actors[who].user).get(f"/review/cases/{cid}")))
    assert set(buttons) == set(_allowed(world, who, cid))
    assert expected <= set(buttons)


def test_a_stale_action_says_someone_acted_first_and_keeps_the_comment(login_as, world):
    cid = world.to_state("survey_review")
    env = login_as(world.env.user)
    _, old_version = case_row(cid)
    page(env.get(f"/review/cases/{cid}"))  # the officer opens the case...
    world.act("nr", cid, "cosign")  # ...and meanwhile natural resources co-signs
    before = ledger_count()

    comment = "请补充 S3 点位 3 米以下的采样数据。"
    r = env.post(
        f"/review/cases/{cid}/act",
        data={"action": "return", "version": old_version, "comment": comment},
    )
    assert r.status_code == 409
    doc = page(r)
    assert any("其他人先于您处理" in a for a in doc.alerts()), doc.alerts()
    assert doc.value("comment") == comment
    assert case_row(cid)[0] == "survey_review" and ledger_count() == before
    # The page was reloaded: the form now carries the current version.
    assert int(doc.value("version")) == case_row(cid)[1] != old_version
    assert "approve" in _buttons(doc)


def test_return_without_a_comment_shows_an_error_and_changes_nothing(login_as, world):
    cid = world.to_state("survey_review")
    env = login_as(world.env.user)
    state, version = case_row(cid)
    before = ledger_count()
    r = env.post(
        f"/review/cases/{cid}/act", data={"action": "return", "version": version, "comment": "  "}
    )
    assert r.status_code in (400, 409)
    doc = page(r)
    assert doc.errors_beside("comment") == ["退回或重新启动须填写意见"]
    assert case_row(cid) == (state, version) and ledger_count() == before


def test_return_with_a_comment_sends_the_case_back(login_as, world):
    cid = world.to_state("survey_review")
    env = login_as(world.env.user)
    _, version = case_row(cid)
    r = env.post(
        f"/review/cases/{cid}/act",
        data={"action": "return", "version": version, "comment": "补充采样"},
    )
    assert r.status_code == 302
    doc = page(env.get(f"/review/cases/{cid}"))
    assert case_row(cid)[0] == "survey"
    assert any("已退回修改" in a for a in doc.alerts())
    assert "补充采样" in doc.text(doc.one(id="ledger"))


# ---------------------------------------------------------------- access


def test_another_landholder_gets_404_on_the_case_and_its_forms(login_as, world):
    cid = world.to_state("survey")
    other = login_as(world.other_landholder.user)
    assert other.get(f"/portal/cases/{cid}").status_code == 404
    assert other.get(f"/portal/cases/{cid}/file/survey_report").status_code == 404
    before = ledger_count()
    r = other.post(
        f"/portal/cases/{cid}/act", data={"action": "submit", "version": case_row(cid)[1]}
    )
    assert r.status_code == 404
    r = other.post(
        f"/portal/cases/{cid}/assign",
        data={"role": "evaluator", "credit_code": world.evaluator.party.credit_code},
    )
    assert r.status_code == 404
    assert ledger_count() == before
    assert "原陇川铅锌冶炼厂地块" not in other.get("/portal/").get_data(as_text=True)


def test_a_404_page_is_in_chinese(login_as, world):
    r = login_as(world.other_landholder.user).get("/portal/cases/999999")
    assert r.status_code == 404
    body = r.get_data(as_text=True)
    assert "页面不存在" in body and "案件不存在" in body


def test_a_landholder_gets_403_on_the_review_desk(login_as, world):
    client = login_as(world.landholder.user)
    for url in ("/review/", "/review/cases", "/review/manifests", "/review/parties",
                "/review/ledger"):  # fmt: skip
        assert client.get(url).status_code == 403, url


def test_a_bureau_officer_gets_403_on_the_portal(login_as, world):
    client = login_as(world.env.user)
    assert client.get("/portal/").status_code == 403
    assert client.get("/portal/sites/new").status_code == 403


def test_an_unassigned_contractor_cannot_see_the_case(login_as, world):
    cid = world.to_state("survey")
    assert login_as(world.contractor.user).get(f"/portal/cases/{cid}").status_code == 404
