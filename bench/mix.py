#!/usr/bin/env python3
"""What users do (issue 19): the request mix of ``bench/run.py --mix`` (its writer is
``bench/mix_writer.py``).

``flask bench mixdata`` (bench/cli.py) writes the real values of a seeded database
(public plots with their county, township, state, exceeding pollutants and name; the
plots with a notice board; the cases of the benchmarked officer's county; the desk's
counts; who the writer logs in as). From them :func:`draw_requests` draws, for each
class of request, a list of concrete requests that ``bench/mix.lua`` sends in random
order, and a combined list in which each class has the share of :data:`CLASSES`.
Everything here is standard library and pure, but the table.

    python bench/mix.py draw --data bench/results/mix-data.json --out FOLDER
"""

from __future__ import annotations

import argparse
import bisect
import json
import math
import random
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlencode

# Each class: what it requests, who asks, its share of the combined mix (a guess at a
# county's day: the public reads the register and plot pages; a handful of officers
# work the desk and the case API all day; notice PDFs are printed now and then).
CLASSES: dict[str, dict] = {
    "register": {"label": "/ register, random filters", "auth": None, "share": 0.30},
    "public_api": {"label": "/api/v1/public/sites, filters", "auth": None, "share": 0.10},
    "site_page": {"label": "/sites/<random code>", "auth": None, "share": 0.30},
    "notice_pdf": {"label": "/sites/<code>/notice.pdf", "auth": None, "share": 0.05},
    "desk": {"label": "/review/, /review/deadlines", "auth": "session", "share": 0.15},
    "case_api": {"label": "/api/v1/cases/<random id>", "auth": "bearer", "share": 0.10},
}
MIX = "mix"  # the combined run

# The register's filters: about half of the requests have none; the others take one
# plot's values (so a search finds something, as a person's usually does), each
# dimension with its own probability, at least one.
NO_FILTER = 0.5
FILTER_ODDS = {"county": 0.6, "township": 0.35, "state": 0.25, "pollutant": 0.2, "q": 0.25}
CODE_SEARCH = 0.05  # of the searches, a plot code pasted into the box
# Pages: most requests read page 1-3, some go deeper (uniform over the rest).
PAGE_ODDS = ((1, 0.55), (2, 0.2), (3, 0.1))
API_PER_PAGE = ((20, 0.8), (100, 0.2))  # open-data clients often take 100 at a time
REGISTER_PER_PAGE = 20  # app/public/routes.py PER_PAGE
QUEUE_PER_PAGE, AGENDA_PER_PAGE = 30, 50  # app/review/routes.py
VISITORS = 5000  # distinct public addresses (X-Forwarded-For), see bench/README.md
OFFICER_ADDRESS = "192.168.10.21"


# ---------------------------------------------------------------- data


@dataclass(frozen=True)
class Plot:
    code: str
    county: str
    township: str
    state: str
    name: str
    address: str
    pollutants: tuple[str, ...] = ()

    @classmethod
    def from_row(cls, row) -> Plot:
        code, county, township, state, name, address, pollutants = row
        return cls(code, county, township, state, name, address, tuple(pollutants))

    def matches(self, f: dict) -> bool:
        if "county" in f and self.county != f["county"]:
            return False
        if "township" in f and self.township != f["township"]:
            return False
        if "state" in f and self.state != f["state"]:
            return False
        if "pollutant" in f and f["pollutant"] not in self.pollutants:
            return False
        if "q" in f:
            q = f["q"].lower()  # ilike on name, address, code (public_query)
            return q in self.name.lower() or q in self.address.lower() or q in self.code.lower()
        return True


_SPLIT = re.compile(r"[原厂（）()\s\d]+|地块")


def words(name: str) -> list[str]:
    """What a person would type to find a plot by its name: its parts ("章凤镇",
    "铅锌冶炼" of "章凤镇原铅锌冶炼厂地块（12）") and the first two characters of the
    longer ones ("铅锌")."""
    out: list[str] = []
    for part in _SPLIT.split(name):
        if len(part) >= 2:
            out.append(part)
            if len(part) >= 4:
                out.append(part[:2])
    return list(dict.fromkeys(out))


