#!/usr/bin/env python3
"""The benchmark of issue 6: ``make bench`` (SQLite) and ``make bench-pg`` (PostgreSQL).

Seeds a database once (kept under bench/results/db/, reused by later runs of the same size),
counts SQL statements per request in-process, starts the production server (gunicorn,
APP_CONFIG=production) and measures each endpoint with wrk at the same settings, /healthz
(the bare framework) as the yardstick; then the non-HTTP measurements (ledger verify,
screening a 100,000-row CSV, 8 concurrent ledger writers, PDFs) - the writing ones on a
scratch copy, so the seeded database stays as seeded. Prints a table, writes
bench/results/<db>-<plots>-<timestamp>.json.

    python bench/run.py --db sqlite --plots 1000 --duration 10
    python bench/run.py --db pg --plots 100000 --sweep
    python bench/run.py --compare bench/results/a.json bench/results/b.json

Standard library only; it runs the app's own ``flask bench ...`` commands in subprocesses.
"""

# It runs fixed local programs (flask, gunicorn, wrk, psql) on names it builds itself.
# ruff: noqa: S603, S607, S608
from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: bench/ is on the path, not the project
    sys.path.insert(0, str(ROOT))
from bench import mix  # noqa: E402 (after the path is set)

BENCH = ROOT / "bench"
RESULTS = BENCH / "results"
BIN = ROOT / ".venv" / "bin"
FLASK = [str(BIN / "flask"), "--app", "wsgi"]
PG_BASE = "postgresql+psycopg://clc:clc@localhost"

# Targets of issue 6, as ratios of /healthz requests/s (and p99 in ms).
TARGETS = {
    "register_p1": (0.25, 50.0),
    "register_p200": (0.25, 50.0),
    "site_page": (0.35, None),
    "case_api": (0.30, None),
}
LABELS = {
    "healthz": "/healthz (ceiling)",
    "register_p1": "/ township, page 1",
    "register_p200": "/ township, page 200",
    "public_sites_api": "/api/v1/public/sites",
    "site_page": "/sites/<code>",
    "notice_pdf": "/sites/<code>/notice.pdf",
    "review_queue": "/review/ (officer)",
    "case_api": "/api/v1/cases/<id> (token)",
    "deadlines_api": "/api/v1/deadlines?overdue=1 (token)",
    "healthz_end": "/healthz (again, at the end)",
}


