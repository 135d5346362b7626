"""Tip-offs (举报): an anonymous form that resists bots without a CAPTCHA,
photos re-encoded without metadata, a tracking code kept only as a hash,
rate limiting per address, and the bureau's handling over JSON."""

import hashlib
import io
import re
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import select

from app import create_app
from app.extensions import db as _db
from app.extensions import limiter
from app.models import Tipoff, TipoffPhoto
from app.public.forms import issue_timestamp
from app.services import clock, storage
from app.services import tipoffs as tipoff_service
from config import TestingConfig
from tests.public.helpers import plot

DESCRIPTION = "昨晚 11 点左右有两辆无牌渣土车在河边倾倒黑色废渣，有刺鼻气味。"


def _issued(seconds_ago: float = 60) -> str:
    with clock.frozen(clock.now() - timedelta(seconds=seconds_ago)):
        return issue_timestamp()


def _jpeg_with_gps() -> bytes:
    im = Image.new("RGB", (64, 48), (120, 80, 40))
    exif = Image.Exif()
    exif[0x010F] = "SecretPhoneMaker"  # Make
    exif[0x8825] = {1: "N", 2: (24.0, 17.0, 0.0), 3: "E", 4: (97.0, 47.0, 0.0)}  # GPS IFD
    out = io.BytesIO()
    im.save(out, "JPEG", exif=exif)
    data = out.getvalue()
    assert b"SecretPhoneMaker" in data
    return data


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (30, 20), (0, 128, 0, 128)).save(out, "PNG")
    return out.getvalue()


def _form(**overrides) -> dict:
    data = {
        "township": "章凤镇",
        "location": "迭撒村南边的河滩",
        "description": DESCRIPTION,
        "lat": "24.2831",
        "lon": "97.7912",
        "website": "",
        "issued": _issued(),
    }
    data.update(overrides)
    return data


def _submit(client, photos=(), **overrides):
    data = _form(**overrides)
    data["photos"] = [(io.BytesIO(p), f"p{i}.jpg") for i, p in enumerate(photos)]
    return client.post("/report", data=data, content_type="multipart/form-data")


def _code(client) -> str:
    page = client.get("/report/thanks")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    match = re.search(
        r"([2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4})", page.get_data(as_text=True)
    )
    assert match
    return match.group(1)


def test_report_form_renders_with_honeypot_and_timestamp(client):
    body = client.get("/report").get_data(as_text=True)
    assert 'name="website"' in body and 'class="hp-field"' in body
    assert 'name="issued"' in body and 'enctype="multipart/form-data"' in body
    assert "章凤镇" in body
    assert "<title>举报土壤污染违法行为" in body


def test_a_tipoff_is_filed_and_tracked_with_its_code(client, db):
    r = _submit(client, photos=[_jpeg_with_gps(), _png()])
    assert r.status_code == 303 and r.headers["Location"].endswith("/report/thanks")
    code = _code(client)
    # Shown once: the thanks page does not show it again.
    assert client.get("/report/thanks").status_code == 302

    tipoff = db.session.scalar(select(Tipoff))
    canonical = code.replace("-", "")
    assert tipoff.tracking_hash == hashlib.sha256(canonical.encode()).hexdigest()
    for column in ("location", "description", "township", "tracking_hash"):
        assert canonical not in getattr(tipoff, column) and code not in getattr(tipoff, column)
    assert (tipoff.lat, tipoff.lon) == (24.2831, 97.7912)

    photos = db.session.scalars(select(TipoffPhoto)).all()
    assert len(photos) == 2
    for p in photos:
        data = storage.get(p.sha256)
        assert data.startswith(b"\xff\xd8\xff") and p.mime == "image/jpeg"
        assert b"SecretPhoneMaker" not in data and b"Exif" not in data
        assert hashlib.sha256(data).hexdigest() == p.sha256

    page = client.get(f"/report/{code}")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    text = page.get_data(as_text=True)
    assert "已受理" in text and "迭撒村南边的河滩" in text
    # Typed loosely (lower case, spaces) it still works; a wrong code is 404.
    assert client.get(f"/report/{code.lower().replace('-', ' ')}").status_code == 200
    wrong = ("A" if code[0] != "A" else "B") + code[1:]
    assert client.get(f"/report/{wrong}").status_code == 404
    assert client.get("/report/not-a-code").status_code == 404
    lookup = client.get(f"/report/track?code={code.lower()}")
    assert lookup.status_code == 302 and lookup.headers["Location"].endswith(f"/report/{code}")


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"website": "http://spam.example"}, "提交未通过校验"),
        ({"issued": None}, "提交过快"),  # filled in 1 second
        ({"issued": "forged.token"}, "表单已失效"),
        ({"issued": "old"}, "表单打开时间过长"),
        ({"description": "太短"}, "请按提示修改"),
        ({"township": "不存在的乡"}, "请按提示修改"),
        ({"lat": "999"}, "请按提示修改"),
    ],
)
def test_bots_and_bad_input_are_refused(client, db, overrides, reason):
    if overrides.get("issued") is None and "issued" in overrides:
        overrides["issued"] = _issued(seconds_ago=1)
    elif overrides.get("issued") == "old":
        overrides["issued"] = _issued(seconds_ago=2 * 24 * 3600)
    r = _submit(client, **overrides)
    assert r.status_code == 400
    assert reason in r.get_data(as_text=True)
    assert db.session.scalar(select(Tipoff)) is None


