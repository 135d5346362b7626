"""Forms of the portal. Labels and messages are Chinese msgids, translated when
shown (Flask-Babel: ``_l`` at import, ``_`` at request time); each form turns its
fields into the JSON-shaped ``data`` the services validate, so the browser and
the API go through exactly the same checks."""

from __future__ import annotations

import json

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, MultipleFileField
from wtforms import (
    DateField,
    DecimalField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from app.choices import options
from app.services import regions
from app.services.sites import LAND_CATEGORY, PLANNED_USE_ZH, TRIGGER_ZH, TRIGGERS

REQUIRED = _l("此项必填")
CREDIT = Regexp(
    r"^\s*[0-9A-HJ-NPQRTUWXYa-hj-npqrtuwxy]{18}\s*$", message=_l("须为 18 位统一社会信用代码")
)
# 陇川县's townships: suggestions for the plot form's township (any other county's
# township can be typed in).
TOWNSHIPS = ["章凤镇", "陇把镇", "景罕镇", "城子镇", "户撒阿昌族乡", "护国乡", "清平乡",
             "王子树乡", "勐约乡"]  # fmt: skip
YES_NO = options([("", _l("请选择")), ("true", _l("是")), ("false", _l("否"))])


def _bool(value: str | None) -> bool | None:
    return {"true": True, "false": False}.get(value or "")


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def county_choices() -> list:
    """The counties this platform serves (issue 18), by name in the reader's language."""
    from app.ui import tr

    return options([(d.code, tr(d.name)) for d in regions.served()])


class SiteForm(FlaskForm):
    name = StringField(_l("地块名称"), validators=[DataRequired(REQUIRED), Length(max=200)])
    # The county the plot lies in: one of the served counties, the deployment's by
    # default; the template shows the select only when there is a choice.
    county = SelectField(_l("所在县（市、区）"), choices=county_choices, default=regions.home,
                         validators=[DataRequired(REQUIRED)],
                         invalid_choice_message=_l("请从列表中选择县（市、区）"))  # fmt: skip
    township = StringField(
        _l("乡镇"),
        validators=[DataRequired(REQUIRED), Length(max=50, message=_l("不超过 50 个字"))],
    )
    address = StringField(_l("地址"), validators=[DataRequired(REQUIRED), Length(max=300)])
    area_m2 = DecimalField(
        _l("面积（平方米）"), places=2,
        validators=[InputRequired(REQUIRED), NumberRange(min=0.01, message=_l("面积须大于 0"))],
    )  # fmt: skip
    planned_use = SelectField(
        _l("规划用途"),
        choices=options([("", _l("请选择"))] + [(k, _l(PLANNED_USE_ZH[k])) for k in LAND_CATEGORY]),
        validators=[DataRequired(REQUIRED)],
    )  # fmt: skip
    former_industry = StringField(
        _l("原用途/原行业"), validators=[DataRequired(REQUIRED), Length(max=200)]
    )
    trigger = SelectField(
        _l("调查原因"),
        choices=options([("", _l("请选择"))] + [(k, _l(TRIGGER_ZH[k])) for k in TRIGGERS]),
        validators=[DataRequired(REQUIRED)],
    )  # fmt: skip
    responsible_party_credit_code = StringField(
        _l("土壤污染责任人统一社会信用代码（与土地使用权人不同时填写）"),
        validators=[Optional(), CREDIT],
    )
    boundary = HiddenField(_l("地块边界（GeoJSON）"))
    boundary_file = FileField(_l("或上传边界 GeoJSON 文件"))
    submit = SubmitField(_l("登记地块"))

    def to_data(self) -> dict:
        data = {
            "name": self.name.data,
            "county": self.county.data,
            "township": (self.township.data or "").strip(),
            "address": self.address.data,
            "area_m2": float(self.area_m2.data) if self.area_m2.data is not None else None,
            "planned_use": self.planned_use.data,
            "former_industry": self.former_industry.data,
            "trigger": self.trigger.data,
        }
        if self.responsible_party_credit_code.data:
            data["responsible_party_credit_code"] = self.responsible_party_credit_code.data
        return data


class ActionForm(FlaskForm):
    action = HiddenField(validators=[DataRequired()])
    version = IntegerField(validators=[InputRequired()])
    comment = TextAreaField(_l("意见"), validators=[Length(max=5000)])
    # Listing and release are provincial decisions by law (DESIGN §10): the desk may
    # record the province's number and date with the approval.
    provincial_number = StringField(_l("省级决定文号"), validators=[Optional(), Length(max=100)])
    provincial_date = DateField(_l("省级决定日期"), validators=[Optional()])

    def provincial_decision(self) -> dict | None:
        number = (self.provincial_number.data or "").strip()
        if not number and not self.provincial_date.data:
            return None
        day = self.provincial_date.data
        return {"number": number, "date": day.isoformat() if day else None}


class AssignmentForm(FlaskForm):
    role = SelectField(
        _l("委托类型"),
        choices=options(
            [
                ("evaluator", _l("效果评估单位")),
                ("contractor", _l("修复施工单位")),
                ("surveyor", _l("调查单位")),
            ]
        ),
    )
    credit_code = StringField(_l("统一社会信用代码"), validators=[DataRequired(REQUIRED), CREDIT])
    submit = SubmitField(_l("委托"))


class ManifestForm(FlaskForm):
    quantity_t = DecimalField(
        _l("计划转运量（吨）"), places=3,
        validators=[InputRequired(REQUIRED), NumberRange(min=0.001, message=_l("须大于 0"))],
    )  # fmt: skip
    mode = SelectField(
        _l("运输方式"),
        choices=options([("road", _l("公路")), ("rail", _l("铁路")), ("water", _l("水路"))]),
    )
    route = TextAreaField(_l("运输路线"), validators=[DataRequired(REQUIRED), Length(max=2000)])
    origin_address = StringField(
        _l("起运地址"), validators=[DataRequired(REQUIRED), Length(max=300)]
    )
    destination_facility_credit_code = StringField(
        _l("接收单位统一社会信用代码"), validators=[DataRequired(REQUIRED), CREDIT]
    )
    destination_county = StringField(_l("接收地（县/市）"), validators=[DataRequired(REQUIRED)])
    planned_start = DateField(_l("计划开始日期"), validators=[InputRequired(REQUIRED)])
    planned_end = DateField(_l("计划结束日期"), validators=[InputRequired(REQUIRED)])
    final_disposal = StringField(_l("最终处置方式"), validators=[DataRequired(REQUIRED)])
    submit = SubmitField(_l("报告转运联单"))

    def validate_planned_end(self, field):
        if self.planned_start.data and field.data and field.data < self.planned_start.data:
            raise ValidationError(_("结束日期不能早于开始日期"))

    def to_data(self) -> dict:
        return {
            "quantity_t": float(self.quantity_t.data),
            "mode": self.mode.data,
            "route": self.route.data,
            "origin_address": self.origin_address.data,
            "destination_facility_credit_code": self.destination_facility_credit_code.data,
            "destination_county": self.destination_county.data,
            "planned_start": self.planned_start.data.isoformat(),
            "planned_end": self.planned_end.data.isoformat(),
            "final_disposal": self.final_disposal.data,
        }


class QuantityForm(FlaskForm):
    quantity_t = DecimalField(
        _l("数量（吨）"), places=3,
        validators=[InputRequired(REQUIRED), NumberRange(min=0.001, message=_l("须大于 0"))],
    )  # fmt: skip
    submit = SubmitField(_l("提交"))


# ---------------------------------------------------------------- filings


class _FilingForm(FlaskForm):
    # A fresh id per form shown: a double-submitted form files once (it becomes
    # the filing's Idempotency-Key).
    submission_id = HiddenField()
    files = MultipleFileField(_l("PDF 附件（可多个，每个不超过 30 MB）"))
    submit = SubmitField(_l("提交材料"))

    def to_data(self) -> dict:  # pragma: no cover - overridden
        raise NotImplementedError


def _lines(text: str, width: int, label: str) -> list[list[str]]:
    rows = []
    for n, line in enumerate((text or "").splitlines(), 1):
        line = line.strip()
        if not line:
            continue
        cells = [c.strip() for c in line.replace("，", ",").split(",")]
        if len(cells) != width:
            raise ValidationError(_("第 %(n)s 行应为“%(label)s”，用逗号分隔", n=n, label=label))
        rows.append(cells)
    return rows


def _number(text: str, line: int) -> float:
    try:
        return float(text)
    except ValueError:
        raise ValidationError(_("第 %(n)s 行的“%(text)s”不是数字", n=line, text=text)) from None


class SurveyForm(_FilingForm):
    unit_credit_code = StringField(
        _l("调查单位统一社会信用代码"), validators=[DataRequired(REQUIRED), CREDIT]
    )
    project_lead = StringField(
        _l("项目负责人"), validators=[DataRequired(REQUIRED), Length(max=100)]
    )
    conclusion = TextAreaField(
        _l("调查结论"), validators=[DataRequired(REQUIRED), Length(max=10000)]
    )
    samples = FileField(
        _l("样品检测数据 CSV（UTF-8 或 GB18030；列：点位编号,深度,污染物,检测值,单位）")
    )

    def validate_samples(self, field):
        if not field.data or not getattr(field.data, "filename", ""):
            raise ValidationError(_("请上传样品检测数据 CSV 文件"))

    def to_data(self) -> dict:
        return {
            "unit_credit_code": self.unit_credit_code.data,
            "project_lead": self.project_lead.data,
            "conclusion": self.conclusion.data,
        }


class RiskForm(_FilingForm):
    unit_credit_code = StringField(
        _l("风险评估单位统一社会信用代码"), validators=[DataRequired(REQUIRED), CREDIT]
    )
    project_lead = StringField(
        _l("项目负责人"), validators=[DataRequired(REQUIRED), Length(max=100)]
    )
    carcinogenic_risk_max = DecimalField(
        _l("最大致癌风险"), places=None,
        validators=[InputRequired(REQUIRED), NumberRange(min=0, max=1, message=_l("须在 0 到 1 之间"))],
    )  # fmt: skip
    hazard_quotient_max = DecimalField(
        _l("最大危害商"), places=None,
        validators=[InputRequired(REQUIRED), NumberRange(min=0, message=_l("不能为负"))],
    )  # fmt: skip
    risk_acceptable = SelectField(
        _l("风险是否可接受"), choices=YES_NO, validators=[DataRequired(REQUIRED)]
    )
    targets = TextAreaField(_l("修复目标值（风险不可接受时必填；每行：污染物,目标值 mg/kg）"))
    # DESIGN §10: required when a survey sample is above the intervention value and
    # risk is called acceptable; the service says so beside this field.
    justification = TextAreaField(
        _l("风险可接受的理由（调查样品超过管制值时必填）"), validators=[Length(max=10000)]
    )

    def validate_targets(self, field):
        self._targets = [
            {"pollutant": p, "target_mg_kg": _number(v, i)}
            for i, (p, v) in enumerate(_lines(field.data, 2, _("污染物,目标值")), 1)
        ]

    def to_data(self) -> dict:
        data = {
            "unit_credit_code": self.unit_credit_code.data,
            "project_lead": self.project_lead.data,
            "carcinogenic_risk_max": float(self.carcinogenic_risk_max.data),
            "hazard_quotient_max": float(self.hazard_quotient_max.data),
            "risk_acceptable": _bool(self.risk_acceptable.data),
        }
        if getattr(self, "_targets", None):
            data["targets"] = self._targets
        if (self.justification.data or "").strip():
            data["justification"] = self.justification.data.strip()
        return data


class PlanForm(_FilingForm):
    contractor_credit_code = StringField(
        _l("修复施工单位统一社会信用代码"), validators=[DataRequired(REQUIRED), CREDIT]
    )
    project_lead = StringField(
        _l("项目负责人"), validators=[DataRequired(REQUIRED), Length(max=100)]
    )
    technology = TextAreaField(
        _l("修复技术"), validators=[DataRequired(REQUIRED), Length(max=2000)]
    )
    offsite_transfer = SelectField(
        _l("是否异位转运污染土壤"), choices=YES_NO, validators=[DataRequired(REQUIRED)]
    )
    volume_m3 = DecimalField(
        _l("修复土方量（立方米）"), places=2,
        validators=[InputRequired(REQUIRED), NumberRange(min=0.01, message=_l("须大于 0"))],
    )  # fmt: skip
    start_date = DateField(_l("计划开工日期"), validators=[InputRequired(REQUIRED)])
    end_date = DateField(_l("计划完工日期"), validators=[InputRequired(REQUIRED)])
    groundwater_measures = TextAreaField(_l("地下水保护措施"), validators=[DataRequired(REQUIRED)])

    def validate_end_date(self, field):
        if self.start_date.data and field.data and field.data < self.start_date.data:
            raise ValidationError(_("完工日期不能早于开工日期"))

    def to_data(self) -> dict:
        return {
            "contractor_credit_code": self.contractor_credit_code.data,
            "project_lead": self.project_lead.data,
            "technology": self.technology.data,
            "offsite_transfer": _bool(self.offsite_transfer.data),
            "volume_m3": float(self.volume_m3.data),
            "start_date": self.start_date.data.isoformat(),
            "end_date": self.end_date.data.isoformat(),
            "groundwater_measures": self.groundwater_measures.data,
        }


class MonitoringForm(_FilingForm):
    unit_credit_code = StringField(
        _l("监测单位统一社会信用代码"), validators=[DataRequired(REQUIRED), CREDIT]
    )
    media = MultiCheckboxField(
        _l("监测介质"),
        choices=options(
            [
                ("soil", _l("土壤")),
                ("surface_water", _l("地表水")),
                ("groundwater", _l("地下水")),
                ("air", _l("环境空气")),
            ]
        ),
        validators=[DataRequired(_l("至少选择一种监测介质"))],
    )
    summary = TextAreaField(_l("监测结论"), validators=[DataRequired(REQUIRED)])
    values = TextAreaField(
        _l(
            "监测数据（可选；每行：点位,介质,污染物,检测值,单位，介质为 soil/surface_water/groundwater/air）"
        )
    )

    def validate_values(self, field):
        self._values = [
            {"point_id": p, "medium": m, "pollutant": c, "value": _number(v, i), "unit": u}
            for i, (p, m, c, v, u) in enumerate(
                _lines(field.data, 5, _("点位,介质,污染物,检测值,单位")), 1
            )
        ]

    def to_data(self) -> dict:
        data = {"unit_credit_code": self.unit_credit_code.data, "media": self.media.data,
                "summary": self.summary.data}  # fmt: skip
        if getattr(self, "_values", None):
            data["values"] = self._values
        return data


class ControlPlanForm(_FilingForm):
    """风险管控方案 (issue 15): measures, the control area, signs, the announcement
    and the monitoring plan with its limits."""

    measures = TextAreaField(_l("管控措施"), validators=[DataRequired(REQUIRED)])
    control_area = TextAreaField(
        _l("管控区域（GeoJSON Polygon，WGS84）"), validators=[DataRequired(REQUIRED)]
    )
    signs = TextAreaField(_l("标识设置"), validators=[DataRequired(REQUIRED)])
    announcement = TextAreaField(_l("公告内容（向社会公开）"), validators=[DataRequired(REQUIRED)])
    media = MultiCheckboxField(
        _l("监测介质"), choices=options([("soil", _l("土壤")), ("surface_water", _l("地表水")),
                                      ("groundwater", _l("地下水")), ("air", _l("环境空气"))]),
        validators=[DataRequired(_l("至少选择一种监测介质"))],
    )  # fmt: skip
    frequency_days = IntegerField(
        _l("监测频次（天）"), validators=[DataRequired(REQUIRED), NumberRange(min=1, max=366)]
    )
    points = TextAreaField(_l("监测点位（每行：点位,介质）"), validators=[DataRequired(REQUIRED)])
    limits = TextAreaField(
        _l("管控限值（每行：介质,污染物,限值,单位）"), validators=[DataRequired(REQUIRED)]
    )

    def validate_control_area(self, field):
        try:
            self._area = json.loads(field.data)
        except ValueError:
            raise ValidationError(_("不是有效的 GeoJSON")) from None

    def validate_points(self, field):
        self._points = [{"point_id": p, "medium": m}
                        for p, m in _lines(field.data, 2, _("点位,介质"))]  # fmt: skip

    def validate_limits(self, field):
        self._limits = [
            {"medium": m, "pollutant": c, "limit": _number(v, i), "unit": u}
            for i, (m, c, v, u) in enumerate(_lines(field.data, 4, _("介质,污染物,限值,单位")), 1)
        ]

    def to_data(self) -> dict:
        return {
            "measures": self.measures.data, "control_area": getattr(self, "_area", None),
            "signs": self.signs.data, "announcement": self.announcement.data,
            "monitoring_plan": {"media": self.media.data, "frequency_days": self.frequency_days.data,
                                "points": getattr(self, "_points", []),
                                "limits": getattr(self, "_limits", [])},
        }  # fmt: skip


class EmergencyForm(_FilingForm):
    measures = TextAreaField(_l("已采取的应急措施"), validators=[DataRequired(REQUIRED)])
    isolation = SelectField(
        _l("是否已隔离受影响区域"), choices=YES_NO, validators=[DataRequired(REQUIRED)]
    )
    completed_on = DateField(_l("完成日期"), validators=[Optional()])

    def to_data(self) -> dict:
        data = {"measures": self.measures.data, "isolation": _bool(self.isolation.data)}
        if self.completed_on.data:
            data["completed_on"] = self.completed_on.data.isoformat()
        return data


class NoticeForm(_FilingForm):
    project_overview = TextAreaField(_l("工程概况"), validators=[DataRequired(REQUIRED)])
    environmental_impacts = TextAreaField(_l("主要环境影响"), validators=[DataRequired(REQUIRED)])
    protective_measures = TextAreaField(_l("环境保护措施"), validators=[DataRequired(REQUIRED)])
    contact = StringField(_l("联系人及电话"), validators=[DataRequired(REQUIRED), Length(max=300)])
    start_date = DateField(_l("开工日期"), validators=[InputRequired(REQUIRED)])
    end_date = DateField(_l("计划完工日期"), validators=[InputRequired(REQUIRED)])

    def validate_end_date(self, field):
        if self.start_date.data and field.data and field.data < self.start_date.data:
            raise ValidationError(_("完工日期不能早于开工日期"))

    def to_data(self) -> dict:
        return {
            "project_overview": self.project_overview.data,
            "environmental_impacts": self.environmental_impacts.data,
            "protective_measures": self.protective_measures.data,
            "contact": self.contact.data,
            "start_date": self.start_date.data.isoformat(),
            "end_date": self.end_date.data.isoformat(),
        }


class ProgressForm(_FilingForm):
    summary = TextAreaField(_l("进展情况"), validators=[DataRequired(REQUIRED)])
    percent_complete = DecimalField(
        _l("完成比例（%）"), places=1,
        validators=[InputRequired(REQUIRED), NumberRange(min=0, max=100, message=_l("须在 0 到 100 之间"))],
    )  # fmt: skip

    def to_data(self) -> dict:
        return {"summary": self.summary.data, "percent_complete": float(self.percent_complete.data)}


class EvaluationForm(_FilingForm):
    evaluator_credit_code = StringField(
        _l("效果评估单位统一社会信用代码"), validators=[DataRequired(REQUIRED), CREDIT]
    )
    project_lead = StringField(
        _l("项目负责人"), validators=[DataRequired(REQUIRED), Length(max=100)]
    )
    passed = SelectField(
        _l("评估结论：是否达到修复目标"), choices=YES_NO, validators=[DataRequired(REQUIRED)]
    )
    results = TextAreaField(
        _l("检测结果（每行：污染物,检测值 mg/kg,目标值 mg/kg）"),
        validators=[DataRequired(REQUIRED)],
    )

    def validate_results(self, field):
        self._results = [
            {"pollutant": p, "value_mg_kg": _number(v, i), "target_mg_kg": _number(t, i)}
            for i, (p, v, t) in enumerate(_lines(field.data, 3, _("污染物,检测值,目标值")), 1)
        ]

    def to_data(self) -> dict:
        return {
            "evaluator_credit_code": self.evaluator_credit_code.data,
            "project_lead": self.project_lead.data,
            "passed": _bool(self.passed.data),
            "results": getattr(self, "_results", []),
        }


FILING_FORMS = {
    "survey_report": SurveyForm,
    "risk_assessment_report": RiskForm,
    "remediation_plan": PlanForm,
    "monitoring_report": MonitoringForm,
    "works_notice": NoticeForm,
    "progress_report": ProgressForm,
    "evaluation_report": EvaluationForm,
    "risk_control_plan": ControlPlanForm,
    "emergency_measures": EmergencyForm,
}


def apply_service_errors(form: FlaskForm, fields: dict | None, message: str) -> list[str]:
    """Put a service's per-field errors beside the form's fields; return the rest."""
    leftover = []
    for key, text in (fields or {}).items():
        name = key.split("[")[0].split(".")[0]
        field = getattr(form, name, None)
        if field is not None and hasattr(field, "errors"):
            if isinstance(field.errors, tuple):
                field.errors = list(field.errors)
            field.errors.append(text)
        else:
            leftover.append(f"{key}：{text}")
    if not fields:
        leftover.append(message)
    return leftover
