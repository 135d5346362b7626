"""Security events as one JSON object per line, in the OWASP logging vocabulary
(authn_login_success, authn_login_fail, authz_fail, session_expired,
upload_validation_fail, sequence_fail, ledger_verify_fail).

Times are UTC; no passwords, tokens or file contents are ever passed in; every
value goes through ``json.dumps``, so a CR/LF typed by an attacker cannot
forge a second log line.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

from flask import has_request_context, request

logger = logging.getLogger("app.security")


class JsonLineFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        body = getattr(record, "security", None) or {"message": record.getMessage()}
        # ASCII only: no U+2028/2029/0085 either, so nothing can split the line.
        return json.dumps(body, ensure_ascii=True, default=str)


def configure() -> None:
    if any(getattr(h, "_security", False) for h in logger.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLineFormatter())
    handler._security = True  # type: ignore[attr-defined]
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False


def _clean(value, limit: int = 200):
    if value is None or isinstance(value, (int, float, bool)):
        return value
    text = str(value).replace("\r", "\\r").replace("\n", "\\n")
    return text[:limit]


def event(name: str, *, level: str = "WARN", user=None, **detail) -> dict:
    """Log one security event; returns what was logged (for tests)."""
    body = {
        "datetime": datetime.now(UTC).isoformat(),
        "appid": "contaminated-land-cases",
        "event": name,
        "level": level,
    }
    if user is not None:
        body["user"] = _clean(getattr(user, "username", user))
    if has_request_context():
        body["source_ip"] = _clean(request.remote_addr)
        body["request_uri"] = _clean(request.path)
        body["method"] = request.method
    for key, value in detail.items():
        body[key] = _clean(value)
    levels = {"INFO": logging.INFO, "WARN": logging.WARNING, "CRITICAL": logging.CRITICAL}
    logger.log(levels.get(level, logging.WARNING), name, extra={"security": body})
    return body
