"""The benchmark's seeder (issue 6): fills an EMPTY database with a province's worth of plots
over several counties (issue 18; which ones and their officers: ``bench/seed_counties.py``).

Plots in every lifecycle state, their filings, screened samples, reviews, manifests and a
ledger whose hash chain verifies. It writes rows in bulk (COPY on PostgreSQL, executemany
on SQLite) instead of calling the services one plot at a time, but it writes what the
services would write: the same columns, the same JSON shapes (filing data, ledger
details), the same round / version / state bookkeeping as ``cases.act``, levels from
``screening.level_for``, and ledger hashes from ``ledger.event_body`` in ``seq`` order,
events in time order across plots. Values go through each column's own SQLAlchemy bind
processor, so SQLite and PostgreSQL store exactly what the ORM would.
"""

from __future__ import annotations

import functools
import hashlib
import heapq
import random
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import click
import rfc8785
from flask import current_app
from sqlalchemy import func, select, text

from app.extensions import db
from app.services.ledger import canonical
from app.services.workdays import add_workdays
from bench import seed_counties
from workflows import PUBLIC_STATES
from workflows import deadlines as deadline_rules
from workflows import decisions as decision_rules

BENCH_PASSWORD = "Bench-Password-2026"  # noqa: S105 (benchmark data only, printed)
BUREAU_ACTIONS = {"cosign", "approve", "return", "require_remediation", "require_control", "reopen"}

# (story, weight): where each plot's case has got to. Every state of workflows.STATES is
# the end of at least one story; "released" is reached three ways.
STORIES = (
    ("survey", 6),
    ("survey_review", 4),
    ("risk_assessment", 5),
    ("risk_assessment_review", 4),
    ("listed", 5),
    ("risk_control", 9),
    ("plan_filing", 5),
    ("plan_review", 4),
    ("transfer_reporting", 4),
    ("works", 12),
    ("evaluation", 5),
    ("evaluation_review", 4),
    ("released_remediated", 17),
    ("released_clean", 10),
    ("released_risk_ok", 6),
)
STORY_NAMES = [s for s, _ in STORIES]
STORY_WEIGHTS = [w for _, w in STORIES]
LATE_STORIES = {"works", "evaluation", "evaluation_review", "released_remediated"}

INDUSTRIES = (
    "铅锌冶炼", "制糖", "农机修造", "化肥仓储", "电镀", "金属锻造", "加油站", "木材防腐",
    "农药分装", "汽车维修", "印染", "铸造", "砖瓦烧制", "废旧蓄电池回收", "化工", "制药",
    "焦化", "皮革鞣制", "水泥", "造纸", "橡胶", "锡冶炼", "钢铁", "危险废物贮存",
)  # fmt: skip
ROADS = ("迭撒路", "团结路", "兴边路", "民族路", "胞波路", "景罕路", "建设路", "环城路")
PLANNED_USES = (
    ("residential", 30), ("school", 6), ("medical", 3), ("elderly_care", 2),
    ("community_park", 4), ("industrial", 15), ("logistics", 6), ("commercial", 18),
    ("road", 4), ("utilities", 4), ("public_admin", 5), ("green_space", 3),
)  # fmt: skip
TRIGGERS = (("use_change", 60), ("land_recovery", 25), ("key_enterprise", 10),
            ("agricultural_conversion", 5))  # fmt: skip
SURNAMES = "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦许何吕施张孔曹严华金魏陶姜刀岳排段"
GIVEN = ("建国", "思远", "立群", "振华", "明", "丽", "强", "海燕", "志刚", "晓东", "云", "华")

# Pollutants a survey typically measures, with how often (metals in nearly every sample).
POLLUTANT_WEIGHTS = {
    "arsenic": 14, "cadmium": 12, "lead": 14, "mercury": 8, "nickel": 8, "copper": 8,
    "chromium_vi": 6, "benzo_a_pyrene": 3, "tph_c10_c40": 4,
}  # fmt: skip
DEPTHS = (0.2, 0.5, 1.0, 1.5, 2.0, 3.0, 4.5, 6.0)


# ---------------------------------------------------------------- bulk writer

# Parents before children, so PostgreSQL's foreign keys hold at every flush.
_add_workdays = functools.lru_cache(maxsize=4096)(add_workdays)  # a few hundred distinct days

TABLE_ORDER = (
    "parties", "users", "sites", "cases", "responsibilities", "assignments", "filings",
    "documents", "samples", "reviews", "decisions", "deadlines", "manifests", "bans",
    "ledger_events",
)  # fmt: skip


class BulkWriter:
    """Buffers row dicts per table and writes them in FK order: COPY on PostgreSQL,
    executemany on SQLite. Each value passes through its column's bind processor."""

    def __init__(self, engine, batch: int = 10_000):
        self.engine = engine
        self.dialect = engine.dialect
        self.pg = self.dialect.name == "postgresql"
        self.batch = batch
        self.raw = engine.raw_connection()
        self.conn = self.raw.driver_connection
        self.buffers: dict[str, list[dict]] = {t: [] for t in TABLE_ORDER}
        self.plans: dict[str, tuple] = {}
        self.counts: Counter = Counter()
        self.write_seconds = 0.0
        cur = self.conn.cursor()
        if self.pg:
            cur.execute("SET synchronous_commit = off")
        else:
            cur.execute("PRAGMA synchronous = OFF")
            cur.execute("PRAGMA cache_size = -200000")
        cur.close()

    def add(self, table: str, row: dict) -> None:
        """Buffer a row; nothing is written until ``maybe_flush``/``flush``, which the
        seeder calls only where every buffered child row has its parent buffered too."""
        self.buffers[table].append(row)

    def maybe_flush(self) -> None:
        if any(len(rows) >= self.batch for rows in self.buffers.values()):
            self.flush()

    def _plan(self, table: str, columns: tuple[str, ...]):
        plan = self.plans.get(table)
        if plan is None or plan[0] != columns:
            meta = db.metadata.tables[table]
            procs = []
            for i, name in enumerate(columns):
                col = meta.c[name]
                proc = col.type.dialect_impl(self.dialect).bind_processor(self.dialect)
                if proc is not None:
                    procs.append((i, proc))
            names = ", ".join(columns)  # names from the models' metadata, never from input
            if self.pg:
                sql = f"COPY {table} ({names}) FROM STDIN"
            else:
                marks = ", ".join("?" * len(columns))
                sql = f"INSERT INTO {table} ({names}) VALUES ({marks})"  # noqa: S608  # nosec B608
            plan = self.plans[table] = (columns, procs, sql)
        return plan

    def _write(self, table: str, rows: list[dict]) -> None:
        columns = tuple(rows[0])
        if any(len(row) != len(columns) for row in rows):
            raise RuntimeError(f"{table}: rows of one batch must have the same columns")
        _, procs, sql = self._plan(table, columns)
        tuples = []
        for row in rows:
            values = [row[c] for c in columns]
            for i, proc in procs:
                values[i] = proc(values[i])
            tuples.append(values)
        cur = self.conn.cursor()
        if self.pg:
            with cur.copy(sql) as copy:
                for values in tuples:
                    copy.write_row(values)
        else:
            cur.executemany(sql, tuples)
        cur.close()
        self.counts[table] += len(rows)

    def flush(self) -> None:
        started = time.perf_counter()
        for table in TABLE_ORDER:
            rows = self.buffers[table]
            if rows:
                self._write(table, rows)
                self.buffers[table] = []
        self.conn.commit()
        self.write_seconds += time.perf_counter() - started

    def close(self) -> None:
        self.flush()
        self.raw.close()


