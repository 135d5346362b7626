"""Before the survey on the desk (DESIGN §12): suspected plots on a list and a map,
ordering a survey or dismissing, the key supervised units of each year, and
loading either list from a spreadsheet (preview first, nothing stored until
confirmed)."""

from __future__ import annotations

import json

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.api.errors import log_service_error
from app.errors import ServiceError, ValidationError
from app.models import KeyUnit
from app.review import bp
from app.review.attempts import attempt, show_refusal
from app.review.presurvey_forms import (
    CloseUnitForm,
    ConfirmImportForm,
    DismissForm,
    ImportForm,
    KeyUnitForm,
    OrderSurveyForm,
    SuspectForm,
)
from app.services import clock, presurvey_import
from app.services import key_units as key_unit_service
from app.services import suspects as suspect_service
from app.ui import translated
from workflows import presurvey as rules


def _staff():
    if current_user.role != "bureau":
        abort(403)  # the lists and orders are the bureau's; an admin has no county
    return current_user._get_current_object()


def _page() -> int:
    # Numbers past any list are refused before the view (register_input_guards).
    return max(request.args.get("page", 1, type=int), 1)


def _map_items(items) -> list[dict]:
    """The page's suspected plots for the desk map (JSON in the page, no query)."""
    out = []
    for s in items:
        if s.lat is None and s.boundary is None:
            continue
        out.append({"id": s.id, "name": s.name, "status": s.status,
                    "status_label": rules.STATUS_LABELS_ZH[s.status], "township": s.township,
                    "source_label": rules.SOURCE_LABELS_ZH[s.source], "lat": s.lat, "lon": s.lon,
                    "boundary": s.boundary,
                    "url": url_for("review.suspect", suspect_id=s.id)})  # fmt: skip
    return out


# ---------------------------------------------------------------- suspected plots


@bp.route("/suspects", methods=["GET", "POST"])
def suspects():
    user = _staff()
    form = SuspectForm()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            payload = {k: form[k].data for k in ("name", "source", "township", "address",
                                                  "former_industry")}  # fmt: skip
            for k in ("landholder_credit_code", "planned_use", "note"):
                if form[k].data:
                    payload[k] = form[k].data.strip()
            if form.area_m2.data:
                payload["area_m2"] = float(form.area_m2.data)
            if form.boundary.data:
                try:
                    payload["boundary"] = json.loads(form.boundary.data)
                except ValueError:
                    form.boundary.errors = ["边界不是有效的 GeoJSON"]
                    flash("边界不是有效的 GeoJSON", "danger")
            s = None
            if not form.boundary.errors:
                s = attempt(form, lambda: suspect_service.create(user, payload))
            if s:
                flash(f"已登记疑似污染地块：{s.name}", "success")
                return redirect(url_for("review.suspect", suspect_id=s.id))
        status = 400
    args = {k: request.args.get(k) or None for k in ("status", "source", "township")}
    try:
        result = suspect_service.list_for(user, **args, page=_page(), per_page=50)
    except ValidationError as exc:
        flash(exc.message, "danger")
        args = dict.fromkeys(args)
        result = suspect_service.list_for(user, page=1, per_page=50)
    return render_template(
        "review/suspects.html", result=result, form=form, args=args,
        counts=suspect_service.counts(user), rules=rules, map_items=_map_items(result.items),
    ), status  # fmt: skip


@bp.get("/suspects/<int:suspect_id>")
def suspect(suspect_id):
    user = _staff()
    return _suspect_page(user, suspect_id, OrderSurveyForm(), DismissForm())


def _suspect_page(user, suspect_id, order_form, dismiss_form, status=200):
    try:
        s = suspect_service.get(user, suspect_id)
    except ServiceError:
        abort(404)
    return render_template("review/suspect.html", s=s, rules=rules, order_form=order_form,
                           dismiss_form=dismiss_form), status  # fmt: skip


@bp.post("/suspects/<int:suspect_id>/order")
def order_survey(suspect_id):
    user = _staff()
    form = OrderSurveyForm()
    if form.validate_on_submit():
        payload = {"due": form.due.data.isoformat()}
        if form.planned_use.data:
            payload["planned_use"] = form.planned_use.data
        if form.note.data:
            payload["note"] = form.note.data
        done = attempt(form, lambda: suspect_service.order_survey(user, suspect_id, payload))
        if done:
            s, case = done
            flash(f"已责令开展土壤污染状况调查，期限 {s.due.isoformat()}；地块编码 {case.site.code}。",
                  "success")  # fmt: skip
            return redirect(url_for("review.suspect", suspect_id=s.id))
    return _suspect_page(user, suspect_id, form, DismissForm(formdata=None), status=400)


