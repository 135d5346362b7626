#!/usr/bin/env python
"""Render times of the issued documents (issue 7) on this machine — a script,
not a test: nothing here asserts a speed.

    .venv/bin/python bench/documents_timing.py [--runs 10] [--plots 1000]
                                               [--register-runs 3] [--profile] [--json out.json]

1. Builds a throw-away app (TestingConfig, SQLite in a temporary folder), one
   plot with a survey report through the JSON API (tests/support.World), and
   its pending filing-receipt job.
2. Times the receipt: ``render_pdf`` on exactly what ``documents.process``
   renders, once cold (fonts, templates and fontconfig load in the process)
   and then the median of ``--runs`` after that warm-up; then one full
   ``documents.process`` (render + store + ``document_issued`` event).
3. Times the register (名录) of ``--plots`` synthetic public plots with the
   app's template (the rendering alone; the query is not part of it).
4. Does 2 and 3 with WenQuanYi Micro Hei and with Noto Sans CJK SC, switched by
   monkeypatching ``app.services.pdf.CJK_FONTS``. ``pdffonts`` tells which CJK
   font really got embedded; if the switch did not reach the PDF (the
   templates' stylesheet names its own fonts), the font is forced by a
   ``<style>`` appended to the page's head, and the report says so.
5. Also renders the register with ``table-layout: fixed`` (FIXED_REGISTER_CSS,
   appended like the font, not applied to the app): the profile shows
   WeasyPrint's automatic table layout re-measuring the whole table per page.
6. Profiles (cProfile) the receipt when its median is not well under 1 s
   (>= 0.5 s), or always with ``--profile`` (then the register too).

Every figure is given as wall and CPU seconds: rendering is single-threaded,
so on a busy shared machine the CPU time is the better estimate.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FONTS = {
    "WenQuanYi Micro Hei": '"WenQuanYi Micro Hei", sans-serif',
    "Noto Sans CJK SC": '"Noto Sans CJK SC", sans-serif',
}
BASE = "https://tdwr.example.gov.cn"
# What the profile of the register points at: WeasyPrint's automatic table layout
# measures every row of the whole table again for each page. A fixed layout with
# set column widths avoids it; measured as an extra row, not applied to the app.
FIXED_REGISTER_CSS = (
    ".register table.grid { table-layout: fixed; }"
    ".register table.grid th:nth-child(1) { width: 6%; }"
    ".register table.grid th:nth-child(2) { width: 16%; }"
    ".register table.grid th:nth-child(3) { width: 26%; }"
    ".register table.grid th:nth-child(4) { width: 10%; }"
    ".register table.grid th:nth-child(5) { width: 8%; }"
    ".register table.grid th:nth-child(6) { width: 14%; }"
)
WELL_UNDER_ONE_SECOND = 0.5
TOWNSHIPS = ["章凤镇", "陇把镇", "景罕镇", "城子镇", "户撒阿昌族乡", "护国乡", "清平乡", "王子树乡",
             "勐约乡"]  # fmt: skip
INDUSTRIES = ["铅锌冶炼厂", "化工厂", "电镀厂", "焦化厂", "农药厂", "制革厂", "加油站", "印染厂"]
POLLUTANTS = ["铅", "镉", "砷", "汞", "六价铬", "苯并[a]芘", "石油烃（C10-C40）", "苯"]
STATES = ["listed", "risk_control", "plan_filing", "plan_review", "transfer_reporting", "works",
          "evaluation", "evaluation_review", "released"]  # fmt: skip


# ---------------------------------------------------------------- set-up


def make_app(tmp: Path):
    os.environ["DATABASE_URL"] = f"sqlite:///{tmp}/bench.db"
    os.environ["STORAGE_DIR"] = str(tmp / "storage")
    from flask_migrate import upgrade

    from app import create_app
    from config import TestingConfig

    app = create_app(TestingConfig)
    app.config["PUBLIC_BASE_URL"] = BASE
    with app.app_context():
        upgrade()
    return app


def receipt_job():
    """One plot, one survey report through the API: its pending receipt job."""
    from flask import current_app
    from sqlalchemy import select

    from app.extensions import db
    from app.models import DocumentJob
    from tests.conftest import IsolatedClient  # each request in an app context of its own
    from tests.support import World

    current_app.test_client_class = IsolatedClient
    world = World.build(current_app.test_client())
    reg = world.register()
    world.file("landholder", reg["case"]["id"], "survey_report", world.survey_data())
    return db.session.scalar(select(DocumentJob).where(DocumentJob.kind == "filing_receipt"))


def register_rows(n: int) -> list:
    """``n`` rows shaped like ``public.all_public()`` answers (site, case, pollutants)."""
    from types import SimpleNamespace

    rows = []
    for i in range(n):
        town = TOWNSHIPS[i % len(TOWNSHIPS)]
        site = SimpleNamespace(
            code=f"533124-{2020 + i % 7}-{i + 1:05d}",
            name=f"原{town}{INDUSTRIES[i % len(INDUSTRIES)]}第{i % 13 + 1}号地块",
            township=town,
            land_category=1 + i % 2,
        )
        pollutants = [{"name": POLLUTANTS[(i + k) % len(POLLUTANTS)]} for k in range(1 + i % 4)]
        rows.append(SimpleNamespace(site=site, case=SimpleNamespace(state=STATES[i % len(STATES)]),
                                    pollutants=pollutants))  # fmt: skip
    return rows


# ---------------------------------------------------------------- fonts


def embedded_cjk_fonts(data: bytes) -> list[str]:
    """The CJK fonts ``pdffonts`` finds embedded in ``data``."""
    with tempfile.NamedTemporaryFile(suffix=".pdf") as fh:
        fh.write(data)
        fh.flush()
        tool = shutil.which("pdffonts") or "/usr/bin/pdffonts"
        # Our own temporary file, given to poppler's pdffonts.
        out = subprocess.run([tool, fh.name], capture_output=True, text=True, check=True)  # noqa: S603
    names = set()
    for line in out.stdout.splitlines()[2:]:
        name = line.split()[0] if line.split() else ""
        if any(k in name for k in ("WenQuanYi", "Noto", "CJK", "wqy")):
            names.add(name.split("+", 1)[-1])
    return sorted(names)


def _plain(name: str) -> str:
    return name.replace(" ", "").replace("-", "").lower()


@contextmanager
def font(family: str, *, force: bool, extra_css: str = ""):
    """Use ``family`` for the CJK text: CJK_FONTS, and with ``force`` a style
    appended to the head (wins over documents.css, which names its own fonts);
    ``extra_css`` is appended the same way (to try a stylesheet change)."""
    from app.services import pdf

    saved_fonts, saved_html_to_pdf = pdf.CJK_FONTS, pdf.html_to_pdf
    pdf.CJK_FONTS = family
    css = (f"html {{ font-family: {family}; }}" if force else "") + extra_css
    if css:

        def html_to_pdf(html, **kwargs):
            style = f"<style>{css}</style>"
            return saved_html_to_pdf(html.replace("</head>", style + "</head>", 1), **kwargs)

        pdf.html_to_pdf = html_to_pdf
    try:
        yield
    finally:
        pdf.CJK_FONTS, pdf.html_to_pdf = saved_fonts, saved_html_to_pdf


# ---------------------------------------------------------------- timing


def timed(fn) -> tuple[float, float, object]:
    """(wall seconds, CPU seconds of this process, result). Rendering is
    single-threaded, so on a busy shared machine the CPU time is the better
    estimate of what the render costs on an idle one."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def measure(fn, runs: int) -> tuple[dict, object]:
    """One first call (reported apart), then ``runs`` timed calls."""
    first_wall, first_cpu, result = timed(fn)
    walls, cpus = [], []
    for _ in range(runs):
        wall, cpu, result = timed(fn)
        walls.append(wall)
        cpus.append(cpu)
    return {
        "first_wall_s": round(first_wall, 3),
        "first_cpu_s": round(first_cpu, 3),
        "median_wall_s": round(statistics.median(walls), 3),
        "median_cpu_s": round(statistics.median(cpus), 3),
        "min_wall_s": round(min(walls), 3),
        "max_wall_s": round(max(walls), 3),
        "bytes": len(result),
        "pages": pages(result),
    }, result