class Register:
    """The public plots, indexed so a filter's total (hence its last page) is counted
    exactly, as ``public.search`` would."""

    def __init__(self, plots: list[Plot]) -> None:
        self.plots = plots
        self.by: dict[str, dict[str, list[Plot]]] = {
            k: {} for k in ("county", "township", "state", "pollutant")
        }
        for p in plots:
            self.by["county"].setdefault(p.county, []).append(p)
            self.by["township"].setdefault(p.township, []).append(p)
            self.by["state"].setdefault(p.state, []).append(p)
            for key in p.pollutants:
                self.by["pollutant"].setdefault(key, []).append(p)
        self._counts: dict[tuple, int] = {}

    def count(self, f: dict) -> int:
        key = tuple(sorted(f.items()))
        if key not in self._counts:
            lists = [self.by[k].get(f[k], []) for k in self.by if k in f]
            candidates = min(lists, key=len) if lists else self.plots
            self._counts[key] = sum(1 for p in candidates if p.matches(f))
        return self._counts[key]


# ---------------------------------------------------------------- drawing


def draw_page(rng: random.Random, pages: int) -> int:
    """1-3 mostly, else uniform over 4..pages; never past the last page."""
    pages = max(1, pages)
    x = rng.random()
    for page, odds in PAGE_ODDS:
        if x < odds:
            return min(page, pages)
        x -= odds
    return rng.randint(4, pages) if pages >= 4 else rng.randint(1, pages)


def draw_filters(rng: random.Random, register: Register) -> dict:
    if rng.random() < NO_FILTER or not register.plots:
        return {}
    plot = rng.choice(register.plots)
    f: dict = {}
    while not f:
        for dim, odds in FILTER_ODDS.items():
            if rng.random() >= odds:
                continue
            if dim == "pollutant":
                if plot.pollutants:
                    f[dim] = rng.choice(plot.pollutants)
            elif dim == "q":
                options = words(plot.name)
                code = rng.random() < CODE_SEARCH or not options
                f[dim] = plot.code if code else rng.choice(options)
            else:
                f[dim] = getattr(plot, dim)
    return f


def _path(base: str, params: dict) -> str:
    # The order of the register's own links (Filters.args), then the page.
    order = ("county", "state", "township", "q", "pollutant", "page", "per_page")
    items = [(k, params[k]) for k in order if k in params]
    return base + ("?" + urlencode(items, quote_via=quote) if items else "")


def _weighted(rng: random.Random, pairs) -> object:
    x = rng.random()
    for value, odds in pairs:
        if x < odds:
            return value
        x -= odds
    return pairs[-1][0]


def _visitor(rng: random.Random) -> str:
    n = rng.randrange(VISITORS)
    return f"10.{19 + n // 65536}.{n // 256 % 256}.{n % 256 or 1}"


@dataclass
class Drawer:
    """Draws one request of a class: (auth, X-Forwarded-For, path)."""

    data: dict
    rng: random.Random
    register: Register = field(init=False)

    def __post_init__(self) -> None:
        self.register = Register([Plot.from_row(r) for r in self.data["plots"]])

    def draw(self, cls: str) -> tuple[str, str, str]:
        auth = CLASSES[cls]["auth"] or "-"
        address = OFFICER_ADDRESS if auth != "-" else _visitor(self.rng)
        return auth, address, getattr(self, f"_{cls}")()

    def _register_like(self, base: str, per_page: int) -> str:
        f = draw_filters(self.rng, self.register)
        total = self.register.count(f)
        params = dict(f)
        if per_page != 20:  # the API's default
            params["per_page"] = per_page
        page = draw_page(self.rng, math.ceil(total / per_page))
        if page > 1:
            params["page"] = page
        return _path(base, params)

    def _register(self) -> str:
        return self._register_like("/", REGISTER_PER_PAGE)

    def _public_api(self) -> str:
        return self._register_like("/api/v1/public/sites", _weighted(self.rng, API_PER_PAGE))

    def _site_page(self) -> str:
        return "/sites/" + quote(self.rng.choice(self.data["plots"])[0])

    def _notice_pdf(self) -> str:
        return f"/sites/{quote(self.rng.choice(self.data['notice_codes']))}/notice.pdf"

    def _desk(self) -> str:
        desk = self.data["desk"]
        if self.rng.random() < 0.55:  # the queue, now and then one stage's tab
            waiting = {k: v for k, v in desk["queue"].items() if v}
            params: dict = {}
            total = sum(waiting.values())
            if waiting and self.rng.random() < 0.3:
                params["stage"] = self.rng.choice(sorted(waiting))
                total = waiting[params["stage"]]
            page = draw_page(self.rng, math.ceil(total / QUEUE_PER_PAGE))
            if page > 1:
                params["page"] = page
            return "/review/" + ("?" + urlencode(params) if params else "")
        params = {}
        total = desk["open_deadlines"]
        if self.rng.random() < 0.3:
            params["overdue"] = "1"
            total = desk["overdue_deadlines"]
        page = draw_page(self.rng, math.ceil(total / AGENDA_PER_PAGE))
        if page > 1:
            params["page"] = page
        return "/review/deadlines" + ("?" + urlencode(params) if params else "")

    def _case_api(self) -> str:
        return f"/api/v1/cases/{self.rng.choice(self.data['case_ids'])}"


