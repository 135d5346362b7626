"""The counties of the benchmark's seed (issue 18): which ones, their townships, their
bureau officers, and where transferred soil goes.

The home county (``COUNTY_CODE``) comes first, then the other counties of its
prefecture, then the rest of its province, in code order: with the default ten, the
five of 德宏州 (so the prefecture's officer oversees several) and five of 昆明市. They
are marked served, as ``flask regions serve`` would, before the first row is written.
Plots are spread over them with Zipf-like weights (the home county largest, as before).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import click
from sqlalchemy import update

from app.extensions import db
from app.models import Region
from app.services import regions

# Townships of the demo data (app/demo_places.py), by county; others are generated.
REAL_TOWNSHIPS = {
    "533124": ("章凤镇", "陇把镇", "景罕镇", "城子镇", "户撒阿昌族乡", "护国乡", "清平乡",
               "王子树乡", "勐约乡"),
    "533103": ("勐焕街道", "风平镇"),
    "533102": ("勐卯街道",),
}  # fmt: skip
SYLLABLES = "景勐芒瑞盈陇城弄户拉章凤清平护国王子树邦南勐约户撒勐卯弄岛畹町遮放轩岗江东"
OUTSIDE_SHARE = 0.05  # manifests to a county the platform does not serve
CROSS_SHARE = 0.45  # to another seeded county (its bureau acknowledges); the rest stay home


@dataclass(frozen=True)
class County:
    code: str
    name: str
    prefix: str  # of its decision numbers (陇环土)
    weight: float  # share of the plots, relative
    townships: tuple  # (name, lat, lon, weight)


@dataclass(frozen=True)
class Counties:
    seeded: list[County]
    prefecture: str | None  # the home county's, for its officer
    outside: tuple[str, str] | None  # (code, name): a county not served


def pick(n: int) -> list[str]:
    """The first ``n`` county codes: home, its prefecture's, its province's."""
    home = regions.home()
    if regions.get(home) is None:
        msg = f"COUNTY_CODE {home} 不在 regions 表中（先运行 flask db upgrade）"
        raise click.ClickException(msg)
    codes = [home]
    for upper in regions.ancestors(home):
        codes += [c for c in sorted(regions.counties_under(upper)) if c not in codes]
    if n > len(codes):
        raise click.ClickException(f"--counties {n}：本省只有 {len(codes)} 个县级行政区划")
    return codes[:n]


def serve(codes: list[str]) -> dict[str, str]:
    """Mark the counties served; their decision prefixes, made unique: a county whose
    default prefix an earlier one has (富民, 富源: 富环土) gets its short name's (富源环土),
    as numbers are unique across counties."""
    db.session.execute(update(Region).where(Region.code.in_(codes)).values(served=True))
    db.session.commit()
    regions.forget()
    prefixes: dict[str, str] = {}
    for code in codes:
        prefix = regions.decision_prefix(code)
        taken = set(prefixes.values())
        if prefix in taken:
            short = regions.get(code).short
            prefix = next(p for p in (f"{short}环土", f"{code}环土") if p not in taken)
            db.session.execute(update(Region).where(Region.code == code)
                               .values(decision_prefix=prefix))  # fmt: skip
        prefixes[code] = prefix
    db.session.commit()
    regions.forget()
    return prefixes


def _townships(codes, counts, seed) -> dict[str, tuple]:
    """Per county: the real ones it has, then generated names, unique across the seed
    (a township filter names one county's), near a centre of the county's own."""
    from app.demo_places import TOWNSHIPS

    rng = random.Random(seed + 1)
    seen = set(TOWNSHIPS)
    out = {}
    for code, count in zip(codes, counts, strict=True):
        rows = [(name, *TOWNSHIPS[name]) for name in REAL_TOWNSHIPS.get(code, ())]
        lat0, lon0 = rows[0][1:] if rows else (rng.uniform(22.0, 28.0), rng.uniform(98.0, 105.0))
        attempt = 0
        while len(rows) < count:
            attempt += 1
            stem = "".join(rng.choice(SYLLABLES) for _ in range(2 + attempt // 200))
            name = stem + rng.choice(("镇", "乡", "街道"))
            if name not in seen:
                seen.add(name)
                rows.append((name, lat0 + rng.uniform(-0.3, 0.3), lon0 + rng.uniform(-0.3, 0.3)))
        out[code] = tuple((n, lat, lon, 1.0 / (k + 1)) for k, (n, lat, lon) in enumerate(rows))
    return out


def setup(n: int, plots: int, townships: int | None, seed: int) -> Counties:
    """Choose and serve ``n`` counties; ``townships`` per county (default 9, one per
    1,000 plots beyond 20,000 plots in the county)."""
    codes = pick(n)
    prefixes = serve(codes)
    weights = [1.0 / (j + 1) for j in range(n)]
    shares = [plots * w / sum(weights) for w in weights]
    counts = [townships or (9 if s <= 20_000 else max(9, int(s) // 1000)) for s in shares]
    towns = _townships(codes, counts, seed)
    seeded = [County(c, regions.name(c), prefixes[c], w, towns[c])
              for c, w in zip(codes, weights, strict=True)]  # fmt: skip
    province = (regions.ancestors(codes[0]) or [codes[0]])[-1]
    outside = next((c for c in sorted(regions.counties_under(province)) if c not in codes), None)
    return Counties(seeded, regions.get(codes[0]).parent_code,
                    (outside, regions.name(outside)) if outside else None)  # fmt: skip


def officers(counties: Counties, extra: int) -> list[tuple[str, str, str, str]]:
    """(username, department, region code, display name): env_officer and nr_officer
    (and env01…/nr01… at scale) in the home county, env_<code>/nr_<code> in each other,
    env_<prefecture code> for the prefecture."""
    home, *others = counties.seeded
    pairs = [("env_officer", "nr_officer", home.code)]
    pairs += [(f"env{k:02d}", f"nr{k:02d}", home.code) for k in range(1, extra + 1)]
    pairs += [(f"env_{c.code}", f"nr_{c.code}", c.code) for c in others]
    rows = [row for env, nr, code in pairs
            for row in ((env, "environment", code), (nr, "natural_resources", code))]  # fmt: skip
    if counties.prefecture:
        rows.append((f"env_{counties.prefecture}", "environment", counties.prefecture))
    bureau = {"environment": "生态环境局", "natural_resources": "自然资源局"}
    return [(u, d, r, f"{regions.name(r)}{bureau[d]} {u}") for u, d, r in rows]


def destination(rng: random.Random, origin: County, counties: Counties) -> tuple[str, str]:
    """(county code, name) a manifest from ``origin`` goes to."""
    r = rng.random()
    if r < OUTSIDE_SHARE and counties.outside:
        return counties.outside
    others = [c for c in counties.seeded if c.code != origin.code]
    if r < OUTSIDE_SHARE + CROSS_SHARE and others:
        c = rng.choice(others)
        return c.code, c.name
    return origin.code, origin.name
