"""The farmland desk (issue 21): the register of classified land, a unit's page with
its samples screened against GB 15618, the class to confirm, measures and crop
results, and the safe-use rate per township."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app.errors import NotFound
from app.extensions import db
from app.farmland import bp
from app.farmland.forms import (
    ConfirmForm,
    CropForm,
    MeasureForm,
    SamplesForm,
    SiteForm,
    UnitForm,
)
from app.review.attempts import attempt
from app.services import clock
from app.services import farmland as service
from app.services import farmland_indicators as indicators
from app.services import farmland_register as register
from app.services.screening import farmland as standard
from app.ui import tr
from workflows import farmland as rules


@bp.before_request
@login_required
def _officers_only():
    if current_user.role not in ("bureau", "admin"):
        abort(403)


def _user():
    return current_user._get_current_object()


def _page() -> int:
    raw = request.args.get("page", "1")
    return int(raw) if raw.isascii() and raw.isdigit() and 0 < int(raw) < 100_000 else 1


@bp.route("/", methods=["GET", "POST"])
def index():
    user = _user()
    form = UnitForm()
    status = 200
    if request.method == "POST":
        if not service.may_record(user):
            abort(403)
        if form.validate_on_submit():
            data = {k: form[k].data for k in ("name", "township", "village", "land_use", "crop",
                                              "holder")}  # fmt: skip
            data["area_mu"] = float(form.area_mu.data)
            data["geometry"] = form.geometry.data or None
            unit = attempt(form, lambda: service.register(user, data))
            if unit:
                flash(f"已登记耕地单元 {unit.code}：{unit.name}", "success")
                return redirect(url_for("farmland.unit", unit_id=unit.id))
        status = 400
    township = request.args.get("township") or None
    class_ = request.args.get("class") or None
    if class_ not in (None, "unclassified", *standard.CLASSES):
        class_ = None
    result = db.paginate(service.units_query(user, township=township, class_=class_),
                         page=_page(), per_page=50, error_out=False)  # fmt: skip
    return render_template(
        "farmland/index.html", result=result, form=form, township=township, class_=class_,
        counts=service.class_counts(user), standard=standard, may_record=service.may_record(user),
    ), status  # fmt: skip


def _unit_page(unit_id, *, samples_form=None, confirm_form=None, measure_form=None,
               crop_form=None, site_form=None, status=200):  # fmt: skip
    user = _user()
    try:
        unit = service.get(user, unit_id)
    except NotFound:  # another county's, or no such unit
        abort(404)
    results = service.screened(unit)
    proposed, deciding = service.proposal(unit, results)
    confirm_form = confirm_form or ConfirmForm(formdata=None, class_=proposed or "priority")
    crop_form = crop_form or CropForm(formdata=None, year=clock.today().year)
    measure_form = measure_form or MeasureForm(formdata=None, year=clock.today().year)
    _choices(crop_form, measure_form, unit)
    return render_template(
        "farmland/unit.html", unit=unit, results=results, proposed=proposed, deciding=deciding,
        history=service.history(unit), years=service.year_records(unit), standard=standard,
        rules=rules, crops=service.crop_limits(), samples_form=samples_form or SamplesForm(),
        confirm_form=confirm_form, measure_form=measure_form, crop_form=crop_form,
        may_record=service.may_record(user), may_confirm=service.may_confirm(user),
        site_form=site_form or SiteForm(formdata=None), site=_site(unit),
    ), status  # fmt: skip


def _site(unit):
    from app.models import Site

    return db.session.get(Site, unit.site_id) if unit.site_id else None


def _choices(crop_form, measure_form, unit) -> None:
    crop_form.crop.choices = [(k, tr(v["label"])) for k, v in service.crop_limits().items()]
    allowed = rules.MEASURES_FOR_CLASS.get(unit.current_class or "")
    if allowed:
        measure_form.kind.choices = [(k, tr(v)) for k, v in allowed.items()]


@bp.get("/units/<int:unit_id>")
def unit(unit_id):
    return _unit_page(unit_id)


def _unit_for(unit_id, may=service.may_record):
    """The officer and the unit, when ``may(officer)``: else 403; another county's
    unit is a 404."""
    user = _user()
    if not may(user):
        abort(403)
    try:
        return user, service.get(user, unit_id)
    except NotFound:
        abort(404)


@bp.post("/units/<int:unit_id>/samples")
def samples(unit_id):
    user, unit = _unit_for(unit_id)
    form = SamplesForm()
    if form.validate_on_submit():
        upload = form.file.data
        if not upload or not upload.filename:
            form.file.errors = ["请选择 CSV 或 XLSX 文件"]
        else:
            count = attempt(form, lambda: service.import_samples(user, unit, upload.filename,
                                                                 upload.read()))  # fmt: skip
            if count:
                flash(f"已导入 {count} 项检测数据", "success")
                return redirect(url_for("farmland.unit", unit_id=unit_id))
    return _unit_page(unit_id, samples_form=form, status=400)


@bp.post("/units/<int:unit_id>/classification")
def confirm(unit_id):
    user, unit = _unit_for(unit_id, service.may_confirm)
    form = ConfirmForm()
    if form.validate_on_submit():
        row = attempt(form, lambda: service.confirm(user, unit, form.class_.data, form.reason.data))
        if row:
            flash(f"已确认为{standard.CLASS_LABELS_ZH[row.class_]}：{row.number}", "success")
            return redirect(url_for("farmland.unit", unit_id=unit_id))
    return _unit_page(unit_id, confirm_form=form, status=400)


@bp.post("/units/<int:unit_id>/site")
def link_site(unit_id):
    user, unit = _unit_for(unit_id, service.may_confirm)
    form = SiteForm()
    if form.validate_on_submit():
        site = attempt(form, lambda: register.link_site(user, unit, form.site_code.data))
        if site:
            flash(f"已关联建设用地地块 {site.code}：{site.name}", "success")
            return redirect(url_for("farmland.unit", unit_id=unit_id))
    return _unit_page(unit_id, site_form=form, status=400)


@bp.post("/units/<int:unit_id>/measures")
def measure(unit_id):
    user, unit = _unit_for(unit_id)
    form = MeasureForm()
    _choices(CropForm(formdata=None), form, unit)
    if form.validate_on_submit():
        data = {"year": form.year.data, "kind": form.kind.data,
                "area_mu": float(form.area_mu.data), "note": form.note.data}  # fmt: skip
        if attempt(form, lambda: service.record_measure(user, unit, data)):
            flash("已记录措施", "success")
            return redirect(url_for("farmland.unit", unit_id=unit_id))
    return _unit_page(unit_id, measure_form=form, status=400)


@bp.post("/units/<int:unit_id>/crops")
def crop(unit_id):
    user, unit = _unit_for(unit_id)
    form = CropForm()
    _choices(form, MeasureForm(formdata=None), unit)
    if form.validate_on_submit():
        data = {"year": form.year.data, "crop": form.crop.data, "pollutant": form.pollutant.data,
                "value_mg_kg": float(form.value_mg_kg.data),
                "sampled_on": form.sampled_on.data.isoformat()}  # fmt: skip
        if attempt(form, lambda: service.record_crop_result(user, unit, data)):
            flash("已记录农产品检测结果", "success")
            return redirect(url_for("farmland.unit", unit_id=unit_id))
    return _unit_page(unit_id, crop_form=form, status=400)


@bp.get("/register.csv")
def register_csv():
    """The register of classified land as a spreadsheet (UTF-8 with BOM for Excel);
    cells that would start a formula are quoted as text."""
    import csv
    import io

    from app.services.public.open_data import csv_cell

    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(register.CSV_COLUMNS)
    for row in register.register_rows(_user()):
        writer.writerow([csv_cell(v) for v in row])
    response = Response(out.getvalue(), mimetype="text/csv")
    day = clock.today().strftime("%Y%m%d")
    response.headers["Content-Disposition"] = f"attachment; filename=farmland-register-{day}.csv"
    return response


@bp.get("/indicators")
def rate():
    user = _user()
    this_year = clock.today().year
    raw = request.args.get("year", "")
    year = (
        int(raw) if raw.isascii() and raw.isdigit() and 2000 <= int(raw) <= this_year else this_year
    )
    result = indicators.compute(service.counties(user), year)
    return render_template("farmland/indicators.html", result=result, year=year,
                           years=range(this_year, this_year - 6, -1), standard=standard,
                           labels=indicators.STATUS_LABELS_ZH, public=False)  # fmt: skip