def test_control_characters_never_reach_the_database(client, db):
    r = _submit(client, description=DESCRIPTION + "\x00\x07", location="河边\x00")
    assert r.status_code in (303, 400)  # refused at the door or cleaned: never a 500
    tipoff, _ = tipoff_service.create(
        township="章凤镇", location="河边\x00", description=DESCRIPTION + "\x00\x07"
    )
    assert tipoff.description == DESCRIPTION and tipoff.location == "河边"
    for t in db.session.scalars(select(Tipoff)):
        assert "\x00" not in t.description + t.location


def test_photos_are_checked_by_content(client, db):
    r = _submit(client, photos=[b"<html><script>alert(1)</script></html>"])
    assert r.status_code == 400 and "不是 JPEG、PNG 或 WebP 图片" in r.get_data(as_text=True)
    r = _submit(client, photos=[b"\xff\xd8\xff\xe0" + b"\x00" * 100])  # a JPEG header, no image
    assert r.status_code == 400 and "已损坏" in r.get_data(as_text=True)
    r = _submit(client, photos=[_png()] * 4)
    assert r.status_code == 400 and "最多上传 3 张照片" in r.get_data(as_text=True)
    assert db.session.scalar(select(Tipoff)) is None
    with pytest.raises(Exception, match="超过 8 MB"):
        tipoff_service.reencode_photo(b"\xff\xd8\xff" + b"\x00" * (8 * 1024 * 1024))


def test_big_photos_are_scaled_down(app):
    out = io.BytesIO()
    Image.new("RGB", (4000, 3000), (10, 200, 30)).save(out, "WEBP", quality=10)
    photo = tipoff_service.reencode_photo(out.getvalue())
    assert max(photo.width, photo.height) == tipoff_service.MAX_PHOTO_EDGE
    assert Image.open(io.BytesIO(photo.data)).format == "JPEG"


def test_bureau_sees_and_handles_tipoffs(client, world, db):
    code_site, _ = plot(world, "listed")
    assert _submit(client).status_code == 303
    tracking = _code(client)

    assert client.get("/api/v1/tipoffs").status_code == 401
    assert world.get("landholder", "/tipoffs").status_code == 403
    r = world.get("env", "/tipoffs")
    assert r.status_code == 200
    body = r.get_json()
    assert body["total"] == 1 and body["counts"]["received"] == 1
    item = body["items"][0]
    assert item["description"] == DESCRIPTION and item["status"] == "received"
    tid = item["id"]

    r = world.post("env", f"/tipoffs/{tid}",
                   {"status": "investigating", "note": "已派执法人员现场核查", "site_code": code_site})  # fmt: skip
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["status"] == "investigating" and r.get_json()["site_code"] == code_site
    r = world.post("env", f"/tipoffs/{tid}", {"note": "内部：疑似某运输公司", "public": False})
    assert r.status_code == 200
    assert world.post("env", f"/tipoffs/{tid}", {"status": "closed"}).status_code == 400
    assert world.post("env", f"/tipoffs/{tid}", {"status": "done"}).status_code == 400
    assert world.post("env", f"/tipoffs/{tid}", {"colour": "red"}).status_code == 400
    assert (
        world.post("env", f"/tipoffs/{tid}", {"site_code": "533124-1999-00000"}).status_code == 400
    )
    assert world.post("landholder", f"/tipoffs/{tid}", {"status": "closed"}).status_code == 403
    assert (
        world.post("env", "/tipoffs/999999", {"status": "closed", "note": "x"}).status_code == 404
    )

    page = client.get(f"/report/{tracking}").get_data(as_text=True)
    assert "调查核实中" in page and "已派执法人员现场核查" in page
    assert "内部：疑似某运输公司" not in page
    assert world.env.user.username not in page
    assert f"/sites/{code_site}" in page

    r = world.post("env", f"/tipoffs/{tid}", {"status": "closed", "note": "已责令清运并立案查处"})
    assert r.status_code == 200
    assert world.get("env", "/tipoffs?status=closed").get_json()["total"] == 1
    assert world.get("env", "/tipoffs?status=received").get_json()["total"] == 0
    assert world.get("env", "/tipoffs?status=bogus").status_code == 400
    assert world.get("env", f"/tipoffs?site_code={code_site}").get_json()["total"] == 1
    events = world.get("env", f"/tipoffs/{tid}").get_json()["events"]
    assert [e["status"] for e in events] == ["received", "investigating", "investigating", "closed"]
    assert events[1]["by"] == world.env.user.username
    assert "已办结" in client.get(f"/report/{tracking}").get_data(as_text=True)
    # Each step of the bureau is on the accountability ledger, and the chain holds.
    assert world.get("env", "/ledger/verify").get_json()["ok"] is True


