"""Tip-offs get clocks too (DESIGN §11): a reply is due 15 working days after
receipt; officers record tip-offs taken by the 12369 hotline, a letter or a visit;
a tip-off handed over to another agency (转办) says to whom and when, on the desk
and on the reporter's tracking page."""

from __future__ import annotations

from datetime import timedelta

from app.services import clock, workdays
from app.services import tipoffs as tipoff_service
from tests.web.conftest import logged_in, page

DESCRIPTION = "昨晚有两辆无牌渣土车在河边倾倒黑色废渣，有刺鼻气味。"


def test_a_web_tip_off_is_due_for_reply_in_15_working_days(world):
    tipoff, _ = tipoff_service.create(township="章凤镇", location="迭撒村河滩",
                                      description=DESCRIPTION)  # fmt: skip
    body = world.get("env", f"/tipoffs/{tipoff.id}").get_json()
    assert body["channel"] == "web"
    assert body["reply_due"] == workdays.add_workdays(clock.today(), 15).isoformat()
    assert body["reply_overdue"] is False and body["replied_on"] is None


def test_an_officer_records_a_hotline_tip_off_received_days_ago(world, client):
    received = clock.today() - timedelta(days=30)
    r = world.post("env", "/tipoffs", {"channel": "hotline", "received_on": received.isoformat(),
                                       "township": "陇把镇", "location": "陇把镇砖厂后山",
                                       "description": DESCRIPTION})  # fmt: skip
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert body["channel"] == "hotline" and body["status"] == "received"
    assert body["reply_due"] == workdays.add_workdays(received, 15).isoformat()
    assert body["reply_overdue"] is True  # 30 days ago is past 15 working days
    code = body["tracking_code"]
    track = client.get(f"/report/{code}").get_data(as_text=True)
    assert "答复期限" in track
    # Closing answers it: the clock is met.
    r = world.post("env", f"/tipoffs/{body['id']}", {"status": "closed", "note": "已查处"})
    assert r.status_code == 200 and r.get_json()["replied_on"] == clock.today().isoformat()
    assert r.get_json()["reply_overdue"] is False


def test_recording_is_refused_clearly(world, client):
    good = {
        "channel": "letter",
        "township": "陇把镇",
        "location": "砖厂",
        "description": DESCRIPTION,
    }
    assert world.post("landholder", "/tipoffs", good).status_code == 403
    assert client.post("/api/v1/tipoffs", json=good).status_code == 401
    for bad, field in [({**good, "channel": "web"}, "channel"),
                       ({**good, "received_on": (clock.today() + timedelta(days=1)).isoformat()},
                        "received_on"),
                       ({**good, "description": "太短"}, "description"),
                       ({k: v for k, v in good.items() if k != "township"}, "township")]:  # fmt: skip
        r = world.post("env", "/tipoffs", bad)
        assert r.status_code == 400, bad
        assert field in r.get_json()["error"]["fields"], r.get_json()


def test_hand_over_records_the_agency_and_the_date_for_the_reporter(world, client):
    tipoff, code = tipoff_service.create(township="章凤镇", location="迭撒村河滩",
                                         description=DESCRIPTION)  # fmt: skip
    day = (clock.today() - timedelta(days=1)).isoformat()
    r = world.post("env", f"/tipoffs/{tipoff.id}/hand-over",
                   {"agency": "陇川县自然资源局", "date": day, "note": "涉及非法采砂"})  # fmt: skip
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["status"] == "handed_over" and body["handed_over_to"] == "陇川县自然资源局"
    assert body["handed_over_on"] == day and body["replied_on"] == clock.today().isoformat()
    track = client.get(f"/report/{code}").get_data(as_text=True)
    assert "已转办" in track and "陇川县自然资源局" in track and day in track
    assert world.post("env", f"/tipoffs/{tipoff.id}/hand-over", {"agency": " "}).status_code == 400
    assert world.post("env", "/tipoffs/999999/hand-over", {"agency": "x"}).status_code == 404
    assert world.post("landholder", f"/tipoffs/{tipoff.id}/hand-over",
                      {"agency": "x"}).status_code == 403  # fmt: skip


def test_the_desk_records_hands_over_and_marks_overdue(world, app):
    with clock.frozen(clock.now() - timedelta(days=40)):
        old, _ = tipoff_service.create(
            township="章凤镇", location="老河滩", description=DESCRIPTION
        )
    officer = logged_in(app, world.env.user)
    doc = page(officer.get("/review/tipoffs"))
    rows = [r for r in doc.all("tr", data_overdue="true")]
    assert len(rows) == 1 and "老河滩" in doc.text(rows[0])
    assert "逾期未答复 1 件" in doc.text(doc.one(data_testid="tipoffs-overdue"))

    r = officer.post("/review/tipoffs", data={"channel": "letter", "township": "城子镇",
                                              "location": "城子镇化工园区", "description": DESCRIPTION})  # fmt: skip
    assert r.status_code == 302
    flashed = page(officer.get(r.headers["Location"])).alerts()
    assert any("查询码" in a for a in flashed)
    r = officer.post("/review/tipoffs", data={"channel": "letter", "township": "城子镇"})
    assert r.status_code == 400 and page(r).errors_beside("location")

    r = officer.post(f"/review/tipoffs/{old.id}", data={"h-agency": "德宏州生态环境局",
                                                       "h-submit": "转办"})  # fmt: skip
    assert r.status_code == 302
    body = world.get("env", f"/tipoffs/{old.id}").get_json()
    assert body["status"] == "handed_over" and body["handed_over_to"] == "德宏州生态环境局"
    assert body["reply_overdue"] is False  # answered, late: replied_on is after reply_due
    assert body["replied_on"] > body["reply_due"]
    r = officer.post(f"/review/tipoffs/{old.id}", data={"s-status": "closed", "s-note": ""})
    assert r.status_code == 400  # closing needs the result
