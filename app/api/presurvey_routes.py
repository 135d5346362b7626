"""Before the survey (DESIGN §12): suspected plots and ordered surveys, key
supervised units, their filings and the published list."""

from __future__ import annotations

from flask import g, jsonify, request

from app.api import bp
from app.api.routes import json_body, login_required, only_args, page_args
from app.response_cache import cached
from app.services import case_json
from app.services import key_units as key_unit_service
from app.services import suspects as suspect_service

# ---------------------------------------------------------------- suspected plots


@bp.post("/suspected-sites")
@login_required
def create_suspect():
    suspect = suspect_service.create(g.user, json_body())
    return jsonify(suspect_service.to_json(suspect)), 201


@bp.get("/suspected-sites")
@login_required
def list_suspects():
    only_args("status", "source", "township", "page", "per_page")
    page, per_page = page_args()
    result = suspect_service.list_for(
        g.user,
        status=request.args.get("status") or None,
        source=request.args.get("source") or None,
        township=request.args.get("township") or None,
        page=page,
        per_page=per_page,
    )
    return jsonify(
        {
            "items": [suspect_service.to_json(s) for s in result.items],
            "total": result.total,
            "page": result.page,
            "per_page": result.per_page,
        }
    )


@bp.get("/suspected-sites/<int:suspect_id>")
@login_required
def get_suspect(suspect_id):
    return jsonify(suspect_service.to_json(suspect_service.get(g.user, suspect_id)))


@bp.post("/suspected-sites/<int:suspect_id>/order-survey")
@login_required
def order_survey(suspect_id):
    suspect, case = suspect_service.order_survey(g.user, suspect_id, json_body())
    return jsonify({**suspect_service.to_json(suspect), "case": case_json.summary_json(case)})


@bp.post("/suspected-sites/<int:suspect_id>/dismiss")
@login_required
def dismiss_suspect(suspect_id):
    return jsonify(
        suspect_service.to_json(suspect_service.dismiss(g.user, suspect_id, json_body()))
    )


# ---------------------------------------------------------------- key supervised units


@bp.post("/key-units")
@login_required
def create_key_unit():
    unit = key_unit_service.create(g.user, json_body())
    return jsonify(key_unit_service.to_json(unit)), 201


@bp.get("/key-units")
@login_required
def list_key_units():
    only_args("year", "page", "per_page")
    page, per_page = page_args()
    result = key_unit_service.list_for(g.user, year=request.args.get("year"), page=page,
                                       per_page=per_page)  # fmt: skip
    return jsonify(
        {
            "items": [
                key_unit_service.to_json(u, result["filings"][u.id]) for u in result["items"]
            ],
            "total": result["total"],
            "page": page,
            "per_page": per_page,
        }
    )


@bp.get("/key-units/<credit_code>")
@login_required
def get_key_unit(credit_code):
    unit, filings = key_unit_service.get(g.user, credit_code)
    return jsonify(key_unit_service.to_json(unit, filings))


@bp.post("/key-units/<credit_code>/filings")
@login_required
def key_unit_filing(credit_code):
    row = key_unit_service.file(g.user, credit_code, json_body())
    return jsonify(key_unit_service.filing_json(row)), 201


@bp.post("/key-units/<credit_code>/close")
@login_required
def close_key_unit(credit_code):
    unit, suspect = key_unit_service.close(g.user, credit_code, json_body())
    return jsonify({**key_unit_service.to_json(unit),
                    "suspected_site": suspect_service.to_json(suspect)}), 201  # fmt: skip


@bp.get("/public/key-units")
@cached
def public_key_units():
    """The published list of key supervised units of a year (anyone, any origin)."""
    only_args("year", "county", "page", "per_page")
    page, per_page = page_args()
    result = key_unit_service.published(request.args.get("year"), county=request.args.get("county"),
                                        page=page, per_page=per_page)  # fmt: skip
    response = jsonify(
        {
            "year": result["year"],
            "years": result["years"],
            "items": [key_unit_service.public_json(u) for u in result["items"]],
            "total": result["total"],
            "page": page,
            "per_page": per_page,
        }
    )
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cache-Control"] = "public, max-age=60"
    return response
