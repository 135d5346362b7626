"""Desk forms for the work before the survey (DESIGN §12)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    DateField,
    DecimalField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from app.choices import options
from app.portal.forms import CREDIT, REQUIRED
from app.services.sites import LAND_CATEGORY, PLANNED_USE_ZH
from workflows.presurvey import SOURCE_LABELS_ZH, SOURCES

SOURCE_CHOICES = [(s, SOURCE_LABELS_ZH[s]) for s in SOURCES]
USE_CHOICES = [("", _l("未定（按第一类用地）"))] + [(u, PLANNED_USE_ZH[u]) for u in LAND_CATEGORY]


class SuspectForm(FlaskForm):
    name = StringField(_l("地块名称"), validators=[DataRequired(REQUIRED), Length(max=200)])
    source = SelectField(_l("来源"), choices=options(SOURCE_CHOICES))
    township = StringField(_l("乡镇"), validators=[DataRequired(REQUIRED), Length(max=50)])
    address = StringField(_l("地址"), validators=[DataRequired(REQUIRED), Length(max=300)])
    former_industry = StringField(
        _l("原从事行业"), validators=[DataRequired(REQUIRED), Length(max=200)]
    )
    landholder_credit_code = StringField(
        _l("土地使用权人统一社会信用代码（可选）"), validators=[Optional(), CREDIT]
    )
    area_m2 = DecimalField(
        _l("面积（平方米，可选）"), validators=[Optional(), NumberRange(min=0.01)]
    )
    planned_use = SelectField(_l("规划用途"), choices=options(USE_CHOICES))
    boundary = HiddenField()
    note = TextAreaField(_l("线索与备注"), validators=[Optional(), Length(max=5000)])
    submit = SubmitField(_l("登记疑似地块"))


class OrderSurveyForm(FlaskForm):
    due = DateField(_l("调查报告提交期限"), validators=[DataRequired(REQUIRED)])
    planned_use = SelectField(_l("规划用途"), choices=options(USE_CHOICES))
    note = TextAreaField(_l("责令事项说明"), validators=[Optional(), Length(max=5000)])
    submit = SubmitField(_l("责令开展调查"))


class DismissForm(FlaskForm):
    reason = TextAreaField(_l("排除理由"), validators=[DataRequired(REQUIRED), Length(max=5000)])
    submit = SubmitField(_l("排除"))


class KeyUnitForm(FlaskForm):
    credit_code = StringField(_l("统一社会信用代码"), validators=[DataRequired(REQUIRED), CREDIT])
    year = IntegerField(_l("年度"), validators=[DataRequired(REQUIRED), NumberRange(2000, 2100)])
    name = StringField(
        _l("单位名称（未登记的单位须填写）"), validators=[Optional(), Length(max=200)]
    )
    industry = StringField(_l("行业"), validators=[Optional(), Length(max=200)])
    township = StringField(_l("乡镇"), validators=[Optional(), Length(max=50)])
    address = StringField(_l("地址"), validators=[Optional(), Length(max=300)])
    submit = SubmitField(_l("加入名录"))


class CloseUnitForm(FlaskForm):
    status = SelectField(
        _l("情形"), choices=options([("closed", _l("关闭")), ("relocated", _l("搬迁"))])
    )
    date = DateField(_l("日期"), validators=[DataRequired(REQUIRED)])
    note = TextAreaField(_l("说明"), validators=[Optional(), Length(max=5000)])
    submit = SubmitField(_l("登记关闭搬迁并列为疑似地块"))


class ImportForm(FlaskForm):
    kind = SelectField(
        _l("名录类型"),
        choices=options([("suspected", _l("疑似污染地块")), ("key_units", _l("重点监管单位"))]),
    )
    file = FileField(_l("表格文件（CSV 或 XLSX，UTF-8 或 GB18030，首行为中文表头）"))
    submit = SubmitField(_l("预览"))


class ConfirmImportForm(FlaskForm):
    token = HiddenField(validators=[DataRequired()])
    submit = SubmitField(_l("确认导入"))