def test_service_functions_for_the_desk(world, db):
    code_site, _ = plot(world, "survey")  # the bureau may link any plot, public or not
    tipoff, code = tipoff_service.create(
        township="陇把镇", location="村口", description=DESCRIPTION, photos=[]
    )
    env = world.env.user
    page = tipoff_service.list_tipoffs(env, status="received")
    assert [t.id for t in page.items] == [tipoff.id] and page.total == 1
    tipoff_service.link_site(env, tipoff.id, code_site, note="与该地块有关")
    tipoff_service.set_status(env, tipoff.id, "investigating", "核查中")
    again = tipoff_service.get(env, tipoff.id)
    assert again.site.code == code_site and again.status == "investigating"
    desk = tipoff_service.list_for_bureau(env, status="investigating")
    assert [(t.id, t.site_code) for t in desk.items] == [(tipoff.id, code_site)]
    # The reporter is not told about a plot that is not public yet.
    assert tipoff_service.public_json(tipoff_service.find_by_code(code))["site_code"] is None
    with pytest.raises(Exception, match="仅限生态环境局"):
        tipoff_service.list_tipoffs(world.landholder.user)
    with pytest.raises(Exception, match="办结举报须填写处理结果"):
        tipoff_service.set_status(env, tipoff.id, "closed")


def test_photo_route_is_for_the_bureau(client, world, db):
    assert _submit(client, photos=[_png()]).status_code == 303
    item = world.get("env", "/tipoffs").get_json()["items"][0]
    sha = item["photos"][0]["sha256"]
    r = world.get("env", f"/tipoffs/{item['id']}/photos/{sha}")
    assert r.status_code == 200 and r.mimetype == "image/jpeg"
    assert world.get("landholder", f"/tipoffs/{item['id']}/photos/{sha}").status_code == 403
    assert world.get("env", f"/tipoffs/{item['id']}/photos/{'0' * 64}").status_code == 404


def test_tipoffs_are_rate_limited_per_address(app, world, monkeypatch):
    # Flask-Limiter keeps "enabled" on its one process-wide object: put it back after.
    monkeypatch.setattr(limiter, "enabled", limiter.enabled)
    limited = create_app(TestingConfig, RATELIMIT_ENABLED=True)
    try:
        c = limited.test_client()
        with limited.app_context():
            first = _submit(c)
            assert first.status_code == 303
            statuses = [_submit(c, website="bot").status_code for _ in range(4)]
            assert statuses == [400] * 4
            blocked = _submit(c)
            assert blocked.status_code == 429
            assert "请求过于频繁" in blocked.get_data(as_text=True)
            # Reading the form is never limited; another address is not affected.
            assert c.get("/report").status_code == 200
            r = c.post("/report", data=_form(), environ_base={"REMOTE_ADDR": "10.9.9.9"})
            assert r.status_code == 303
        # The one that got through is on the bureau's desk.
        assert world.get("env", "/tipoffs").get_json()["total"] == 2
    finally:
        limiter.reset()
        with limited.app_context():
            _db.session.remove()
            _db.engine.dispose()