def pages(data: bytes) -> int:
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(data)).pages)


def profile(fn, label: str, top: int = 20) -> str:
    prof = cProfile.Profile()
    prof.enable()
    fn()
    prof.disable()
    out = io.StringIO()
    stats = pstats.Stats(prof, stream=out).strip_dirs().sort_stats("cumulative")
    out.write(f"--- cProfile: {label} (top {top} by cumulative time)\n")
    stats.print_stats(top)
    # Where the time goes, by package: the same profile summed per top-level module.
    by_package: dict[str, float] = {}
    for (filename, _line, _func), (_cc, _nc, tt, _ct, _callers) in stats.stats.items():
        key = filename.split(".")[0] if filename != "~" else "builtins/C"
        by_package[key] = by_package.get(key, 0.0) + tt
    total = sum(by_package.values()) or 1.0
    out.write("own time by module: ")
    out.write(", ".join(f"{k} {v:.3f}s ({v / total:.0%})" for k, v in
                        sorted(by_package.items(), key=lambda kv: -kv[1])[:10]))  # fmt: skip
    out.write("\n")
    return out.getvalue()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10, help="timed receipt renders (median)")
    parser.add_argument("--plots", type=int, default=1000, help="rows of the register")
    parser.add_argument("--register-runs", type=int, default=3, help="timed register renders")
    parser.add_argument("--profile", action="store_true", help="always profile")
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = parser.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="clc-doc-bench-"))
    app = make_app(tmp)
    result: dict = {"plots": args.plots, "runs": args.runs, "fonts": {},
                    "load_average": os.getloadavg(), "cpus": os.cpu_count()}  # fmt: skip
    profiles: list[str] = []
    # An app context without a request, as the background worker renders.
    with app.app_context():
        from sqlalchemy import select

        import workflows
        from app.extensions import db
        from app.models import LedgerEvent
        from app.services import clock, documents, pdf

        job = receipt_job()
        event = db.session.scalar(select(LedgerEvent).where(LedgerEvent.seq == job.event_seq))
        template = documents.KINDS[job.kind][0]

        def receipt() -> bytes:
            return pdf.render_pdf(template, **documents._context(job, event, BASE))

        rows = register_rows(args.plots)

        def register() -> bytes:
            return pdf.render_pdf("documents/register.html", rows=rows, now=clock.now(),
                                  state_labels=workflows.STATE_LABELS_ZH)  # fmt: skip

        # The very first rendering in this process: fonts, templates, fontconfig load.
        wall, cpu, _ = timed(receipt)
        result["cold_first_receipt"] = {"wall_s": round(wall, 3), "cpu_s": round(cpu, 3)}

        for name, family in FONTS.items():
            with font(family, force=False):
                switched = embedded_cjk_fonts(receipt())
            force = not any(_plain(name) in _plain(f) for f in switched)
            entry = {"cjk_fonts_switch_reaches_pdf": not force,
                     "embedded_with_switch_only": switched}  # fmt: skip
            with font(family, force=force):
                entry["receipt"], data = measure(receipt, args.runs)
                entry["embedded"] = embedded_cjk_fonts(data)
                entry["register"], _ = measure(register, args.register_runs)
                slow = entry["receipt"]["median_wall_s"] >= WELL_UNDER_ONE_SECOND
                if args.profile or slow:
                    profiles.append(profile(receipt, f"receipt, {name}"))
                if args.profile:
                    profiles.append(profile(register, f"{args.plots}-plot register, {name}"))
            # The register again with the table layout the profile points at.
            with font(family, force=force, extra_css=FIXED_REGISTER_CSS):
                entry["register_fixed_layout"], _ = measure(register, args.register_runs)
            result["fonts"][name] = entry

        # The whole of documents.process once: render + store + ledger event, commit.
        wall, cpu, doc = timed(lambda: documents.process(job.id, base_url=BASE))
        result["process_once"] = {"wall_s": round(wall, 3), "cpu_s": round(cpu, 3),
                                  "issued": doc is not None}  # fmt: skip

    print_report(result, args)
    for text in profiles:
        print()
        print(text)
    if args.json:
        args.json.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
    return 0


