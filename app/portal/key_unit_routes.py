"""A key supervised unit's own page (DESIGN §12): its listing, its filings, and
the forms for the yearly self-monitoring report and a demolition plan."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import DateField, IntegerField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from app.api.errors import log_service_error
from app.errors import ServiceError
from app.portal import bp
from app.portal.forms import REQUIRED, apply_service_errors
from app.services import clock
from app.services import key_units as key_unit_service
from workflows import presurvey as rules


class SelfMonitoringForm(FlaskForm):
    year = IntegerField(
        _l("监测年度"), validators=[DataRequired(REQUIRED), NumberRange(2000, 2100)]
    )
    monitoring_unit = StringField(
        _l("监测单位"), validators=[DataRequired(REQUIRED), Length(max=200)]
    )
    sampled_on = DateField(_l("采样日期"), validators=[DataRequired(REQUIRED)])
    conclusion = TextAreaField(
        _l("监测结论"), validators=[DataRequired(REQUIRED), Length(max=5000)]
    )
    samples = FileField(_l("土壤样品 CSV（点位、深度、污染物、检测值、单位）"))
    submit = SubmitField(_l("报送自行监测报告"))


class DemolitionForm(FlaskForm):
    demolition_start = DateField(_l("拆除开始日期"), validators=[DataRequired(REQUIRED)])
    demolition_end = DateField(_l("拆除结束日期"), validators=[DataRequired(REQUIRED)])
    facilities = TextAreaField(
        _l("拆除的设施设备"), validators=[DataRequired(REQUIRED), Length(max=5000)]
    )
    measures = TextAreaField(
        _l("污染防治措施"), validators=[DataRequired(REQUIRED), Length(max=10000)]
    )
    waste_disposal = TextAreaField(
        _l("残留物与废物处置"), validators=[DataRequired(REQUIRED), Length(max=5000)]
    )
    contact = StringField(_l("联系人及电话"), validators=[Optional(), Length(max=100)])
    submit = SubmitField(_l("报送拆除活动污染防治方案"))


def _own_unit():
    user = current_user._get_current_object()
    if user.party is None:
        abort(404)
    try:
        return user, *key_unit_service.get(user, user.party.credit_code)
    except ServiceError:
        abort(404)


def _refused(form, exc: ServiceError) -> None:
    """Messages beside their fields (``samples[3].value`` beside the CSV), the
    rest in the flash."""
    log_service_error(exc)
    leftover = apply_service_errors(form, exc.fields, exc.message)
    flash("；".join(dict.fromkeys([exc.message, *leftover])), "danger")


def _page(monitoring=None, demolition=None, status=200):
    user, unit, filings = _own_unit()
    if monitoring is None:
        monitoring = SelfMonitoringForm(formdata=None, year=clock.today().year - 1)
    return render_template(
        "portal/key_unit.html", unit=unit, filings=filings, rules=rules,
        monitoring=monitoring, demolition=demolition or DemolitionForm(formdata=None),
        lead_days=key_unit_service.lead_days(),
    ), status  # fmt: skip


@bp.get("/key-unit")
def key_unit():
    return _page()


@bp.post("/key-unit/self-monitoring")
def key_unit_monitoring():
    user, unit, _filings = _own_unit()
    form = SelfMonitoringForm()
    if form.validate_on_submit():
        upload = form.samples.data
        raw = upload.read() if upload is not None and getattr(upload, "filename", "") else None
        if raw is None:
            form.samples.errors = ["请上传样品 CSV"]
        else:
            payload = {"kind": "self_monitoring", "year": form.year.data,
                       "monitoring_unit": form.monitoring_unit.data,
                       "sampled_on": form.sampled_on.data.isoformat(),
                       "conclusion": form.conclusion.data}  # fmt: skip
            try:
                row = key_unit_service.file(user, unit.party.credit_code, payload, samples_csv=raw)
            except ServiceError as exc:
                _refused(form, exc)
            else:
                note = (
                    f"，{row.exceedances} 个样品超过筛选值，已报生态环境部门"
                    if row.exceedances
                    else ""
                )
                flash(f"已报送自行监测报告{note}。", "warning" if row.exceedances else "success")
                return redirect(url_for("portal.key_unit"))
    return _page(monitoring=form, status=400)


@bp.post("/key-unit/demolition-plan")
def key_unit_demolition():
    user, unit, _filings = _own_unit()
    form = DemolitionForm()
    if form.validate_on_submit():
        payload = {"kind": "demolition_plan",
                   "demolition_start": form.demolition_start.data.isoformat(),
                   "demolition_end": form.demolition_end.data.isoformat(),
                   "facilities": form.facilities.data, "measures": form.measures.data,
                   "waste_disposal": form.waste_disposal.data}  # fmt: skip
        if form.contact.data:
            payload["contact"] = form.contact.data
        try:
            key_unit_service.file(user, unit.party.credit_code, payload)
        except ServiceError as exc:
            _refused(form, exc)
        else:
            flash("已报送拆除活动污染防治方案。", "success")
            return redirect(url_for("portal.key_unit"))
    return _page(demolition=form, status=400)
