"""A province's cluster on one machine, as a test (issue 20; ``make cluster-test``).

Starts, all on 127.0.0.1 and in a temporary folder: a PostgreSQL primary and a
streaming replica (``pg_basebackup -R``), Redis, an S3 server (moto), two gunicorn
nodes, two RQ workers (``flask worker``) and nginx round-robin in front. Then drives
cases through nginx while it kills one app node mid-run and the worker mid-job
(each restarted as systemd would), and checks:

- no filing lost or doubled: every progress report, sent with an Idempotency-Key and
  resent after a 502 or a dropped connection, is in the database exactly once;
- every document rendered once (one ``document_issued`` per recorded event), stored
  in the bucket, and downloadable through either node with the same bytes;
- the login rate limit is shared by both nodes (Redis);
- the replica serves the anonymous public reads, and catches up with the primary;
- ``flask ledger verify`` is clean.

And measures the public register's requests per second through nginx with one node
and with two. Prints a summary and writes it as JSON (``--out``). Exit 1 if a check
fails. About three minutes.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import requests
from cluster_client import Http  # scripts/cluster_client.py, beside this file

ROOT = Path(__file__).resolve().parents[1]
BIN = ROOT / ".venv" / "bin"
PG_BIN = Path("/usr/lib/postgresql/15/bin")
BUCKET = "clc-cluster"
PASSWORD = "cluster-test"  # noqa: S105 (a throwaway database on 127.0.0.1)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def log(msg: str) -> None:
    print(f"[cluster {time.strftime('%H:%M:%S')}] {msg}", flush=True)


class Cluster:
    def __init__(self, folder: Path) -> None:
        self.dir = folder
        self.procs: dict[str, subprocess.Popen] = {}
        self.ports = {name: free_port() for name in
                      ("pg", "replica", "redis", "s3", "node_a", "node_b", "nginx", "nginx_one")}  # fmt: skip
        p = self.ports
        self.primary_url = f"postgresql://clc:{PASSWORD}@127.0.0.1:{p['pg']}/clc"
        self.env = {
            **os.environ,
            "APP_CONFIG": "production",
            "SECRET_KEY": "cluster-test-" + uuid.uuid4().hex,
            "PUBLIC_BASE_URL": f"http://127.0.0.1:{p['nginx']}",
            "PROXY_FIX_X_FOR": "1",
            "INSTANCE_DIR": str(folder / "instance"),
            "STORAGE_DIR": str(folder / "instance" / "storage"),
            "DATABASE_URL": self.primary_url,
            "DATABASE_REPLICA_URL": f"postgresql://clc:{PASSWORD}@127.0.0.1:{p['replica']}/clc",
            "STORAGE_URL": f"s3://{BUCKET}/documents",
            "AWS_ENDPOINT_URL": f"http://127.0.0.1:{p['s3']}",
            "AWS_ACCESS_KEY_ID": "cluster",
            "AWS_SECRET_ACCESS_KEY": "cluster-secret",
            "AWS_DEFAULT_REGION": "us-east-1",
            "JOBS_REDIS_URL": f"redis://127.0.0.1:{p['redis']}/1",
            "RATELIMIT_STORAGE_URI": f"redis://127.0.0.1:{p['redis']}/0",
            "JOBS_SWEEP_AFTER_SECONDS": "8",
            "PYTHONUNBUFFERED": "1",
        }
        (folder / "instance").mkdir(parents=True)

    # ------------------------------------------------------------ processes

    def start(self, name: str, cmd: list[str], *, env=None, user: str | None = None) -> None:
        if user:
            cmd = ["runuser", "-u", user, "--", *cmd]
        out = open(self.dir / f"{name}.log", "ab")  # noqa: SIM115 - the process keeps it
        self.procs[name] = subprocess.Popen(  # noqa: S603 - fixed programs, our arguments
            cmd, env=env or self.env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip

    def kill(self, name: str, sig=signal.SIGKILL) -> None:
        proc = self.procs.pop(name, None)
        if proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)

    def run(self, *cmd: str, user: str | None = None, check=True, env=None):
        if user:
            cmd = ("runuser", "-u", user, "--", *cmd)
        result = subprocess.run(cmd, env=env or self.env, cwd=ROOT, capture_output=True,
                                text=True, timeout=600)  # fmt: skip  # noqa: S603
        if check and result.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)}: {result.stdout[-2000:]}{result.stderr[-2000:]}")
        return result

    def flask(self, *args: str, check=True):
        return self.run(str(BIN / "flask"), "--app", "wsgi", *args, check=check)

    def wait_http(self, url: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if requests.get(url, timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{url} did not answer within {timeout} s")

    # ------------------------------------------------------------ services

    def start_postgres(self) -> None:
        primary, replica = self.dir / "pg-primary", self.dir / "pg-replica"
        sockets = self.dir / "pg-sockets"
        for folder in (primary, sockets):
            folder.mkdir()
        shutil.chown(self.dir, "postgres")
        for folder in (primary, sockets):
            shutil.chown(folder, "postgres")
        os.chmod(self.dir, 0o755)
        self.run(str(PG_BIN / "initdb"), "-D", str(primary), "-A", "trust", "-U", "postgres",
                 "-E", "UTF8", "--locale=C.UTF-8", user="postgres")  # fmt: skip
        with open(primary / "postgresql.conf", "a") as conf:
            conf.write(
                f"\nlisten_addresses = '127.0.0.1'\nport = {self.ports['pg']}\n"
                f"unix_socket_directories = '{sockets}'\nwal_level = replica\n"
                "max_wal_senders = 4\nhot_standby = on\nfsync = off\n"
                "full_page_writes = off\nmax_connections = 200\n"
            )
        self.run(str(PG_BIN / "pg_ctl"), "-D", str(primary), "-l", str(self.dir / "pg-primary.log"),
                 "-w", "start", user="postgres")  # fmt: skip
        psql = [str(PG_BIN / "psql"), "-h", "127.0.0.1", "-p", str(self.ports["pg"]), "-U",
                "postgres", "-v", "ON_ERROR_STOP=1", "-c"]  # fmt: skip
        self.run(*psql, f"CREATE ROLE clc LOGIN PASSWORD '{PASSWORD}'")
        self.run(*psql, "CREATE DATABASE clc OWNER clc")
        self.run(str(PG_BIN / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(self.ports["pg"]),
                 "-U", "postgres", "-D", str(replica), "-R", "-X", "stream", "-c", "fast",
                 user="postgres")  # fmt: skip
        with open(replica / "postgresql.conf", "a") as conf:
            conf.write(f"\nport = {self.ports['replica']}\n")
        self.run(str(PG_BIN / "pg_ctl"), "-D", str(replica), "-l", str(self.dir / "pg-replica.log"),
                 "-w", "start", user="postgres")  # fmt: skip
        self.pg_dirs = (primary, replica)
        state = self.sql("replica", "SELECT pg_is_in_recovery()")
        if state != "t":
            raise RuntimeError("the replica is not in recovery")

    def sql(self, which: str, query: str, db: str = "clc") -> str:
        port = self.ports["pg" if which == "primary" else "replica"]
        out = self.run(str(PG_BIN / "psql"), "-h", "127.0.0.1", "-p", str(port), "-U",
                       "postgres", "-d", db, "-At", "-c", query)  # fmt: skip
        return out.stdout.strip()

    def stop_postgres(self) -> None:
        for folder in reversed(getattr(self, "pg_dirs", ())):
            self.run(str(PG_BIN / "pg_ctl"), "-D", str(folder), "-m", "immediate", "stop",
                     user="postgres", check=False)  # fmt: skip

    def start_redis_and_s3(self) -> None:
        self.start("redis", ["redis-server", "--port", str(self.ports["redis"]), "--bind",
                             "127.0.0.1", "--save", "", "--appendonly", "no"])  # fmt: skip
        self.start("s3", [str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(self.ports["s3"])])
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(f"http://127.0.0.1:{self.ports['s3']}/", timeout=2)
                break
            except requests.RequestException:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        import boto3

        boto3.client("s3", endpoint_url=self.env["AWS_ENDPOINT_URL"], region_name="us-east-1",
                     aws_access_key_id="cluster", aws_secret_access_key="cluster-secret",
                     ).create_bucket(Bucket=BUCKET)  # fmt: skip

    def start_node(self, name: str) -> None:
        port = self.ports[name]
        self.start(name, [str(BIN / "gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}",
                          "--no-control-socket", "--timeout", "60", "wsgi:app"])  # fmt: skip
        self.wait_http(f"http://127.0.0.1:{port}/healthz")

    def start_worker(self, name: str) -> None:
        self.start(name, [str(BIN / "flask"), "--app", "wsgi", "worker", "--sweep-seconds", "4"])

    def start_nginx(self) -> None:
        p, d = self.ports, self.dir
        proxy = """
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_next_upstream error timeout http_502;
            proxy_read_timeout 120s;
        """
        conf = f"""
