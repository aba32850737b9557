"""The demo county as its generators see it: the loaded registry, a synthetic resident population,
the 37-month calendar and per-unit trends.

Everything here is a pure function of the registry and the seed, so the demo and the live feed (which
rebuilds the same world) agree on who lives where and how each unit is doing. Randomness comes from
``World.rng(name)``: one PCG64 stream per named purpose, so adding a table never shifts another's data.
"""

from __future__ import annotations

import datetime as dt
import functools
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from lib import registry
from lib.kpi import measures
from lib.registry import settings as county_settings
from lib.store import pseudonym
from lib.store.models import AGE_BANDS, SEXES, Area, County, Destination

T = TypeVar("T")

MONTHS = 37  # 36 full months before the current one, plus the current month to date (issue #2)

# Seasonality of visits, 1.00 = mean month (geography.md, "Demo volumes").
SEASON = np.array([0.95, 0.80, 1.00, 1.02, 0.97, 0.98, 1.00, 1.00, 1.03, 0.95, 1.10, 1.15])
AGE_SHARE = np.array([0.07, 0.12, 0.36, 0.29, 0.16])  # [E] ageing rural Inner Mongolia, by AGE_BANDS
REFERENCE_RESIDENTS = 105_000  # the population geography.md's demo volumes are given for
VISITORS = 20_000  # pool of non-resident pseudonyms: drivers through the border port (geography.md)


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def logit(p: np.ndarray | float) -> np.ndarray:
    p = np.asarray(p, dtype=float)
    return np.log(p / (1 - p))


def calibrate(logits: np.ndarray, weights: np.ndarray, target: float) -> float:
    """The shift s with sum(w * sigmoid(logits + s)) / sum(w) == target (bisection)."""
    lo, hi = -10.0, 10.0
    for _ in range(50):
        mid = (lo + hi) / 2
        if np.average(sigmoid(logits + mid), weights=weights) < target:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def segment_cumsum(weights: np.ndarray, segment: np.ndarray) -> np.ndarray:
    """Cumulative weights renormalised within each segment, so segment s spans (s, s + 1].

    ``weights`` must be ordered by ``segment``; ``segment_draw`` then picks one element per draw
    from a given segment with one vectorised ``searchsorted``.
    """
    cum = np.cumsum(weights)
    starts = np.searchsorted(segment, segment, side="left")
    ends = np.searchsorted(segment, segment, side="right") - 1
    before = np.where(starts > 0, cum[starts - 1], 0.0)
    total = cum[ends] - before
    return segment + np.divide(cum - before, total, out=np.ones_like(cum), where=total > 0)


def segment_draw(rng: np.random.Generator, cum: np.ndarray, segments: np.ndarray) -> np.ndarray:
    """One index per entry of ``segments``, drawn within that segment by ``segment_cumsum`` weights."""
    u = np.minimum(rng.random(len(segments)), 1 - 1e-9)
    return np.searchsorted(cum, segments + u, side="right")