# ---------------------------------------------------------------- seeding


def _weighted(rng: random.Random, pairs) -> str:
    names, weights = zip(*pairs, strict=True)
    return rng.choices(names, weights)[0]


class _Plot:
    """What one plot's story has done so far: the case columns ``cases.act`` keeps."""

    __slots__ = ("i", "rng", "site_id", "case_id", "code", "county", "township", "category",
                 "backgrounds", "landholder", "responsible", "surveyor", "contractor",
                 "evaluator", "facility", "state", "round", "version", "state_since",
                 "updated_at", "created_at", "offsite", "exceed", "samples_left",
                 "survey_filings_left", "manifests", "events", "steps_done", "address", "site_row",
                 "clocks", "plan_end")  # fmt: skip


class Seeder:
    """Fills an empty database; see the module docstring."""

    def __init__(self, *, plots, samples_per_plot=20, events=None, townships=None, counties=10,
                 seed=2026, batch=10_000, canon="fast", log=None, end=None):  # fmt: skip
        self.n = plots
        self.samples_total = plots * samples_per_plot
        self.events_target = events if events is not None else plots * 30
        self.seed = seed
        self.batch = batch
        self.canon = canonical if canon == "fast" else rfc8785.dumps
        self.log = log or (lambda msg: None)
        self.end = end or (datetime.now(UTC) - timedelta(days=1))
        self.first = datetime(2019, 1, 7, 1, 30, tzinfo=UTC)
        self.county_code = current_app.config["COUNTY_CODE"]  # of the parties' credit codes
        self.rng = random.Random(seed)
        self.n_counties, self.n_townships = counties, townships
        self.ids: Counter = Counter()
        self.decision_seqs: Counter = Counter()  # (county, kind, year) -> last number issued
        self.seq = 0
        self.prev = "0" * 64
        self.canon_checked = 0
        from app.services import screening

        self.screening = screening
        self.pollutants = {p.key: p for p in screening.all_pollutants()}

    # ---------------------------------------------------------------- helpers

    def next_id(self, table: str) -> int:
        self.ids[table] += 1
        return self.ids[table]

    def _code(self, prefix: str, kind_letter: str, n: int) -> str:
        from app.services.credit_codes import make_credit_code

        return make_credit_code(f"{prefix}{self.county_code}{kind_letter}{n:08d}")

    def _name(self, rng) -> str:
        return rng.choice(SURNAMES) + rng.choice(GIVEN)

    # ---------------------------------------------------------------- ledger

    def emit(self, at: datetime, *, case_id, actor, action, party=None, from_state=None,
             to_state=None, documents=(), detail=None) -> None:  # fmt: skip
        from app.services import ledger

        self.seq += 1
        if party is None and actor is not None:
            party = actor[3]
        body = ledger.event_body(
            seq=self.seq,
            at=ledger.iso(at),
            case_id=case_id,
            actor=actor[1] if actor else None,
            party=party,
            action=action,
            from_state=from_state,
            to_state=to_state,
            documents=sorted(set(documents)),
            detail=detail or {},
        )
        raw = self.canon(body)
        if self.seq % 997 == 1:  # the fast path must give RFC 8785's bytes
            if raw != rfc8785.dumps(body):
                raise RuntimeError(f"canonical JSON differs from RFC 8785 at seq {self.seq}")
            self.canon_checked += 1
        digest = hashlib.sha256(self.prev.encode("ascii") + raw).hexdigest()
        self.writer.add(
            "ledger_events",
            {
                "seq": body["seq"],
                "at": body["at"],
                "case_id": case_id,
                "actor": body["actor"],
                "actor_user_id": actor[0] if actor else None,
                "party": party,
                "action": action,
                "from_state": from_state,
                "to_state": to_state,
                "documents": body["documents"],
                "detail": body["detail"],
                "prev_hash": self.prev,
                "hash": digest,
            },
        )
        self.prev = digest

    # ---------------------------------------------------------------- cast

    def cast(self, password_hash: str) -> None:
        """Parties and their users, the bureau, a few banned units; registered before
        the first plot, each with its ledger event as the services write them."""
        n = self.n
        rng = self.rng
        at = self.first - timedelta(days=30)
        self.parties: dict[str, list[tuple]] = {}
        self.users: dict[str, list[tuple]] = {}
        groups = (
            # group, count, code prefix, kind letter, kind, role, username prefix, name pattern
            ("landholder", max(5, n // 8), "91", "L", "enterprise", "landholder", "lh", "{t}城乡建设开发有限公司{k}"),
            ("landbank", max(1, n // 2000), "12", "B", "institution", "landholder", "lb", "土地收购储备中心{k}"),
            ("polluter", max(3, n // 25), "91", "P", "enterprise", None, "", "{t}{ind}有限责任公司{k}"),
            ("surveyor", max(2, n // 400), "91", "Q", "enterprise", "contractor", "sv", "环境检测技术有限公司{k}"),
            ("contractor", max(2, n // 400), "91", "C", "enterprise", "contractor", "ct", "环境修复工程有限公司{k}"),
            ("evaluator", max(2, n // 800), "91", "E", "enterprise", "evaluator", "ev", "效果评估咨询有限公司{k}"),
            ("facility", max(1, n // 2000), "91", "F", "enterprise", "facility", "fc", "水泥窑协同处置有限公司{k}"),
            ("banned", max(1, n // 5000), "91", "X", "enterprise", None, "", "速检环境咨询有限公司{k}"),
        )  # fmt: skip
        townships = [t[0] for c in self.counties.seeded for t in c.townships]
        ban_until = date(2030, 12, 31)
        ban_reason = "在地块调查报告中篡改检测数据，出具虚假报告（土壤污染防治法第九十条）"
        for group, count, prefix, letter, kind, role, user_prefix, pattern in groups:
            self.parties[group] = []
            self.users[group] = []
            for k in range(1, count + 1):
                pid = self.next_id("parties")
                code = self._code(prefix, letter, k)
                name = pattern.format(t=rng.choice(townships)[:2], ind=rng.choice(INDUSTRIES), k=k)
                banned = group == "banned"
                self.writer.add("parties", {
                    "id": pid, "name": name, "credit_code": code, "kind": kind,
                    "status": "active", "banned_until": ban_until if banned else None,
                    "banned_lifelong": False, "ban_reason": ban_reason if banned else None,
                    "successor_id": None, "created_at": at,
                })  # fmt: skip
                self.emit(at, case_id=None, actor=None, action="party_registered", party=code,
                          detail={"name": name, "kind": kind})  # fmt: skip
                party = (pid, code, name)
                self.parties[group].append(party)
                if role:
                    username = f"{user_prefix}{k:06d}"
                    self.users[group].append(self._user(at, username, role, party, None,
                                                        password_hash, f"{name[:6]} 经办人"))  # fmt: skip
        self.officers: dict[str, tuple[list, list]] = {}  # county code -> (env, nr)
        roster = seed_counties.officers(self.counties, extra=max(1, n // 10_000))
        for username, dept, region, display in roster:
            user = self._user(at, username, "bureau", None, dept, password_hash, display, region)
            env, nr = self.officers.setdefault(region, ([], []))
            (env if dept == "environment" else nr).append(user)
        self.env_officers = self.officers[self.counties.seeded[0].code][0]  # the home county's
        self.admin = self._user(at, "admin", "admin", None, None, password_hash, "系统管理员")
        ban_at = self.first + timedelta(days=200)
        for party in self.parties["banned"]:
            self.writer.add("bans", {
                "id": self.next_id("bans"), "party_id": party[0], "until": ban_until,
                "lifelong": False, "reason": ban_reason, "decided_by_id": self.env_officers[0][0],
                "decided_at": ban_at,
            })  # fmt: skip
            self.banned.append((ban_at, party, ban_until, ban_reason))
        self.writer.flush()

    def _user(self, at, username, role, party, department, password_hash, display, region=None):
        uid = self.next_id("users")
        self.writer.add("users", {
            "id": uid, "username": username, "password_hash": password_hash, "role": role,
            "department": department, "region_code": region,
            "display_name": display, "party_id": party[0] if party else None, "active": True,
            "created_at": at,
        })  # fmt: skip
        self.emit(at, case_id=None, actor=None, action="user_created",
                  party=party[1] if party else None,
                  detail={"username": username, "role": role, "department": department})  # fmt: skip
        # (id, username, party_id, party_code, department)
        return (uid, username, party[0] if party else None, party[1] if party else None, department)

    # ---------------------------------------------------------------- plans

    def _plot_rng(self, i: int) -> random.Random:
        return random.Random(self.seed * 1_000_003 + i)

    def story(self, i: int) -> str:
        if i < len(STORY_NAMES):  # every state at least once, even in a small seed
            return STORY_NAMES[i]
        return self._plot_rng(i).choices(STORY_NAMES, STORY_WEIGHTS)[0]

    def plan(self, i: int, extra=(0, 0, 0)) -> tuple[list[tuple], bool, float]:
        """The plot's steps as (day offset, step, argument), oldest first; whether its
        remediation ships soil off site; and its horizon, the last day its story can
        reach. ``extra`` (manifests, progress reports, monitoring reports) adds steps
        inside phases of fixed length: neither the horizon nor the main draws change."""
        story = self.story(i)
        rng = self._plot_rng(i)
        rng.random()  # the story's draw
        lrng = random.Random(self.seed * 31 + i)  # draws whose number depends on ``extra``
        g = rng.uniform
        steps: list[tuple] = []

        def add(day, step, arg=None):
            steps.append((day, step, arg))

        def done(open_end=0.0):
            steps.sort(key=lambda s: s[0])
            return steps, offsite, max(steps[-1][0], open_end)

        add(0.0, "register")
        offsite = rng.random() < 0.45 or story == "transfer_reporting"
        if story == "survey":
            if rng.random() < 0.4:
                add(g(20, 40), "survey_report", rng.random() < 0.7)
            return done()
        clean = story == "released_clean"
        d = g(20, 45)
        add(d, "survey_report", not clean)
        add(d, "submit")
        if rng.random() < 0.06:  # returned once, corrected, resubmitted
            d += g(7, 15)
            add(d, "return")
            d += g(7, 20)
            add(d, "survey_report", not clean)
            add(d, "submit")
        if story == "survey_review":
            if rng.random() < 0.5:
                add(d + g(3, 10), "cosign")
            return done()
        d += g(10, 25)
        add(d, "cosign")
        add(d, "approve")
        if clean or story == "risk_assessment":
            return done()
        acceptable = story == "released_risk_ok"
        d += g(40, 90)
        add(d, "risk_report", acceptable)
        add(d, "submit")
        if rng.random() < 0.1:
            d += g(7, 15)
            add(d, "return")
            d += g(10, 25)
            add(d, "risk_report", acceptable)
            add(d, "submit")
        if story == "risk_assessment_review":
            if rng.random() < 0.5:
                add(d + g(3, 10), "cosign")
            return done()
        d += g(10, 25)
        add(d, "cosign")
        add(d, "approve")
        if acceptable or story == "listed":
            return done()
        if story == "risk_control":
            d += g(3, 10)
            add(d, "require_control")
            n = rng.randint(1, 4) + extra[2]
            budget = g(90, 700)
            for k in range(n):
                add(d + budget * (k + 0.5) / n, "monitoring_report")
            return done(d + budget)
        d += g(3, 10)
        add(d, "require_remediation")
        if story == "plan_filing":
            return done()
        d += g(20, 40)
        add(d, "plan", offsite)
        add(d, "submit")
        if story == "plan_review":
            return done()
        d += g(10, 20)
        add(d, "approve")
        n_manifests = rng.randint(2, 4) + extra[0] if offsite else 0
        if offsite:
            reported = n_manifests
            if story == "transfer_reporting":
                reported = rng.randint(1, n_manifests)
            for k in range(reported):
                add(d + 1 + 4 * (k + 0.5) / n_manifests, "manifest_report", k)
            if story == "transfer_reporting":
                return done()
            d += 6
            add(d, "submit")
        d += g(2, 5)
        add(d, "works_notice")
        works_len = g(120, 200)
        cut = rng.uniform(0.3, 0.95) if story == "works" else 1.0
        n_progress = rng.randint(1, 3) + extra[1]
        for k in range(n_progress):  # reports so far: spread over the part of the works done
            frac = cut * (k + 0.5) / n_progress
            add(d + works_len * frac, "progress", round(100 * frac))
        for k in range(n_manifests):
            frac = 0.05 + 0.85 * (k + 0.5) / n_manifests
            if frac > cut and k >= n_manifests - extra[0]:
                frac = cut * lrng.uniform(0.5, 1.0)  # an added manifest always completes
            if frac <= cut:
                t = d + works_len * frac
                add(t, "dispatch", k)
                discrepancy = lrng.random() < 0.05
                add(t + 0.2, "receive", (k, discrepancy))
                if discrepancy and (story != "works" or lrng.random() < 0.5):
                    add(t + 2, "resolve", k)
        if story == "works":
            return done(d + works_len * cut + 3)
        d += works_len + 3 + g(2, 8)
        add(d, "complete_works")
        if story == "evaluation":
            if rng.random() < 0.6:
                add(d + g(5, 20), "assign_evaluator")
            return done()
        d += g(10, 30)
        add(d, "assign_evaluator")
        d += g(20, 40)
        add(d, "evaluation_report")
        add(d, "submit")
        if story == "evaluation_review":
            if rng.random() < 0.5:
                add(d + g(3, 10), "cosign")
            return done()
        d += g(15, 30)
        add(d, "cosign")
        add(d, "approve")
        return done()

    @staticmethod
    def events_of(steps) -> int:
        return sum(2 if s[1] == "plan" else 1 for s in steps)

    # ---------------------------------------------------------------- run

    def run(self) -> dict:
        from app.services import auth

        t0 = time.perf_counter()
        self.counties = seed_counties.setup(self.n_counties, self.n, self.n_townships, self.seed)
        self.writer = BulkWriter(db.engine, self.batch)
        self.banned: list = []
        password_hash = auth.hash_password(BENCH_PASSWORD)  # hashed once, reused for all users
        self.cast(password_hash)
        timings = {}

        # Pass 1: the natural plans, their samples and the padding the events target asks for.
        survey_filings, horizons, eligible = [], [], []
        natural = 0
        for i in range(self.n):
            steps, offsite, horizon = self.plan(i)
            natural += self.events_of(steps)
            story = self.story(i)
            survey_filings.append(sum(1 for s in steps if s[1] == "survey_report"))
            horizons.append(horizon)
            if story == "risk_control":
                eligible.append((i, "monitoring"))
            elif story in LATE_STORIES:
                eligible.append((i, "late_offsite" if offsite else "late"))
        extra = [None] * self.n
        deficit = self.events_target - natural - self.seq - len(self.banned)
        if deficit > 0 and eligible:
            counts = {}
            rng = random.Random(self.seed + 2)
            while deficit > 0:
                i, kind = eligible[rng.randrange(len(eligible))]
                m, p, q = counts.get(i, (0, 0, 0))
                if kind == "monitoring":
                    q += 1
                    deficit -= 1
                elif kind == "late_offsite" and rng.random() < 0.5:
                    m += 1
                    deficit -= 3  # reported, dispatched, received
                else:
                    p += 1
                    deficit -= 1
                counts[i] = (m, p, q)
            for i, c in counts.items():
                extra[i] = c
        # Samples: the total split over the survey filings, unevenly (big plots, more points).
        wrng = random.Random(self.seed + 3)
        weights = [wrng.lognormvariate(0, 0.6) if n else 0.0 for n in survey_filings]
        total_w = sum(weights) or 1.0
        self.sample_counts = [
            max(4 * n, round(self.samples_total * w / total_w)) if n else 0
            for n, w in zip(survey_filings, weights, strict=True)
        ]
        # Start dates: each story's horizon falls before ``end``.
        span = (self.end - self.first).total_seconds() / 86400
        start_rng = random.Random(self.seed + 4)
        starts = []
        for i in range(self.n):
            length = min(horizons[i], span - 1)
            offset = start_rng.uniform(0, span - length - 1)
            starts.append((self.first + timedelta(days=offset), i))
        starts.sort()
        timings["plan_s"] = round(time.perf_counter() - t0, 2)
        self.log(f"planned {self.n} plots: {natural + self.seq} natural events, "
                 f"target {self.events_target}, {sum(self.sample_counts)} samples "
                 f"({timings['plan_s']} s)")  # fmt: skip

        # Pass 2: open plots in the order they were registered; events leave in time order.
        heap: list = []
        pending_bans = sorted(self.banned, key=lambda b: b[0])
        t1 = time.perf_counter()
        report_every = max(1, self.n // 20)
        for opened, (start, i) in enumerate(starts):
            while pending_bans and pending_bans[0][0] <= start:
                self._drain(heap, pending_bans[0][0])
                self._ban_event(*pending_bans.pop(0))
            self._drain(heap, start)
            self.open_plot(i, start, extra[i] or (0, 0, 0), heap, opened)
            self.writer.maybe_flush()
            if (opened + 1) % report_every == 0:
                elapsed = time.perf_counter() - t0
                self.log(f"  {opened + 1:>8} plots  {self.seq:>9} events  "
                         f"{self.writer.counts['samples'] + len(self.writer.buffers['samples']):>9} samples  "
                         f"{elapsed:7.1f} s")  # fmt: skip
        for ban in pending_bans:
            self._drain(heap, ban[0])
            self._ban_event(*ban)
        self._drain(heap, None)
        self.writer.close()
        timings["generate_and_write_s"] = round(time.perf_counter() - t1, 2)
        timings["of_which_db_write_s"] = round(self.writer.write_seconds, 2)
        t2 = time.perf_counter()
        self._finish()
        timings["sequences_s"] = round(time.perf_counter() - t2, 2)
        timings["total_s"] = round(time.perf_counter() - t0, 2)
        return {
            "plots": self.n,
            "counties": [c.code for c in self.counties.seeded],
            "townships": sum(len(c.townships) for c in self.counties.seeded),
            "rows": dict(self.writer.counts),
            "events": self.seq,
            "head": self.prev,
            "canonical_spot_checks": self.canon_checked,
            "timings": timings,
            "password": BENCH_PASSWORD,
        }

    def _ban_event(self, at, party, until, reason):
        self.emit(at, case_id=None, actor=self.env_officers[0], action="party_banned",
                  party=party[1], detail={"until": until.isoformat(), "reason": reason})  # fmt: skip

    def _drain(self, heap, until) -> None:
        limit = None if until is None else int(until.timestamp() * 1_000_000)
        while heap and (limit is None or heap[0][0] < limit):
            _, _, _, at, kwargs = heapq.heappop(heap)
            self.emit(at, **kwargs)
            if self.seq % 1000 == 0:
                self.writer.maybe_flush()

    def _finish(self) -> None:
        """Serial sequences after explicit ids (PostgreSQL); the ledger lock row."""
        with db.engine.begin() as conn:
            if db.engine.dialect.name == "postgresql":
                for table in TABLE_ORDER:
                    if table == "ledger_events" or not self.ids[table]:
                        continue
                    conn.execute(text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), {self.ids[table]})"
                    ))  # fmt: skip
            conn.execute(text("UPDATE locks SET counter = :n WHERE name = 'ledger'"),
                         {"n": self.seq})  # fmt: skip
            for (county, kind, year), last in sorted(self.decision_seqs.items()):
                conn.execute(
                    text("INSERT INTO decision_sequences (county, kind, year, last) "
                         "VALUES (:county, :kind, :year, :last)"),
                    {"county": county, "kind": kind, "year": year, "last": last},
                )  # fmt: skip

    # ---------------------------------------------------------------- one plot

    def open_plot(self, i: int, start: datetime, extra, heap, ordinal: int) -> None:
        steps, offsite, _ = self.plan(i, extra)
        story = self.story(i)
        rng = random.Random(self.seed * 7_919 + i)
        p = _Plot()
        p.i, p.rng, p.offsite = i, rng, offsite
        p.exceed = story not in ("released_clean",)
        p.samples_left = self.sample_counts[i]
        p.survey_filings_left = sum(1 for s in steps if s[1] == "survey_report")
        p.events = []
        p.manifests = {}
        p.clocks, p.plan_end = [], None
        groups = ["landholder"] * 12 + ["landbank"]
        group = rng.choice(groups)
        holder_i = rng.randrange(len(self.parties[group]))
        p.landholder = (self.parties[group][holder_i], self.users[group][holder_i])
        if rng.random() < 0.3:
            p.responsible = rng.choice(self.parties["polluter"])
        else:
            p.responsible = p.landholder[0]
        k = rng.randrange(len(self.parties["surveyor"]))
        p.surveyor = (self.parties["surveyor"][k], self.users["surveyor"][k])
        k = rng.randrange(len(self.parties["contractor"]))
        p.contractor = (self.parties["contractor"][k], self.users["contractor"][k])
        k = rng.randrange(len(self.parties["evaluator"]))
        p.evaluator = (self.parties["evaluator"][k], self.users["evaluator"][k])
        k = rng.randrange(len(self.parties["facility"]))
        p.facility = (self.parties["facility"][k], self.users["facility"][k])
        last = None
        for j, (day, step, arg) in enumerate(steps):
            at = start + timedelta(days=day, minutes=j)
            if last is not None and at <= last:
                at = last + timedelta(minutes=1)
            last = at
            getattr(self, f"_step_{step}")(p, at, arg)
        # The case row carries the state the story ended in.
        self.writer.add("cases", {
            "id": p.case_id, "site_id": p.site_id, "state": p.state, "version": p.version,
            "round": p.round, "responsible_party_id": p.responsible[0],
            "state_since": p.state_since, "created_at": p.created_at, "updated_at": p.updated_at,
        })  # fmt: skip
        for m in p.manifests.values():
            self.writer.add("manifests", m)
        for row in p.clocks:
            self.writer.add("deadlines", {"id": self.next_id("deadlines"), **row})
        for k, (at, kwargs) in enumerate(p.events):
            heapq.heappush(heap, (int(at.timestamp() * 1_000_000), ordinal, k, at, kwargs))

    def _event(self, p: _Plot, at, action, actor, **kwargs) -> None:
        p.events.append((at, {"case_id": p.case_id, "actor": actor, "action": action, **kwargs}))
        self._clocks(p, at, action, kwargs.get("from_state"), kwargs.get("to_state"))

    def _clocks(self, p: _Plot, at, action, from_state, to_state) -> None:
        """``services.deadlines.on_event``: close what the event meets, open what it starts."""
        day = (at + timedelta(hours=8)).date()
        for row in p.clocks:
            if row["closed_on"] is None and deadline_rules.closes(row["kind"], action, to_state):
                row.update(closed_on=day, met=day <= row["due"])
        for o in deadline_rules.to_open(action, from_state, to_state):
            rule = deadline_rules.RULES[o.kind]
            if o.kind == "works_end":
                due = date.fromisoformat(p.plan_end) if p.plan_end else None
            elif rule.count == "working":
                due = _add_workdays(day, rule.default)
            else:
                due = day + timedelta(days=rule.default)
            if due is not None:
                p.clocks.append({"case_id": p.case_id, "county_code": p.county.code, "kind": o.kind,
                                 "owner": o.owner, "due": due, "opened_on": day, "opened_seq": None,
                                 "closed_on": None, "closed_seq": None, "met": None})  # fmt: skip

    def _act(self, p: _Plot, at, actor, action, to_state, comment=None) -> None:
        """``cases.act``: round, version, state_since, a Review for bureau actions."""
        review_round, from_state = p.round, p.state
        day = (at + timedelta(hours=8)).date()  # the Beijing date
        if to_state != from_state:
            p.state, p.round, p.state_since = to_state, p.round + 1, at
            site = p.site_row  # services.cases.enter: the plot's public bookkeeping
            if to_state in PUBLIC_STATES and site["public_since"] is None:
                site["public_since"] = day
            if to_state == "released":
                site["cleared_category"] = site["land_category"]
                site["cleared_use"] = site["planned_use"]
                site["cleared_on"] = day
        p.updated_at = at
        p.version += 1
        review_id = None
        if action in BUREAU_ACTIONS:
            review_id = self.next_id("reviews")
            self.writer.add("reviews", {
                "id": review_id, "case_id": p.case_id, "round": review_round,
                "action": action, "from_state": from_state, "to_state": to_state,
                "user_id": actor[0], "party_id": actor[2], "department": actor[4],
                "comment": comment, "at": at,
            })  # fmt: skip
        detail = {"round": review_round, "comment": comment, "department": actor[4]}
        kind = decision_rules.kind_of(action, from_state, to_state)
        if kind is not None:  # services.decisions.issue; numbers per county, kind and year
            self.decision_seqs[p.county.code, kind, day.year] += 1
            seq = self.decision_seqs[p.county.code, kind, day.year]
            number = decision_rules.number_text(p.county.prefix, kind, day.year, seq)
            self.writer.add("decisions", {
                "id": self.next_id("decisions"), "case_id": p.case_id,
                "county": p.county.code, "kind": kind, "year": day.year, "seq": seq,
                "number": number, "action": action, "from_state": from_state,
                "to_state": to_state, "decided_on": day, "review_id": review_id,
                "event_seq": None, "provincial_number": None, "provincial_date": None,
                "created_at": at,
            })  # fmt: skip
            detail.update(decision=number, decision_kind=kind)
        self._event(p, at, action, actor, from_state=from_state, to_state=to_state, detail=detail)

    def _document(self, p: _Plot, at, filing_id, uploader, name, mime="application/pdf",
                  purpose="attachment") -> str:  # fmt: skip
        sha = hashlib.sha256(f"{self.seed}:{p.i}:{filing_id}:{name}".encode()).hexdigest()
        self.writer.add("documents", {
            "id": self.next_id("documents"), "sha256": sha,
            "size": p.rng.randint(200_000, 12_000_000), "mime": mime, "original_name": name,
            "purpose": purpose, "flags": None, "case_id": p.case_id, "filing_id": filing_id,
            "uploaded_by_id": uploader[0], "created_at": at,
        })  # fmt: skip
        return sha

    def _filing(self, p: _Plot, at, kind, filer, data, *, unit=None, docs=(), extra_detail=None,
                hashed=None) -> int:  # fmt: skip
        """``filings.file``: the row, its documents and its ledger event."""
        fid = self.next_id("filings")
        shas = [self._document(p, at, fid, filer, name) for name in docs]
        hashed = data if hashed is None else hashed
        detail = {
            "filing_id": fid,
            "kind": kind,
            "round": p.round,
            "unit": unit[1] if unit else None,
            "project_lead": data.get("project_lead"),
            "data_sha256": hashlib.sha256(canonical(hashed)).hexdigest(),
            **(extra_detail or {}),
        }
        if extra_detail and "samples_doc" in extra_detail:
            shas.append(detail.pop("samples_doc"))
        self.writer.add("filings", {
            "id": fid, "case_id": p.case_id, "kind": kind, "round": p.round, "state": p.state,
            "data": data, "filer_user_id": filer[0], "filer_party_id": filer[2],
            "unit_party_id": unit[0] if unit else None, "idempotency_key": None, "created_at": at,
        })  # fmt: skip
        self._event(p, at, kind, filer, from_state=p.state, to_state=p.state, documents=shas,
                    detail=detail)  # fmt: skip
        return fid

    # ---------------------------------------------------------------- steps

    def _step_register(self, p: _Plot, at, _arg) -> None:
        rng = p.rng
        seeded = self.counties.seeded
        p.county = county = rng.choices(seeded, [c.weight for c in seeded])[0]
        name_t, lat0, lon0, _ = rng.choices(county.townships, [t[3] for t in county.townships])[0]
        p.site_id = self.next_id("sites")
        p.case_id = self.next_id("cases")
        p.code = f"{county.code}-{at.year}-{p.site_id:05d}"
        use = _weighted(rng, PLANNED_USES)
        from app.services.sites import land_category

        p.category = land_category(use)
        lat, lon = lat0 + rng.uniform(-0.06, 0.06), lon0 + rng.uniform(-0.06, 0.06)
        size = rng.uniform(0.001, 0.006)
        ring = [[lon, lat], [lon + size, lat], [lon + size, lat + size * 0.8],
                [lon, lat + size * 0.8], [lon, lat]]  # fmt: skip
        ring = [[round(x, 6), round(y, 6)] for x, y in ring]
        outer = ring[:-1]
        p.backgrounds = {"arsenic": 48.0} if rng.random() < 0.05 else None
        industry = rng.choice(INDUSTRIES)
        p.address = f"{county.name}{name_t}{rng.choice(ROADS)}{rng.randint(1, 399)}号"
        p.township = name_t
        holder, holder_user = p.landholder
        p.site_row = {
            "id": p.site_id, "code": p.code, "name": f"{name_t}原{industry}厂地块（{p.site_id}）",
            "county_code": county.code, "township": name_t, "address": p.address,
            "area_m2": Decimal(str(round(rng.uniform(1500, 120_000), 2))), "planned_use": use,
            "land_category": p.category, "former_industry": industry,
            "trigger": _weighted(rng, TRIGGERS),
            "boundary": {"type": "Polygon", "coordinates": [ring]},
            "lat": sum(pt[1] for pt in outer) / 4, "lon": sum(pt[0] for pt in outer) / 4,
            "backgrounds": p.backgrounds, "landholder_party_id": holder[0],
            "created_by_id": holder_user[0], "created_at": at, "current_case_id": p.case_id,
            "public_since": None, "cleared_category": None, "cleared_use": None,
            "cleared_on": None,
        }  # fmt: skip
        self.writer.add("sites", p.site_row)
        for role, party, basis in (("landholder", holder, None),
                                   ("responsible", p.responsible, "polluter")):  # fmt: skip
            self.writer.add("responsibilities", {
                "id": self.next_id("responsibilities"), "case_id": p.case_id, "role": role,
                "party_id": party[0], "basis": basis, "valid_from": at, "valid_to": None,
                "recorded_by_id": holder_user[0], "evidence_document_id": None, "note": None,
            })  # fmt: skip
        p.state, p.round, p.version = "survey", 1, 1
        p.state_since = p.updated_at = p.created_at = at
        self._event(p, at, "site_registered", holder_user, to_state="survey", detail={
            "site": p.code, "landholder": holder[1], "responsible": p.responsible[1],
            "basis": "polluter", "planned_use": use, "land_category": p.category,
        })  # fmt: skip

    def _samples(self, p: _Plot, filing_id: int, n: int, exceed: bool) -> tuple[int, str]:
        from app.services.filings import max_level

        scr = self.screening
        rng = p.rng
        keys = list(POLLUTANT_WEIGHTS)
        weights = list(POLLUTANT_WEIGHTS.values())
        index = p.category - 1
        counts: Counter = Counter()
        points = max(1, n // 6)
        for k in range(n):
            pollutant = self.pollutants[rng.choices(keys, weights)[0]]
            screen = pollutant.screening[index]
            if exceed and (k == 0 or rng.random() < 0.06):
                factor = rng.uniform(1.1, 4.0)  # above the screening value, some above intervention
            else:
                factor = min(0.95, rng.lognormvariate(-1.8, 0.8))
            mg = screen * factor
            if pollutant.key in ("benzo_a_pyrene",) and rng.random() < 0.6:
                unit, value = "μg/kg", float(f"{mg * 1000:.4g}")
            else:
                unit, value = "mg/kg", float(f"{mg:.4g}")
            value_mg_kg = scr.to_mg_kg(value, unit)
            background = (p.backgrounds or {}).get(pollutant.key)
            level = scr.level_for(pollutant, p.category, value_mg_kg, background)
            counts[level] += 1
            self.writer.add("samples", {
                "id": self.next_id("samples"), "case_id": p.case_id, "filing_id": filing_id,
                "point_id": f"S{k % points + 1:02d}", "depth_m": rng.choice(DEPTHS),
                "pollutant_key": pollutant.key, "value": value, "unit": unit,
                "value_mg_kg": value_mg_kg, "level": level,
            })  # fmt: skip
        return n, max_level(counts)

    def _step_survey_report(self, p: _Plot, at, exceed) -> None:
        holder_user = p.landholder[1]
        n = p.samples_left if p.survey_filings_left == 1 else p.samples_left // 2
        p.samples_left -= n
        p.survey_filings_left -= 1
        conclusion = ("部分点位超过筛选值，需开展土壤污染风险评估" if exceed
                      else "全部检测项目均未超过筛选值，地块不属于污染地块")  # fmt: skip
        hashed = {"unit_credit_code": p.surveyor[0][1], "project_lead": self._name(p.rng),
                  "conclusion": conclusion}  # fmt: skip
        fid = self.ids["filings"] + 1  # the id _filing is about to take
        count, level = self._samples(p, fid, n, exceed and p.exceed)
        data = {**hashed, "samples_count": count, "max_level": level}
        extra = {"samples": count, "max_level": level}
        if p.rng.random() < 0.5:  # uploaded as CSV: the file is a document of the filing too
            extra["samples_doc"] = self._document(p, at, fid, holder_user, "samples.csv",
                                                  "text/csv", "samples")  # fmt: skip
        self._filing(p, at, "survey_report", holder_user, data, unit=p.surveyor[0],
                     docs=["土壤污染状况调查报告.pdf"], extra_detail=extra, hashed=hashed)  # fmt: skip

    def _step_submit(self, p: _Plot, at, _arg) -> None:
        to = {"survey": "survey_review", "risk_assessment": "risk_assessment_review",
              "plan_filing": "plan_review", "evaluation": "evaluation_review",
              "transfer_reporting": "works"}[p.state]  # fmt: skip
        actor = {"evaluation": p.evaluator[1], "transfer_reporting": p.contractor[1]}.get(
            p.state, p.landholder[1]
        )
        self._act(p, at, actor, "submit", to)

    def _env(self, p: _Plot) -> tuple:
        """An environment officer of the plot's county (who alone may act on it)."""
        return p.rng.choice(self.officers[p.county.code][0])

    def _step_cosign(self, p: _Plot, at, _arg) -> None:
        officer = p.rng.choice(self.officers[p.county.code][1])  # natural resources
        self._act(p, at, officer, "cosign", p.state, "自然资源部门会审同意")

    def _step_return(self, p: _Plot, at, _arg) -> None:
        back = {"survey_review": "survey", "risk_assessment_review": "risk_assessment",
                "plan_review": "plan_filing", "evaluation_review": "evaluation"}[p.state]  # fmt: skip
        self._act(p, at, self._env(p), "return", back,
                  "材料不完整，请补充后重新提交")  # fmt: skip

    def _step_approve(self, p: _Plot, at, _arg) -> None:
        story = self.story(p.i)
        if p.state == "survey_review":
            to, comment = ("risk_assessment", "经会同审查，同意开展风险评估") if p.exceed else (
                "released", "未超过筛选值，不属于污染地块")  # fmt: skip
        elif p.state == "risk_assessment_review":
            to, comment = ("released", "风险可接受，不列入名录") if story == "released_risk_ok" else (
                "listed", "风险不可接受，列入建设用地土壤污染风险管控和修复名录")  # fmt: skip
        elif p.state == "plan_review":
            to, comment = ("transfer_reporting" if p.offsite else "works"), "修复方案予以备案"
        else:
            to, comment = "released", "效果评估达标，移出名录"
        self._act(p, at, self._env(p), "approve", to, comment)

    def _step_risk_report(self, p: _Plot, at, acceptable) -> None:
        rng = p.rng
        data = {
            "unit_credit_code": p.surveyor[0][1],
            "project_lead": self._name(rng),
            "carcinogenic_risk_max": float(f"{rng.uniform(1e-7, 9e-7):.2g}") if acceptable
            else float(f"{rng.uniform(2e-6, 9e-5):.2g}"),
            "hazard_quotient_max": round(rng.uniform(0.1, 0.9), 2) if acceptable
            else round(rng.uniform(1.2, 8.0), 2),
            "risk_acceptable": acceptable,
        }  # fmt: skip
        if not acceptable:
            data["targets"] = [{"pollutant": "铅", "target_mg_kg": 400.0},
                               {"pollutant": "砷", "target_mg_kg": 60.0}]  # fmt: skip
        self._filing(p, at, "risk_assessment_report", p.landholder[1], data, unit=p.surveyor[0],
                     docs=["土壤污染风险评估报告.pdf"])  # fmt: skip

    def _step_require_control(self, p: _Plot, at, _arg) -> None:
        self._act(p, at, self._env(p), "require_control", "risk_control",
                  "暂不开发，实施风险管控")  # fmt: skip

    def _step_require_remediation(self, p: _Plot, at, _arg) -> None:
        self._act(p, at, self._env(p), "require_remediation", "plan_filing",
                  "实施修复")  # fmt: skip

    def _step_monitoring_report(self, p: _Plot, at, _arg) -> None:
        data = {"unit_credit_code": p.surveyor[0][1], "media": ["soil", "groundwater"],
                "summary": "管控区围挡完好，标识清晰；地下水监测井未检出超标"}  # fmt: skip
        self._filing(p, at, "monitoring_report", p.landholder[1], data, unit=p.surveyor[0],
                     docs=["风险管控监测报告.pdf"])  # fmt: skip

    def _assign(self, p: _Plot, at, role, party, by) -> None:
        self.writer.add("assignments", {
            "id": self.next_id("assignments"), "case_id": p.case_id, "role": role,
            "party_id": party[0], "assigned_by_id": by[0], "assigned_at": at, "ended_at": None,
        })  # fmt: skip
        self._event(p, at, "assign", by, from_state=p.state, to_state=p.state,
                    detail={"role": role, "assignee": party[1], "replaced": []})  # fmt: skip

    def _step_plan(self, p: _Plot, at, offsite) -> None:
        """``filings.file`` for a remediation plan also engages its contractor."""
        start = (at + timedelta(days=30)).date()
        data = {
            "contractor_credit_code": p.contractor[0][1],
            "project_lead": self._name(p.rng),
            "technology": "异位开挖 + 水泥窑协同处置" if offsite else "原位固化稳定化",
            "offsite_transfer": offsite,
            "volume_m3": float(p.rng.randint(800, 40_000)),
            "start_date": start.isoformat(),
            "end_date": (start + timedelta(days=150)).isoformat(),
            "groundwater_measures": "布设 4 口监测井，施工期每月监测地下水",
        }
        p.plan_end = data["end_date"]
        self._assign(p, at, "contractor", p.contractor[0], p.landholder[1])
        self._filing(p, at, "remediation_plan", p.landholder[1], data, unit=p.contractor[0],
                     docs=["修复方案.pdf"])  # fmt: skip

    def _step_manifest_report(self, p: _Plot, at, k) -> None:
        contractor, user = p.contractor
        facility = p.facility[0]
        mid = self.next_id("manifests")
        number = f"ZY-{p.county.code}-{at.year}-{mid:06d}"
        to_code, to_name = seed_counties.destination(p.rng, p.county, self.counties)
        quantity = Decimal(str(round(p.rng.uniform(200, 1500), 1)))
        local = at + timedelta(hours=8)
        planned_start = (local + timedelta(days=10)).date()
        planned_end = planned_start + timedelta(days=20)
        p.manifests[k] = {
            "id": mid, "number": number, "case_id": p.case_id, "status": "reported",
            "version": 2, "quantity_t": quantity, "mode": "road",
            "route": f"{p.township}—G320—接收单位（全程约 {p.rng.randint(20, 300)} km，避开学校时段）",
            "origin_address": p.address, "origin_county_code": p.county.code,
            "destination_facility_party_id": facility[0], "destination_county": to_name,
            "destination_county_code": to_code, "acknowledged_at": None,
            "acknowledged_by_id": None,
            "planned_start": planned_start, "planned_end": planned_end,
            "final_disposal": "水泥窑协同处置", "dispatched_t": None, "received_t": None,
            "dispatched_at": None, "received_at": None, "resolution": None,
            "resolved_by_id": None, "resolved_at": None, "reported_by_id": user[0],
            "reporter_party_id": contractor[0], "created_at": at,
        }  # fmt: skip
        self._event(p, at, "manifest_reported", user, from_state=p.state, to_state=p.state, detail={
            "manifest": number, "quantity_t": str(quantity), "destination": facility[1],
            "destination_county": to_name, "destination_county_code": to_code,
            "destination_name": facility[2], "planned_start": planned_start.isoformat(),
            "planned_end": planned_end.isoformat(),
        })  # fmt: skip

    def _step_dispatch(self, p: _Plot, at, k) -> None:
        m = p.manifests[k]
        m.update(status="in_transit", dispatched_t=m["quantity_t"], dispatched_at=at,
                 version=m["version"] + 1)  # fmt: skip
        self._event(p, at, "manifest_dispatched", p.contractor[1], from_state=p.state,
                    to_state=p.state, detail={"manifest": m["number"], "status": "in_transit",
                                              "dispatched_t": str(m["dispatched_t"])})  # fmt: skip

    def _step_receive(self, p: _Plot, at, arg) -> None:
        k, discrepancy = arg
        m = p.manifests[k]
        ratio = Decimal("0.82") if discrepancy else Decimal("0.97")
        received = Decimal(str(round(float(m["dispatched_t"] * ratio), 3)))
        pct = abs(received - m["dispatched_t"]) / m["dispatched_t"] * 100
        status = "discrepancy" if discrepancy else "received"
        m.update(status=status, received_t=received, received_at=at, version=m["version"] + 1)
        self._event(p, at, "manifest_received", p.facility[1], from_state=p.state,
                    to_state=p.state, detail={"manifest": m["number"], "status": status,
                                              "received_t": str(received),
                                              "difference_pct": f"{pct:.2f}"})  # fmt: skip

    def _step_resolve(self, p: _Plot, at, k) -> None:
        m = p.manifests[k]
        officer = self._env(p)
        comment = "经核查为运输途中含水率下降所致，予以确认"
        m.update(status="received", resolution=comment, resolved_by_id=officer[0],
                 resolved_at=at, version=m["version"] + 1)  # fmt: skip
        self._event(
            p,
            at,
            "manifest_resolved",
            officer,
            from_state=p.state,
            to_state=p.state,
            detail={"manifest": m["number"], "status": "received", "comment": comment},
        )

    def _step_works_notice(self, p: _Plot, at, _arg) -> None:
        start = (at + timedelta(hours=8)).date()
        data = {
            "project_overview": "对超过筛选值的污染土壤开挖外运，回填清洁土" if p.offsite
            else "原位固化稳定化处理超过筛选值的污染土壤",
            "environmental_impacts": "施工扬尘、噪声，运输途中遗撒风险",
            "protective_measures": "密闭大棚开挖，雾炮降尘，车辆苫盖并冲洗，夜间不施工",
            "contact": f"{self._name(p.rng)} 0692-7{p.rng.randint(100000, 999999)}；监督电话 0692-12369",
            "start_date": start.isoformat(),
            "end_date": (start + timedelta(days=150)).isoformat(),
        }  # fmt: skip
        self._filing(p, at, "works_notice", p.contractor[1], data)

    def _step_progress(self, p: _Plot, at, percent) -> None:
        data = {
            "summary": f"已完成工程量约 {percent}%",
            "percent_complete": float(min(percent, 100)),
        }
        self._filing(p, at, "progress_report", p.contractor[1], data)

    def _step_complete_works(self, p: _Plot, at, _arg) -> None:
        self._act(p, at, p.contractor[1], "complete_works", "evaluation")

    def _step_assign_evaluator(self, p: _Plot, at, _arg) -> None:
        self._assign(p, at, "evaluator", p.evaluator[0], p.landholder[1])

    def _step_evaluation_report(self, p: _Plot, at, _arg) -> None:
        data = {
            "evaluator_credit_code": p.evaluator[0][1],
            "project_lead": self._name(p.rng),
            "passed": True,
            "results": [{"pollutant": "铅", "value_mg_kg": round(p.rng.uniform(80, 390), 1),
                         "target_mg_kg": 400.0},
                        {"pollutant": "砷", "value_mg_kg": round(p.rng.uniform(5, 55), 1),
                         "target_mg_kg": 60.0}],
        }  # fmt: skip
        self._filing(p, at, "evaluation_report", p.evaluator[1], data, unit=p.evaluator[0],
                     docs=["效果评估报告.pdf"])  # fmt: skip


def seed_database(plots: int, *, samples_per_plot: int = 20, events: int | None = None,
                  townships: int | None = None, counties: int = 10, seed: int = 2026,
                  batch: int = 10_000, canon: str = "fast", analyze: bool = True,
                  log=None) -> dict:  # fmt: skip
    """Seed an empty database (the app's); returns counts and timings."""
    from app.models import LedgerEvent, Party, Site

    for model in (Site, Party, LedgerEvent):
        if db.session.scalar(select(func.count()).select_from(model)):
            raise click.ClickException(
                f"数据库不是空的（{model.__tablename__} 已有数据）：bench seed 只填充空数据库"
            )
    db.session.rollback()
    seeder = Seeder(plots=plots, samples_per_plot=samples_per_plot, events=events,
                    townships=townships, counties=counties, seed=seed, batch=batch,
                    canon=canon, log=log)  # fmt: skip
    result = seeder.run()
    # The rows went in below the ORM: the kept plot counts and the search terms
    # (issue 19) are made once.
    from app.services import counts, search

    started = time.perf_counter()
    result["rows"]["plot_counts"] = counts.rebuild()
    result["timings"]["plot_counts_s"] = round(time.perf_counter() - started, 2)
    started = time.perf_counter()
    result["rows"]["site_terms"] = search.rebuild()
    result["timings"]["site_terms_s"] = round(time.perf_counter() - started, 2)
    if analyze:
        started = time.perf_counter()
        analyze_database()
        result["timings"]["analyze_s"] = round(time.perf_counter() - started, 2)
    return result


def analyze_database() -> None:
    """Planner statistics after a bulk load (VACUUM ANALYZE on PostgreSQL)."""
    engine = db.engine
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    else:
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
