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


class AcknowledgeForm(FlaskForm):
    comment = TextAreaField(_l("意见（选填）"), validators=[Optional(), Length(max=5000)])
    submit = SubmitField(_l("确认知悉"))


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


class TipoffRecordForm(FlaskForm):
    """A tip-off taken by the 12369 hotline, a letter or a visit (DESIGN §11)."""

    channel = SelectField(
        _l("渠道"),
        choices=options(
            [("hotline", _l("12369 热线")), ("letter", _l("来信")), ("visit", _l("来访"))]
        ),
    )
    received_on = DateField(_l("收到日期"), validators=[Optional()])
    township = StringField(_l("乡镇"), validators=[DataRequired(REQUIRED), Length(max=50)])
    location = StringField(_l("地点"), validators=[DataRequired(REQUIRED), Length(max=300)])
    description = TextAreaField(
        _l("举报内容"), validators=[DataRequired(REQUIRED), Length(max=5000)]
    )
    submit = SubmitField(_l("登记举报"))


class TipoffStatusForm(FlaskForm):
    status = SelectField(
        _l("状态"),
        choices=options([("investigating", _l("调查核实中")), ("closed", _l("已办结"))]),
    )
    note = TextAreaField(_l("处理情况（举报人可见；办结时必填）"), validators=[Length(max=5000)])
    submit = SubmitField(_l("更新状态"))


class TipoffHandOverForm(FlaskForm):
    agency = StringField(_l("承办单位"), validators=[DataRequired(REQUIRED), Length(max=200)])
    date = DateField(_l("转办日期"), validators=[Optional()])
    note = TextAreaField(_l("转办说明"), validators=[Length(max=5000)])
    submit = SubmitField(_l("转办"))


__all__ = [
    "BanForm",
    "PartyForm",
    "ResolveForm",
    "SuccessionForm",
    "UseChangeForm",
    "TipoffRecordForm",
    "TipoffStatusForm",
    "TipoffHandOverForm",
    "Regexp",
]