@bp.post("/suspects/<int:suspect_id>/dismiss")
def dismiss_suspect(suspect_id):
    user = _staff()
    form = DismissForm()
    reason = {"reason": form.reason.data}
    if form.validate_on_submit() and attempt(
        form, lambda: suspect_service.dismiss(user, suspect_id, reason)
    ):
        flash("已排除该疑似地块，理由已记录。", "success")
        return redirect(url_for("review.suspect", suspect_id=suspect_id))
    return _suspect_page(user, suspect_id, OrderSurveyForm(formdata=None), form, status=400)


# ---------------------------------------------------------------- key units


@bp.route("/key-units", methods=["GET", "POST"])
def key_units():
    user = _staff()
    form = KeyUnitForm()
    status = 200
    if request.method == "GET" and form.year.data is None:
        form.year.data = clock.today().year
    if request.method == "POST":
        if form.validate_on_submit():
            payload = {"credit_code": form.credit_code.data.strip(), "year": form.year.data}
            for k in ("name", "industry", "township", "address"):
                if form[k].data:
                    payload[k] = form[k].data.strip()
            unit = attempt(form, lambda: key_unit_service.create(user, payload))
            if unit:
                flash(f"已将 {unit.party.name} 列入 {unit.year} 年度重点监管单位名录。", "success")
                return redirect(url_for("review.key_units", year=unit.year))
        status = 400
    year = request.args.get("year") or None
    try:
        result = key_unit_service.list_for(user, year=year, page=_page(), per_page=50)
    except ValidationError as exc:
        flash(exc.message, "danger")
        year, result = None, key_unit_service.list_for(user, page=1, per_page=50)
    return render_template("review/key_units.html", result=result, form=form, year=year,
                           rules=rules), status  # fmt: skip


@bp.get("/key-units/<credit_code>")
def key_unit(credit_code):
    user = _staff()
    return _unit_page(user, credit_code, CloseUnitForm())


def _unit_page(user, credit_code, form, status=200):
    try:
        unit, filings = key_unit_service.get(user, credit_code)
    except ServiceError:
        abort(404)
    return render_template("review/key_unit.html", unit=unit, filings=filings, form=form,
                           rules=rules), status  # fmt: skip


@bp.post("/key-units/<credit_code>/close")
def close_key_unit(credit_code):
    user = _staff()
    form = CloseUnitForm()
    if form.validate_on_submit():
        payload = {"status": form.status.data, "date": form.date.data.isoformat()}
        if form.note.data:
            payload["note"] = form.note.data
        done = attempt(form, lambda: key_unit_service.close(user, credit_code, payload))
        if done:
            _unit, s = done
            flash("已登记关闭搬迁，原址已列为疑似污染地块。", "success")
            return redirect(url_for("review.suspect", suspect_id=s.id))
    return _unit_page(user, credit_code, form, status=400)


# ---------------------------------------------------------------- import


@bp.route("/import", methods=["GET", "POST"])
def presurvey_import_view():
    user = _staff()
    form = ImportForm()
    preview, token, status = None, None, 200
    if request.method == "POST":
        upload = form.file.data
        if not form.validate_on_submit():
            status = 400
        elif upload is None or not getattr(upload, "filename", ""):
            form.file.errors = ["请选择 CSV 或 XLSX 文件"]
            status = 400
        else:
            raw = upload.read(presurvey_import.MAX_BYTES + 1)
            try:  # read() refuses a file past MAX_BYTES, among others
                preview = presurvey_import.read(
                    form.kind.data, upload.filename, raw, user=user
                )  # fmt: skip
            except ServiceError as exc:
                show_refusal(form, exc)
                if not form.file.errors:  # a file-level refusal shows beside the upload
                    form.file.errors = [exc.message]
                status = 400
            else:
                token = presurvey_import.sign(preview, user) if preview.ok else None
                if not preview.ok:
                    status = 400
    confirm = ConfirmImportForm(formdata=None, token=token) if token else None
    return render_template("review/import.html", form=form, preview=preview, confirm=confirm,
                           rules=rules, import_labels=translated(rules.FIELD_LABELS_ZH)), status  # fmt: skip


@bp.post("/import/confirm")
def presurvey_import_confirm():
    user = _staff()
    form = ConfirmImportForm()
    if not form.validate_on_submit():
        flash("导入已过期或无效，请重新上传", "danger")
        return redirect(url_for("review.presurvey_import_view"))
    try:
        created = presurvey_import.confirm(user, form.token.data)
    except ServiceError as exc:
        log_service_error(exc)
        flash(exc.message, "danger")
        return redirect(url_for("review.presurvey_import_view"))
    flash(f"已导入 {len(created)} 条。", "success")
    units = bool(created) and isinstance(created[0], KeyUnit)
    return redirect(url_for("review.key_units" if units else "review.suspects"))
