"""Forms of the farmland desk (issue 21)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    DateField,
    DecimalField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from app.choices import options
from app.portal.forms import REQUIRED
from app.services.screening import farmland as standard
from workflows import farmland as rules

# Labels listed in app/i18n_strings.py, translated when the form is shown.
LAND_USE_CHOICES = [(k, _l(standard.LAND_USE_LABELS_ZH[k])) for k in standard.LAND_USES]
CLASS_CHOICES = [(k, _l(standard.CLASS_LABELS_ZH[k])) for k in standard.CLASSES]
MEASURE_CHOICES = [(k, _l(v)) for k, v in rules.MEASURE_LABELS_ZH.items()]
POLLUTANT_CHOICES = [(k, _l(standard.name_of(k))) for k in standard.CLASSIFYING]


class UnitForm(FlaskForm):
    name = StringField(_l("单元名称"), validators=[DataRequired(REQUIRED), Length(max=100)])
    township = StringField(_l("乡镇"), validators=[DataRequired(REQUIRED), Length(max=50)])
    village = StringField(_l("村（社区）"), validators=[DataRequired(REQUIRED), Length(max=50)])
    area_mu = DecimalField(
        _l("面积（亩）"), validators=[DataRequired(REQUIRED), NumberRange(min=0.01)]
    )
    land_use = SelectField(_l("地类"), choices=options(LAND_USE_CHOICES))
    crop = StringField(_l("主要作物"), validators=[DataRequired(REQUIRED), Length(max=50)])
    holder = StringField(
        _l("经营主体（村集体或农户）"), validators=[DataRequired(REQUIRED), Length(max=100)]
    )
    geometry = TextAreaField(
        _l("边界（GeoJSON Polygon，WGS 84，可选）"), validators=[Optional(), Length(max=200_000)]
    )
    submit = SubmitField(_l("登记耕地单元"))


class SamplesForm(FlaskForm):
    file = FileField(_l("土壤样品表（CSV 或 XLSX）"))
    submit = SubmitField(_l("导入样品"))


class ConfirmForm(FlaskForm):
    class_ = SelectField(_l("确认类别"), choices=options(CLASS_CHOICES))
    reason = TextAreaField(
        _l("理由（与按标准划分的类别不同时必填）"), validators=[Optional(), Length(max=2000)]
    )
    submit = SubmitField(_l("确认类别并编号"))


class MeasureForm(FlaskForm):
    year = IntegerField(_l("年度"), validators=[DataRequired(REQUIRED)])
    kind = SelectField(_l("措施类型"), choices=options(MEASURE_CHOICES))
    area_mu = DecimalField(
        _l("实施面积（亩）"), validators=[DataRequired(REQUIRED), NumberRange(min=0.01)]
    )
    note = TextAreaField(_l("说明"), validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("记录措施"))


class CropForm(FlaskForm):
    year = IntegerField(_l("年度"), validators=[DataRequired(REQUIRED)])
    crop = SelectField(_l("农产品"), choices=[])
    pollutant = SelectField(_l("检测项目"), choices=options(POLLUTANT_CHOICES))
    value_mg_kg = DecimalField(
        _l("含量（mg/kg）"), validators=[InputRequired(REQUIRED), NumberRange(min=0)]
    )
    sampled_on = DateField(_l("采样日期"), validators=[DataRequired(REQUIRED)])
    submit = SubmitField(_l("记录检测结果"))


class SiteForm(FlaskForm):
    site_code = StringField(
        _l("建设用地地块编码"), validators=[DataRequired(REQUIRED), Length(max=30)]
    )
    submit = SubmitField(_l("关联建设用地地块"))
