"""The portal of landholders, responsible parties, contractors, facilities and
evaluators. Views parse the form, call one service, render."""

from __future__ import annotations

import json
import uuid

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app import casepage
from app.api.errors import log_service_error
from app.errors import ServiceError, ValidationError
from app.portal import bp
from app.portal.forms import (
    FILING_FORMS,
    TOWNSHIPS,
    ManifestForm,
    QuantityForm,
    SiteForm,
    apply_service_errors,
)
from app.services import cases, clock, deadlines, filings, key_units, manifests, sites
from app.services.filings import Upload

PORTAL_ROLES = ("landholder", "contractor", "facility", "evaluator")


@bp.before_request
@login_required
def _portal_users_only():
    if current_user.role not in PORTAL_ROLES:
        abort(403)


def _user():
    return current_user._get_current_object()


@bp.get("/")
def index():
    page = request.args.get("page", 1, type=int)
    state = request.args.get("state") or None
    result = cases.list_for(_user(), state=state, page=max(page, 1), per_page=20)
    return render_template(
        "portal/index.html", result=result, state=state, today=clock.today(),
        own=deadlines.own(_user()),  # §11: the user's own clocks come first
        clocks=deadlines.open_for_cases([c.id for c in result.items]),
        key_unit=key_units.listing_of(_user()),
    )  # fmt: skip


@bp.route("/sites/new", methods=["GET", "POST"])
def new_site():
    if current_user.role != "landholder":
        abort(403)
    form = SiteForm()
    errors: list[str] = []
    if form.validate_on_submit():
        data = form.to_data()
        try:
            data.update(_boundary(form))
            site = sites.register_site(_user(), data)
        except ServiceError as exc:
            log_service_error(exc)
            errors = apply_service_errors(form, exc.fields, exc.message)
        else:
            flash(f"地块已登记，编号 {site.code}。下一步：上传土壤污染状况调查报告。", "success")
            return redirect(url_for("portal.case", case_id=site.cases[0].id))
    status = 400 if form.errors or errors else 200
    return render_template("portal/new_site.html", form=form, errors=errors,
                           townships=TOWNSHIPS), status  # fmt: skip


def _boundary(form: SiteForm) -> dict:
    """The boundary drawn on the map, or an uploaded GeoJSON file (which wins)."""
    raw = None
    upload = form.boundary_file.data
    if upload is not None and getattr(upload, "filename", ""):
        raw = upload.read(2_000_001)
        if len(raw) > 2_000_000:
            raise ValidationError("边界文件过大", {"boundary_file": "GeoJSON 文件不能超过 2 MB"})
    elif form.boundary.data:
        raw = form.boundary.data
    if not raw:
        return {}
    try:
        geo = json.loads(raw)
    except (ValueError, RecursionError):
        raise ValidationError("边界不是合法的 GeoJSON", {"boundary": "GeoJSON 解析失败"}) from None
    # Accept a Feature or a one-feature FeatureCollection around the Polygon.
    if isinstance(geo, dict) and geo.get("type") == "FeatureCollection":
        feats = geo.get("features") or []
        geo = feats[0] if len(feats) == 1 else geo
    if isinstance(geo, dict) and geo.get("type") == "Feature":
        geo = geo.get("geometry")
    return {"boundary": geo}


@bp.get("/cases/<int:case_id>")
def case(case_id):
    return casepage.render_case("portal", case_id)


@bp.get("/cases/<int:case_id>/dossier.pdf")
def dossier(case_id):
    return casepage.render_dossier(case_id)


@bp.post("/cases/<int:case_id>/act")
def act(case_id):
    return casepage.handle_action("portal", case_id)


@bp.post("/cases/<int:case_id>/assign")
def assign(case_id):
    return casepage.handle_assignment("portal", case_id)


