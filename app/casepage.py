"""The case page, shared by the portal and the review desk: one template, the
same service calls; each blueprint only says where its links point."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

import workflows
from app.api.errors import log_service_error
from app.errors import InvalidTransition, ServiceError, StaleVersion, ValidationError
from app.i18n_strings import N_
from app.portal.forms import ActionForm, AssignmentForm
from app.services import case_json, cases, filings, ledger
from app.services.screening.farmland import CLASS_LABELS_ZH as FARMLAND_CLASS_LABELS_ZH
from workflows.experts import REVIEW_REPORTS as EXPERT_REVIEW_REPORTS

# What happens next, in plain words, per state (Chinese msgids: translated
# where shown, here in render_case and in app.ui's context processor for EXPECTED).
NEXT_STEP = {
    "survey": N_("土地使用权人委托调查单位完成土壤污染状况调查，上传调查报告和样品检测数据后提交审查。"),
    "survey_review": N_("生态环境局会同自然资源部门审查调查报告：先由自然资源部门会签，再由生态环境部门审批。"),
    "risk_assessment": N_("调查发现超过筛选值：土壤污染责任人开展风险评估，提交风险评估报告。"),
    "risk_assessment_review": N_("生态环境局会同自然资源部门审查风险评估报告。"),
    "listed": N_("地块已列入名录。生态环境部门决定实施修复或风险管控。"),
    "risk_control": N_("责任人实施风险管控并定期提交监测报告；具备条件后启动效果评估，或由生态环境部门要求转为修复。"),
    "plan_filing": N_("责任人编制修复方案（含施工单位、技术、土方量、地下水保护措施）并提交备案。"),
    "plan_review": N_("生态环境局对修复方案进行备案审查。"),
    "transfer_reporting": N_("异位转运污染土壤须提前 5 个工作日报告转运联单，报告后提交进入施工。"),
    "works": N_("施工单位公开施工公告牌，按联单转运土壤并由接收单位确认；全部接收且无数量差异后登记施工完成。"),
    "evaluation": N_("委托独立的第三方效果评估单位，由其提交效果评估报告。"),
    "evaluation_review": N_("生态环境局会同自然资源部门审查效果评估报告。"),
    "released": N_("已移出名录或无需列入，可依法办理土地使用手续。"),
}  # fmt: skip
# Who is expected to act next, and on what, for lists of cases.
EXPECTED = {
    "survey": (N_("土地使用权人"), N_("提交土壤污染状况调查报告及样品数据")),
    "survey_review": (N_("生态环境局"), N_("会同自然资源部门审查调查报告")),
    "risk_assessment": (N_("土壤污染责任人"), N_("提交风险评估报告")),
    "risk_assessment_review": (N_("生态环境局"), N_("会同自然资源部门审查风险评估报告")),
    "listed": (N_("生态环境局"), N_("决定实施修复或风险管控")),
    "risk_control": (N_("土壤污染责任人"), N_("实施风险管控、提交监测报告")),
    "plan_filing": (N_("土壤污染责任人"), N_("提交修复方案备案")),
    "plan_review": (N_("生态环境局"), N_("修复方案备案审查")),
    "transfer_reporting": (N_("修复施工单位"), N_("报告转运联单后提交")),
    "works": (N_("修复施工单位"), N_("公开公告牌、转运、登记施工完成")),
    "evaluation": (N_("效果评估单位"), N_("提交效果评估报告")),
    "evaluation_review": (N_("生态环境局"), N_("会同自然资源部门审查效果评估报告")),
    "released": ("—", N_("已办结")),
}
COMMENT_REQUIRED = {"return", "reopen"}
BUTTON_CLASS = {"approve": "btn-success", "return": "btn-outline-danger", "cosign": "btn-primary",
                "reopen": "btn-outline-secondary"}  # fmt: skip


def filing_kinds_for(case, case_json: dict) -> list[str]:
    caps = set(case_json["your_roles"])
    return [
        kind
        for kind in filings.KINDS
        if caps & filings.KIND_FILERS[kind] and filings.open_for(case, kind)
    ]


def next_step_text(case) -> tuple[str, str | None]:
    """What happens next, and where ``approve`` would take the case now (read
    from the same TRANSITIONS as the machine: a failed evaluation goes back to
    its route, §10)."""
    text = _(NEXT_STEP[case.state])
    if not any(
        t["trigger"] == "approve" and t["source"] == case.state for t in workflows.TRANSITIONS
    ):
        return text, None
    facts = cases.facts_for(case)
    approve_to = workflows.destination("approve", case.state, facts, cosigned_this_round=True)
    if case.state == "evaluation_review":
        back = workflows.destination(
            "approve", case.state, facts, cosigned_this_round=True, evaluation_passed=False
        )
        text += " " + _(
            "评估达标则移出名录；未达标则退回“%(state)s”继续实施。",
            state=_(workflows.STATE_LABELS_ZH[back]),
        )
    return text, approve_to


def _farmland_history(case) -> list:
    """Issue 21: a plot that was farmland shows the units it was and their history."""
    if case.site.trigger != "agricultural_conversion":
        return []
    from app.services import farmland_register

    return farmland_register.for_site(case.site.id)


def render_case(
    blueprint: str,
    case_id: int,
    *,
    status: int = 200,
    form: ActionForm | None = None,
    assignment_form: AssignmentForm | None = None,
    use_change_form=None,
    panel_form=None,
    meeting_form=None,
):
    user = current_user._get_current_object()
    case, caps = cases.load(user, case_id)
    data = case_json.to_json(case, user, caps)
    next_step, approve_to = next_step_text(case)
    events = ledger.case_events(case.id)
    if caps == {"former_party"}:
        cutoff = ledger.iso(cases.history_cutoff(user, case))
        events = [e for e in events if e.at <= cutoff]
    survey = next((f for f in reversed(data["filings"]) if f["kind"] == "survey_report"), None)
    exceedances = filings.exceedances(survey["id"]) if survey else []
    from app.services import documents

    issued = documents.issued_for_case(case.id) if caps != {"former_party"} else []
    action_form = form or ActionForm()
    action_form.version.data = case.version
    return (
        render_template(
            "cases/detail.html",
            bp=blueprint,
            case=case,
            c=data,
            events=events,
            survey=survey,
            exceedances=exceedances,
            issued=issued,
            next_step=next_step,
            farmland_history=_farmland_history(case),
            farmland_labels=FARMLAND_CLASS_LABELS_ZH,
            # Listing and release may carry the provincial decision (§10).
            provincial=approve_to in ("listed", "released")
            and "approve" in data["allowed_actions"],
            action_form=action_form,
            comment_required=COMMENT_REQUIRED,
            button_class=BUTTON_CLASS,
            filing_kinds=filing_kinds_for(case, data),
            assignment_form=(assignment_form or AssignmentForm())
            if caps & {"landholder", "responsible"} and case.state != "released"
            else None,
            # DESIGN §10: either department records a new planned use (the desk only).
            use_change_form=(use_change_form or _use_change_form())
            if blueprint == "review"
            and user.role == "bureau"
            and case.id == case.site.current_case_id
            else None,
            can_report_manifest=bool(caps & {"contractor", "responsible"})
            and case.state in ("transfer_reporting", "works"),
            # Expert review (issue 15): panels stay with the bureau.
            panels=_panels(case, user) if blueprint == "review" and user.role == "bureau" else None,
            panel_form=panel_form,
            panel_form_default=_panel_form() if blueprint == "review" else None,
            meeting_form=meeting_form or (_meeting_form() if blueprint == "review" else None),
            conclusion_labels=_conclusion_labels(),
        ),
        status,
    )


def _meeting_form():
    from app.review.expert_routes import MeetingForm

    return MeetingForm(formdata=None)


def _conclusion_labels() -> dict:
    from app.ui import translated
    from workflows.experts import CONCLUSION_LABELS_ZH

    return translated(CONCLUSION_LABELS_ZH)


def _panel_form():
    from app.review.expert_routes import PanelForm

    return PanelForm(formdata=None)


def _panels(case, user) -> dict:
    from app.services import experts, meetings

    panels = experts.panels_for(user, case.id)
    held_rows = meetings.for_case(case.id)
    held = {m.panel_id for m in held_rows}
    met = any((m.stage, m.round) == (case.state, case.round) for m in held_rows)
    return {"items": panels, "experts": experts.members_of(panels), "held": held,
            "can_draw": case.state in EXPERT_REVIEW_REPORTS, "met_this_round": met}  # fmt: skip


def _use_change_form():
    from app.review.forms import UseChangeForm

    return UseChangeForm(formdata=None)


def render_dossier(case_id: int):
    """The accountability dossier of a case as a PDF, from the live record."""
    from flask import Response

    from app.services import accountability, clock
    from app.services.pdf import render_pdf

    data = accountability.for_case(current_user._get_current_object(), case_id)
    pdf = render_pdf("documents/dossier.html", a=data, now=clock.now(),
                     state_labels=workflows.STATE_LABELS_ZH)  # fmt: skip
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f"attachment; filename=dossier-{data['site']['code']}.pdf"},
    )


def handle_action(blueprint: str, case_id: int):
    """POST of an action button. A stale or refused action re-renders the case
    with what the user typed still in the comment box."""
    form = ActionForm()
    if not form.validate_on_submit():
        flash(_("表单已过期或不完整，请重试。"), "warning")
        return redirect(url_for(f"{blueprint}.case", case_id=case_id))
    payload = {"version": form.version.data, "comment": form.comment.data or None}
    if form.action.data == "approve" and form.provincial_decision():
        payload["provincial_decision"] = form.provincial_decision()
    try:
        cases.act(current_user._get_current_object(), case_id, form.action.data, payload)
    except StaleVersion:
        flash(_("已有其他人先于您处理了本案件，页面已刷新为最新状态；您填写的意见仍保留在下方，请核对后再操作。"),
              "warning")  # fmt: skip
        return render_case(blueprint, case_id, status=409, form=form)
    except (InvalidTransition, ValidationError) as exc:
        if form.action.data in COMMENT_REQUIRED and not (form.comment.data or "").strip():
            form.comment.errors = [_("退回或重新启动须填写意见")]
        flash(exc.message, "danger")
        return render_case(blueprint, case_id, status=409, form=form)
    label = workflows.ACTION_LABELS_ZH.get(form.action.data, form.action.data)
    flash(_("已%(action)s。", action=_(label)), "success")
    return redirect(url_for(f"{blueprint}.case", case_id=case_id))


def handle_assignment(blueprint: str, case_id: int):
    form = AssignmentForm()
    if form.validate_on_submit():
        try:
            cases.assign(
                current_user._get_current_object(),
                case_id,
                {"role": form.role.data, "credit_code": form.credit_code.data},
            )
        except ServiceError as exc:
            log_service_error(exc)
            form.credit_code.errors = [exc.message]
            flash(_("未能委托：%(reason)s", reason=exc.message), "danger")
        else:
            flash(_("已委托。"), "success")
            return redirect(url_for(f"{blueprint}.case", case_id=case_id) + "#assignments")
    # Re-render with the error beside the field and the code still typed in.
    return render_case(blueprint, case_id, status=400, assignment_form=form)
