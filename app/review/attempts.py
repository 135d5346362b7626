"""A service call made for a desk form: another county's object is a 404 (as the
service says), any other refusal goes beside the form's fields and in a flash."""

from __future__ import annotations

from flask import abort, flash

from app.api.errors import log_service_error
from app.errors import ServiceError


def show_refusal(form, exc: ServiceError) -> None:
    """Each field's message beside its field; those with no field (a list's items,
    a field rendered by hand) follow the message in the flash."""
    log_service_error(exc)
    elsewhere = []
    for key, message in (exc.fields or {}).items():
        if form is not None and key in form:
            form[key].errors = [message]
        else:
            elsewhere.append(message)
    flash(exc.message + "".join(f"：{m}" for m in elsewhere), "danger")


def attempt(form, call):
    """``call()``'s result, or None after showing why it was refused."""
    try:
        return call()
    except ServiceError as exc:
        if exc.status == 404:
            abort(404)
        show_refusal(form, exc)
        return None
