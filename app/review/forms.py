from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from app.choices import options
from app.portal.forms import CREDIT, REQUIRED


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


__all__ = ["BanForm", "PartyForm", "ResolveForm", "SuccessionForm", "Regexp"]
