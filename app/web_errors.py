"""HTML error pages for the browser side (the API answers JSON instead)."""

from __future__ import annotations

from flask import render_template
from werkzeug.exceptions import HTTPException

from app.errors import ServiceError

TITLES = {
    400: "请求有误",
    401: "请先登录",
    403: "无权访问",
    404: "页面不存在",
    405: "不支持该操作",
    409: "操作冲突",
    413: "上传内容过大",
    415: "不支持的文件类型",
    429: "请求过于频繁",
    500: "服务器内部错误",
}


def _page(status: int, message: str, incident: str | None = None):
    from flask import Response
    from flask.globals import request_ctx

    if request_ctx and request_ctx.url_adapter is None:
        # No page can be built for a request whose Host is not trusted (TRUSTED_HOSTS):
        # links would need that host. A plain answer, the same for every page.
        return Response(f"{status} {TITLES.get(status, '出错了')}\n", status=status,
                        mimetype="text/plain")  # fmt: skip
    return (
        render_template(
            "errors/error.html",
            status=status,
            title=TITLES.get(status, "出错了"),
            message=message,
            incident=incident,
        ),
        status,
    )


def render_service_error(exc: ServiceError):
    return _page(exc.status, exc.message)


def render_http_error(exc: HTTPException):
    status = exc.code or 500
    return _page(status, TITLES.get(status, exc.description or ""))


def render_internal_error(incident: str):
    return _page(500, "系统出现意外错误，已记录。请把事件编号告诉管理员。", incident)
