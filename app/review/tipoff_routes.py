"""Tip-offs on the desk (DESIGN §11): the list with the reply clock, tip-offs taken
by phone, letter or visit, and a tip-off's page to update it or hand it over."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.api.errors import log_service_error
from app.errors import ServiceError
from app.models import TIPOFF_CHANNEL_LABELS_ZH, TIPOFF_STATUS_LABELS_ZH
from app.review import bp
from app.review.forms import TipoffHandOverForm, TipoffRecordForm, TipoffStatusForm
from app.services import clock, tipoff_desk
from app.services import tipoffs as tipoff_service


def _staff():
    if current_user.role != "bureau":
        abort(403)  # tip-offs carry reporters' words and photos: bureau staff only
    return current_user._get_current_object()


def _fail(form, exc: ServiceError) -> None:
    log_service_error(exc)
    for key, message in (exc.fields or {}).items():
        if key in form:
            form[key].errors = [message]
    flash(exc.message, "danger")


@bp.route("/tipoffs", methods=["GET", "POST"])
def tipoffs():
    user = _staff()
    form = TipoffRecordForm()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            payload = {k: form[k].data for k in ("channel", "township", "location", "description")}
            if form.received_on.data:
                payload["received_on"] = form.received_on.data.isoformat()
            try:
                tipoff, code = tipoff_desk.record(user, payload)
            except ServiceError as exc:
                _fail(form, exc)
                status = 400
            else:
                flash(f"已登记举报，查询码 {code}（请告知举报人，仅显示一次）。", "success")
                return redirect(url_for("review.tipoff", tipoff_id=tipoff.id))
        else:
            status = 400
    page = request.args.get("page", 1, type=int)
    result = tipoff_service.list_for_bureau(user, page=max(page, 1))
    return render_template(
        "review/tipoffs.html", result=result, form=form, today=clock.today(),
        channels=TIPOFF_CHANNEL_LABELS_ZH, overdue=tipoff_desk.overdue_count(user),
    ), status  # fmt: skip


@bp.route("/tipoffs/<int:tipoff_id>", methods=["GET", "POST"])
def tipoff(tipoff_id):
    user = _staff()
    t = tipoff_service.get(user, tipoff_id)
    status_form, hand_form = TipoffStatusForm(prefix="s"), TipoffHandOverForm(prefix="h")
    code = 200
    if request.method == "POST":
        form = hand_form if request.form.get("h-submit") else status_form
        if form.validate_on_submit():
            try:
                if form is hand_form:
                    tipoff_desk.hand_over(user, tipoff_id, {
                        "agency": form.agency.data,
                        "note": form.note.data or None,
                        **({"date": form.date.data.isoformat()} if form.date.data else {}),
                    })  # fmt: skip
                else:
                    tipoff_service.set_status(user, tipoff_id, form.status.data,
                                              form.note.data or None)  # fmt: skip
            except ServiceError as exc:
                _fail(form, exc)
                code = 400
            else:
                flash("已更新。", "success")
                return redirect(url_for("review.tipoff", tipoff_id=tipoff_id))
        else:
            code = 400
        t = tipoff_service.get(user, tipoff_id)
    return render_template(
        "review/tipoff.html", t=tipoff_service.to_json(t), status_form=status_form,
        hand_form=hand_form, channels=TIPOFF_CHANNEL_LABELS_ZH,
        status_labels=TIPOFF_STATUS_LABELS_ZH,
    ), code  # fmt: skip
