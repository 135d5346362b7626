"""Every error under /api answers the JSON shape of DESIGN.md §8, never HTML."""

from __future__ import annotations

import logging
import uuid

from flask import Flask, g, jsonify, redirect, request
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from app.errors import ServiceError

log = logging.getLogger("app.errors")

HTTP_CODES = {
    400: "validation_error",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "invalid_transition",
    413: "too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
}
HTTP_MESSAGES = {
    400: "请求格式有误",
    401: "请先登录或提供有效的访问令牌",
    403: "无权执行此操作",
    404: "资源不存在",
    405: "不支持该请求方法",
    413: "上传内容过大",
    415: "不支持的文件或内容类型",
    429: "请求过于频繁，请稍后再试",
}


def wants_json() -> bool:
    return request.path.startswith("/api/")


def error_response(status: int, code: str, message: str, fields=None):
    body = {"code": code, "message": message}
    if fields:
        body["fields"] = fields
    return jsonify({"error": body}), status


def log_service_error(exc: ServiceError) -> None:
    from flask_login import current_user

    from app import security_log
    from app.errors import (
        Forbidden,
        InvalidTransition,
        StaleVersion,
        TooLarge,
        UnsupportedMediaType,
    )

    user = getattr(g, "user", None) or (
        current_user if current_user and current_user.is_authenticated else None
    )
    if isinstance(exc, Forbidden):
        security_log.event("authz_fail", user=user, reason=exc.message)
    elif isinstance(exc, (UnsupportedMediaType, TooLarge)):
        security_log.event("upload_validation_fail", user=user, reason=exc.message)
    elif isinstance(exc, (InvalidTransition, StaleVersion)):
        security_log.event("sequence_fail", user=user, code=exc.code, reason=exc.message)


def register(app: Flask) -> None:
    @app.errorhandler(ServiceError)
    def service_error(exc: ServiceError):
        from app.extensions import db

        db.session.rollback()
        log_service_error(exc)
        if wants_json():
            return jsonify(exc.to_dict()), exc.status
        from app.web_errors import render_service_error

        return render_service_error(exc)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if exc.code == 403:
            from flask_login import current_user

            from app import security_log

            user = getattr(g, "user", None) or (
                current_user if current_user and current_user.is_authenticated else None
            )
            security_log.event("authz_fail", user=user)
        if not wants_json():
            from app.web_errors import render_http_error

            return render_http_error(exc)
        status = exc.code or 500
        code = HTTP_CODES.get(status, "error")
        message = HTTP_MESSAGES.get(status, exc.description or "")
        if status == 413:
            limit = app.config.get("MAX_CONTENT_LENGTH") or 0
            message = f"请求体超过 {limit // (1024 * 1024)} MB 上限"
        response, status = error_response(status, code, message)
        if exc.code == 405 and getattr(exc, "valid_methods", None):
            response.headers["Allow"] = ", ".join(exc.valid_methods)
        return response, status

    @app.errorhandler(OperationalError)
    def database_busy(exc: OperationalError):
        from app.extensions import db

        db.session.rollback()
        from app import replica

        if replica.active():  # the replica is down: read the primary, here and for a while
            from app.auth.routes import safe_next

            replica.mark_down(exc)
            again = safe_next(request.full_path)
            if again:
                return redirect(again, code=307)
        if "locked" in str(exc.orig).lower():
            log.warning("database busy: %s", exc.orig)
            if wants_json():
                return error_response(409, "stale_version", "数据库正忙，请稍后重试")
        return unexpected(exc)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        from app.extensions import db

        db.session.rollback()
        incident = uuid.uuid4().hex[:12]
        log.exception("unhandled error, incident %s", incident)
        if wants_json():
            return error_response(500, "internal_error", f"服务器内部错误，事件编号 {incident}")
        from app.web_errors import render_internal_error

        return render_internal_error(incident)
