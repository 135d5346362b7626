"""Expert review (issue 15): the pool and the panels drawn for review rounds
(bureau only; experts' personal data never leave it)."""

from __future__ import annotations

from flask import g, jsonify, request

from app.api import bp
from app.api.routes import json_body, login_required, only_args, page_args
from app.errors import ValidationError
from app.services import experts as expert_service


@bp.post("/experts")
@login_required
def create_expert():
    return jsonify(expert_service.to_json(expert_service.add(g.user, json_body()))), 201


@bp.get("/experts")
@login_required
def list_experts():
    only_args("speciality", "active", "page", "per_page")
    page, per_page = page_args()
    active = request.args.get("active")
    if active not in (None, "0", "1"):
        raise ValidationError("active 须为 0 或 1", {"active": "须为 0 或 1"})
    result = expert_service.pool(
        g.user, speciality=request.args.get("speciality") or None,
        active=None if active is None else active == "1", page=page, per_page=per_page,
    )  # fmt: skip
    return jsonify({"items": [expert_service.to_json(e) for e in result.items],
                    "total": result.total, "page": result.page, "per_page": result.per_page})  # fmt: skip


@bp.post("/experts/<int:expert_id>")
@login_required
def update_expert(expert_id):
    return jsonify(expert_service.to_json(expert_service.update(g.user, expert_id, json_body())))


@bp.post("/cases/<int:case_id>/panels")
@login_required
def draw_panel(case_id):
    return jsonify(
        expert_service.panel_json(expert_service.draw(g.user, case_id, json_body()))
    ), 201


@bp.get("/cases/<int:case_id>/panels")
@login_required
def list_panels(case_id):
    panels = expert_service.panels_for(g.user, case_id)
    experts = expert_service.members_of(panels)
    return jsonify({"items": [expert_service.panel_json(p, experts) for p in panels]})


@bp.get("/panels/<int:panel_id>/replay")
@login_required
def replay_panel(panel_id):
    return jsonify(expert_service.replay(g.user, panel_id))


@bp.post("/panels/<int:panel_id>/meeting")
@login_required
def record_meeting(panel_id):
    meeting = expert_service.record_meeting(g.user, panel_id, json_body())
    return jsonify(expert_service.meeting_json(meeting, None, names=False)), 201
