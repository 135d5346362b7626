from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from app.choices import options
from app.portal.forms import CREDIT, REQUIRED
from app.services.sites import LAND_CATEGORY, PLANNED_USE_ZH


class ResolveForm(FlaskForm):
    comment = TextAreaField(_l("处理意见"), validators=[DataRequired(REQUIRED), Length(max=5000)])
    submit = SubmitField(_l("处理差异"))


class PartyForm(FlaskForm):
    name = StringField(_l("单位名称"), validators=[DataRequired(REQUIRED), Length(max=200)])
    credit_code = StringField(_l("统一社会信用代码"), validators=[DataRequired(REQUIRED), CREDIT])
    kind = SelectField(
        _l("类型"),
        choices=options([("enterprise", _l("企业")), ("institution", _l("事业单位")),
                         ("government", _l("政府机关")), ("individual", _l("个人"))]),
    )  # fmt: skip
    submit = SubmitField(_l("登记单位"))


class BanForm(FlaskForm):
    until = DateField(_l("禁入截止日期"), validators=[Optional()])
    lifelong = BooleanField(_l("终身禁入"))
    reason = TextAreaField(_l("事实与依据"), validators=[DataRequired(REQUIRED), Length(max=5000)])
    submit = SubmitField(_l("记录禁入决定"))


class SuccessionForm(FlaskForm):
    successor_credit_code = StringField(
        _l("承继单位统一社会信用代码"), validators=[DataRequired(REQUIRED), CREDIT]
    )
    submit = SubmitField(_l("登记注销与承继"))


class UseChangeForm(FlaskForm):
    """DESIGN §10: the bureau records a plot's new planned use with its basis."""

    planned_use = SelectField(
        _l("新的规划用途"),
        choices=options([("", _l("请选择"))] + [(k, _l(PLANNED_USE_ZH[k])) for k in LAND_CATEGORY]),
        validators=[DataRequired(REQUIRED)],
    )
    basis = TextAreaField(
        _l("变更依据（规划批复文号、日期等）"),
        validators=[DataRequired(REQUIRED), Length(max=2000)],
    )
    submit = SubmitField(_l("登记规划用途变更"))


__all__ = ["BanForm", "PartyForm", "ResolveForm", "SuccessionForm", "UseChangeForm", "Regexp"]
