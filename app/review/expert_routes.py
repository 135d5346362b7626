"""Expert review on the desk (issue 15): the pool, and drawing a panel from a
case's page."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from app import casepage
from app.choices import options
from app.errors import ServiceError
from app.portal.forms import CREDIT, REQUIRED
from app.review import bp
from app.review.attempts import attempt
from app.services import experts as expert_service
from workflows import experts as rules


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ExpertForm(FlaskForm):
    name = StringField(_l("姓名"), validators=[DataRequired(REQUIRED), Length(max=100)])
    title = StringField(_l("职称"), validators=[Optional(), Length(max=100)])
    specialities = MultiCheckboxField(
        _l("专业"), choices=options(rules.SPECIALITIES.items()), validators=[DataRequired(REQUIRED)]
    )
    employer_credit_code = StringField(
        _l("工作单位统一社会信用代码"), validators=[Optional(), CREDIT]
    )
    phone = StringField(_l("联系电话"), validators=[Optional(), Length(max=40)])
    submit = SubmitField(_l("加入专家库"))


class PanelForm(FlaskForm):
    size = IntegerField(
        _l("抽取人数"),
        validators=[DataRequired(REQUIRED), NumberRange(rules.MIN_PANEL, rules.MAX_PANEL)],
        default=5,
    )
    reason = TextAreaField(
        _l("重新抽取的理由（本轮已抽取时必填）"), validators=[Optional(), Length(max=2000)]
    )
    submit = SubmitField(_l("随机抽取评审专家"))


class MeetingForm(FlaskForm):
    """The meeting of a drawn panel; each member's attendance and opinion come as
    ``present-<id>`` and ``opinion-<id>`` fields beside these."""

    held_on = DateField(_l("会议日期"), validators=[DataRequired(REQUIRED)])
    conclusion = SelectField(_l("评审结论"), choices=options(rules.CONCLUSION_LABELS_ZH.items()))
    summary = TextAreaField(
        _l("专家组意见"), validators=[DataRequired(REQUIRED), Length(max=10000)]
    )
    submit = SubmitField(_l("记录评审会"))


def _staff():
    if current_user.role != "bureau":
        abort(403)  # the pool holds personal data; admins keep accounts, not experts
    return current_user._get_current_object()


@bp.route("/experts", methods=["GET", "POST"])
def experts():
    user = _staff()
    form = ExpertForm()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            payload = {"name": form.name.data, "specialities": form.specialities.data}
            for k in ("title", "employer_credit_code", "phone"):
                if form[k].data:
                    payload[k] = form[k].data.strip()
            e = attempt(form, lambda: expert_service.add(user, payload))
            if e:
                flash(f"已将 {e.name} 加入专家库。", "success")
                return redirect(url_for("review.experts"))
        status = 400
    page = max(request.args.get("page", 1, type=int), 1)  # huge numbers: register_input_guards
    result = expert_service.pool(user, page=page, per_page=50)
    return render_template("review/experts.html", result=result, form=form, rules=rules), status


@bp.post("/experts/<int:expert_id>/active")
def toggle_expert(expert_id):
    user = _staff()
    try:
        e = expert_service.get(user, expert_id)
        expert_service.update(user, expert_id, {"active": not e.active})
    except ServiceError as exc:
        if exc.status == 404:
            abort(404)
        flash(exc.message, "danger")
    return redirect(url_for("review.experts"))


@bp.post("/cases/<int:case_id>/panels")
def draw_panel(case_id):
    user = _staff()
    form = PanelForm()
    if form.validate_on_submit():
        payload = {"size": form.size.data}
        if form.reason.data:
            payload["reason"] = form.reason.data
        panel = attempt(form, lambda: expert_service.draw(user, case_id, payload))
        if panel:
            flash(
                f"已随机抽取 {panel.size} 名评审专家（抽取记录已写入问责台账，可复核）。", "success"
            )
            return redirect(url_for("review.case", case_id=case_id) + "#panels")
    return casepage.render_case("review", case_id, status=400, panel_form=form)


@bp.post("/panels/<int:panel_id>/meeting")
def record_meeting(panel_id):
    user = _staff()
    form = MeetingForm()
    panel = expert_service.panel_of(user, panel_id)  # 404 for another county's
    if form.validate_on_submit():
        present = [m for m in panel.members if request.form.get(f"present-{m}")]
        payload = {
            "held_on": form.held_on.data.isoformat(),
            "attendance": present,
            "opinions": [{"expert_id": m, "opinion": (request.form.get(f"opinion-{m}") or "").strip()}
                         for m in present],
            "conclusion": form.conclusion.data,
            "summary": form.summary.data,
        }  # fmt: skip
        if attempt(form, lambda: expert_service.record_meeting(user, panel_id, payload)):
            label = rules.CONCLUSION_LABELS_ZH[form.conclusion.data]
            flash(f"已记录专家评审会，结论：{label}。", "success")
            return redirect(url_for("review.case", case_id=panel.case_id) + "#panels")
    return casepage.render_case("review", panel.case_id, status=400, meeting_form=form)