@bp.route("/cases/<int:case_id>/file/<kind>", methods=["GET", "POST"])
def file(case_id, kind):
    if kind not in FILING_FORMS:
        abort(404)
    case, caps = cases.load(_user(), case_id)
    if not filings.open_for(case, kind) or not caps & filings.KIND_FILERS[kind]:
        flash(f"当前阶段您不能提交{filings.KIND_LABELS_ZH[kind]}。", "warning")
        return redirect(url_for("portal.case", case_id=case_id))
    form = FILING_FORMS[kind]()
    if not form.submission_id.data:
        form.submission_id.data = uuid.uuid4().hex
    errors: list[str] = []
    if form.validate_on_submit():
        uploads = [
            Upload(name=f.filename or "document.pdf", data=f.read())
            for f in (form.files.data or [])
            if getattr(f, "filename", "")
        ]
        samples, samples_name = None, None
        if kind == "survey_report":
            samples, samples_name = form.samples.data.read(), form.samples.data.filename
        try:
            filing, _ = filings.file(
                _user(),
                case_id,
                kind,
                form.to_data(),
                files=uploads,
                samples_csv=samples,
                samples_name=samples_name,
                idempotency_key=f"web:{form.submission_id.data}"
                if form.submission_id.data
                else None,
            )
        except ServiceError as exc:
            log_service_error(exc)
            errors = apply_service_errors(form, exc.fields, exc.message)
        else:
            label = filings.KIND_LABELS_ZH[kind]
            if kind == "survey_report":
                flash(
                    f"已提交{label}，共 {filing.data['samples_count']} 个样品；筛选结果见下方。",
                    "success",
                )
                return redirect(url_for("portal.case", case_id=case_id) + "#screening")
            flash(f"已提交{label}。", "success")
            return redirect(url_for("portal.case", case_id=case_id))
    status = 400 if form.errors or errors else 200
    return (
        render_template(
            "portal/filing.html", form=form, kind=kind, case=case, errors=errors,
            label=filings.KIND_LABELS_ZH[kind],
        ),
        status,
    )  # fmt: skip


@bp.route("/cases/<int:case_id>/manifests/new", methods=["GET", "POST"])
def new_manifest(case_id):
    case, caps = cases.load(_user(), case_id)
    form = ManifestForm()
    if request.method == "GET":
        form.origin_address.data = case.site.address
    errors: list[str] = []
    if form.validate_on_submit():
        try:
            m = manifests.create(_user(), case_id, form.to_data())
        except ServiceError as exc:
            log_service_error(exc)
            errors = apply_service_errors(form, exc.fields, exc.message)
        else:
            flash(f"转运联单 {m.number} 已报告。", "success")
            return redirect(url_for("portal.case", case_id=case_id) + "#manifests")
    status = 400 if form.errors or errors else 200
    return render_template("portal/manifest_new.html", form=form, case=case, errors=errors), status


@bp.get("/manifests", endpoint="manifests")
def manifests_list():
    page = request.args.get("page", 1, type=int)
    user = _user()
    result = manifests.list_for(user, page=max(page, 1), per_page=30)
    dispatchers = manifests.dispatchers_of(user, [m.case_id for m in result.items])
    return render_template("portal/manifests.html", result=result, form=QuantityForm(),
                           dispatchers=dispatchers)  # fmt: skip


@bp.post("/manifests/<int:manifest_id>/<step>")
def manifest_step(manifest_id, step):
    if step not in ("dispatch", "receive"):
        abort(404)
    form = QuantityForm()
    if not form.validate_on_submit():
        for errs in form.errors.values():
            for e in errs:
                flash(f"数量：{e}", "danger")
        return redirect(url_for("portal.manifests"))
    try:
        m = getattr(manifests, step)(
            _user(), manifest_id, {"quantity_t": float(form.quantity_t.data)}
        )
    except ServiceError as exc:
        log_service_error(exc)
        flash(exc.message, "danger")
    else:
        if m.status == "discrepancy":
            flash(f"联单 {m.number} 接收数量与发运数量相差超过允许范围，已标记为数量差异，待生态环境部门处理。",
                  "warning")  # fmt: skip
        else:
            flash(f"联单 {m.number}：{manifests.STATUS_LABELS_ZH[m.status]}。", "success")
    return redirect(url_for("portal.manifests"))
