"""The caller's own credentials (issue 17): revoke the token in use, change the
password (which revokes every token)."""

from __future__ import annotations

from flask import g, jsonify, request

from app.api import bp
from app.api.routes import json_body, login_required
from app.errors import Unauthorized, ValidationError
from app.services import accounts


@bp.delete("/tokens/current")
@login_required
def revoke_current_token():
    """The bearer token of this request stops working at once."""
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        raise Unauthorized("请提供要撤销的访问令牌：Authorization: Bearer <token>")
    accounts.revoke_token(header[7:].strip())
    return "", 204


@bp.post("/me/password")
@login_required
def change_my_password():
    data = json_body()
    if not isinstance(data, dict) or set(data) - {"current_password", "new_password"}:
        raise ValidationError("须提供 current_password 和 new_password",
                              {"_": "只接受 current_password 和 new_password"})  # fmt: skip
    accounts.change_password(g.user, data.get("current_password"), data.get("new_password"))
    return jsonify({"ok": True, "tokens_revoked": True})
