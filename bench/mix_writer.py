"""The benchmark's writer (issue 19, ``bench/run.py --mix``): one write a second
through the JSON API while the mix is measured, until SIGTERM; prints what it did
as JSON. Standard library only (it runs beside the served app, not inside it).

    python bench/mix_writer.py --port 8000 --data mixdata.json [--interval 1.0]
"""

from __future__ import annotations

import argparse
import http.client
import json
import signal
import sys
import time
from pathlib import Path

# The writer's own address behind the proxy (the mix's visitors have theirs).
WRITER_ADDRESS = "192.168.10.22"


class Writer:
    """One write a second through the JSON API, as the app's users make them: a
    landholder registers a plot, files its survey (below the screening values) and
    submits it; the natural-resources officer cosigns, the environment officer approves
    (the plot is released and appears on the register); the environment officer records
    a hotline tip-off. Five of the six move the ledger head."""

    STEPS = ("register", "survey", "submit", "cosign", "approve", "tipoff")

    def __init__(self, port: int, data: dict, interval: float = 1.0) -> None:
        self.port, self.w, self.interval = port, data["writer"], interval
        self.password = data["password"]
        self.conn: http.client.HTTPConnection | None = None
        self.stop = False
        self.done: dict[str, int] = {s: 0 for s in self.STEPS}
        self.errors: list[str] = []
        self.latencies: list[float] = []
        self.case: int | None = None
        self.n = 0

    # HTTP --------------------------------------------------------

    def call(self, method: str, path: str, body=None, token: str | None = None):
        headers = {"X-Forwarded-For": WRITER_ADDRESS}
        if body is not None:
            headers["Content-Type"] = "application/json"
        if token:
            headers["Authorization"] = f"Bearer {token}"
        payload = json.dumps(body, ensure_ascii=False).encode() if body is not None else None
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            try:
                self.conn.request(method, path, body=payload, headers=headers)
                r = self.conn.getresponse()
                raw = r.read()
                break
            except (OSError, http.client.HTTPException):
                self.conn.close()
                self.conn = None
                if attempt == 2:
                    raise
        try:
            parsed = json.loads(raw) if raw else {}
        except ValueError:
            parsed = {"raw": raw[:200].decode(errors="replace")}
        return r.status, parsed

    def token(self, username: str) -> str:
        status, body = self.call(
            "POST", "/api/v1/tokens", {"username": username, "password": self.password}
        )
        if status != 201:
            raise RuntimeError(f"token for {username}: HTTP {status} {body}")
        return body["token"]

    def head(self) -> int | None:
        status, body = self.call("GET", "/api/v1/public/ledger/head")
        return body.get("seq") if status == 200 else None

    # the writes --------------------------------------------------

    def expect(self, status: int, body, ok=(200, 201)) -> dict:
        if status not in ok:
            error = body.get("error", body) if isinstance(body, dict) else body
            raise RuntimeError(f"HTTP {status}: {json.dumps(error, ensure_ascii=False)[:300]}")
        return body

    def act(self, who: str, action: str) -> dict:
        case = self.expect(*self.call("GET", f"/api/v1/cases/{self.case}", token=self.tokens[who]))
        return self.expect(
            *self.call(
                "POST",
                f"/api/v1/cases/{self.case}/actions/{action}",
                {"version": case["version"]},
                self.tokens[who],
            )
        )

    def step(self, name: str) -> None:
        w = self.w
        if name == "register":
            self.n += 1
            township = w["townships"][self.n % len(w["townships"])]
            body = self.expect(
                *self.call(
                    "POST",
                    "/api/v1/sites",
                    {
                        "name": f"{township}原电镀厂地块（基准写入{self.n}）",
                        "township": township,
                        "address": f"{township}建设路{self.n}号",
                        "area_m2": 5000 + self.n,
                        "planned_use": "residential",
                        "former_industry": "电镀",
                        "trigger": "use_change",
                    },
                    self.tokens["landholder"],
                )
            )
            self.case = body["case"]["id"]
        elif name == "survey":
            data = {
                "unit_credit_code": w["surveyor_credit_code"],
                "project_lead": "基准调查",
                "conclusion": "各点位检测值均未超过第一类用地筛选值",
                "samples": [
                    {"point_id": "S1", "depth_m": 0.5, "pollutant": "铅", "value": 100,
                     "unit": "mg/kg"},
                    {"point_id": "S1", "depth_m": 0.5, "pollutant": "镉", "value": 2.1,
                     "unit": "mg/kg"},
                ],
            }  # fmt: skip
            self.expect(
                *self.call(
                    "POST",
                    f"/api/v1/cases/{self.case}/filings",
                    {"kind": "survey_report", "data": data},
                    self.tokens["landholder"],
                )
            )
        elif name == "submit":
            self.act("landholder", "submit")
        elif name == "cosign":
            self.act("nr", "cosign")
        elif name == "approve":
            self.act("env", "approve")
        else:
            self.expect(
                *self.call(
                    "POST",
                    "/api/v1/tipoffs",
                    {
                        "channel": "hotline",
                        "township": w["townships"][self.n % len(w["townships"])],
                        "location": "建设路旧厂房后院",
                        "description": f"有人夜间向空地倾倒不明废渣，气味刺鼻（基准写入{self.n}）",
                    },
                    self.tokens["env"],
                )
            )

    def run(self) -> dict:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._on_signal)
        self.tokens = {
            "landholder": self.token(self.w["landholder"]),
            "nr": self.token(self.w["nr_officer"]),
            "env": self.token(self.w["env_officer"]),
        }
        head_start = self.head()
        started = time.monotonic()
        k = 0
        next_at = started
        while not self.stop:
            name = self.STEPS[k % len(self.STEPS)]
            begun = time.monotonic()
            try:
                self.step(name)
                self.done[name] += 1
                k += 1
            except Exception as exc:  # noqa: BLE001 (counted and reported, the run goes on)
                self.errors.append(f"{name}: {exc}"[:400])
                k = 0  # a new plot: the cycle would fail on from here
            self.latencies.append(time.monotonic() - begun)
            next_at = max(next_at + self.interval, time.monotonic())
            while not self.stop and time.monotonic() < next_at:
                time.sleep(min(0.05, next_at - time.monotonic()))
        seconds = time.monotonic() - started
        head_end = self.head()
        lat = sorted(self.latencies)
        return {
            "writes": sum(self.done.values()),
            "by_kind": self.done,
            "errors": len(self.errors),
            "error_samples": self.errors[:5],
            "seconds": round(seconds, 1),
            "interval_s": self.interval,
            "write_p50_ms": round(lat[len(lat) // 2] * 1000, 1) if lat else None,
            "write_max_ms": round(lat[-1] * 1000, 1) if lat else None,
            "ledger_head": [head_start, head_end],
        }

    def _on_signal(self, *_args) -> None:
        self.stop = True


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--data", required=True, help="the JSON of flask bench mixdata")
    p.add_argument("--interval", type=float, default=1.0, help="seconds between writes")
    args = p.parse_args(argv)
    data = json.loads(Path(args.data).read_text())
    print(json.dumps(Writer(args.port, data, args.interval).run(), ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
