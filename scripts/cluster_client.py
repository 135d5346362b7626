"""The client side of ``make cluster-test`` (scripts/cluster_test.py): the test
client's interface over real HTTP, resending what a node's death cut off."""

from __future__ import annotations

import re
import threading
import time

import requests


class Http:
    """The test client's interface (``tests/support.World``) over real HTTP, resending
    what a node's death cut off: GETs, and POSTs carrying an Idempotency-Key as is;
    a case action whose answer was lost is checked against the case's version."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.session = requests.Session()
        self.resent = 0
        self.lock = threading.Lock()

    def _send(self, method, url, *, json_body=None, headers=None, data=None, files=None):
        for attempt in range(8):
            try:
                r = self.session.request(method, self.base + url, json=json_body,
                                         headers=headers, data=data, files=files, timeout=60)  # fmt: skip
                if r.status_code not in (502, 503, 504):
                    return r
            except requests.ConnectionError:
                pass
            with self.lock:
                self.resent += 1
            time.sleep(0.3 * (attempt + 1))
        raise RuntimeError(f"{method} {url}: no node answered")

    def get(self, url, headers=None, **_):
        return Response(self._send("GET", url, headers=headers))

    def post(self, url, json=None, headers=None, **kw):
        headers = dict(headers or {})
        action = re.match(r"^/api/v1/cases/(\d+)/actions/", url)
        if action and isinstance(json, dict) and "version" in json:
            return self._action(url, json, headers, int(action.group(1)))
        return Response(self._send("POST", url, json_body=json, headers=headers))

    def _action(self, url, body, headers, case_id):
        r = self._send("POST", url, json_body=body, headers=headers)
        if r.status_code == 409:
            # Was it ours, answered by a node that died before replying? Then the
            # case has moved on from the version we sent.
            now = self._send("GET", f"/api/v1/cases/{case_id}", headers=headers)
            if now.status_code == 200 and now.json()["version"] > body["version"]:
                return Response(now, status=200)
        return Response(r)


class Response:
    def __init__(self, r: requests.Response, status: int | None = None) -> None:
        self.r, self.status_code, self.data, self.headers = (
            r,
            status or r.status_code,
            r.content,
            r.headers,
        )

    def get_json(self):
        return self.r.json()
