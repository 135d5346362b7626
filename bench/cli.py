"""Benchmark commands (issue 6): ``flask --app wsgi bench seed|targets|sqlcount|verify|
screening|writers|pdf|profile``. ``bench/run.py`` (``make bench``) drives them around
gunicorn and wrk. Registered by the app only when this package is present (it is not
part of the product). Each command measures one thing and prints one JSON object.
"""

from __future__ import annotations

import json
import math
import os
import random
import re
import resource
import sys
import time

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import event, func, select

from app.extensions import db
from bench.mix_data import mix_data
from bench.seed import BENCH_PASSWORD, DEPTHS, seed_database

bench_cli = AppGroup("bench", help="性能基准 / benchmark: seed data, count SQL, time services")


@bench_cli.command("seed")
@click.option("--plots", type=click.IntRange(1), required=True)
@click.option("--samples-per-plot", type=click.IntRange(0), default=20, show_default=True)
@click.option("--events", type=click.IntRange(0), default=None, help="ledger events (≈30 per plot)")
@click.option("--townships", type=click.IntRange(1), default=None, help="per county")
@click.option("--counties", type=click.IntRange(1), default=10, show_default=True,
              help="COUNTY_CODE's, then its prefecture's and province's (served)")  # fmt: skip
@click.option("--seed", "seed_", type=int, default=2026, show_default=True)
@click.option("--batch", type=click.IntRange(100), default=10_000, show_default=True)
@click.option("--canon", type=click.Choice(["fast", "rfc8785"]), default="fast", show_default=True,
              help="fast: C json encoder where it equals RFC 8785 (spot-checked)")  # fmt: skip
@click.option("--no-analyze", is_flag=True)
@click.option("--json", "as_json", is_flag=True, help="print the result as one JSON line")
def seed_command(plots, samples_per_plot, events, townships, counties, seed_, batch, canon,
                 no_analyze, as_json):  # fmt: skip
    """Fill an EMPTY database with N plots in every state, samples and a verifying ledger."""

    def log(msg):
        click.echo(msg, err=as_json)

    result = seed_database(plots, samples_per_plot=samples_per_plot, events=events,
                           townships=townships, counties=counties, seed=seed_, batch=batch,
                           canon=canon, analyze=not no_analyze, log=log)  # fmt: skip
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False))
        return
    click.echo(f"已生成 {result['plots']} 个地块（{len(result['counties'])} 个县、"
               f"{result['townships']} 个乡镇：{'、'.join(result['counties'])}），"
               f"{result['events']} 个台账事件，链头 {result['head']}")  # fmt: skip
    for table, n in sorted(result["rows"].items()):
        click.echo(f"  {table:<18}{n:>10}")
    for name, seconds in result["timings"].items():
        click.echo(f"  {name:<24}{seconds:>8} s")
    click.echo(f"所有用户密码均为 {BENCH_PASSWORD}（如 env_officer；其他县 env_<县代码>，"
               f"州 env_<州代码>，见 bench/README.md）")  # fmt: skip


# ---------------------------------------------------------------- targets