def usable_classes(data: dict) -> list[str]:
    """The classes the data has something for (no notice board at all: no PDFs)."""
    need = {"notice_pdf": "notice_codes", "case_api": "case_ids", "site_page": "plots"}
    return [c for c in CLASSES if not need.get(c) or data.get(need[c])]


def draw_requests(data: dict, n: int = 20_000, seed: int = 19) -> dict[str, list[tuple]]:
    """``n`` requests per class and ``n`` for the combined mix (classes in the shares of
    :data:`CLASSES`, renormalised over the usable ones): {set: [(auth, xff, path)]}."""
    rng = random.Random(seed)
    drawer = Drawer(data, rng)
    shares = mix_shares(data)
    classes = list(shares)
    out = {cls: [drawer.draw(cls) for _ in range(n)] for cls in classes}
    cumulative, running = [], 0.0
    for c in classes:
        running += shares[c]
        cumulative.append(running)
    out[MIX] = []
    for _ in range(n):
        k = min(bisect.bisect(cumulative, rng.random()), len(classes) - 1)
        out[MIX].append(drawer.draw(classes[k]))
    return out


def mix_shares(data: dict) -> dict[str, float]:
    classes = usable_classes(data)
    total = sum(CLASSES[c]["share"] for c in classes)
    return {c: CLASSES[c]["share"] / total for c in classes}


