"""Tip-offs (举报) from the public and their handling by the bureau.

《土壤污染防治法》第八十八条: 公民、法人和其他组织发现污染土壤等违法行为的，有权
向生态环境主管部门举报; the bureau keeps the reporter's identity confidential.
So a tip-off carries no name, no contact and no address of its sender: the
reporter gets a random tracking code, shown once (only its SHA-256 is kept),
with which they follow the handling. Photos are re-encoded to JPEG, which
drops EXIF (GPS position, phone model, owner name) and anything hidden after
the image data.

The bureau's desk uses ``list_tipoffs``, ``get``, ``link_site``,
``set_status`` and ``update``; each change by an officer is recorded as a
``TipoffEvent`` and in the accountability ledger.
"""

from __future__ import annotations

import hashlib
import io
import math
import secrets
from dataclasses import dataclass
from datetime import date

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app import security_log
from app.errors import Forbidden, NotFound, TooLarge, UnsupportedMediaType, ValidationError
from app.extensions import db
from app.models import (
    TIPOFF_STATUS_LABELS_ZH,
    TIPOFF_STATUSES,
    Site,
    Tipoff,
    TipoffEvent,
    TipoffPhoto,
    User,
)
from app.services import clock, jurisdiction, ledger, regions, storage, workdays
from app.services.uploads import sniff_image

STATUS_LABELS_ZH = TIPOFF_STATUS_LABELS_ZH
MAX_PHOTOS = 3
MAX_PHOTO_BYTES = 8 * 1024 * 1024
MAX_PHOTO_PIXELS = 40_000_000  # a 40 MP phone photo; beyond is a decompression bomb
MAX_PHOTO_EDGE = 2560  # stored size: plenty to see a drum label or a pipe outlet
JPEG_QUALITY = 85
DESCRIPTION_MIN = 10
DESCRIPTION_MAX = 5000

# Crockford-like alphabet: no 0/O, 1/I/L, U, so a code read over the phone survives.
_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
_CODE_CHARS = 16  # 16 × log2(30) ≈ 78 bits


def new_tracking_code() -> str:
    raw = "".join(secrets.choice(_ALPHABET) for _ in range(_CODE_CHARS))
    return "-".join(raw[i : i + 4] for i in range(0, _CODE_CHARS, 4))


def normalise_code(code: str) -> str | None:
    """The code as typed (any case, spaces or dashes) → its canonical form, or None.
    Anything outside the alphabet (NUL included) never reaches the database."""
    if not isinstance(code, str) or len(code) > 64:
        return None
    raw = "".join(ch for ch in code.upper() if ch not in " -_\t")
    if len(raw) != _CODE_CHARS or any(ch not in _ALPHABET for ch in raw):
        return None
    return raw


def hash_code(code: str) -> str:
    return hashlib.sha256(code.encode("ascii")).hexdigest()


# ---------------------------------------------------------------- photos


@dataclass
class Photo:
    data: bytes
    width: int
    height: int
    mime: str = "image/jpeg"


def reencode_photo(data: bytes, *, index: int = 1) -> Photo:
    """Check an uploaded photo by its content and re-encode it as a JPEG
    without metadata, at most ``MAX_PHOTO_EDGE`` pixels on its long side."""
    field = f"photos.{index}"
    if not data:
        raise UnsupportedMediaType(f"第 {index} 张照片为空文件", {field: "空文件"})
    if len(data) > MAX_PHOTO_BYTES:
        msg = f"第 {index} 张照片超过 {MAX_PHOTO_BYTES // (1024 * 1024)} MB，请压缩后再上传"
        raise TooLarge(msg, {field: msg})
    kind = sniff_image(data)
    if kind is None:
        msg = f"第 {index} 张照片不是 JPEG、PNG 或 WebP 图片"
        raise UnsupportedMediaType(msg, {field: msg})
    from PIL import Image, ImageOps

    unreadable = f"第 {index} 张照片已损坏或无法识别，请换一张"
    try:
        with Image.open(io.BytesIO(data)) as im:
            expected = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}[kind]
            if im.format != expected:
                raise UnsupportedMediaType(unreadable, {field: unreadable})
            width, height = im.size
            if width < 1 or height < 1 or width * height > MAX_PHOTO_PIXELS:
                msg = f"第 {index} 张照片像素过多（{width}×{height}），请缩小后再上传"
                raise TooLarge(msg, {field: msg})
            im.draft("RGB", (MAX_PHOTO_EDGE, MAX_PHOTO_EDGE))  # JPEG: decode at reduced size
            im.load()
            oriented = ImageOps.exif_transpose(im)
            if oriented.mode in ("RGBA", "LA") or (
                oriented.mode == "P" and "transparency" in oriented.info
            ):
                rgba = oriented.convert("RGBA")
                flat = Image.new("RGB", rgba.size, (255, 255, 255))
                flat.paste(rgba, mask=rgba.getchannel("A"))
                oriented = flat
            else:
                oriented = oriented.convert("RGB")
            oriented.thumbnail((MAX_PHOTO_EDGE, MAX_PHOTO_EDGE))
            out = io.BytesIO()
            # No exif= / icc_profile= arguments: the new file carries no metadata.
            oriented.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
            return Photo(out.getvalue(), oriented.width, oriented.height)
    except (UnsupportedMediaType, TooLarge):
        raise
    except Exception as exc:  # Pillow raises many kinds on hostile input
        raise UnsupportedMediaType(unreadable, {field: unreadable}) from exc


