"""The login limit holds across workers (issue 8, item 6).

A private redis-server (temporary folder, no persistence, a free port) and
gunicorn with two sync workers in the production configuration, on a migrated
SQLite file with one seeded officer. Failed logins go out two at a time, each
over a new connection, so that both workers answer (a sync worker serves one
connection at a time, and checking a password takes it a while); gunicorn's
access log names the worker (pid) that served each attempt.

With RATELIMIT_STORAGE_URI=redis://... the limit trips at exactly the configured
count although neither worker alone saw that many attempts; with memory://
(the single-process default) each worker counts for itself, so the same attempts
get through. With Redis gone, the workers fall back to counting in memory
instead of answering 500.

Figure (printed): attempts, the pids that served them, where 429 began.
"""

from __future__ import annotations

import http.client
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode

import pytest
from limits import parse

from config import Config

ROOT = Path(__file__).resolve().parents[2]
REDIS_SERVER = shutil.which("redis-server")
USERNAME, PASSWORD = "officer", "Correct-Horse-2026"
# What gunicorn logs per request: the attempt number we sent, the worker's pid, the status.
ACCESS_FORMAT = "%({x-attempt}i)s %(p)s %(s)s %(m)s %(U)s"

pytestmark = pytest.mark.skipif(
    REDIS_SERVER is None,
    reason="redis-server is not installed (scripts/system-deps.sh installs it)",
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop(proc: subprocess.Popen) -> None:
    """SIGTERM (gunicorn's master stops its workers), then SIGKILL to the
    process group it leads if it has not gone within 20 s."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


@contextmanager
def redis_server(folder: Path):
    port = _free_port()
    proc = subprocess.Popen(
        [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(folder),
         "--save", "", "--appendonly", "no", "--logfile", str(folder / "redis.log")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    try:
        import redis

        client = redis.Redis(host="127.0.0.1", port=port, socket_timeout=2)
        deadline = time.monotonic() + 15
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        "redis-server did not start: " + _tail(folder / "redis.log")
                    ) from None
                time.sleep(0.1)
        client.close()
        yield proc, f"redis://127.0.0.1:{port}/0"
    finally:
        _stop(proc)


def _tail(path: Path, n: int = 3000) -> str:
    return path.read_text(errors="replace")[-n:] if path.exists() else "(no log)"


class Server:
    """gunicorn -w 2 on wsgi:app, production configuration, a fresh SQLite file."""

    def __init__(self, folder: Path, storage_uri: str):
        self.folder = folder
        self.port = _free_port()
        self.access_log = folder / "access.log"
        self.error_log = folder / "error.log"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
        self.env.update(
            APP_CONFIG="production",
            SECRET_KEY=secrets.token_hex(32),
            PUBLIC_BASE_URL=f"http://127.0.0.1:{self.port}",
            DATABASE_URL=f"sqlite:///{folder / 'app.db'}",
            STORAGE_DIR=str(folder / "storage"),
            INSTANCE_DIR=str(folder / "instance"),
            RATELIMIT_STORAGE_URI=storage_uri,
            PYTHONUNBUFFERED="1",
        )
        self.proc: subprocess.Popen | None = None
        self.expected = 0  # POSTs the access log should show (pids() waits for them)

    def flask(self, *args: str) -> None:
        subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT,
                       env=self.env, check=True, capture_output=True, timeout=120)  # fmt: skip

    def start(self) -> None:
        self.flask("db", "upgrade")
        self.flask("users", "create", USERNAME, "--role", "bureau",
                   "--department", "environment", "--password", PASSWORD)  # fmt: skip
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-w", "2", "-k", "sync",
             "-b", f"127.0.0.1:{self.port}", "--timeout", "60", "--graceful-timeout", "5",
             "--access-logfile", str(self.access_log), "--access-logformat", ACCESS_FORMAT,
             "--error-logfile", str(self.error_log), "wsgi:app"],
            cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        # Up when /healthz answers and both workers have booted.
        while True:
            booted = len(re.findall(r"Booting worker with pid", _tail(self.error_log, 10**6)))
            try:
                if booted >= 2 and self.request("GET", "/healthz")[0] == 200:
                    return
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("gunicorn did not start:\n" + _tail(self.error_log))
            time.sleep(0.2)

    def stop(self) -> None:
        if self.proc is not None:
            _stop(self.proc)

    def request(self, method, path, body=None, headers=None):
        """One request over a connection of its own."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            r = conn.getresponse()
            return r.status, r.getheaders(), r.read()
        finally:
            conn.close()

    def login_form(self) -> tuple[str, str]:
        """The session cookie and CSRF token of the login page (valid for every attempt)."""
        status, headers, body = self.request("GET", "/login")
        assert status == 200
        cookie = "; ".join(v.split(";", 1)[0] for k, v in headers if k.lower() == "set-cookie")
        token = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', body).group(1).decode()
        return cookie, token

    def failed_logins(self, attempts: int) -> dict[int, int]:
        """``attempts`` logins with a wrong password, two at a time; the status of each."""
        cookie, token = self.login_form()
        form = urlencode({"csrf_token": token, "username": USERNAME, "password": "wrong-password"})
        statuses: dict[int, int] = {}
        barrier = threading.Barrier(2)

        def one(n: int) -> None:
            barrier.wait(timeout=30)
            statuses[n] = self.request("POST", "/login", form, {
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": cookie,
                "X-Attempt": str(n),
            })[0]  # fmt: skip

        with ThreadPoolExecutor(2) as pool:
            for first in range(1, attempts + 1, 2):
                list(pool.map(one, (first, first + 1)))
        return statuses

    def pids(self) -> dict[int, int]:
        """Attempt number -> pid of the worker that served it, from the access log."""
        deadline = time.monotonic() + 5
        while True:
            served = {}
            for line in _tail(self.access_log, 10**6).splitlines():
                fields = line.split()
                if len(fields) == 5 and fields[3] == "POST" and fields[0].isdigit():
                    served[int(fields[0])] = int(fields[1].strip("<>"))
            if len(served) >= self.expected or time.monotonic() > deadline:
                return served
            time.sleep(0.1)


@pytest.fixture
def serve(tmp_path):
    servers: list[Server] = []

    def start(storage_uri: str, name: str) -> Server:
        folder = tmp_path / name
        folder.mkdir()
        server = Server(folder, storage_uri)
        servers.append(server)
        server.start()
        return server

    yield start
    for server in servers:
        server.stop()


LIMIT = parse(Config.LOGIN_RATE_LIMIT).amount  # "10 per minute" -> 10
ATTEMPTS = LIMIT + 4 + LIMIT % 2  # even: attempts go out in pairs


def _run(server: Server) -> tuple[list[int], dict[int, int], dict[int, int]]:
    """The status of every attempt in order, the worker that served each, and
    how many attempts each worker let through."""
    server.expected = ATTEMPTS
    started = time.monotonic()
    statuses = server.failed_logins(ATTEMPTS)
    # All in one window of the limit (a minute), or the count would start over.
    assert time.monotonic() - started < 50
    pids = server.pids()
    seq = [statuses[n] for n in range(1, ATTEMPTS + 1)]
    allowed = {p: 0 for p in pids.values()}
    for n, status in statuses.items():
        if status != 429 and n in pids:
            allowed[pids[n]] += 1
    return seq, pids, allowed


def test_login_limit_is_shared_by_two_workers_through_redis(serve, tmp_path):
    folder = tmp_path / "redis"
    folder.mkdir()
    with redis_server(folder) as (redis_proc, uri):
        server = serve(uri, "app")
        seq, pids, allowed_per_worker = _run(server)
        first_429 = seq.index(429) + 1 if 429 in seq else None
        workers = sorted(allowed_per_worker)
        print(f"\nredis: {ATTEMPTS} failed logins, limit {Config.LOGIN_RATE_LIMIT}; "
              f"served by pids {workers}; per attempt {seq}; 429 from attempt {first_429}; "
              f"allowed per worker {allowed_per_worker}")  # fmt: skip

        assert set(seq) <= {400, 429}, f"unexpected statuses {seq}\n{_tail(server.error_log)}"
        assert len(pids) == ATTEMPTS, "the access log must name the worker of every attempt"
        assert len(workers) == 2, f"both workers must answer, got {workers}"
        assert server.proc.pid not in workers
        # Exactly LIMIT attempts get an answer; every one after them is refused.
        assert seq.count(400) == LIMIT and seq.count(429) == ATTEMPTS - LIMIT
        for i in range(ATTEMPTS // 2):  # pair i is attempts 2i+1 and 2i+2, sent together
            assert seq[2 * i : 2 * i + 2].count(400) == min(2, max(0, LIMIT - 2 * i)), seq
        # Neither worker alone saw LIMIT attempts: the count that tripped was shared.
        assert max(allowed_per_worker.values()) < LIMIT

        # Redis gone: the workers count in their own memory again, never a 500.
        _stop(redis_proc)
        cookie, token = server.login_form()
        form = urlencode({"csrf_token": token, "username": USERNAME, "password": "wrong-password"})
        status = server.request("POST", "/login", form, {
            "Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie,
        })[0]  # fmt: skip
        assert status == 400, _tail(server.error_log)


def test_memory_storage_counts_per_worker(serve):
    """The contrast: the single-process default lets each worker count for
    itself, so LIMIT + 4 attempts spread over two workers are not all caught."""
    server = serve("memory://", "app")
    seq, pids, allowed_per_worker = _run(server)
    workers = sorted(allowed_per_worker)
    print(
        f"\nmemory: served by pids {workers}; per attempt {seq}; "
        f"allowed per worker {allowed_per_worker}"
    )

    assert len(workers) == 2, f"both workers must answer, got {workers}"
    assert seq.count(400) > LIMIT  # more than the limit got through ...
    assert all(n <= LIMIT for n in allowed_per_worker.values())  # ... though each worker kept it
