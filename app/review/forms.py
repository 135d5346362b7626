from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from app.portal.forms import CREDIT, REQUIRED


class ResolveForm(FlaskForm):
    comment = TextAreaField("处理意见", validators=[DataRequired(REQUIRED), Length(max=5000)])
    submit = SubmitField("处理差异")


class PartyForm(FlaskForm):
    name = StringField("单位名称", validators=[DataRequired(REQUIRED), Length(max=200)])
    credit_code = StringField("统一社会信用代码", validators=[DataRequired(REQUIRED), CREDIT])
    kind = SelectField(
        "类型",
        choices=[("enterprise", "企业"), ("institution", "事业单位"), ("government", "政府机关"),
                 ("individual", "个人")],
    )  # fmt: skip
    submit = SubmitField("登记单位")


class BanForm(FlaskForm):
    until = DateField("禁入截止日期", validators=[Optional()])
    lifelong = BooleanField("终身禁入")
    reason = TextAreaField("事实与依据", validators=[DataRequired(REQUIRED), Length(max=5000)])
    submit = SubmitField("记录禁入决定")


class SuccessionForm(FlaskForm):
    successor_credit_code = StringField(
        "承继单位统一社会信用代码", validators=[DataRequired(REQUIRED), CREDIT]
    )
    submit = SubmitField("登记注销与承继")


__all__ = ["BanForm", "PartyForm", "ResolveForm", "SuccessionForm", "Regexp"]