# ---------------------------------------------------------------- reporting


def _clean_text(value, name: str, label: str, *, max_len: int, min_len: int = 1) -> str:
    if not isinstance(value, str):
        value = ""
    value = value.replace("\r\n", "\n").strip()
    # Control characters other than line breaks and tabs (NUL above all: PostgreSQL
    # refuses it in text) have no place in a description.
    value = "".join(ch for ch in value if ch in "\n\t" or not (ord(ch) < 32 or ord(ch) == 127))
    if len(value) < min_len:
        msg = f"请填写{label}" if not value else f"{label}至少 {min_len} 个字"
        raise ValidationError(msg, {name: msg})
    if len(value) > max_len:
        msg = f"{label}不能超过 {max_len} 个字"
        raise ValidationError(msg, {name: msg})
    return value


def _coordinate(value, name: str, low: float, high: float) -> float | None:
    if value in (None, ""):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if not math.isfinite(number) or not low <= number <= high:
        raise ValidationError("地图位置无效，请重新在地图上点选", {name: "坐标无效"})
    return round(number, 6)


def create(
    *,
    township: str,
    location: str,
    description: str,
    lat=None,
    lon=None,
    photos: list[bytes] | None = None,
    channel: str = "web",
    received_on: date | None = None,
    recorded_by: User | None = None,
    county: str | None = None,
) -> tuple[Tipoff, str]:
    """Record a tip-off; returns it and its tracking code (shown once). Commits.
    ``channel``, ``received_on`` and ``recorded_by`` are for one an officer took by
    the 12369 hotline, by letter or in person (``tipoff_desk.record``)."""
    if recorded_by is not None:
        county_code = jurisdiction.county_for(recorded_by, county)
    else:  # the public form: the county chosen (several served), else the deployment's
        county_code = regions.county_code(county) if county else regions.home()
    township = _clean_text(township, "township", "乡镇", max_len=50)
    location = _clean_text(location, "location", "地点", max_len=300)
    description = _clean_text(
        description, "description", "情况描述", max_len=DESCRIPTION_MAX, min_len=DESCRIPTION_MIN
    )
    lat = _coordinate(lat, "lat", -90, 90)
    lon = _coordinate(lon, "lon", -180, 180)
    if (lat is None) != (lon is None):
        lat = lon = None
    photos = [p for p in (photos or []) if p]
    if len(photos) > MAX_PHOTOS:
        msg = f"最多上传 {MAX_PHOTOS} 张照片"
        raise ValidationError(msg, {"photos": msg})
    encoded = [reencode_photo(p, index=i) for i, p in enumerate(photos, start=1)]

    now = clock.now()
    code = new_tracking_code()
    tipoff = Tipoff(
        tracking_hash=hash_code(normalise_code(code)),
        county_code=county_code,
        township=township,
        location=location,
        lat=lat,
        lon=lon,
        description=description,
        status="received",
        created_at=now,
        updated_at=now,
        channel=channel,
        reply_due=workdays.add_workdays(
            received_on or clock.today(), current_app.config["TIPOFF_REPLY_WORKING_DAYS"]
        ),
    )
    db.session.add(tipoff)
    db.session.flush()
    for photo in encoded:
        db.session.add(
            TipoffPhoto(
                tipoff_id=tipoff.id,
                sha256=storage.put(photo.data),
                size=len(photo.data),
                mime=photo.mime,
                width=photo.width,
                height=photo.height,
            )
        )
    note = (
        "举报已提交，等待受理。"
        if recorded_by is None
        else f"举报已由工作人员登记（{received_on}）。"
    )
    db.session.add(
        TipoffEvent(tipoff_id=tipoff.id, status="received", note=note, public=True, at=now,
                    user_id=recorded_by.id if recorded_by else None)
    )  # fmt: skip
    db.session.commit()
    return tipoff, code


