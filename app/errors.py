"""Errors a service raises when the caller asked for something it may not have.

Each carries the JSON error ``code`` of DESIGN.md §8 and its HTTP status, so the
API turns any of them into ``{"error": {"code", "message", "fields"?}}`` and the
web views into a flash or a form error, without knowing which service raised it.
"""


class ServiceError(Exception):
    status = 400
    code = "validation_error"

    def __init__(self, message: str, fields: dict | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields or None

    def to_dict(self) -> dict:
        body = {"code": self.code, "message": self.message}
        if self.fields:
            body["fields"] = self.fields
        return {"error": body}


class ValidationError(ServiceError):
    status = 400
    code = "validation_error"


class Unauthorized(ServiceError):
    status = 401
    code = "unauthorized"


class Forbidden(ServiceError):
    status = 403
    code = "forbidden"


class NotFound(ServiceError):
    status = 404
    code = "not_found"


class InvalidTransition(ServiceError):
    status = 409
    code = "invalid_transition"


class StaleVersion(ServiceError):
    status = 409
    code = "stale_version"


class TooLarge(ServiceError):
    status = 413
    code = "too_large"


class UnsupportedMediaType(ServiceError):
    status = 415
    code = "unsupported_media_type"