def targets() -> dict:
    """What the HTTP benchmark requests: the biggest township, a plot in works with a
    notice board (its page, its notice PDF, its case; in the home county when it has
    one), an environment officer of that plot's county, the sizes of the data."""
    from app.models import Case, Filing, LedgerEvent, Sample, Site, User
    from app.services import public, regions

    township, count = db.session.execute(
        select(Site.township, func.count())
        .join(Case, Case.id == Site.current_case_id)
        .where(Case.state.in_(public.PUBLIC_STATES))
        .group_by(Site.township)
        .order_by(func.count().desc(), Site.township)
        .limit(1)
    ).one()
    with_notice = (
        select(Case.id, Site.code, Site.county_code)
        .join(Site, Site.id == Case.site_id)
        .where(Case.state == "works",
               select(Filing.id).where(Filing.case_id == Case.id,
                                       Filing.kind == "works_notice").exists())
        .order_by(Case.id)
    )  # fmt: skip
    home = current_app.config["COUNTY_CODE"]
    rows = db.session.execute(with_notice.where(Site.county_code == home).limit(1000)).all()
    rows = rows or db.session.execute(with_notice.limit(1000)).all()
    case_id, code, county = rows[len(rows) // 2] if rows else (None, None, home)
    officer = db.session.scalar(
        select(User.username)
        .where(User.role == "bureau", User.department == "environment",
               User.region_code == county)
        .order_by(User.id)
        .limit(1)
    )  # fmt: skip
    return {
        "township": township,
        "township_public_plots": count,
        "township_pages": max(1, math.ceil(count / 20)),
        "site_code": code,
        "case_id": case_id,
        "officer": officer or "env_officer",
        "password": BENCH_PASSWORD,
        "plots": db.session.scalar(select(func.count()).select_from(Site)),
        "counties": len(regions.served()),
        "samples": db.session.scalar(select(func.count()).select_from(Sample)),
        "events": db.session.scalar(select(func.max(LedgerEvent.seq))) or 0,
    }


@bench_cli.command("targets")
def targets_command():
    """Print the benchmark's URLs' parameters as JSON."""
    click.echo(json.dumps(targets(), ensure_ascii=False))


# ---------------------------------------------------------------- the mix (issue 19)


@bench_cli.command("mixdata")
@click.option("--out", type=click.Path(dir_okay=False), required=True)
@click.option("--cases", type=click.IntRange(1), default=5000, show_default=True)
def mixdata_command(out, cases):
    """Write the values the request mix draws from (JSON; see bench/mix.py)."""
    data = mix_data(cases)
    with open(out, "w", encoding="utf-8") as fh:
        json.dump(data, fh, ensure_ascii=False)
    click.echo(json.dumps({"out": out, "public_plots": len(data["plots"]),
                           "notice_codes": len(data["notice_codes"]),
                           "case_ids": len(data["case_ids"])}))  # fmt: skip


def endpoints(t: dict) -> list[dict]:
    """The requests the benchmark measures, in order (shared with bench/run.py)."""
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


# ---------------------------------------------------------------- statements per request


def login_session(client, username: str, password: str, base_url: str) -> None:
    """Log in through the form (with its CSRF token when CSRF is on)."""
    page = client.get("/login", base_url=base_url)
    match = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', page.data)
    form = {"username": username, "password": password}
    if match:
        form["csrf_token"] = match.group(1).decode()
    # Over HTTPS, Flask-WTF also wants a same-origin Referer.
    response = client.post("/login", data=form, base_url=base_url,
                           headers={"Referer": f"{base_url}/login"})  # fmt: skip
    if response.status_code not in (302, 303):
        raise click.ClickException(f"login as {username} failed: HTTP {response.status_code}")


def count_statements(t: dict | None = None, repeat: int = 2) -> dict:
    """SQL statements each benchmarked request runs when computed afresh (kept answers
    cleared first), counted on the engine in-process (the Flask test client against the
    same database). A second app instance serves the
    requests, so each request gets its own app context as under gunicorn. The last of
    ``repeat`` runs counts: the first may fill per-process caches."""
    from app import create_app, response_cache
    from app.models import User
    from app.services import auth

    t = t or targets()
    app = create_app()
    counter = {"n": 0}

    def count(*_args, **_kwargs):
        counter["n"] += 1

    base_url = "https://localhost"  # production cookies are Secure
    client = app.test_client()
    login_session(client, t["officer"], t["password"], base_url)
    with app.app_context():
        officer = db.session.scalar(select(User).where(User.username == t["officer"]))
        token, _ = auth.issue_token(officer)
        engine = db.engine
    out = {}
    timings: list = []

    def started(conn, cursor, statement, *_args):
        conn.info.setdefault("bench_t0", []).append(time.perf_counter())

    def finished(conn, cursor, statement, *_args):
        t0 = conn.info["bench_t0"].pop()
        timings.append((time.perf_counter() - t0, " ".join(statement.split())))

    event.listen(engine, "before_cursor_execute", count)
    event.listen(engine, "before_cursor_execute", started)
    event.listen(engine, "after_cursor_execute", finished)
    try:
        for ep in endpoints(t):
            headers = {}
            if ep.get("auth") == "bearer":
                headers["Authorization"] = f"Bearer {token}"
            for _ in range(repeat):
                response_cache.clear()  # count the statements of an answer computed afresh
                counter["n"] = 0
                timings.clear()
                begun = time.perf_counter()
                response = client.get(ep["path"], headers=headers, base_url=base_url)
                elapsed = time.perf_counter() - begun
            slowest = sorted(timings, reverse=True)[:3]
            out[ep["name"]] = {
                "statements": counter["n"], "status": response.status_code,
                "request_ms": round(elapsed * 1000, 2),
                "sql_ms": round(sum(d for d, _ in timings) * 1000, 2),
                "slowest": [{"ms": round(d * 1000, 2), "sql": q[:300]} for d, q in slowest],
            }  # fmt: skip
    finally:
        event.remove(engine, "before_cursor_execute", count)
        event.remove(engine, "before_cursor_execute", started)
        event.remove(engine, "after_cursor_execute", finished)
        with app.app_context():
            db.engine.dispose()
    return out


@bench_cli.command("profile")
@click.argument("name")
@click.option("--requests", "n", type=click.IntRange(1), default=50, show_default=True)
@click.option("--top", type=click.IntRange(1), default=30, show_default=True)
def profile_command(name, n, top):
    """cProfile NAME (an endpoint of the benchmark, e.g. case_api) over N in-process requests."""
    import cProfile
    import io
    import pstats

    from app import create_app
    from app.models import User
    from app.services import auth

    t = targets()
    ep = next((e for e in endpoints(t) if e["name"] == name), None)
    if ep is None:
        raise click.ClickException(f"unknown endpoint {name}: {[e['name'] for e in endpoints(t)]}")
    app = create_app()
    client = app.test_client()
    base_url = "https://localhost"
    headers = {}
    if ep.get("auth") == "session":
        login_session(client, t["officer"], t["password"], base_url)
    if ep.get("auth") == "bearer":
        with app.app_context():
            officer = db.session.scalar(select(User).where(User.username == t["officer"]))
            headers["Authorization"] = f"Bearer {auth.issue_token(officer)[0]}"
    client.get(ep["path"], headers=headers, base_url=base_url)
    profiler = cProfile.Profile()
    begun = time.perf_counter()
    profiler.enable()
    for _ in range(n):
        client.get(ep["path"], headers=headers, base_url=base_url)
    profiler.disable()
    elapsed = time.perf_counter() - begun
    buf = io.StringIO()
    pstats.Stats(profiler, stream=buf).sort_stats("cumulative").print_stats(top)
    click.echo(f"{name}: {n} requests, {elapsed / n * 1000:.1f} ms each (profiled)")
    click.echo(buf.getvalue())


@bench_cli.command("sqlcount")
def sqlcount_command():
    """SQL statements per benchmarked request (JSON)."""
    t = targets()
    click.echo(json.dumps({"targets": t, "statements": count_statements(t)}, ensure_ascii=False))


# ---------------------------------------------------------------- ledger verify


def rss_kb() -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


@bench_cli.command("verify")
def verify_command():
    """Time ``ledger.verify()``: events/s, resident memory before and at peak (JSON)."""
    from app.services import ledger

    db.session.execute(select(1))  # connect before measuring the baseline
    before = rss_kb()
    started = time.perf_counter()
    workers = os.cpu_count() or 1
    result = ledger.verify(workers=workers)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    child_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    click.echo(json.dumps({
        "ok": result["ok"], "events": result["events"], "seconds": round(seconds, 2),
        "events_per_s": round(result["events"] / seconds) if seconds else None,
        "rss_before_mb": round(before / 1024, 1), "rss_peak_mb": round(peak / 1024, 1),
        "rss_growth_mb": round((peak - before) / 1024, 1),
        "first_bad_seq": result["first_bad_seq"], "reason": result.get("reason"),
        "workers": workers if result["events"] >= ledger.PARALLEL_MIN_EVENTS else 1,
        "worker_rss_peak_mb": round(child_peak / 1024, 1),
    }))  # fmt: skip


# ---------------------------------------------------------------- screening + storing


def sample_csv(rows: int, seed: int = 7) -> bytes:
    """A lab's CSV: Chinese headers with units, names in Chinese, symbols, English and
    CAS numbers, values in mg/kg and μg/kg."""
    rng = random.Random(seed)
    names = ["砷", "As", "镉", "Cd", "铅", "Lead", "汞", "镍", "铜", "铬（六价）", "7440-43-9",
             "苯并[a]芘", "苯", "甲苯", "萘", "石油烃（C10-C40）"]  # fmt: skip
    lines = ["点位编号,深度(m),污染物,检测值,单位,备注"]
    for k in range(rows):
        name = names[k % len(names)]
        if name in ("苯并[a]芘", "苯", "甲苯", "萘"):
            value, unit = f"{rng.uniform(5, 900):.1f}", "μg/kg"
        else:
            value, unit = f"{rng.uniform(0.05, 400):.3g}", "mg/kg"
        lines.append(f"S{k // 20 + 1:05d},{rng.choice(DEPTHS)},{name},{value},{unit},")
    return ("\n".join(lines) + "\n").encode("utf-8")


@bench_cli.command("screening")
@click.option("--rows", type=click.IntRange(1), default=100_000, show_default=True)
def screening_command(rows):
    """Screen and store a ROWS-row sample CSV through ``filings.file()`` (WRITES: run it on
    a scratch copy). Also times its parts (parse, screen) on their own (JSON)."""
    from app.models import Case, Site, User
    from app.services import filings, screening

    raw = sample_csv(rows)
    case = db.session.scalar(
        select(Case).join(Site).where(Case.state == "survey").order_by(Case.id).limit(1)
    )
    if case is None:
        raise click.ClickException("no case in survey state")
    holder = db.session.scalar(
        select(User).where(User.party_id == case.site.landholder_party_id).limit(1)
    )
    started = time.perf_counter()
    parsed = screening.parse_samples_csv(raw, max_rows=max(rows, 200_000),
                                         max_bytes=max(len(raw), 5_000_000))  # fmt: skip
    parse_s = time.perf_counter() - started
    started = time.perf_counter()
    screened, _ = filings._screen_rows(case, 0, parsed)
    screen_s = time.perf_counter() - started
    db.session.rollback()
    code = db.session.scalar(select(Site.code).where(Site.id == case.site_id))
    data = {"unit_credit_code": holder.party.credit_code, "project_lead": "基准测试",
            "conclusion": "基准测试：十万行样品"}  # fmt: skip
    case_id = case.id
    db.session.remove()
    # The receipt is rendered after the commit (in production, in a background thread);
    # keep it out of the timing: the job row is still written in the filing's transaction.
    current_app.config["DOCUMENTS_MODE"] = "off"
    current_app.config["MAX_CSV_ROWS"] = max(rows, current_app.config["MAX_CSV_ROWS"])
    current_app.config["MAX_CSV_BYTES"] = max(len(raw), current_app.config["MAX_CSV_BYTES"])
    holder = db.session.scalar(select(User).where(User.party_id == holder.party_id).limit(1))
    # The surveyor field must name a registered unit; the filer's own party is one.
    started = time.perf_counter()
    filing, _ = filings.file(holder, case_id, "survey_report", data, samples_csv=raw)
    total_s = time.perf_counter() - started
    click.echo(json.dumps({
        "rows": rows, "csv_bytes": len(raw), "site": code, "filing_id": filing.id,
        "stored": filing.data["samples_count"], "seconds": round(total_s, 2),
        "rows_per_s": round(rows / total_s), "parse_s": round(parse_s, 2),
        "screen_rows_s": round(screen_s, 2),
        "insert_commit_etc_s": round(total_s - parse_s - screen_s, 2),
        "screened": len(screened),
    }))  # fmt: skip


# ---------------------------------------------------------------- concurrent ledger writers


def _writer_process(worker: int, count: int, barrier, results) -> None:
    from app import create_app
    from app.services import parties
    from app.services.credit_codes import make_credit_code

    app = create_app()
    with app.app_context():
        db.session.execute(select(1))
        db.session.rollback()
        errors = 0
        barrier.wait()
        started = time.perf_counter()
        for k in range(count):
            code = make_credit_code(f"91533124W{worker:02d}{os.getpid() % 1000:03d}{k:03d}")
            try:
                parties.create_party(name=f"并发写入测试单位{worker}-{k}", credit_code=code,
                                     kind="enterprise")  # fmt: skip
            except Exception:  # noqa: BLE001 (counted and reported, the run goes on)
                db.session.rollback()
                errors += 1
        results.put((worker, time.perf_counter() - started, errors))
        db.session.remove()
        db.engine.dispose()


@bench_cli.command("writers")
@click.option("--procs", type=click.IntRange(1), default=8, show_default=True)
@click.option("--count", type=click.IntRange(1, 999), default=100, show_default=True)
@click.option("--full-verify/--tail-verify", default=True, show_default=True)
def writers_command(procs, count, full_verify):
    """PROCS processes each register COUNT parties at once (each an append to the ledger;
    WRITES: run it on a scratch copy). Appends/s; then the chain: verify, prev_hash unique."""
    import multiprocessing as mp

    from app.models import LedgerEvent
    from app.services import ledger

    start_seq = db.session.scalar(select(func.max(LedgerEvent.seq))) or 0
    db.session.remove()
    db.engine.dispose()
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(procs + 1)
    results = ctx.Queue()
    workers = [ctx.Process(target=_writer_process, args=(w, count, barrier, results))
               for w in range(procs)]  # fmt: skip
    for w in workers:
        w.start()
    barrier.wait()
    started = time.perf_counter()
    done = [results.get() for _ in workers]
    wall = time.perf_counter() - started
    for w in workers:
        w.join()
    errors = sum(e for _, _, e in done)
    appended = (db.session.scalar(select(func.max(LedgerEvent.seq))) or 0) - start_seq
    total, distinct = db.session.execute(
        select(func.count(), func.count(func.distinct(LedgerEvent.prev_hash)))
    ).one()
    verified = ledger.verify() if full_verify else _verify_tail(start_seq)
    click.echo(json.dumps({
        "procs": procs, "per_proc": count, "appended": appended, "errors": errors,
        "seconds": round(wall, 2), "appends_per_s": round(appended / wall, 1),
        "verify_ok": verified["ok"], "verified_events": verified["events"],
        "prev_hash_unique": total == distinct, "forks": total - distinct,
        "dialect": db.engine.dialect.name,
    }))  # fmt: skip


def _verify_tail(after_seq: int) -> dict:
    """The chain from ``after_seq`` to the head (links and hashes)."""
    from app.models import LedgerEvent
    from app.services import ledger

    prev = db.session.scalar(select(LedgerEvent.hash).where(LedgerEvent.seq == after_seq))
    prev = prev or ledger.GENESIS
    n = 0
    for row in db.session.execute(
        select(LedgerEvent).where(LedgerEvent.seq > after_seq).order_by(LedgerEvent.seq)
    ).scalars():
        body = ledger.event_body(seq=row.seq, at=row.at, case_id=row.case_id, actor=row.actor,
                                 party=row.party, action=row.action, from_state=row.from_state,
                                 to_state=row.to_state, documents=row.documents or [],
                                 detail=row.detail or {})  # fmt: skip
        if row.prev_hash != prev or ledger.chain_hash(prev, body) != row.hash:
            return {"ok": False, "events": n}
        prev, n = row.hash, n + 1
    return {"ok": True, "events": n}


# ---------------------------------------------------------------- documents


@bench_cli.command("pdf")
@click.option("--plots", type=click.IntRange(1), default=1000, show_default=True)
def pdf_command(plots):
    """Render a filing receipt and a PLOTS-plot register PDF with the app's own templates
    and renderer (where they exist), and the notice board PDF in-process (JSON)."""
    import importlib

    import workflows
    from app.models import Filing, LedgerEvent
    from app.services import clock, pdf, public

    out = {"render_pdf_available": hasattr(pdf, "render_pdf")}
    try:
        documents = importlib.import_module("app.services.documents")
    except ModuleNotFoundError:
        documents = None
    base = "https://localhost"
    with current_app.test_request_context("/", base_url=base):
        if documents is None or "filing_receipt" not in getattr(documents, "KINDS", {}):
            out["filing_receipt"] = "not available yet"
        else:
            from app.models import DocumentJob

            filing = db.session.scalar(
                select(Filing).where(Filing.kind == "survey_report").order_by(Filing.id).limit(1)
            )
            event = db.session.scalar(
                select(LedgerEvent)
                .where(LedgerEvent.case_id == filing.case_id, LedgerEvent.action == filing.kind)
                .order_by(LedgerEvent.seq)
                .limit(1)
            )
            # A transient job: what documents.process() renders, without storing anything.
            job = DocumentJob(kind="filing_receipt", case_id=filing.case_id,
                              event_seq=event.seq, filing_id=filing.id)  # fmt: skip
            template = documents.KINDS["filing_receipt"][0]
            out["filing_receipt"] = _time_call(
                lambda: pdf.render_pdf(template, **documents._context(job, event, base))
            )
        try:
            current_app.jinja_env.get_template("documents/register.html")
        except Exception:  # noqa: BLE001 (no template: nothing to render)
            out["register_pdf"] = "not available yet"
        else:
            rows = public.search(public.Filters(), page=1, per_page=plots).items
            out["register_rows"] = len(rows)
            out["register_pdf"] = _time_call(
                lambda: pdf.render_pdf("documents/register.html", rows=rows, now=clock.now(),
                                       state_labels=workflows.STATE_LABELS_ZH),
                repeat=1,
            )  # fmt: skip
            out["register_public_plots"] = public.search(public.Filters(), page=1, per_page=1).total
    t = targets()
    if t["site_code"]:

        def notice():
            with current_app.test_client() as c:
                r = c.get(f"/sites/{t['site_code']}/notice.pdf", base_url=base)
                assert r.status_code == 200, r.status_code
                return r.data

        notice()  # fonts and templates load once per process
        out["notice_pdf_in_process"] = _time_call(notice)
    click.echo(json.dumps(out, ensure_ascii=False))


def _time_call(fn, repeat: int = 3) -> dict:
    times = []
    size = None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
        size = len(result) if isinstance(result, (bytes, bytearray)) else None
    return {"seconds_min": round(min(times), 3), "seconds_median": round(sorted(times)[len(times) // 2], 3),
            "bytes": size}  # fmt: skip


if __name__ == "__main__":  # pragma: no cover
    sys.exit("use: flask --app wsgi bench ...")