def find_by_code(code: str) -> Tipoff:
    """The tip-off a tracking code belongs to; NotFound for any other string."""
    canonical = normalise_code(code)
    tipoff = None
    if canonical is not None:
        tipoff = db.session.scalar(
            select(Tipoff)
            .options(selectinload(Tipoff.events), selectinload(Tipoff.photos),
                     selectinload(Tipoff.site))
            .where(Tipoff.tracking_hash == hash_code(canonical))
        )  # fmt: skip
    if tipoff is None:
        raise NotFound("查询码不正确，未找到对应的举报")
    return tipoff


# ---------------------------------------------------------------- the bureau


def _bureau(user: User) -> None:
    if user is None or user.role != "bureau":
        raise Forbidden("仅限生态环境局工作人员处理举报")


@dataclass
class TipoffPage:
    items: list[Tipoff]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def list_tipoffs(
    user: User,
    *,
    status: str | None = None,
    township: str | None = None,
    site_code: str | None = None,
    page: int = 1,
    per_page: int = 20,
) -> TipoffPage:
    """Tip-offs for the bureau's desk (the officer's county), newest first, with
    photos and events loaded."""
    _bureau(user)
    return _list(user, status=status, township=township, site_code=site_code, page=page,
                 per_page=per_page)  # fmt: skip


def in_jurisdiction(user: User):
    """A WHERE clause: the tip-offs of ``user``'s counties."""
    return jurisdiction.clause(user, Tipoff.county_code)