def write_request_files(requests: dict[str, list[tuple]], folder: Path) -> dict[str, Path]:
    """One file per set for bench/mix.lua: ``auth<TAB>X-Forwarded-For<TAB>path`` lines
    (auth: ``-``, ``session`` or ``bearer``; paths are ASCII, percent-encoded)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, rows in requests.items():
        path = folder / f"{name}.tsv"
        path.write_text("".join(f"{a}\t{x}\t{p}\n" for a, x, p in rows), encoding="ascii")
        paths[name] = path
    return paths


def summarize(requests: dict[str, list[tuple]]) -> dict:
    """What was drawn, per set: requests, distinct paths, and of the register and
    public API requests those without a filter."""
    out = {}
    for name, rows in requests.items():
        paths = [p for _, _, p in rows]
        listing = [p for p in paths if p == "/" or p.startswith(("/?", "/api/v1/public/sites"))]
        bare = [p for p in listing if not re.search(r"[?&](county|township|state|q|pollutant)=", p)]
        out[name] = {"requests": len(paths), "distinct_paths": len(set(paths))}
        if listing:
            out[name]["register_without_filter"] = round(len(bare) / len(listing), 3)
    return out


# ---------------------------------------------------------------- table


def render(mix: dict) -> str:
    """Cold path and realistic path side by side, per class and combined."""
    paths = [mix[k] for k in ("cold", "realistic") if k in mix]
    if not paths:
        return ""
    shares = mix.get("shares", {})
    lines = [
        "",
        "   what users do (--mix, issue 19): random URLs per class, then all classes mixed;",
        f"   wrk {mix.get('duration_s')} s per row; ÷hz: req/s over the mean of the two /healthz "
        "rows of the same path",
    ]
    lines += [f"   {p['label']:<10} {p['describe']}" for p in paths]
    width = 41  # "  | " and the five columns
    head = f"   {'class':<32}{'share':>6}"
    sub = f"   {'':<38}"
    for p in paths:
        head += f"  | {p['label']:<{width - 4}}"
        sub += f"  | {'req/s':>7}{'p50 ms':>8}{'p99 ms':>9}{'÷hz':>8}{'err':>5}"
    lines += ["", head, sub]
    names = ["healthz", *CLASSES, MIX, "healthz_end"]
    labels = {"healthz": "/healthz (ceiling)", "healthz_end": "/healthz (again, at the end)",
              MIX: "mix (combined)"}  # fmt: skip
    for name in names:
        if not any(name in p["runs"] for p in paths):
            continue
        label = labels.get(name) or CLASSES[name]["label"]
        share = shares.get(name)
        share = f"{share:.0%}" if share else ("100%" if name == MIX else "")
        row = f"   {label:<32}{share:>6}"
        for p in paths:
            r = p["runs"].get(name)
            if r is None:
                row += f"  | {'':<{width - 4}}"
                continue
            errors = sum(r["errors"].values())
            row += (f"  | {r['rps']:>7.1f}{r['p50_ms']:>8.2f}{r['p99_ms']:>9.2f}"
                    f"{r['ratio']:>8.1%}{errors:>5}")  # fmt: skip
        lines.append(row)
    lines.append("")
    for p in paths:
        pred = p.get("mix_predicted_rps")
        if pred:
            lines.append(f"   {p['label']}: the classes' own rates predict {pred:.1f} req/s for the "
                         f"mix (1 / Σ share÷rate); measured {p['runs'][MIX]['rps']:.1f}")  # fmt: skip
        loads = [x for r in p["runs"].values() for x in r.get("load_avg", [])]
        if loads:
            lines.append(f"   {p['label']}: 1-min load average {min(loads)}–{max(loads)}; worker RSS "
                         f"{', '.join(map(str, p.get('worker_rss_mb', [])))} MB")  # fmt: skip
        odd = {
            name: {k: v for k, v in statuses.items() if k != "200"}
            for name, statuses in (p.get("preflight") or {}).items()
        }
        odd = {k: v for k, v in odd.items() if v}
        if odd:
            lines.append(f"   {p['label']}: preflight statuses other than 200: {odd}")
        failed = sum(sum(r["errors"].values()) for r in p["runs"].values())
        if failed:
            lines.append(f"   !! {p['label']}: {failed} requests failed (err); those rows measure "
                         "error answers, not the pages")  # fmt: skip
    w = (mix.get("realistic") or {}).get("writer")
    if w:
        kinds = ", ".join(f"{k} {v}" for k, v in w["by_kind"].items())
        head_moves = ""
        if all(isinstance(x, int) for x in w.get("ledger_head") or [None]):
            a, b = w["ledger_head"]
            head_moves = f"; ledger head {a} → {b} (+{b - a})"
        lines.append(f"   writer: {w['writes']} writes committed in {w['seconds']} s ({kinds}); "
                     f"{w['errors']} errors; a write took p50 {w['write_p50_ms']} ms, max "
                     f"{w['write_max_ms']} ms{head_moves}")  # fmt: skip
        for e in w.get("error_samples", []):
            lines.append(f"     writer error: {e}")
    return "\n".join(line.rstrip() for line in lines)


# ---------------------------------------------------------------- main


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    d = sub.add_parser("draw", help="draw the request files from a mixdata JSON")
    d.add_argument("--data", required=True)
    d.add_argument("--out", required=True, help="folder for <set>.tsv")
    d.add_argument("-n", type=int, default=20_000)
    args = p.parse_args(argv)
    data = json.loads(Path(args.data).read_text())
    requests = draw_requests(data, args.n)
    write_request_files(requests, Path(args.out))
    print(json.dumps(summarize(requests)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
