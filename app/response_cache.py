"""Answers computed once per ledger head (issue 6).

Every change a reader can see (a plot registered, a state change, a filing, a
manifest, a notice, a document issued, a ban) commits together with a ledger
event, so ``max(ledger_events.seq)`` — one index lookup — names the version of
the data. Anything derived from the data alone can be kept per process until the
head moves (and until the day changes: notice boards count days):

- :func:`memo` keeps a computed value (the register's filter options, its counts);
- :func:`cached` keeps whole anonymous public answers (pages, JSON, PDFs) and
  answers ``If-None-Match`` with 304.

Each process keeps its own least-recently-used store, bounded in bytes
(``RESPONSE_CACHE_MB``; 0 switches both off). Nothing personal is stored: a
request with a logged-in user, a pending flash message or a session change is
served fresh and not kept.
"""

from __future__ import annotations

import hashlib
import sys
import threading
import time
from collections import OrderedDict
from functools import wraps

from flask import current_app, g, make_response, request, session
from flask_login import current_user

from app.extensions import db

# Headers a stored answer keeps; the security headers are added per response.
_KEPT_HEADERS = ("Content-Type", "Content-Disposition", "Cache-Control",
                 "Access-Control-Allow-Origin")  # fmt: skip


class _Store:
    """A thread-safe LRU bounded by the bytes of its values."""

    def __init__(self) -> None:
        self._items: OrderedDict = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key):
        with self._lock:
            item = self._items.get(key)
            if item is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return item[0]

    def put(self, key, value, size: int, budget: int) -> None:
        if size > budget // 4:  # one answer may not push out everything else
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= old[1]
            self._items[key] = (value, size)
            self._bytes += size
            while self._bytes > budget and self._items:
                _, (_, dropped) = self._items.popitem(last=False)
                self._bytes -= dropped

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._bytes = 0


_store = _Store()


def _budget() -> int:
    return int(float(current_app.config.get("RESPONSE_CACHE_MB", 32)) * 1024 * 1024)


def enabled() -> bool:
    return _budget() > 0


def clear() -> None:
    _store.clear()
    _scope_seen.clear()


def set_head_seq(seq: int) -> None:
    """For a caller that read the head in a query of its own (saves a round trip)."""
    from app.services import clock

    g._ledger_mark = (seq, clock.today().isoformat(), str(db.engine.url))


def ledger_mark(*, pushed: bool = False) -> tuple[int, str, str]:
    """(head seq, today in China, database): the version of everything derived from
    the data. Read once per request. ``pushed``: the seq PostgreSQL pushes to this
    process (:mod:`app.head_watch`) will do, when there is one — milliseconds behind
    a commit in another process, never behind one in this process."""
    mark = g.get("_ledger_mark")
    if mark is None:
        seq = None
        from app import replica

        # A request read from a replica takes the head from the replica itself: an
        # answer is never kept under a version newer than the data it was made from.
        if pushed and current_app.config.get("LEDGER_HEAD_NOTIFY") and not replica.active():
            from app import head_watch

            seq = head_watch.current(db.engine)
        if seq is None:
            from app.services import ledger

            seq = ledger.head()[0]
        set_head_seq(seq)
        mark = g._ledger_mark
    return mark


_scope_seen: dict = {}  # (database, scopes) -> (ledger head when read, their seqs)
_SCOPE_SEEN_MAX = 20_000


def scope_mark(scopes: tuple[str, ...]) -> tuple:
    """(the seqs of ``scopes``, today, database): the version of an answer that
    depends on those parts of the public side only (app/services/scopes.py). Read
    again only when the ledger head has moved since this process last read them --
    on PostgreSQL the head is pushed, so an unchanged head costs no query."""
    head, day, database = ledger_mark(pushed=True)
    key = (database, scopes)
    seen = _scope_seen.get(key)
    if seen is None or seen[0] != head:
        from app.services import scopes as scope_service

        seen = (head, scope_service.seqs(scopes))
        if len(_scope_seen) >= _SCOPE_SEEN_MAX:
            _scope_seen.clear()
        _scope_seen[key] = seen
    return (seen[1], day, database)


def memo(name: str, compute, *args, max_age: float | None = None, scopes=None):
    """``compute(*args)``, kept until the ledger head or the day moves — or, with
    ``scopes``, until one of those scopes moves (app/services/scopes.py); or, with
    ``max_age``, for that many seconds whatever the head (for values where a
    minute-old answer is as good, such as the choices of a filter form)."""
    if not enabled():
        return compute(*args)
    if scopes:
        key = ("memo", name, args, scope_mark(tuple(scopes)))
    elif max_age is None:
        key = ("memo", name, args, ledger_mark())
    else:
        seq, day, database = ledger_mark(pushed=True)
        key = ("memo", name, args, day, database, int(time.monotonic() // max_age))
    value = _store.get(key)
    if value is None:
        value = compute(*args)
        _store.put(key, value, sys.getsizeof(value) + 4096, _budget())
    return value


# The query arguments a public view reads (register filters, paging, the language).
# Anything else changes nothing in the answer, so it is left out of the key: a
# stranger's ``?x=1`` can neither render a PDF afresh nor push kept answers out.
PUBLIC_ARGS = frozenset({
    "county", "state", "township", "q", "pollutant", "land_category", "lat", "lon", "radius",
    "page", "per_page", "sort", "phase", "lang", "year",
})  # fmt: skip


def _request_key() -> tuple:
    args = tuple(sorted((k, v) for k, v in request.args.items(multi=True) if k in PUBLIC_ARGS))
    return (request.path, args)


def _host() -> str:
    """Public URLs come from PUBLIC_BASE_URL when it is set (always in production);
    otherwise from the request's host, which then has to be part of the key so that
    one forged ``Host`` cannot change what the next reader gets."""
    return "" if current_app.config.get("PUBLIC_BASE_URL") else request.host


def _locale() -> str:
    from flask_babel import get_locale

    return str(get_locale())


def _anonymous() -> bool:
    return not current_user.is_authenticated and "_flashes" not in session


def cached(view=None, *, scopes=None):
    """Keep a public view's answer for anonymous readers per (URL, language, day,
    version): the version is the ledger head, or with ``scopes`` (a function of the
    request giving the scopes the answer depends on, or None for the head) the seqs
    of those scopes only -- a plot's page outlives a filing in another county."""
    if view is None:
        return lambda v: cached(v, scopes=scopes)

    @wraps(view)
    def wrapper(*args, **kwargs):
        if request.method not in ("GET", "HEAD") or not enabled() or not _anonymous():
            return view(*args, **kwargs)
        depends = scopes() if scopes is not None else None
        version = scope_mark(depends) if depends else ledger_mark(pushed=True)
        key = ("page", request.endpoint, _request_key(), _host(), _locale(), version)
        etag = hashlib.sha256(repr(key).encode()).hexdigest()[:32]
        stored = _store.get(key)
        if stored is None:
            response = make_response(view(*args, **kwargs))
            if (response.status_code != 200 or response.direct_passthrough
                    or session.modified or "Set-Cookie" in response.headers):  # fmt: skip
                return response
            body = response.get_data()
            headers = [(k, response.headers[k]) for k in _KEPT_HEADERS if k in response.headers]
            stored = (body, headers)
            _store.put(key, stored, len(body) + 512, _budget())
        elif request.if_none_match.contains_weak(etag):  # gzip in nginx makes it weak
            return current_app.response_class(status=304, headers={"ETag": f'"{etag}"'})
        body, headers = stored
        response = current_app.response_class(body, status=200, headers=headers)
        response.headers["ETag"] = f'"{etag}"'
        return response

    return wrapper