def cpu_probe() -> float:
    """Milliseconds for a fixed pure-Python loop: how fast one core is right now (the
    machine is shared; compare runs with this and the load average in mind)."""
    started = time.perf_counter()
    total = 0
    for i in range(2_000_000):
        total += i % 7
    return round((time.perf_counter() - started) * 1000, 1)


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def last_json(text: str) -> dict:
    for line in reversed(text.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                return json.loads(line)
            except ValueError:
                continue
    raise RuntimeError(f"no JSON in output:\n{text[-2000:]}")


class Bench:
    def __init__(self, args):
        self.args = args
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / "db").mkdir(exist_ok=True)
        suffix = str(args.plots)
        if args.samples_per_plot != 20:
            suffix += f"-s{args.samples_per_plot}"
        if args.events is not None:
            suffix += f"-e{args.events}"
        self.suffix = suffix
        self.env = {
            **os.environ,
            "APP_CONFIG": "production",
            "SECRET_KEY": secrets.token_hex(32),
            "PUBLIC_BASE_URL": os.environ.get("PUBLIC_BASE_URL") or "http://127.0.0.1:8000",
            "STORAGE_DIR": str(RESULTS / "storage"),
            "INSTANCE_DIR": str(RESULTS / "instance"),
            "PYTHONUNBUFFERED": "1",
        }
        if args.db == "sqlite":
            self.db_path = RESULTS / "db" / f"sqlite-{suffix}.db"
            self.url = f"sqlite:///{self.db_path}"
        else:
            self.pg_name = f"clc_bench_{suffix.replace('-', '_')}"
            self.url = f"{PG_BASE}/{self.pg_name}"
        self.env["DATABASE_URL"] = self.url
        if args.cache_mb is not None:
            # 0: every answer computed afresh (the cold path), for comparison
            self.env["RESPONSE_CACHE_MB"] = str(args.cache_mb)
        self.result: dict = {
            "db": args.db,
            "plots": args.plots,
            "started": datetime.now(UTC).isoformat(timespec="seconds"),
            "settings": {
                "duration_s": args.duration,
                "mix": bool(args.mix or args.mix_only),
                "wrk": f"-t{args.wrk_threads} -c{args.connections} -d{args.duration}s --latency",
                "workers": args.workers,
                "worker_class": args.worker_class,
                "threads": args.threads,
                "cpus": os.cpu_count(),
                "cache_mb": args.cache_mb,
            },
        }

    # ---------------------------------------------------------------- commands

    def flask(self, *cmd, env=None, check=True, timeout=None) -> str:
        proc = subprocess.run(
            [*FLASK, *cmd], cwd=ROOT, env=env or self.env, capture_output=True, text=True,
            timeout=timeout,
        )  # fmt: skip
        if check and proc.returncode != 0:
            raise RuntimeError(f"flask {' '.join(cmd)} failed:\n{proc.stdout[-3000:]}\n"
                               f"{proc.stderr[-3000:]}")  # fmt: skip
        return proc.stdout

    def psql(self, sql: str, db: str = "postgres") -> str:
        return subprocess.run(
            ["su", "postgres", "-c", f"psql -qtAX -d {db} -c \"{sql}\""],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip

    # ---------------------------------------------------------------- database

    def ensure_database(self) -> None:
        a = self.args
        if a.db == "pg":
            subprocess.run(["bash", str(BENCH / "pg-setup.sh")], check=True)
            exists = self.psql(f"SELECT 1 FROM pg_database WHERE datname = '{self.pg_name}'")
            seeded = False
            if exists.strip() == "1" and not a.reseed:
                seeded = self._seeded()
            if not seeded:
                self.psql(f'DROP DATABASE IF EXISTS "{self.pg_name}" WITH (FORCE)')
                self.psql(f'CREATE DATABASE "{self.pg_name}" OWNER clc')
                self.seed()
        else:
            if self.db_path.exists() and not a.reseed and self._seeded():
                return
            self.db_path.unlink(missing_ok=True)
            self.seed()

    def _seeded(self) -> bool:
        try:
            self.flask("db", "upgrade")
            t = last_json(self.flask("bench", "targets", timeout=600))
        except Exception:  # noqa: BLE001 (anything wrong: seed afresh)
            return False
        if t.get("plots", 0) < self.args.plots or t.get("counties", 1) != self.args.counties:
            return False
        self.flask("db", "upgrade")  # the app may have new migrations since the seed
        log(f"using the seeded database {self.url} ({t['plots']} plots)")
        return True

    def seed(self) -> None:
        a = self.args
        log(f"seeding {a.plots} plots into {self.url} …")
        self.flask("db", "upgrade")
        cmd = ["bench", "seed", "--plots", str(a.plots), "--samples-per-plot",
               str(a.samples_per_plot), "--counties", str(a.counties), "--json"]  # fmt: skip
        if a.events is not None:
            cmd += ["--events", str(a.events)]
        proc = subprocess.Popen([*FLASK, *cmd], cwd=ROOT, env=self.env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)  # fmt: skip
        out, err = [], []
        import threading

        def pump(stream, sink, echo):
            for line in stream:
                sink.append(line)
                if echo and line.strip() and not line.startswith("{"):
                    log("  " + line.rstrip())

        threads = [threading.Thread(target=pump, args=(proc.stdout, out, False)),
                   threading.Thread(target=pump, args=(proc.stderr, err, True))]  # fmt: skip
        for t in threads:
            t.start()
        proc.wait()
        for t in threads:
            t.join()
        if proc.returncode:
            raise RuntimeError("seed failed:\n" + "".join(err)[-3000:])
        self.result["seed"] = last_json("".join(out))
        log(f"seeded in {self.result['seed']['timings']['total_s']} s")

    # ---------------------------------------------------------------- server

    def start_server(self, workers: int, worker_class: str, threads: int, env=None):
        port = self.args.port or _free_port()
        cmd = [str(BIN / "gunicorn"), "-w", str(workers), "-k", worker_class, "-b",
               f"127.0.0.1:{port}", "--error-logfile", str(RESULTS / "gunicorn.log"),
               "--timeout", "120", "--graceful-timeout", "5"]  # fmt: skip
        if worker_class == "gthread":
            cmd += ["--threads", str(threads)]
        cmd.append("wsgi:app")
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env or self.env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True)  # fmt: skip
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                if self.request(port, "/healthz")[0] == 200:
                    break
            except OSError:
                time.sleep(0.2)
        else:
            self.stop_server(proc)
            raise RuntimeError("gunicorn did not answer /healthz within 60 s")
        # Every worker up: give the others a moment after the first answers.
        time.sleep(1.0)
        return proc, port

    def stop_server(self, proc) -> None:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def request(self, port, path, method="GET", body=None, headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            r = conn.getresponse()
            return r.status, r.getheaders(), r.read()
        finally:
            conn.close()

    def login(self, port, username, password) -> tuple[str, str]:
        """A session cookie (form login with CSRF) and a bearer token."""
        status, headers, body = self.request(port, "/login")
        cookies = _cookies(headers)
        token = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', body)
        form = urlencode({"csrf_token": token.group(1).decode() if token else "",
                          "username": username, "password": password})  # fmt: skip
        status, headers, body = self.request(port, "/login", "POST", form, {
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items()),
            "Referer": f"http://127.0.0.1:{port}/login",
        })  # fmt: skip
        if status not in (302, 303):
            raise RuntimeError(f"login failed: HTTP {status}")
        cookies.update(_cookies(headers))
        cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
        payload = json.dumps({"username": username, "password": password})
        status, _, body = self.request(port, "/api/v1/tokens", "POST", payload,
                                       {"Content-Type": "application/json"})  # fmt: skip
        if status != 201:
            raise RuntimeError(f"token failed: HTTP {status}")
        return cookie, "Bearer " + json.loads(body)["token"]

    def wrk(self, port, path, duration, auth_env, requests_file=None) -> dict:
        """wrk on one URL (report.lua), or on the random lines of a mix file (mix.lua)."""
        a = self.args
        script = "mix.lua" if requests_file else "report.lua"
        cmd = ["wrk", f"-t{a.wrk_threads}", f"-c{a.connections}", f"-d{duration}s", "--latency",
               "--timeout", "10s", "-s", str(BENCH / script),
               f"http://127.0.0.1:{port}{path}"]  # fmt: skip
        if requests_file:
            cmd += ["--", str(requests_file)]
        proc = subprocess.run(cmd, env={**os.environ, **auth_env}, capture_output=True,
                              text=True, check=True)  # fmt: skip
        return last_json(proc.stdout)

    def worker_rss(self, master_pid: int) -> list[float]:
        out = []
        for status in Path("/proc").glob("[0-9]*/status"):
            try:
                text = status.read_text()
            except OSError:
                continue
            ppid = re.search(r"^PPid:\s+(\d+)", text, re.M)
            rss = re.search(r"^VmRSS:\s+(\d+)", text, re.M)
            if ppid and rss and int(ppid.group(1)) == master_pid:
                out.append(round(int(rss.group(1)) / 1024, 1))
        return sorted(out)

    def measure_http(self, endpoints, names=None, workers=None, worker_class=None, threads=None,
                     duration=None) -> dict:  # fmt: skip
        a = self.args
        workers = workers or a.workers
        worker_class = worker_class or a.worker_class
        threads = threads or a.threads
        duration = duration or a.duration
        proc, port = self.start_server(workers, worker_class, threads)
        try:
            t = self.result["targets"]
            cookie, bearer = self.login(port, t["officer"], t["password"])
            auth = {"session": {"BENCH_COOKIE": cookie}, "bearer": {"BENCH_AUTH": bearer}}
            chosen = [ep for ep in endpoints if names is None or ep["name"] in names]
            runs = chosen + [{"name": "healthz_end", "path": "/healthz"}]
            out = {}
            for ep in runs:
                env = auth.get(ep.get("auth"), {})
                headers = {}
                if "BENCH_COOKIE" in env:
                    headers["Cookie"] = env["BENCH_COOKIE"]
                if "BENCH_AUTH" in env:
                    headers["Authorization"] = env["BENCH_AUTH"]
                status, _, body = self.request(port, ep["path"], headers=headers)  # warm-up
                # Warm every worker (templates, fonts, the PDF engine) before measuring.
                self.wrk(port, ep["path"], a.warmup, env)
                load_before = os.getloadavg()[0]
                r = self.wrk(port, ep["path"], duration, env)
                r["load_avg"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
                r["status"] = status
                r["response_bytes"] = len(body)
                out[ep["name"]] = r
                log(f"  {ep['name']:<18} {r['rps']:>9.1f} req/s  p50 {r['p50_ms']:>8.2f} ms  "
                    f"p99 {r['p99_ms']:>8.2f} ms  HTTP {status}"
                    + (f"  ERRORS {r['errors']}" if any(r["errors"].values()) else ""))  # fmt: skip
            rss = self.worker_rss(proc.pid)
        finally:
            self.stop_server(proc)
        ceiling = [out[k]["rps"] for k in ("healthz", "healthz_end") if k in out]
        base = sum(ceiling) / len(ceiling) if ceiling else None
        for r in out.values():
            r["ratio"] = round(r["rps"] / base, 4) if base else None
        return {"endpoints": out, "healthz_mean_rps": base, "worker_rss_mb": rss,
                "workers": workers, "worker_class": worker_class, "threads": threads}  # fmt: skip

    # ---------------------------------------------------------------- what users do

    def measure_mix(self) -> dict:
        """Issue 19: random requests of each class, then all classes mixed, on the cold
        path (no kept answers, no writes) and on the realistic one (kept answers on, one
        write a second through the API, on a scratch copy), each with /healthz."""
        a = self.args
        folder = RESULTS / "mix"
        folder.mkdir(exist_ok=True)
        data_path = folder / f"data-{a.db}-{self.suffix}.json"
        log("mix: collecting the real values (flask bench mixdata) …")
        self.flask("bench", "mixdata", "--out", str(data_path))
        data = json.loads(data_path.read_text())
        requests = mix.draw_requests(data, a.mix_requests)
        files = mix.write_request_files(requests, folder / f"{a.db}-{self.suffix}")
        out = {
            "shares": mix.mix_shares(data),
            "drawn": mix.summarize(requests),
            "data": {"public_plots": len(data["plots"]), "notice_codes": len(data["notice_codes"]),
                     "case_ids": len(data["case_ids"]), "officer": data["officer"]},
            "duration_s": a.mix_duration,
            "proxy_fix_x_for": 1,
        }  # fmt: skip
        # Behind the county's reverse proxy every visitor has its own address (the per-address
        # limit on rendering notice PDFs is then per visitor, as in production).
        cold = {**self.env, "RESPONSE_CACHE_MB": "0", "PROXY_FIX_X_FOR": "1"}
        out["cold"] = self._mix_path("cold", cold, files, data, data_path, writer=False)
        env, drop = self.scratch_env()
        try:
            real = {**env, "PROXY_FIX_X_FOR": "1"}
            real.pop("RESPONSE_CACHE_MB", None)
            if a.cache_mb:
                real["RESPONSE_CACHE_MB"] = str(a.cache_mb)
            out["realistic"] = self._mix_path("realistic", real, files, data, data_path,
                                              writer=True)  # fmt: skip
        finally:
            drop()
        return out

    def _mix_path(self, label, env, files, data, data_path, writer) -> dict:
        a = self.args
        cache = env.get("RESPONSE_CACHE_MB")
        describe = ("kept answers off, no writes" if cache == "0" else
                    (f"kept answers on ({cache} MB)" if cache else
                     "kept answers on (RESPONSE_CACHE_MB unset: the app's default)")
                    + (f", a write every {a.writer_interval:g} s" if writer else ""))  # fmt: skip
        log(f"mix, {label} path: {describe}")
        proc, port = self.start_server(a.workers, a.worker_class, a.threads, env=env)
        wproc = None
        runs: dict = {}
        result = {"label": label, "describe": describe, "runs": runs}
        try:
            cookie, bearer = self.login(port, data["officer"], data["password"])
            auth_env = {"BENCH_COOKIE": cookie, "BENCH_AUTH": bearer}
            headers = {"session": {"Cookie": cookie}, "bearer": {"Authorization": bearer}}
            result["preflight"] = self._preflight(port, files, headers)
            if writer:
                wproc = subprocess.Popen(
                    [sys.executable, str(BENCH / "mix_writer.py"), "--port", str(port),
                     "--data", str(data_path), "--interval", str(a.writer_interval)],
                    cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                )  # fmt: skip
                self._await_writes(port, wproc)
            order = [("healthz", None), *[(n, files[n]) for n in files], ("healthz_end", None)]
            for name, path in order:
                target = "/healthz" if path is None else ""
                self.wrk(port, target, a.warmup, auth_env, path)  # workers warm, caches filled
                load_before = os.getloadavg()[0]
                r = self.wrk(port, target, a.mix_duration, auth_env, path)
                r["load_avg"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
                runs[name] = r
                log(f"  {name:<12} {r['rps']:>9.1f} req/s  p50 {r['p50_ms']:>8.2f} ms  "
                    f"p99 {r['p99_ms']:>8.2f} ms"
                    + (f"  ERRORS {r['errors']}" if any(r["errors"].values()) else ""))  # fmt: skip
            result["worker_rss_mb"] = self.worker_rss(proc.pid)
        finally:
            if wproc is not None:
                result["writer"] = self._stop_writer(wproc)
            self.stop_server(proc)
        base = (runs["healthz"]["rps"] + runs["healthz_end"]["rps"]) / 2
        for r in runs.values():
            r["ratio"] = round(r["rps"] / base, 4) if base else None
        result["healthz_mean_rps"] = base
        shares = mix.mix_shares(data)
        if all(runs.get(c, {}).get("rps") for c in shares):
            result["mix_predicted_rps"] = round(
                1 / sum(share / runs[c]["rps"] for c, share in shares.items()), 1
            )
        return result

    def _preflight(self, port, files, headers) -> dict:
        """A few requests of each file before measuring: any status but 200 is reported
        (a drawn URL that 404s or 400s would measure an error page)."""
        out = {}
        for name, path in files.items():
            statuses: dict[str, int] = {}
            for line in path.read_text().splitlines()[:12]:
                kind, xff, url = line.split("\t")
                status = self.request(port, url, headers={"X-Forwarded-For": xff,
                                                          **headers.get(kind, {})})[0]  # fmt: skip
                statuses[str(status)] = statuses.get(str(status), 0) + 1
                if status != 200:
                    log(f"  preflight {name}: HTTP {status} for {url}")
            out[name] = statuses
        return out

    def _await_writes(self, port, wproc, timeout: float = 60) -> None:
        """Until the writer has moved the ledger head (it logs in first)."""

        def head():
            status, _, body = self.request(port, "/api/v1/public/ledger/head")
            return json.loads(body)["seq"] if status == 200 else None

        start = head()
        deadline = time.time() + timeout
        while time.time() < deadline:
            if wproc.poll() is not None:
                raise RuntimeError("the writer stopped:\n" + wproc.stderr.read()[-3000:])
            if head() != start:
                return
            time.sleep(0.2)
        raise RuntimeError(f"the writer moved no ledger event in {timeout:.0f} s")

    def _stop_writer(self, wproc) -> dict:
        if wproc.poll() is None:
            wproc.send_signal(signal.SIGTERM)
        try:
            stdout, stderr = wproc.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            wproc.kill()
            stdout, stderr = wproc.communicate()
        try:
            w = last_json(stdout)
        except RuntimeError:
            return {"writes": 0, "by_kind": {}, "errors": 1, "seconds": 0,
                    "error_samples": [f"the writer gave no result: {stderr[-500:]}"],
                    "write_p50_ms": None, "write_max_ms": None}  # fmt: skip
        log(f"  writer: {w['writes']} writes, {w['errors']} errors, ledger head {w['ledger_head']}")
        return w

    # ---------------------------------------------------------------- scratch copy

    def scratch_env(self) -> tuple[dict, callable]:
        """A copy of the seeded database for the benchmarks that write."""
        if self.args.db == "sqlite":
            path = RESULTS / "db" / f"scratch-{self.suffix}.db"
            shutil.copyfile(self.db_path, path)
            return {**self.env, "DATABASE_URL": f"sqlite:///{path}"}, lambda: path.unlink()
        name = f"{self.pg_name}_scratch"
        self.psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.psql(f'CREATE DATABASE "{name}" OWNER clc TEMPLATE "{self.pg_name}" '
                  f"STRATEGY FILE_COPY")  # fmt: skip
        return ({**self.env, "DATABASE_URL": f"{PG_BASE}/{name}"},
                lambda: self.psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))  # fmt: skip

    # ---------------------------------------------------------------- run

    def run(self) -> dict:
        a = self.args
        self.result["machine"] = {"cpu_probe_ms_start": cpu_probe(),
                                  "load_avg_start": [round(x, 2) for x in os.getloadavg()]}  # fmt: skip
        self.ensure_database()
        t = self.result["targets"] = last_json(self.flask("bench", "targets"))
        endpoints = _endpoints(t)
        self.result["endpoints"] = endpoints
        log(f"targets: township {t['township']} ({t['township_public_plots']} public plots, "
            f"{t['township_pages']} pages), plot {t['site_code']}, case {t['case_id']}")  # fmt: skip
        if a.mix_only:  # issue 19 alone: the mix, nothing else
            self.result["mix"] = self.measure_mix()
            return self.finish()
        log("SQL statements per request …")
        self.result["sql"] = last_json(self.flask("bench", "sqlcount"))["statements"]
        if not a.skip_http:
            if a.sweep:
                self.result["sweep"] = self.sweep(endpoints)
            log(f"HTTP: gunicorn {a.workers} {a.worker_class} workers"
                + (f" × {a.threads} threads" if a.worker_class == "gthread" else "")
                + f", wrk -t{a.wrk_threads} -c{a.connections} -d{a.duration}s")  # fmt: skip
            self.result["http"] = self.measure_http(endpoints)
        log("ledger verify …")
        self.result["verify"] = last_json(self.flask("bench", "verify"))
        if not a.skip_writes:
            env, drop = self.scratch_env()
            try:
                log(f"screening and storing {a.screen_rows} rows …")
                self.result["screening"] = last_json(
                    self.flask("bench", "screening", "--rows", str(a.screen_rows), env=env)
                )
                log(f"{a.writers} concurrent ledger writers × {a.writer_count} appends …")
                self.result["writers"] = last_json(self.flask(
                    "bench", "writers", "--procs", str(a.writers), "--count",
                    str(a.writer_count),
                    # The whole chain was verified above; at scale re-hash only the new events
                    # (and check prev_hash is unique over the whole table).
                    "--full-verify" if a.plots <= 10_000 else "--tail-verify", env=env))  # fmt: skip
            finally:
                drop()
        log("PDFs …")
        self.result["pdf"] = last_json(self.flask("bench", "pdf", check=False) or "{}")
        if a.mix and not a.skip_http:
            self.result["mix"] = self.measure_mix()
        return self.finish()

    def finish(self) -> dict:
        a = self.args
        self.result["machine"].update(cpu_probe_ms_end=cpu_probe(),
                                      load_avg_end=[round(x, 2) for x in os.getloadavg()])  # fmt: skip
        self.result["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        path = RESULTS / f"{a.db}-{self.suffix}-{stamp}.json"
        path.write_text(json.dumps(self.result, ensure_ascii=False, indent=2))
        print(render(self.result))
        print(f"\nresults: {path.relative_to(ROOT)}")
        return self.result

    def sweep(self, endpoints) -> list[dict]:
        names = {"healthz", "register_p1", "site_page", "case_api", "review_queue"}
        out = []
        for worker_class, workers, threads in ((s.split(":")[0], int(s.split(":")[1]),
                                               int(s.split(":")[2]))
                                              for s in self.args.sweep_configs.split(",")):  # fmt: skip
            log(f"sweep: {workers} {worker_class} workers × {threads} threads")
            r = self.measure_http(endpoints, names, workers, worker_class, threads,
                                  self.args.sweep_duration)  # fmt: skip
            out.append({"worker_class": worker_class, "workers": workers, "threads": threads,
                        "rps": {k: v["rps"] for k, v in r["endpoints"].items()},
                        "p99_ms": {k: v["p99_ms"] for k, v in r["endpoints"].items()},
                        "worker_rss_mb": r["worker_rss_mb"]})  # fmt: skip
        return out


def _endpoints(t: dict) -> list[dict]:
    from urllib.parse import quote

    town = quote(t["township"])
    return [
        {"name": "healthz", "path": "/healthz"},
        {"name": "register_p1", "path": f"/?township={town}"},
        {"name": "register_p200", "path": f"/?township={town}&page=200"},
        {"name": "public_sites_api", "path": "/api/v1/public/sites"},
        {"name": "site_page", "path": f"/sites/{t['site_code']}"},
        {"name": "notice_pdf", "path": f"/sites/{t['site_code']}/notice.pdf"},
        {"name": "review_queue", "path": "/review/", "auth": "session"},
        {"name": "case_api", "path": f"/api/v1/cases/{t['case_id']}", "auth": "bearer"},
        # §11: the bureau's agenda, overdue only, a page in the middle of it.
        {
            "name": "deadlines_api",
            "path": "/api/v1/deadlines?overdue=1&page=5&per_page=50",
            "auth": "bearer",
        },
    ]


def _cookies(headers) -> dict:
    out = {}
    for name, value in headers:
        if name.lower() == "set-cookie":
            k, _, v = value.split(";", 1)[0].partition("=")
            out[k.strip()] = v.strip()
    return out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------- report


def _mark(ok) -> str:
    return "n/a" if ok is None else ("MET" if ok else "MISSED")


def render(r: dict) -> str:
    lines = []
    t = r.get("targets", {})
    seed = r.get("seed") or {}
    s = r["settings"]
    lines.append("")
    lines.append(f"== {'SQLite' if r['db'] == 'sqlite' else 'PostgreSQL'}: {t.get('plots')} plots, "
                 f"{t.get('samples')} samples, {t.get('events')} ledger events "
                 f"(biggest township {t.get('township')}: {t.get('township_pages')} pages)")  # fmt: skip
    if seed:
        lines.append(f"   seeded in {seed['timings']['total_s']} s "
                     f"({', '.join(f'{k} {v}' for k, v in seed['timings'].items())})")  # fmt: skip
    http = r.get("http")
    sql = r.get("sql", {})
    if http:
        lines.append(f"   gunicorn {http['workers']} {http['worker_class']} workers"
                     + (f" × {http['threads']} threads" if http["worker_class"] == "gthread" else "")
                     + f" on {s['cpus']} cores; wrk {s['wrk']}; kept answers "
                     + ("off (RESPONSE_CACHE_MB=0)" if s.get("cache_mb") == 0 else "on"))  # fmt: skip
        lines.append("")
        lines.append(f"   {'endpoint':<30}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}"
                     f"{'÷healthz':>10}{'SQL/req':>9}  {'target':<22}")  # fmt: skip
        for name, e in http["endpoints"].items():
            target = TARGETS.get(name)
            verdict = ""
            if target:
                ratio_ok = e["ratio"] >= target[0]
                p99_ok = target[1] is None or e["p99_ms"] <= target[1]
                verdict = (f"≥{target[0]:.0%}" + (f", p99≤{target[1]:.0f}" if target[1] else "")
                           + f": {_mark(ratio_ok and p99_ok)}")  # fmt: skip
            errors = sum(e["errors"].values())
            bad = f"  HTTP {e['status']}" if e["status"] != 200 else ""
            bad += f"  {errors} errors" if errors else ""
            count = sql.get(name, {}).get("statements", "")
            lines.append(f"   {LABELS.get(name, name):<30}{e['rps']:>9.1f}{e['p50_ms']:>9.2f}"
                         f"{e['p99_ms']:>9.2f}{e['ratio']:>9.1%} {count!s:>8}  {verdict}{bad}")  # fmt: skip
        loads = [x for e in http["endpoints"].values() for x in e.get("load_avg", [])]
        if loads:
            lines.append(f"   1-min load average during the HTTP runs: {min(loads)}–{max(loads)} "
                         f"on {s['cpus']} cores (other work on the machine skews absolute numbers)")  # fmt: skip
        rss = http["worker_rss_mb"]
        if rss:
            lines.append(f"   gunicorn worker RSS after the run: {', '.join(map(str, rss))} MB "
                         f"(max {max(rss)} MB; target ≤ 200 MB: {_mark(max(rss) <= 200)})")  # fmt: skip
    elif sql:
        lines.append("   SQL statements per request: "
                     + ", ".join(f"{k} {v['statements']}" for k, v in sql.items()))  # fmt: skip
    for sw in r.get("sweep") or []:
        if sw is (r.get("sweep") or [None])[0]:
            lines.append("")
            lines.append("   worker sweep (req/s): " + "  ".join(
                f"{k}" for k in sw["rps"]))  # fmt: skip
        lines.append(f"     {sw['workers']} {sw['worker_class']}×{sw['threads']}: "
                     + "  ".join(f"{v:.0f}" for v in sw["rps"].values())
                     + f"   RSS max {max(sw['worker_rss_mb'] or [0])} MB")  # fmt: skip
    lines.append("")
    m = r.get("machine")
    if m:
        lines.append(f"   CPU probe (2M-step Python loop): {m.get('cpu_probe_ms_start')} ms at start, "
                     f"{m.get('cpu_probe_ms_end')} ms at end (lower is faster)")  # fmt: skip
    v = r.get("verify")
    if v:
        lines.append(f"   ledger verify: {v['events']} events in {v['seconds']} s = "
                     f"{v['events_per_s']:,} events/s (target ≥ 100,000: "
                     f"{_mark(v['events_per_s'] >= 100_000)}); ok={v['ok']}; RSS "
                     f"{v['rss_before_mb']} → peak {v['rss_peak_mb']} MB "
                     f"(+{v['rss_growth_mb']} MB)"
                     + (f"; {v['workers']} checking processes, each ≤ {v['worker_rss_peak_mb']} MB"
                        if v.get("workers", 1) > 1 else "; one process"))  # fmt: skip
    sc = r.get("screening")
    if sc:
        lines.append(f"   screening+storing {sc['rows']:,} CSV rows via filings.file(): "
                     f"{sc['seconds']} s (target ≤ 3 s: {_mark(sc['seconds'] <= 3)}); parse "
                     f"{sc['parse_s']} s, screen {sc['screen_rows_s']} s, rest (insert, "
                     f"commit, ledger) {sc['insert_commit_etc_s']} s")  # fmt: skip
    w = r.get("writers")
    if w:
        lines.append(f"   {w['procs']} concurrent writers ({w['dialect']}): {w['appended']} appends "
                     f"in {w['seconds']} s = {w['appends_per_s']} appends/s; errors "
                     f"{w['errors']}; forks {w['forks']}; verify ok={w['verify_ok']}")  # fmt: skip
    p = r.get("pdf")
    if p:

        def show(x):
            return x if isinstance(x, str) else f"{x['seconds_median']} s ({x['bytes']} bytes)"

        lines.append(f"   filing receipt PDF: {show(p.get('filing_receipt', 'not available yet'))}; "
                     f"1,000-plot register PDF: {show(p.get('register_pdf', 'not available yet'))}; "
                     f"notice PDF in-process: "
                     f"{show(p['notice_pdf_in_process']) if 'notice_pdf_in_process' in p else '-'}")  # fmt: skip
    if r.get("mix"):
        lines.append(mix.render(r["mix"]))
    return "\n".join(lines)


def compare(paths: list[str]) -> str:
    runs = [json.loads(Path(p).read_text()) for p in paths]
    names = list(LABELS)
    head = f"{'endpoint':<30}" + "".join(
        f"{(r['db'] + ' ' + str(r['targets']['plots'])):>26}" for r in runs)  # fmt: skip
    lines = [head, f"{'':<30}" + "".join(f"{'req/s  ÷hz  p99  SQL':>26}" for _ in runs)]
    for n in names:
        row = f"{LABELS[n]:<30}"
        for r in runs:
            e = (r.get("http") or {}).get("endpoints", {}).get(n)
            c = r.get("sql", {}).get(n, {}).get("statements", "")
            row += (f"{e['rps']:>8.0f} {e['ratio']:>5.0%} {e['p99_ms']:>6.1f} {c!s:>4}"
                    if e else f"{'':>20}{c!s:>6}")  # fmt: skip
        lines.append(row)
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--db", choices=("sqlite", "pg"), default="sqlite")
    p.add_argument("--plots", type=int, default=int(os.environ.get("BENCH_PLOTS", 1000)))
    p.add_argument("--samples-per-plot", type=int, default=20)
    p.add_argument("--events", type=int, default=None)
    p.add_argument("--counties", type=int, default=10, help="counties the plots spread over")
    p.add_argument("--reseed", action="store_true", help="seed afresh even if a database exists")
    p.add_argument("--duration", type=int, default=int(os.environ.get("BENCH_DURATION", 10)))
    p.add_argument("--warmup", type=int, default=2, help="seconds of wrk before each measurement")
    p.add_argument("--connections", type=int, default=8)
    p.add_argument("--wrk-threads", type=int, default=2)
    # Recommended for 2 cores (sweep at 100,000 plots on PostgreSQL): 3 gthread workers × 2
    # threads served the case API ~25-65 % faster than 2-4 sync workers (keep-alive, and a
    # thread can run while another waits on the database); worker RSS ~150 MB each.
    p.add_argument("--workers", type=int, default=int(os.environ.get("BENCH_WORKERS", 3)))
    p.add_argument("--worker-class", default=os.environ.get("BENCH_WORKER_CLASS", "gthread"))
    p.add_argument("--threads", type=int, default=int(os.environ.get("BENCH_THREADS", 2)))
    p.add_argument("--sweep", action="store_true", help="also compare worker counts / classes")
    p.add_argument("--sweep-configs", default="sync:2:1,sync:3:1,sync:4:1,gthread:2:4,gthread:3:2")
    p.add_argument("--sweep-duration", type=int, default=5)
    p.add_argument("--port", type=int, default=0)
    p.add_argument(
        "--cache-mb",
        type=int,
        default=None,
        help="RESPONSE_CACHE_MB for the server (0: no kept answers, the cold path)",
    )
    p.add_argument(
        "--mix",
        action="store_true",
        help="also measure what users do (issue 19): random URLs per class and mixed, cold "
        "path and realistic path (kept answers on, a writer); see bench/README.md",
    )
    p.add_argument("--mix-only", action="store_true", help="only the mix (no fixed URLs, "
                   "no SQL counts, verify, writes or PDFs)")  # fmt: skip
    p.add_argument("--mix-duration", type=int, default=None,
                   help="seconds per mix run (default: --duration)")  # fmt: skip
    p.add_argument("--mix-requests", type=int, default=20_000,
                   help="requests drawn per class for the mix files")  # fmt: skip
    p.add_argument("--writer-interval", type=float, default=1.0,
                   help="seconds between the writer's writes on the realistic path")  # fmt: skip
    p.add_argument("--skip-http", action="store_true")
    p.add_argument("--skip-writes", action="store_true")
    p.add_argument("--screen-rows", type=int, default=100_000)
    p.add_argument("--writers", type=int, default=8)
    p.add_argument("--writer-count", type=int, default=100)
    p.add_argument("--compare", nargs="+", metavar="RESULT_JSON")
    p.add_argument("--render", metavar="RESULT_JSON", help="print the table of a results file")
    args = p.parse_args(argv)
    if args.mix_duration is None:
        args.mix_duration = args.duration
    if args.compare:
        print(compare(args.compare))
        return 0
    if args.render:
        print(render(json.loads(Path(args.render).read_text())))
        return 0
    if shutil.which("wrk") is None and not args.skip_http:
        log("wrk is missing: apt-get install -y wrk (make bench does it)")
        return 2
    Bench(args).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