def print_report(result: dict, args) -> None:
    load = ", ".join(f"{x:.2f}" for x in result["load_average"])
    print(f"Documents timing — {result['cpus']} CPUs, load average {load} at start")
    print(f"receipt: median of {args.runs} after a warm-up; register: {args.plots} synthetic "
          f"public plots, median of {args.register_runs} after a first render")  # fmt: skip
    print("times are wall / CPU seconds (CPU = this process; the better figure on a busy machine)")
    print()
    header = (f"{'font':20} {'receipt median':>16} {'receipt min-max':>16} "
              f"{'register median':>17} {'first':>15} {'pages':>5}  embedded")  # fmt: skip
    print(header)
    print("-" * len(header))
    for name, e in result["fonts"].items():
        r, g = e["receipt"], e["register"]
        print(f"{name:20} {r['median_wall_s']:>7.3f} / {r['median_cpu_s']:<6.3f} "
              f"{r['min_wall_s']:>7.3f}-{r['max_wall_s']:<7.3f} "
              f"{g['median_wall_s']:>7.2f} / {g['median_cpu_s']:<7.2f} "
              f"{g['first_wall_s']:>6.2f} / {g['first_cpu_s']:<6.2f} {g['pages']:>5}  "
              f"{', '.join(e['embedded']) or '-'}")  # fmt: skip
    print()
    print("register with table-layout: fixed and set column widths (a CSS change to try):")
    for name, e in result["fonts"].items():
        f = e["register_fixed_layout"]
        print(f"  {name:20} median {f['median_wall_s']:.2f} / {f['median_cpu_s']:.2f} s, "
              f"{f['pages']} pages")  # fmt: skip
    cold, once = result["cold_first_receipt"], result["process_once"]
    print()
    print(f"first receipt in a fresh process (fonts, templates, fontconfig load): "
          f"{cold['wall_s']:.3f} / {cold['cpu_s']:.3f} s")  # fmt: skip
    print(f"documents.process once (render + store + document_issued event): "
          f"{once['wall_s']:.3f} / {once['cpu_s']:.3f} s")  # fmt: skip
    for name, e in result["fonts"].items():
        if not e["cjk_fonts_switch_reaches_pdf"]:
            print(f"NOTE: setting app.services.pdf.CJK_FONTS to {name!r} did not change the "
                  f"embedded font ({', '.join(e['embedded_with_switch_only']) or 'none'}): the "
                  "templates never use cjk_fonts and static/css/documents.css names its own "
                  "fonts, so the font was forced with an appended <style> for this row.")  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
