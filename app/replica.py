"""Anonymous public reads from a streaming replica (issue 20, ``DATABASE_REPLICA_URL``).

PostgreSQL streaming replication keeps a hot standby a few milliseconds behind the
primary. The public register, plot pages, notice boards, open data and the public
API are read by strangers and change nothing, so they can be answered there and
leave the primary to filers and officers. A request reads the replica only when:

- it is a GET or HEAD of the public site or of ``/api/v1/public/``, except the few
  that write (``WRITING_ENDPOINTS``);
- nobody is logged in and no token is sent: a user always reads the primary, so they
  see their own writes at once;
- the browser has not written anything in the last ``READ_OWN_WRITES_SECONDS`` (a
  tip-off just sent, then its receipt page): such a session reads the primary too.

A replica that cannot be read sends the reader to the same URL again (307), now read
from the primary, as every request of that process is for ``DOWN_SECONDS``.

Only plain SELECTs go to the replica; a flush, ``FOR UPDATE`` or raw SQL goes to the
primary whatever the request. Kept answers (app/response_cache.py) are keyed by the
versions read from the replica itself, so an answer computed on a replica that lags
is never kept under a newer version; the ledger head pushed by the primary's NOTIFY
still moves every node's kept answers.
"""

from __future__ import annotations

import time

from flask import current_app, g, has_request_context, request, session
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import Select, create_engine

READ_OWN_WRITES_SECONDS = 30
DOWN_SECONDS = 30  # after a failure to read the replica, this process reads the primary
_down_until = 0.0
WRITING_ENDPOINTS = frozenset({"api.public_ledger_heads"})
_SESSION_KEY = "_wrote_at"


def engine(app):
    """The replica's engine, made once per app; None without DATABASE_REPLICA_URL."""
    made = app.extensions.get("clc_replica")
    if made is None:
        url = app.config.get("DATABASE_REPLICA_URL") or ""
        made = app.extensions["clc_replica"] = (
            create_engine(normalise(url), **app.config["SQLALCHEMY_ENGINE_OPTIONS"])
            if url
            else False
        )
    return made or None


def normalise(url: str) -> str:
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def active() -> bool:
    """Whether this request reads the replica (decided once, in :func:`choose`)."""
    return has_request_context() and bool(g.get("read_replica"))


def choose() -> None:
    """``before_request``: decide where this request reads."""
    g.read_replica = False
    if not current_app.config.get("DATABASE_REPLICA_URL") or time.monotonic() < _down_until:
        return
    if request.method not in ("GET", "HEAD") or request.endpoint in WRITING_ENDPOINTS:
        return
    if not (request.blueprint == "public" or request.path.startswith("/api/v1/public/")):
        return
    if "Authorization" in request.headers or "_user_id" in session or "_flashes" in session:
        return
    if time.time() - float(session.get(_SESSION_KEY, 0)) < READ_OWN_WRITES_SECONDS:
        return
    g.read_replica = True


def mark_down(exc) -> None:
    """The replica failed this request: the app answers it again from the primary (a
    307 to the same URL), and this process reads the primary for ``DOWN_SECONDS``."""
    global _down_until
    _down_until = time.monotonic() + DOWN_SECONDS
    current_app.logger.warning("read replica unavailable (%s); reading the primary", exc)


def note_write(response):
    """``after_request``: a browser that has just written reads the primary a while."""
    if (
        current_app.config.get("DATABASE_REPLICA_URL")
        and request.method not in ("GET", "HEAD", "OPTIONS")
        and response.status_code < 400
        and "Authorization" not in request.headers
    ):
        session[_SESSION_KEY] = time.time()
    return response


class RoutingSession(FlaskSession):
    """Flask-SQLAlchemy's session, sending a replica request's plain SELECTs there."""

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        if (
            bind is None
            and not self._flushing
            and isinstance(clause, Select)
            and clause._for_update_arg is None
            and active()
        ):
            replica = engine(current_app._get_current_object())
            if replica is not None:
                return replica
        return super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)