def _list(user, *, status, township, site_code, page, per_page) -> TipoffPage:
    page = max(int(page), 1)
    per_page = min(max(int(per_page), 1), 100)
    if status is not None and status not in TIPOFF_STATUSES:
        msg = f"status 须为 {', '.join(TIPOFF_STATUSES)} 之一"
        raise ValidationError(msg, {"status": msg})
    for name, value in (("township", township), ("site_code", site_code)):
        if value is not None and (len(value) > 50 or any(ord(ch) < 32 for ch in value)):
            raise ValidationError(f"{name} 无效", {name: "无效"})
    query = select(Tipoff).where(in_jurisdiction(user))
    if status:
        query = query.where(Tipoff.status == status)
    if township:
        query = query.where(Tipoff.township == township)
    if site_code:
        query = query.join(Site, Site.id == Tipoff.site_id).where(Site.code == site_code)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    items = db.session.scalars(
        query.options(
            selectinload(Tipoff.photos),
            selectinload(Tipoff.events),
            selectinload(Tipoff.site),
        )
        .order_by(Tipoff.created_at.desc(), Tipoff.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return TipoffPage(list(items), total, page, per_page)


def list_for_bureau(
    user: User,
    *,
    status: str | None = None,
    township: str | None = None,
    site_code: str | None = None,
    page: int = 1,
    per_page: int = 20,
) -> TipoffPage:
    """``list_tipoffs`` for a view that has already checked the user is bureau
    staff (the review desk's blueprint guard)."""
    return _list(user, status=status, township=township, site_code=site_code, page=page,
                 per_page=per_page)  # fmt: skip


def counts(user: User) -> dict[str, int]:
    """Open tip-offs per status, for a badge on the desk."""
    _bureau(user)
    rows = db.session.execute(
        select(Tipoff.status, func.count()).where(in_jurisdiction(user)).group_by(Tipoff.status)
    ).all()
    return {s: dict(rows).get(s, 0) for s in TIPOFF_STATUSES}


def get(user: User, tipoff_id: int, *, lock: bool = False) -> Tipoff:
    _bureau(user)
    if not isinstance(tipoff_id, int) or not 0 < tipoff_id < 2**31:
        raise NotFound("举报不存在")
    query = select(Tipoff).where(Tipoff.id == tipoff_id)
    if lock:
        query = query.with_for_update()
    tipoff = db.session.scalar(query)
    if tipoff is None:
        raise NotFound("举报不存在")
    if not jurisdiction.covers(user, tipoff.county_code):
        security_log.event("authz_fail", user=user, object=f"tipoff:{tipoff_id}")
        raise NotFound("举报不存在")
    return tipoff


def _record(user: User, tipoff: Tipoff, *, note: str | None, public: bool, site_id=None) -> None:
    now = clock.now()
    tipoff.updated_at = now
    if tipoff.status in ("closed", "handed_over") and tipoff.replied_on is None:
        tipoff.replied_on = clock.today()  # the reply clock is met (§11)
    db.session.add(
        TipoffEvent(tipoff_id=tipoff.id, status=tipoff.status, note=note, public=public,
                    site_id=site_id, user_id=user.id, at=now)
    )  # fmt: skip
    site_code = tipoff.site.code if tipoff.site is not None else None
    ledger.append(
        "tipoff_handled",
        actor=user,
        detail={"tipoff": tipoff.id, "status": tipoff.status, "site": site_code,
                "note_sha256": hashlib.sha256((note or "").encode()).hexdigest()},
    )  # fmt: skip


def _site_by_code(code: str, county_code: str) -> Site:
    """A plot of the tip-off's county (another county's plot does not exist here)."""
    site = None
    if len(code) <= 32 and code.isprintable():
        site = db.session.scalar(
            select(Site).where(Site.code == code, Site.county_code == county_code)
        )
    if site is None:
        raise ValidationError("地块编码不存在", {"site_code": "地块编码不存在"})
    return site


def _note(note, *, required: bool = False) -> str | None:
    if note is None or (isinstance(note, str) and not note.strip()):
        if required:
            raise ValidationError("办结举报须填写处理结果", {"note": "必填"})
        return None
    if not isinstance(note, str):
        raise ValidationError("note 须为文本", {"note": "须为文本"})
    note = "".join(
        ch for ch in note.strip() if ch in "\n\t" or not (ord(ch) < 32 or ord(ch) == 127)
    )
    if len(note) > 5000:
        raise ValidationError("说明不能超过 5000 个字", {"note": "过长"})
    return note


def link_site(user: User, tipoff_id: int, site_code: str | None, *, note: str | None = None,
              public: bool = False) -> Tipoff:  # fmt: skip
    """Link a tip-off to a plot (or unlink it with ``site_code=None``). Commits."""
    tipoff = get(user, tipoff_id, lock=True)
    site = None
    if site_code:
        if not isinstance(site_code, str):
            raise ValidationError("site_code 须为地块编码", {"site_code": "须为文本"})
        site = _site_by_code(site_code, tipoff.county_code)
    tipoff.site_id = site.id if site else None
    tipoff.site = site
    _record(user, tipoff, note=_note(note), public=public, site_id=tipoff.site_id)
    db.session.commit()
    return tipoff


def set_status(user: User, tipoff_id: int, status: str, note: str | None = None, *,
               public: bool = True) -> Tipoff:  # fmt: skip
    """Move a tip-off to received / investigating / closed, with a note the
    reporter sees on the tracking page (unless ``public=False``). Commits."""
    if status not in TIPOFF_STATUSES:
        msg = f"status 须为 {', '.join(TIPOFF_STATUSES)} 之一"
        raise ValidationError(msg, {"status": msg})
    tipoff = get(user, tipoff_id, lock=True)
    note = _note(note, required=status == "closed")
    tipoff.status = status
    _record(user, tipoff, note=note, public=public)
    db.session.commit()
    return tipoff


_UPDATE_KEYS = {"status", "note", "site_code", "public"}


def update(user: User, tipoff_id: int, payload) -> Tipoff:
    """The JSON form of the desk's actions: ``{"status"?, "note"?, "site_code"?,
    "public"?}`` — status and plot link together, one event. Commits."""
    _bureau(user)
    if not isinstance(payload, dict):
        raise ValidationError("请求体须为 JSON 对象", {"_": "须为 JSON 对象"})
    unknown = set(payload) - _UPDATE_KEYS
    if unknown:
        raise ValidationError("不允许的字段", {k: "不允许的字段" for k in sorted(unknown)})
    if not {"status", "note", "site_code"} & set(payload):
        raise ValidationError("须提供 status、note 或 site_code", {"status": "缺少修改内容"})
    public = payload.get("public", True)
    if not isinstance(public, bool):
        raise ValidationError("public 须为 true 或 false", {"public": "须为布尔值"})
    status = payload.get("status")
    if status is not None and status not in TIPOFF_STATUSES:
        msg = f"status 须为 {', '.join(TIPOFF_STATUSES)} 之一"
        raise ValidationError(msg, {"status": msg})
    tipoff = get(user, tipoff_id, lock=True)
    note = _note(payload.get("note"), required=status == "closed" and tipoff.status != "closed")
    site_id = tipoff.site_id
    if "site_code" in payload:
        code = payload["site_code"]
        if code in (None, ""):
            tipoff.site_id, tipoff.site = None, None
        else:
            if not isinstance(code, str):
                raise ValidationError("site_code 须为地块编码", {"site_code": "须为文本"})
            site = _site_by_code(code, tipoff.county_code)
            tipoff.site_id, tipoff.site = site.id, site
        site_id = tipoff.site_id
    if status is not None:
        tipoff.status = status
    _record(user, tipoff, note=note, public=public, site_id=site_id)
    db.session.commit()
    return tipoff


def photo_bytes(user: User, tipoff_id: int, sha256: str) -> bytes:
    """A photo of a tip-off, for the bureau."""
    tipoff = get(user, tipoff_id)
    if not any(p.sha256 == sha256 for p in tipoff.photos):
        raise NotFound("照片不存在")
    return storage.get(sha256)


# ---------------------------------------------------------------- serialisation


def to_json(t: Tipoff) -> dict:
    """The bureau's view: everything, including internal notes and officers."""
    return {
        "id": t.id,
        "status": t.status,
        "status_label": t.status_label,
        "township": t.township,
        "location": t.location,
        "lat": t.lat,
        "lon": t.lon,
        "description": t.description,
        "site_code": t.site_code,
        "channel": t.channel,
        "reply_due": t.reply_due.isoformat() if t.reply_due else None,
        "replied_on": t.replied_on.isoformat() if t.replied_on else None,
        "reply_overdue": t.replied_on is None
        and t.reply_due is not None
        and t.reply_due < clock.today(),
        "handed_over_to": t.handed_over_to,
        "handed_over_on": t.handed_over_on.isoformat() if t.handed_over_on else None,
        "created_at": clock.iso(t.created_at),
        "updated_at": clock.iso(t.updated_at),
        "photos": [
            {
                "sha256": p.sha256,
                "size": p.size,
                "mime": p.mime,
                "width": p.width,
                "height": p.height,
            }
            for p in t.photos
        ],  # fmt: skip
        "events": [
            {
                "status": e.status,
                "note": e.note,
                "public": e.public,
                "by": e.user.username if e.user is not None else None,
                "at": clock.iso(e.at),
            }
            for e in t.events
        ],  # fmt: skip
    }


def public_json(t: Tipoff) -> dict:
    """What the reporter sees with the tracking code: no officer, no internal note."""
    from app.services import public as public_service

    site_code = None
    if t.site is not None:
        try:
            public_service.get_public(t.site.code)
            site_code = t.site.code
        except NotFound:
            site_code = None  # the plot is not public yet: do not reveal it
    return {
        "status": t.status,
        "status_label": STATUS_LABELS_ZH[t.status],
        "township": t.township,
        "location": t.location,
        "description": t.description,
        "created_at": clock.iso(t.created_at),
        "photos": len(t.photos),
        "site_code": site_code,
        "reply_due": t.reply_due.isoformat() if t.reply_due else None,
        "handed_over": {"agency": t.handed_over_to, "date": t.handed_over_on.isoformat()}
        if t.handed_over_to and t.handed_over_on
        else None,
        "events": [
            {
                "status": e.status,
                "status_label": STATUS_LABELS_ZH.get(e.status, e.status),
                "note": e.note,
                "at": clock.iso(e.at),
            }
            for e in t.events
            if e.public
        ],  # fmt: skip
    }
