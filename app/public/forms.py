"""The tip-off form: CSRF-protected, CAPTCHA-free, abuse-resistant.

Two cheap checks stop most bots without bothering people: a honeypot field
hidden from humans (bots fill every input), and a signed timestamp issued with
the form (a person needs more than a few seconds to describe what they saw; a
replayed or forged timestamp fails the signature).
"""

from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from app.choices import options
from app.extensions import db
from app.models import Site
from app.services import clock, regions
from app.services import tipoffs as tipoff_service

# 陇川县's townships, offered even before any plot is registered in one.
COUNTY_TOWNSHIPS = ("章凤镇", "陇把镇", "景罕镇", "城子镇", "户撒阿昌族乡", "护国乡", "清平乡",
                    "王子树乡", "勐约乡")  # fmt: skip
OTHER_TOWNSHIP = "其他/不确定"
MIN_FILL_SECONDS = 5
MAX_FORM_AGE_SECONDS = 24 * 3600
_SALT = "tipoff-form-issued"


def township_choices() -> list[SelectChoice]:
    configured = current_app.config.get("TOWNSHIPS") or COUNTY_TOWNSHIPS
    known = list(dict.fromkeys(configured))
    for t in db.session.scalars(select(Site.township).distinct().order_by(Site.township)):
        if t not in known:
            known.append(t)
    return options(
        [("", _("请选择乡镇")), *[(t, t) for t in known], (OTHER_TOWNSHIP, _("其他/不确定"))]
    )


def county_choices() -> list[SelectChoice]:
    """The served counties (issue 18), or none when the platform serves one: the
    form then shows no county and the tip-off goes to the deployment's county."""
    from app.ui import tr

    served = regions.served()
    if len(served) < 2:
        return []
    return options([("", _("请选择")), *[(d.code, tr(d.name)) for d in served]])


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def issue_timestamp() -> str:
    """A signed 'form issued at' value (the clock's time, so tests can move it)."""
    return _serializer().dumps(round(clock.now().timestamp(), 3))


def check_timestamp(token: str) -> str | None:
    """None when the form was filled at a human pace, else the reason."""
    try:
        issued = float(_serializer().loads(token or ""))
    except (BadSignature, TypeError, ValueError):
        return _("表单已失效，请重新填写后提交。")
    age = clock.now().timestamp() - issued
    minimum = current_app.config.get("TIPOFF_MIN_FILL_SECONDS", MIN_FILL_SECONDS)
    if age < minimum:
        return _("提交过快，请核对填写内容后再提交。")
    if age > MAX_FORM_AGE_SECONDS:
        return _("表单打开时间过长已失效，请重新填写后提交。")
    return None


def _coordinate(low: float, high: float):
    def check(form, field):
        if field.data in (None, ""):
            return
        try:
            value = float(field.data)
        except ValueError:
            raise ValidationError(_("坐标无效，请重新在地图上点选")) from None
        if not low <= value <= high:
            raise ValidationError(_("坐标无效，请重新在地图上点选"))

    return check


class TipoffForm(FlaskForm):
    # Shown and required only when several counties are served (choices set per request).
    county = SelectField(_l("所在县（市、区）"), choices=[], validate_choice=False)
    township = SelectField(_l("所在乡镇"), validators=[DataRequired(_l("请选择乡镇"))])
    location = StringField(
        _l("具体地点"),
        validators=[DataRequired(_l("请填写地点")), Length(max=300, message=_l("不超过 300 个字"))],
        description=_l("村/社区、道路、附近标志物，例如：景罕镇曼软村委会往南约 500 米的河边"),
    )
    description = TextAreaField(
        _l("看到的情况"),
        validators=[
            DataRequired(_l("请描述看到的情况")),
            Length(
                min=tipoff_service.DESCRIPTION_MIN,
                max=tipoff_service.DESCRIPTION_MAX,
                message=_l("请用 10–5000 个字描述"),
            ),
        ],  # fmt: skip
        description=_l("什么时间、看到了什么（倾倒渣土、废液排放、异味等）、车辆或设备特征"),
    )
    photos = MultipleFileField(_l("现场照片（可选，最多 3 张）"), validators=[Optional()])
    lat = HiddenField(validators=[_coordinate(-90, 90)])
    lon = HiddenField(validators=[_coordinate(-180, 180)])
    # Honeypot: hidden from people by CSS and from screen readers; must stay empty.
    website = StringField(_l("网址（请勿填写）"))
    issued = HiddenField()

    def validate_county(self, field):
        if not field.choices:
            field.data = None  # one county: nothing to choose, whatever was posted
            return
        if not field.data:
            raise ValidationError(_("请选择县（市、区）"))
        if field.data not in {c.value for c in field.choices if c.value}:
            raise ValidationError(_("请从列表中选择县（市、区）"))

    def validate_photos(self, field):
        files = [f for f in (field.data or []) if f and getattr(f, "filename", "")]
        if len(files) > tipoff_service.MAX_PHOTOS:
            raise ValidationError(_("最多上传 %(n)s 张照片", n=tipoff_service.MAX_PHOTOS))


class TrackForm(FlaskForm):
    class Meta:
        csrf = False  # a GET lookup changes nothing

    code = StringField(_l("查询码"), validators=[DataRequired(_l("请输入查询码")), Length(max=64)])