daemon off;
worker_processes 2;
pid {d}/nginx.pid;
error_log {d}/nginx-error.log warn;
events {{ worker_connections 2048; }}
http {{
    access_log off;
    client_body_temp_path {d}/nginx-body;
    proxy_temp_path {d}/nginx-proxy;
    fastcgi_temp_path {d}/nginx-fastcgi;
    uwsgi_temp_path {d}/nginx-uwsgi;
    scgi_temp_path {d}/nginx-scgi;
    client_max_body_size 64m;
    upstream both {{
        server 127.0.0.1:{p["node_a"]} max_fails=1 fail_timeout=3s;
        server 127.0.0.1:{p["node_b"]} max_fails=1 fail_timeout=3s;
        keepalive 32;
    }}
    upstream one {{ server 127.0.0.1:{p["node_a"]}; keepalive 32; }}
    server {{ listen 127.0.0.1:{p["nginx"]}; location / {{ proxy_pass http://both; {proxy} }} }}
    server {{ listen 127.0.0.1:{p["nginx_one"]}; location / {{ proxy_pass http://one; {proxy} }} }}
}}
"""
        (d / "nginx.conf").write_text(conf)
        self.start("nginx", [shutil.which("nginx") or "/usr/sbin/nginx", "-c",
                             str(d / "nginx.conf"), "-p", str(d)])  # fmt: skip
        self.wait_http(f"http://127.0.0.1:{p['nginx']}/healthz")

    def stop_all(self) -> None:
        for name in reversed(list(self.procs)):  # nginx first, Redis and S3 last
            self.kill(name, signal.SIGTERM)
        self.stop_postgres()


def drive(cluster: Cluster, summary: dict) -> None:
    """Everything through nginx, and the checks."""
    for name, value in cluster.env.items():
        os.environ[name] = value
    sys.path.insert(0, str(ROOT))
    from sqlalchemy import func, select

    from app import create_app
    from app.extensions import db
    from app.models import Document, DocumentJob, Filing, LedgerEvent
    from app.services import documents
    from tests.support import World

    app = create_app()
    nginx = f"http://127.0.0.1:{cluster.ports['nginx']}"
    http = Http(nginx)
    failures: list[str] = summary["failures"]

    def check(ok: bool, what: str) -> None:
        summary["checks"].append({"check": what, "ok": bool(ok)})
        log(("ok    " if ok else "FAILED") + " " + what)
        if not ok:
            failures.append(what)

    with app.app_context():
        world = World.build(http)
        log("a full case to release through nginx (both nodes up)")
        released = world.to_state("released")
        works = world.to_state("works")
        log(f"case {released} released; case {works} in works: filing under fire")

        stop = threading.Event()
        keys: dict[str, int] = {}
        reads = {"ok": 0, "other": 0}
        headers = world.contractor.headers

        def filer():
            client = Http(nginx)
            n = 0
            while not stop.is_set():
                key = f"cluster-{uuid.uuid4().hex}"
                r = client.post(
                    f"/api/v1/cases/{works}/filings",
                    json={"kind": "progress_report",
                          "data": {"summary": f"进展 {n}", "percent_complete": 50}},
                    headers={**headers, "Idempotency-Key": key},
                )  # fmt: skip
                keys[key] = r.status_code
                n += 1
                time.sleep(0.2)  # a busy county, not a flood: the workers must keep up
            summary["filings_resent"] = client.resent

        def reader():
            client = Http(nginx)
            while not stop.is_set():
                for url in ("/api/v1/public/sites", "/", f"/api/v1/public/sites?page={n % 3 + 1}"
                            if (n := reads["ok"]) else "/map"):  # fmt: skip
                    r = client.get(url)
                    reads["ok" if r.status_code == 200 else "other"] += 1

        threads = [threading.Thread(target=filer), threading.Thread(target=reader)]
        replica_before = int(cluster.sql("replica", "SELECT tup_returned FROM pg_stat_database "
                                                    "WHERE datname = 'clc'") or 0)  # fmt: skip
        for t in threads:
            t.start()
        time.sleep(4)
        log("kill -9 node A (gunicorn master and workers) mid-run")
        cluster.kill("node_a")
        summary["kills"].append("node_a")
        time.sleep(5)
        log("node A restarted (as systemd would)")
        cluster.start_node("node_a")
        # A worker in the middle of a job: wait until one has started, kill that one.
        from rq import Worker

        from app.services import jobs

        connection = jobs.queue(app).connection
        victim, deadline = None, time.monotonic() + 30
        while victim is None and time.monotonic() < deadline:
            for w in Worker.all(connection=connection):
                if w.get_current_job_id():
                    victim = next((n for n, p in cluster.procs.items() if p.pid == w.pid), None)
                    job_id = w.get_current_job_id()
                    break
            else:
                time.sleep(0.02)
        log(f"kill -9 {victim} in the middle of job {job_id if victim else None}")
        if victim:
            cluster.kill(victim)
            summary["kills"].append(f"{victim} (mid-job {job_id})")
        check(victim is not None, "a worker was killed with a job running")
        time.sleep(3)
        if victim:
            cluster.start_worker(victim)
            log(f"{victim} restarted")
        time.sleep(4)
        stop.set()
        for t in threads:
            t.join(timeout=120)
        replica_after = int(cluster.sql("replica", "SELECT tup_returned FROM pg_stat_database "
                                                   "WHERE datname = 'clc'") or 0)  # fmt: skip
        log("another case to release after the kills")
        third = world.to_state("released")
        summary["requests"] = {"public_reads": reads, "filings": len(keys),
                               "resent_by_the_driver": http.resent + summary.get("filings_resent", 0)}  # fmt: skip

        # -------------------------------------------------- filings
        db.session.remove()
        rows = db.session.execute(
            select(Filing.idempotency_key, func.count()).where(Filing.idempotency_key.in_(list(keys)))
            .group_by(Filing.idempotency_key)
        ).all()  # fmt: skip
        counts = dict(rows)
        answered = [k for k, s in keys.items() if s in (200, 201)]
        check(
            len(answered) == len(keys),
            f"every filing answered 201/200 ({len(answered)}/{len(keys)})",
        )
        check(
            all(counts.get(k) == 1 for k in answered),
            "no filing lost: each answered key is in the database",
        )
        check(
            all(n == 1 for n in counts.values()), "no filing doubled: one row per Idempotency-Key"
        )

        # -------------------------------------------------- documents
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            db.session.remove()
            pending = db.session.scalar(
                select(func.count()).select_from(DocumentJob).where(DocumentJob.status != "done")
            )
            if pending == 0:
                break
            time.sleep(1)
        total_jobs = db.session.scalar(select(func.count()).select_from(DocumentJob))
        check(pending == 0, f"every document job done ({total_jobs} jobs, {pending} not done)")
        issued = db.session.scalars(
            select(LedgerEvent).where(LedgerEvent.action == "document_issued")
        ).all()
        per_event: dict[int, int] = {}
        for e in issued:
            per_event[e.detail["records_seq"]] = per_event.get(e.detail["records_seq"], 0) + 1
        check(len(issued) == total_jobs and all(n == 1 for n in per_event.values()),
              f"every document rendered once ({len(issued)} issued for {len(per_event)} events)")  # fmt: skip
        docs = db.session.scalars(
            select(Document).where(Document.purpose.in_(tuple(documents.KINDS)))
        ).all()
        officer = world.env.headers
        bad = []
        for doc in docs:
            for node in ("node_a", "node_b"):
                r = requests.get(f"http://127.0.0.1:{cluster.ports[node]}/api/v1/documents/{doc.id}",
                                 headers=officer, timeout=30)  # fmt: skip
                if r.status_code != 200 or hashlib.sha256(r.content).hexdigest() != doc.sha256:
                    bad.append((doc.id, node, r.status_code))
        check(
            not bad and docs,
            f"{len(docs)} issued documents downloadable through either node, bytes = hash",
        )
        local = (
            list((Path(cluster.env["STORAGE_DIR"])).rglob("*"))
            if Path(cluster.env["STORAGE_DIR"]).exists()
            else []
        )
        check(not [p for p in local if p.is_file() and len(p.name) == 64],
              "no document on a node's disk: all in the bucket")  # fmt: skip
        summary["documents"] = {"jobs": total_jobs, "issued": len(issued)}

        # -------------------------------------------------- rate limit across nodes
        statuses = []
        for n in range(14):
            node = "node_a" if n % 2 == 0 else "node_b"
            r = requests.post(f"http://127.0.0.1:{cluster.ports[node]}/api/v1/tokens",
                              json={"username": "nobody", "password": "wrong"}, timeout=10)  # fmt: skip
            statuses.append(r.status_code)
        limited = statuses.index(429) if 429 in statuses else None
        check(limited == 10 and all(s == 429 for s in statuses[10:]),
              f"the login limit (10 per minute) is shared by both nodes: {statuses}")  # fmt: skip

        # -------------------------------------------------- the replica
        served = replica_after - replica_before
        check(served > 1000, f"the replica served the public reads ({served} rows returned there)")
        nodes = [f"http://127.0.0.1:{cluster.ports[n]}" for n in ("node_a", "node_b")]
        listing = "/api/v1/public/sites?per_page=100"
        for node in nodes:  # each node keeps the public list (its own kept answer)
            for _ in range(2):
                requests.get(node + listing, timeout=10)
        reg = world.register(name="集群测试新地块")
        world.to_state("listed", site=reg)
        lsn = cluster.sql("primary", "SELECT pg_current_wal_lsn()")
        lag_ok, seen_after = False, None
        began = time.monotonic()
        while time.monotonic() - began < 20:
            if cluster.sql("replica", f"SELECT pg_last_wal_replay_lsn() >= '{lsn}'::pg_lsn") == "t":
                lag_ok = True
                break
            time.sleep(0.05)
        while time.monotonic() - began < 20:
            if requests.get(f"{nginx}/api/v1/public/sites/{reg['code']}", timeout=10).ok:
                seen_after = round(time.monotonic() - began, 2)
                break
            time.sleep(0.1)
        check(seen_after is not None,
              f"a plot listed on the primary is public through the replica ({seen_after} s)")  # fmt: skip
        # Every node drops its kept list: the primary's NOTIFY reaches them all.
        fresh = {}
        for node in nodes:
            while time.monotonic() - began < 30:
                items = requests.get(node + listing, timeout=10).json()["items"]
                if any(i["code"] == reg["code"] for i in items):
                    fresh[node] = round(time.monotonic() - began, 2)
                    break
                time.sleep(0.1)
        check(len(fresh) == 2, f"each node's kept public list shows the new plot ({fresh})")
        check(lag_ok, "the replica caught up with the primary")

        # -------------------------------------------------- the ledger
        result = cluster.flask("ledger", "verify", check=False)
        check(result.returncode == 0, f"flask ledger verify clean: {result.stdout.strip()[-200:]}")
        summary["cases"] = {"released": [released, third], "works": works}
        db.session.remove()


def throughput(cluster: Cluster, summary: dict, seconds: int) -> None:
    wrk = shutil.which("wrk")
    if wrk is None:
        summary["throughput"] = "wrk not installed"
        return
    script = cluster.dir / "register.lua"
    script.write_text(
        "local n = 0\nrequest = function()\n  n = n + 1\n"
        '  local urls = {"/", "/?page=1", "/api/v1/public/sites", "/?q=%E5%86%B6%E7%82%BC"}\n'
        '  return wrk.format("GET", urls[(n % #urls) + 1])\nend\n'
    )
    out = {}
    for label, port in (
        ("one node", cluster.ports["nginx_one"]),
        ("two nodes", cluster.ports["nginx"]),
    ):
        r = subprocess.run([wrk, "-t2", "-c16", f"-d{seconds}s", "-s", str(script),  # noqa: S603
                            f"http://127.0.0.1:{port}/"], capture_output=True, text=True)  # fmt: skip
        m = re.search(r"Requests/sec:\s+([\d.]+)", r.stdout)
        non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", r.stdout)
        out[label] = {"requests_per_s": float(m.group(1)) if m else None,
                      "non_2xx": int(non2xx.group(1)) if non2xx else 0}  # fmt: skip
        log(f"register through nginx, {label}: {out[label]}")
    summary["throughput"] = out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "cluster-latest.json"))
    parser.add_argument("--wrk-seconds", type=int, default=8)
    parser.add_argument("--keep", action="store_true", help="leave the folder (logs) behind")
    args = parser.parse_args()
    if os.geteuid() != 0:
        print(
            "make cluster-test runs as root (PostgreSQL runs as the postgres user)", file=sys.stderr
        )
        return 2
    started = time.monotonic()
    folder = Path(tempfile.mkdtemp(prefix="clc-cluster-"))
    cluster = Cluster(folder)
    summary = {"checks": [], "failures": [], "kills": [], "folder": str(folder)}
    try:
        log(f"folder {folder}; ports {cluster.ports}")
        cluster.start_postgres()
        log("PostgreSQL primary and streaming replica up")
        cluster.start_redis_and_s3()
        log("Redis and the S3 server up")
        cluster.flask("db", "upgrade")
        log("migrated")
        cluster.start_node("node_a")
        cluster.start_node("node_b")
        cluster.start_worker("worker_1")
        cluster.start_worker("worker_2")
        cluster.start_nginx()
        log("two gunicorn nodes, two workers and nginx up")
        drive(cluster, summary)
        throughput(cluster, summary, args.wrk_seconds)
    except Exception as exc:  # noqa: BLE001 - reported as a failure of the run
        import traceback

        traceback.print_exc()
        summary["failures"].append(f"{type(exc).__name__}: {exc}")
    finally:
        cluster.stop_all()
        summary["seconds"] = round(time.monotonic() - started, 1)
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(summary, ensure_ascii=False, indent=2) + "\n")
        if summary["failures"]:
            for name in (
                "node_a",
                "node_b",
                "worker_1",
                "worker_2",
                "nginx-error",
                "pg-primary",
                "pg-replica",
            ):
                path = folder / f"{name}.log"
                if path.exists():
                    print(f"---- {name}.log (tail)\n" + path.read_text(errors="replace")[-3000:])
        if not args.keep and not summary["failures"]:
            shutil.rmtree(folder, ignore_errors=True)
    print(json.dumps({k: summary[k] for k in ("requests", "kills", "documents", "throughput", "seconds")
                      if k in summary}, ensure_ascii=False, indent=2))  # fmt: skip
    ok = not summary["failures"]
    log(f"{'PASSED' if ok else 'FAILED'}: {len(summary['checks'])} checks, "
        f"{len(summary['failures'])} failed, {summary['seconds']} s")  # fmt: skip
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
