"""Public JSON (DESIGN.md §7): the register, one plot, GeoJSON — no login —
and the bureau's tip-off routes (bearer token)."""

from __future__ import annotations

from flask import Response, g, jsonify, request

from app.api import bp
from app.api.routes import bureau_only, json_body, login_required, page_args
from app.errors import NotFound
from app.response_cache import cached
from app.services import public as public_service
from app.services import scopes, tipoff_desk
from app.services import tipoffs as tipoff_service


def _open(response, max_age: int = 60):
    """Open data: anyone may read it, from any origin (no credentials involved)."""
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cache-Control"] = f"public, max-age={max_age}"
    return response


@bp.get("/public/sites")
@cached(scopes=lambda: scopes.for_register(request.args))
def public_sites():
    page, per_page = page_args()
    filters = public_service.parse_filters(request.args)
    result = public_service.search(filters, page=page, per_page=per_page)
    return _open(
        jsonify(
            {
                "items": [public_service.item_json(r) for r in result.items],
                "total": result.total,
                "page": result.page,
                "per_page": result.per_page,
            }
        )
    )


@bp.get("/public/sites/<code>")
@cached(scopes=lambda: scopes.for_plot(request.view_args["code"]))
def public_site(code):
    row = public_service.get_public(code)
    return _open(jsonify(public_service.detail_json(row)))


@bp.get("/public/sites.geojson")
@cached(scopes=lambda: scopes.for_register(request.args))
def public_sites_geojson():
    filters = public_service.parse_filters(request.args)
    response = jsonify(public_service.geojson(filters))
    response.mimetype = "application/geo+json"
    return _open(response, max_age=300)


@bp.get("/public/farmland")
@cached
def public_farmland():
    """The safe-use rate of contaminated cultivated land per county and township for
    a year, with the area of each class: aggregates only (issue 21)."""
    from app.services import farmland_indicators

    scope, year = farmland_indicators.public_args(request.args)
    return _open(jsonify(farmland_indicators.compute(scope, year).to_json()), max_age=300)


# ---------------------------------------------------------------- tip-offs (bureau)


@bp.get("/tipoffs")
@login_required
def list_tipoffs():
    bureau_only(g.user)
    page, per_page = page_args()
    status = request.args.get("status") or None
    result = tipoff_service.list_tipoffs(
        g.user,
        status=status,
        township=request.args.get("township") or None,
        site_code=request.args.get("site_code") or None,
        page=page,
        per_page=per_page,
    )
    return jsonify(
        {
            "items": [tipoff_service.to_json(t) for t in result.items],
            "total": result.total,
            "page": result.page,
            "counts": tipoff_service.counts(g.user),
        }
    )


@bp.get("/tipoffs/<int:tipoff_id>")
@login_required
def get_tipoff(tipoff_id):
    bureau_only(g.user)
    return jsonify(tipoff_service.to_json(tipoff_service.get(g.user, tipoff_id)))


@bp.post("/tipoffs/<int:tipoff_id>")
@login_required
def update_tipoff(tipoff_id):
    bureau_only(g.user)
    tipoff = tipoff_service.update(g.user, tipoff_id, json_body())
    return jsonify(tipoff_service.to_json(tipoff))


@bp.post("/tipoffs")
@login_required
def record_tipoff():
    """§11: a tip-off received by the 12369 hotline, a letter or a visit (bureau)."""
    bureau_only(g.user)
    tipoff, code = tipoff_desk.record(g.user, json_body())
    return jsonify({**tipoff_service.to_json(tipoff), "tracking_code": code}), 201


@bp.post("/tipoffs/<int:tipoff_id>/hand-over")
@login_required
def hand_over_tipoff(tipoff_id):
    """转办 to the competent agency (bureau)."""
    bureau_only(g.user)
    return jsonify(tipoff_service.to_json(tipoff_desk.hand_over(g.user, tipoff_id, json_body())))


@bp.get("/tipoffs/<int:tipoff_id>/photos/<sha256>")
@login_required
def tipoff_photo(tipoff_id, sha256):
    bureau_only(g.user)
    if len(sha256) != 64:
        raise NotFound("照片不存在")
    try:
        data = tipoff_service.photo_bytes(g.user, tipoff_id, sha256.lower())
    except (ValueError, FileNotFoundError):
        raise NotFound("照片不存在") from None
    response = Response(data, mimetype="image/jpeg")
    response.headers["Content-Disposition"] = f"inline; filename=tipoff-{tipoff_id}.jpg"
    response.headers["Cache-Control"] = "private, max-age=3600"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