def row_draw(rng: np.random.Generator, probs: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """For each entry of ``rows``, a column drawn with the probabilities of that row of ``probs``."""
    n_rows, n_cols = probs.shape
    cum = segment_cumsum(probs.ravel(), np.repeat(np.arange(n_rows), n_cols))
    return segment_draw(rng, cum, rows) - rows * n_cols


def labels(values: tuple[str, ...], index: np.ndarray) -> np.ndarray:
    """Codes for indices, as an object array (what the stores take for text columns)."""
    return np.asarray(values, dtype=object)[index]


def haversine_km(lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray) -> np.ndarray:
    p1, p2 = np.radians(lat1), np.radians(lat2)
    a = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(np.radians(lon2 - lon1) / 2) ** 2
    return 6371.0 * 2 * np.arcsin(np.sqrt(a))


@dataclass(frozen=True)
class Facilities:
    """The registry's facilities as aligned arrays (position = index used by every generator)."""

    id: np.ndarray
    code: np.ndarray
    tier: np.ndarray
    level: np.ndarray  # county | township | village
    peer: np.ndarray  # county_hospital | thc | village_clinic | public_health
    primary: np.ndarray  # counts as 基层 (N#7)
    area: np.ndarray
    rural: np.ndarray  # in an area the registry counts as agricultural/pastoral
    sparse: np.ndarray  # in an area whose people live far apart (herding): longer drives, more leaving
    community: np.ndarray
    parent: np.ndarray  # index of the THC of a village clinic, -1 otherwise
    lead: np.ndarray
    sub_centre: np.ndarray
    border_port: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    pop: np.ndarray

    @property
    def n(self) -> int:
        return len(self.id)

    @property
    def hospital(self) -> np.ndarray:
        return self.peer == "county_hospital"

    @property
    def thc(self) -> np.ndarray:
        return self.level == "township"

    @property
    def village(self) -> np.ndarray:
        return self.level == "village"

    @property
    def tcm_hospital(self) -> np.ndarray:
        """The county's TCM (or Mongolian & TCM) hospitals."""
        return np.isin(self.tier, ("mongolian_tcm_hospital", "tcm_hospital"))

    @property
    def clinical(self) -> np.ndarray:
        """Units that see patients: everything but the CDC."""
        return self.tier != "cdc"

    @property
    def township(self) -> np.ndarray:
        """A unit's township health centre: itself for a THC, the parent for a village clinic."""
        return np.where(self.parent >= 0, self.parent, np.arange(self.n))

    def lead_of(self) -> np.ndarray:
        """Index of the lead hospital of each unit's community."""
        leads = {c: i for i, c in enumerate(self.community) if self.lead[i]}
        fallback = int(np.flatnonzero(self.hospital)[0])
        return np.array([leads.get(c, fallback) for c in self.community])

    def index(self, code: str) -> int:
        return int(np.flatnonzero(self.code == code)[0])


def _load_facilities(conn: Connection, county_id: int) -> Facilities:
    f = measures.facilities(conn, county_id).sort_index().reset_index().rename(columns={"facility_id": "id"})
    sparse = set(conn.execute(sa.select(Area.code).where(Area.county_id == county_id, Area.sparse)).scalars())
    ids = f["id"].to_numpy()
    position = {int(v): i for i, v in enumerate(ids)}
    parent = f["parent_id"].map(position).fillna(-1).to_numpy(int)
    return Facilities(
        id=ids, code=f["code"].to_numpy(object), tier=f["tier"].to_numpy(object),
        level=f["level"].to_numpy(object), peer=f["peer_group"].to_numpy(object),
        primary=f["is_primary"].to_numpy(bool), area=f["area"].to_numpy(object),
        rural=f["rural"].to_numpy(bool), sparse=f["area"].isin(sparse).to_numpy(bool),
        community=f["community"].to_numpy(object), parent=parent, lead=f["is_lead"].to_numpy(bool),
        sub_centre=f["is_sub_centre"].to_numpy(bool), border_port=f["is_border_port"].to_numpy(bool),
        lat=f["latitude"].to_numpy(float), lon=f["longitude"].to_numpy(float),
        pop=f["population"].to_numpy(np.int64),
    )


@dataclass(frozen=True)
class Persons:
    """Synthetic residents (one per resident served), ordered by home unit then age band."""

    home: np.ndarray
    age: np.ndarray  # index into AGE_BANDS
    sex: np.ndarray  # 0 = F, 1 = M

    @property
    def n(self) -> int:
        return len(self.home)


def _persons(fac: Facilities) -> Persons:
    # Age bands by AGE_SHARE within every unit (largest remainder), alternating sex within a band.
    homes, ages = [], []
    for i in range(fac.n):
        raw = fac.pop[i] * AGE_SHARE
        counts = np.floor(raw).astype(int)
        counts[np.argsort(raw - counts)[::-1][: fac.pop[i] - counts.sum()]] += 1
        homes.append(np.full(fac.pop[i], i))
        ages.append(np.repeat(np.arange(len(AGE_BANDS)), counts))
    home = np.concatenate(homes)
    age = np.concatenate(ages)
    rank = np.arange(len(home)) - np.searchsorted(home * 10 + age, home * 10 + age)
    return Persons(home=home, age=age, sex=rank % 2)


@dataclass(frozen=True, eq=False)  # eq=False: hashed by identity, so it can key caches
class World:
    seed: int
    county: str  # the administrative code of the county the demo is made for
    settings: county_settings.CountySettings
    now: np.datetime64  # datetime64[s]: no event happens after it
    first: np.datetime64  # datetime64[M]: the first demo month
    fac: Facilities
    people: Persons
    destinations: dict[str, int]  # out-of-county destination code -> id, in registry order
    destination_km: np.ndarray  # each destination's distance from the county's hospitals
    boundary: Path  # the county outline: generated scene points must fall inside it
    _memo: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def load(cls, conn: Connection, *, seed: int, now: dt.datetime, county: str | None = None) -> World:
        """The world of the county with administrative code ``county`` (None: the store's first county)."""
        query = sa.select(County.id, County.code).order_by(County.id).limit(1)
        county_id, code = conn.execute(query if county is None else query.where(County.code == county)).one()
        fac = _load_facilities(conn, county_id)
        d = Destination
        places = conn.execute(sa.select(d.code, d.id, d.latitude, d.longitude).order_by(d.id)
                              .where(d.county_id == county_id, d.retired_on.is_(None))).all()
        seat = fac.hospital if fac.hospital.any() else np.ones(fac.n, bool)
        km = haversine_km(np.array([p.latitude for p in places]), np.array([p.longitude for p in places]),
                          fac.lat[seat].mean(), fac.lon[seat].mean())
        first = np.datetime64(now, "M") - (MONTHS - 1)
        return cls(seed=seed, county=code, settings=county_settings.read(conn, code), now=np.datetime64(now, "s"),
                   first=first, fac=fac, people=_persons(fac), destinations={p.code: p.id for p in places},
                   destination_km=km, boundary=registry.boundary_path(conn, code))

    def memo(self, key: str, build: Callable[[], T]) -> T:
        """Compute once per world (derived tables used by several generators and the feed)."""
        if key not in self._memo:
            self._memo[key] = build()
        return self._memo[key]

    def destination_ids(self, index: np.ndarray) -> np.ndarray:
        """Destination ids for positions in the registry's list of destinations."""
        return np.asarray(list(self.destinations.values()), dtype=object)[index]

    # --- calendar -------------------------------------------------------------------------------

    @property
    def today(self) -> np.datetime64:
        return self.now.astype("datetime64[D]")

    def month(self, i: int) -> np.datetime64:
        """First day of month ``i`` (datetime64[D])."""
        return (self.first + i).astype("datetime64[D]")

    def calendar_month(self, i: int) -> int:
        """1-12 for demo month ``i``."""
        return int((self.first + i).astype(int) % 12) + 1

    def season(self, i: int) -> float:
        return float(SEASON[self.calendar_month(i) - 1])

    @property
    def current_month_elapsed(self) -> float:
        """Share of the current month that has passed by ``now``."""
        start = self.month(MONTHS - 1).astype("datetime64[s]")
        end = self.month(MONTHS).astype("datetime64[s]")
        return float((self.now - start) / (end - start))

    @property
    def size(self) -> float:
        """This county's residents relative to the reference county: county-wide volumes scale with it."""
        return self.people.n / REFERENCE_RESIDENTS

    @functools.cached_property
    def t(self) -> np.ndarray:
        """Position of each month in the window, 0 (first) to 1 (current)."""
        return np.arange(MONTHS) / (MONTHS - 1)

    # --- randomness and trends --------------------------------------------------------------------

    def rng(self, name: str) -> np.random.Generator:
        return np.random.Generator(np.random.PCG64([self.seed, zlib.crc32(name.encode())]))

    def z(self, metric: str) -> np.ndarray:
        """Standardised trajectory per unit and month for a quality-like metric, shape (units, months).

        Part shared (a unit that is well run is well run across indicators), part the metric's own;
        each unit has a level and a slope over the window, so some improve and some slip, plus
        month-to-month noise so monthly rankings move.
        """
        def build() -> np.ndarray:
            shared, own = self.rng("trend/shared"), self.rng(f"trend/{metric}")
            n = self.fac.n
            level = 0.6 * shared.normal(size=n) + 0.8 * own.normal(size=n)
            slope = 1.5 * (0.6 * shared.normal(size=n) + 0.8 * own.normal(size=n))  # over the whole window
            noise = own.normal(0, 0.35, (n, MONTHS))
            return level[:, None] + slope[:, None] * (self.t - 0.5) + noise

        return self.memo(f"z/{metric}", build)

    def rate(self, metric: str, start: float, end: float, spread: float,
             lo: float = 0.0, hi: float = 1.0) -> np.ndarray:
        """A rate per unit and month: county curve from ``start`` to ``end`` plus each unit's trajectory."""
        return np.clip(start + (end - start) * self.t + spread * self.z(metric), lo, hi)

    def adoption(self, name: str, start: float, end: float) -> np.ndarray:
        """0/1 per unit and month for something units acquire and keep (ECG link, ambulance, TCM hall)."""
        threshold = self.rng(f"adopt/{name}").random(self.fac.n)
        return (threshold[:, None] < start + (end - start) * self.t).astype(int)

    # --- people -----------------------------------------------------------------------------------

    @functools.cached_property
    def person_keys(self) -> np.ndarray:
        return np.array([pseudonym.person_key(f"demo-person-{self.county}-{i}", pseudonym.DEMO_SALT)
                         for i in range(self.people.n)], dtype=object)

    @functools.cached_property
    def visitor_keys(self) -> np.ndarray:
        return np.array([pseudonym.person_key(f"demo-visitor-{self.county}-{i}", pseudonym.DEMO_SALT)
                         for i in range(VISITORS)], dtype=object)

    def draw_persons(self, rng: np.random.Generator, homes: np.ndarray, age_weights: tuple[float, ...],
                     female_only: bool = False) -> np.ndarray:
        """One resident of each given home unit, more likely in the age bands with more weight."""
        def build() -> np.ndarray:
            w = np.asarray(age_weights)[self.people.age] * ((self.people.sex == 0) | (not female_only))
            return segment_cumsum(w, self.people.home)

        return segment_draw(rng, self.memo(f"persons/{age_weights}/{female_only}", build), homes)

    def person_columns(self, person: np.ndarray) -> dict[str, np.ndarray]:
        """The PersonMixin columns of residents: pseudonymous key, age band and sex, nothing else."""
        return {"person_key": self.person_keys[person], "age_band": labels(AGE_BANDS, self.people.age[person]),
                "sex": labels(SEXES, self.people.sex[person])}

    @functools.cached_property
    def catchment(self) -> np.ndarray:
        """P(home unit | visit at unit), shape (units, units): whose patients each unit sees."""
        fac = self.fac
        n = fac.n
        home = (fac.pop > 0).astype(float)
        p = np.zeros((n, n))
        for i in range(n):
            if fac.village[i]:
                p[i, i] = 1.0
            elif fac.thc[i]:
                p[i] = home * fac.pop * (fac.parent == i)
                p[i, i] = 3.0 * fac.pop[i]
            elif fac.clinical[i]:
                km = haversine_km(fac.lat[i], fac.lon[i], fac.lat, fac.lon)
                same = np.where(fac.community == fac.community[i], 2.0, 1.0)
                p[i] = home * fac.pop * np.exp(-km / 120.0) * same
        total = p.sum(axis=1, keepdims=True)
        return np.divide(p, total, out=np.zeros_like(p), where=total > 0)

    def draw_homes(self, rng: np.random.Generator, units: np.ndarray) -> np.ndarray:
        return row_draw(rng, self.catchment, units)

    # --- volumes ----------------------------------------------------------------------------------

    @functools.cached_property
    def primary_share(self) -> np.ndarray:
        """County primary visit share per month: 0.56 rising to 0.61 (geography.md: 55-62%, improving)."""
        noise = self.rng("primary_share").normal(0, 0.004, MONTHS)
        return np.clip(0.56 + 0.05 * self.t + noise, 0.55, 0.62)

    @functools.cached_property
    def visits(self) -> np.ndarray:
        """Expected in-county outpatient + emergency visits per unit and month at scale 1.

        ~40k a month times the seasonal factor (geography.md), split between primary units and
        county-level units by ``primary_share``; within each group by catchment size and each unit's
        own volume trend.
        """
        fac = self.fac
        village_pop = np.bincount(fac.parent[fac.parent >= 0], weights=fac.pop[fac.parent >= 0], minlength=fac.n)
        base = np.select(
            [fac.village, fac.thc, fac.tier == "county_hospital", fac.tcm_hospital,
             fac.clinical & ~fac.primary],
            [0.7 * fac.pop, fac.pop + 0.6 * village_pop + 6000.0 * fac.border_port, 0.58, 0.30, 0.12],
            0.0,
        )
        weights = base[:, None] * np.exp(0.15 * self.z("visits"))
        total = 40_000 * self.size * np.array([self.season(i) for i in range(MONTHS)]) * (0.99 + 0.02 * self.t)
        out = np.zeros((fac.n, MONTHS))
        for group, share in ((fac.primary, self.primary_share), (~fac.primary, 1 - self.primary_share)):
            w = np.where(group[:, None], weights, 0.0)
            out += w / w.sum(axis=0) * share * total
        return out
