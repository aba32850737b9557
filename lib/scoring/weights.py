"""The assessment's weights and value→points rules: read from a file, checked, stored as versions.

The five systems (五大体系) come from seed 000 §二(三); which indicators fill them, their weights and
rules are a local setting (data/scoring/weights.toml documents the defaults). A version is stored once
and never edited (migration 0003 makes the tables insert-only): loading a changed file adds version
n + 1 with who loaded it and when, so any published month can be recomputed with the weights it used.

Fair ranking (issue #11 item 9; ../shared/domain/methods.md §2): a unit is ranked only when its scored
indicators carry ``min_coverage`` of its weight AND cover ``min_dimensions`` of the five systems, so no
unit tops a league on one kind of evidence (the CDC on survey scores alone). Versions stored before
``min_dimensions`` existed read as 1 (migration 0005), the rule they were published under.

Stretch bands (optional, linear rules): without one every unit at its target earns full points, so units
that meet their targets tie near 100 and rank on their misses. With ``stretch = s`` the target earns
``at_target`` (default 0.8) of the points and s × target all of them. The shipped file sets bands only
where doing better than the target is reachable and plainly better (contract, managed-patient and TCM
rates whose targets lie well below 100%), not for cost (cheaper is not plainly better care) nor rates
targeted at ~100%; files without bands keep their meaning, and stored versions carry their bands, so a
published month recomputes with the rules it was published under.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from lib import clock
from lib.kpi import catalogue
from lib.problems import InputError
from lib.store import db
from lib.store.models import ScoreRule, ScoreWeights

DEFAULT_FILE = db.ROOT / "data" / "scoring" / "weights.toml"
DIMENSIONS = ("satisfaction", "health", "quality", "capacity", "efficiency")  # 四方满意 … 运行效率, 000 §二(三)
PEER_GROUPS = ("county_hospital", "thc", "village_clinic", "public_health")  # the tier table's peer groups
RULES = ("linear", "bands")
MISSING = ("skip", "zero")
FULL_MARKS = 100.0
TIE_DIGITS = 2  # totals are compared, and ranked, as shown (two decimals)
MIN_DIMENSIONS = 3  # of the five systems a ranked unit's scored indicators must cover (default of a file)
STRETCH_AT_TARGET = 0.8  # share earned exactly at target when a rule has a stretch band and names no other


class WeightsError(InputError):
    """A weights file or version that cannot be used; each problem names the indicator and field."""


@dataclass(frozen=True)
class Rule:
    """One indicator in one peer group's score."""

    peer_group: str
    indicator: str
    dimension: str
    weight: float  # points of the group's 100
    rule: str  # linear | bands
    zero_at: float | None = None  # linear: value ÷ target at which points reach 0
    bands: tuple[tuple[float, float], ...] = ()  # bands: (value ÷ target, share of the points), best first
    missing: str = "skip"  # skip: leave out, spread the weight; zero: 0 points once the report is overdue
    stretch: float | None = None  # linear: value ÷ target beyond the target at which full points are reached
    at_target: float | None = None  # with a stretch band: the share earned exactly at target (else 1)

    def share(self, value: float, target: float, direction: str) -> float:
        """The share (0..1) of the points a value earns against its target."""
        return float(self.shares(np.asarray(value, dtype=float), target, direction))

    def shares(self, values: np.ndarray, target: float, direction: str) -> np.ndarray:
        """``share`` of many values at once (the rank intervals' draws, lib.scoring.uncertainty).

        Linear: a broken line through (zero_at, 0), (1, at_target) and (stretch, 1) on value ÷ target,
        flat beyond its ends; without a stretch band the target itself earns full points. Whether more is
        better is read from zero_at (below 1: ↑), so the rule needs no direction.
        """
        r = np.asarray(values, dtype=float) / target
        if self.rule == "linear":
            x = [float(self.zero_at), 1.0] + ([] if self.stretch is None else [self.stretch])  # type: ignore[arg-type]
            y = [0.0, 1.0] if self.stretch is None else [0.0, float(self.at_target or STRETCH_AT_TARGET), 1.0]
            return np.interp(r, x, y) if x[0] < 1 else np.interp(r, x[::-1], y[::-1])
        out = np.zeros_like(r)
        for bound, share in reversed(self.bands):  # best band last, so it wins where several are reached
            out = np.where(r <= bound if direction == "down" else r >= bound, share, out)
        return out


@dataclass(frozen=True)
class Weights:
    """A full set of rules; ``version`` is None for a file not (yet) stored in the database."""

    rules: tuple[Rule, ...]
    min_coverage: float = 0.5
    min_dimensions: int = MIN_DIMENSIONS
    version: int | None = None
    created_at: dt.datetime | None = None
    created_by: str = ""
    note: str = ""
    _by_group: dict[str, tuple[Rule, ...]] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        for group in PEER_GROUPS:
            self._by_group[group] = tuple(r for r in self.rules if r.peer_group == group)

    @property
    def groups(self) -> tuple[str, ...]:
        return tuple(g for g in PEER_GROUPS if self._by_group[g])

    def of(self, peer_group: str) -> tuple[Rule, ...]:
        return self._by_group.get(peer_group, ())

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(r.indicator for r in self.rules))


def parse(data: dict[str, Any], source: str = "weights") -> Weights:
    """Weights from the file layout (data/scoring/weights.toml): shared [rules], per-group [weights]."""
    rules = data.get("rules", {})
    out = []
    for group, points in data.get("weights", {}).items():
        for code, weight in points.items():
            spec = rules.get(code, {})
            out.append(Rule(peer_group=group, indicator=code, dimension=spec.get("dimension", ""),
                            weight=float(weight), rule=spec.get("rule", ""), zero_at=spec.get("zero_at"),
                            bands=tuple((float(a), float(b)) for a, b in spec.get("bands", ())),
                            missing=spec.get("missing", "skip"), stretch=_float(spec.get("stretch")),
                            at_target=_float(spec.get("at_target", STRETCH_AT_TARGET if "stretch" in spec else None))))
    weights = Weights(_canonical(out), float(data.get("min_coverage", 0.5)),
                      data.get("min_dimensions", MIN_DIMENSIONS))
    problems = check(weights)
    if problems:
        raise WeightsError(source, problems)
    return weights


def _float(x: object) -> float | None:
    return None if x is None else float(x)  # type: ignore[arg-type]


def _canonical(rules: Iterable[Rule]) -> tuple[Rule, ...]:
    """Rules in one order wherever they come from: peer group (PEER_GROUPS), then indicator code."""
    rank = {g: i for i, g in enumerate(PEER_GROUPS)}
    return tuple(sorted(rules, key=lambda r: (rank.get(r.peer_group, len(rank)), r.indicator)))


def read_file(path: Path = DEFAULT_FILE) -> Weights:
    try:
        return parse(tomllib.loads(path.read_text(encoding="utf-8")), str(path))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise WeightsError(str(path), [f"cannot read: {exc}"]) from exc


def check(weights: Weights, directions: dict[str, str] | None = None) -> list[str]:
    """Problems with a set of rules; with the catalogue's ``directions`` also checks each rule's sense."""
    problems = []
    if not 0 < weights.min_coverage <= 1:
        problems.append("min_coverage must lie in (0, 1]")
    if isinstance(weights.min_dimensions, bool) or not isinstance(weights.min_dimensions, int) \
            or not 1 <= weights.min_dimensions <= len(DIMENSIONS):
        problems.append(f"min_dimensions must be a whole number from 1 to {len(DIMENSIONS)}")
    for r in weights.rules:
        name = f"{r.peer_group}.{r.indicator}"
        if r.peer_group not in PEER_GROUPS:
            problems.append(f"{name}: peer group must be one of {', '.join(PEER_GROUPS)}")
        if r.dimension not in DIMENSIONS:
            problems.append(f"{name}: dimension must be one of {', '.join(DIMENSIONS)}")
        if r.missing not in MISSING:
            problems.append(f"{name}: missing must be one of {', '.join(MISSING)}")
        if not r.weight > 0:
            problems.append(f"{name}: weight must be positive")
        if r.rule not in RULES:
            problems.append(f"{name}: rule must be one of {', '.join(RULES)}")
        elif r.rule == "linear" and (r.zero_at is None or r.zero_at == 1):
            problems.append(f"{name}: a linear rule needs zero_at ≠ 1")
        elif r.rule == "bands" and not r.bands:
            problems.append(f"{name}: a bands rule needs [[value ÷ target, share], ...]")
        problems += _check_stretch(name, r)
        if directions is not None:
            problems += _check_direction(name, r, directions.get(r.indicator))
    for group in weights.groups:
        total = sum(r.weight for r in weights.of(group))
        if not math.isclose(total, FULL_MARKS, abs_tol=1e-6):
            problems.append(f"{group}: weights sum to {total:g}, not {FULL_MARKS:g}")
    return problems


def _check_stretch(name: str, r: Rule) -> list[str]:
    """A stretch band lies beyond the target, on the far side from zero_at, and the target earns a share in (0, 1)."""
    if r.stretch is None:
        return [f"{name}: at_target needs a stretch band"] if r.at_target is not None else []
    if r.rule != "linear" or r.zero_at is None or r.zero_at == 1:
        return [f"{name}: a stretch band needs a linear rule (a bands rule can add a band beyond 1 instead)"]
    if (r.stretch > 1) != (r.zero_at < 1) or r.stretch == 1:
        return [f"{name}: stretch must lie beyond the target, on the other side of 1 from zero_at"]
    if r.at_target is None or not 0 < r.at_target < 1:
        return [f"{name}: at_target must lie in (0, 1)"]
    return []


def _check_direction(name: str, r: Rule, direction: str | None) -> list[str]:
    if direction is None:
        return [f"{name}: not in the indicator catalogue (python -m lib.catalogue sync)"]
    if direction not in ("up", "down"):
        return [f"{name}: only ↑ or ↓ indicators can be scored against a target (this one is {direction})"]
    if r.rule == "linear" and r.zero_at is not None and (r.zero_at < 1) != (direction == "up"):
        return [f"{name}: zero_at must be {'below' if direction == 'up' else 'above'} 1 for a {direction} indicator"]
    return []


def directions(conn: Connection) -> dict[str, str]:
    return catalogue.read(conn)["direction"].to_dict()


# -- stored versions ---------------------------------------------------------------------------------


def store(conn: Connection, weights: Weights, *, by: str, note: str = "", now: dt.datetime | None = None) -> Weights:
    """Insert ``weights`` as the next version (checked against the store's catalogue); returns it stored."""
    problems = check(weights, directions(conn))
    if problems:
        raise WeightsError("weights", problems)
    version = (conn.execute(sa.select(sa.func.max(ScoreWeights.id))).scalar() or 0) + 1
    now = now or clock.now()
    conn.execute(sa.insert(ScoreWeights).values(id=version, created_at=now, created_by=by, note=note,
                                                min_coverage=weights.min_coverage,
                                                min_dimensions=weights.min_dimensions))
    conn.execute(sa.insert(ScoreRule), [
        {"weights_id": version, "peer_group": r.peer_group, "indicator_code": r.indicator, "dimension": r.dimension,
         "weight": r.weight, "rule": r.rule, "zero_at": r.zero_at, "bands": json.dumps(r.bands) if r.bands else "",
         "missing": r.missing, "stretch": r.stretch, "at_target": r.at_target} for r in weights.rules])
    return load(conn, version)


def load(conn: Connection, version: int) -> Weights:
    """A stored version."""
    head = conn.execute(sa.select(ScoreWeights).where(ScoreWeights.id == version)).one()
    rows = conn.execute(sa.select(ScoreRule).where(ScoreRule.weights_id == version)).all()
    return Weights(_canonical(_rule(r) for r in rows), head.min_coverage, head.min_dimensions, version,
                   head.created_at, head.created_by, head.note)


def _rule(r: sa.Row) -> Rule:
    bands = tuple((float(a), float(b)) for a, b in json.loads(r.bands)) if r.bands else ()
    return Rule(r.peer_group, r.indicator_code, r.dimension, r.weight, r.rule, r.zero_at, bands, r.missing,
                r.stretch, r.at_target)


def latest_version(conn: Connection) -> int | None:
    return conn.execute(sa.select(sa.func.max(ScoreWeights.id))).scalar()


def current(conn: Connection) -> Weights:
    """The newest stored version, or the default file while none is stored (version None)."""
    version = latest_version(conn)
    return read_file() if version is None else load(conn, version)


def ensure_stored(conn: Connection, *, by: str) -> Weights:
    """The newest stored version, storing the default file as version 1 first if there is none."""
    version = latest_version(conn)
    return store(conn, read_file(), by=by, note=f"default: {DEFAULT_FILE.relative_to(db.ROOT)}") \
        if version is None else load(conn, version)


def history(conn: Connection) -> list[dict[str, Any]]:
    """Every stored version, newest first: who, when, note."""
    w = ScoreWeights
    rows = conn.execute(sa.select(w.id, w.created_at, w.created_by, w.note).order_by(w.id.desc())).all()
    return [dict(r._mapping) for r in rows]


def describe(rule: Rule, direction: str) -> str:
    """The rule on value ÷ target in a few symbols: "0.8→1" (linear), "0.8→1:0.8→1.2" (linear with a
    stretch band: 0.8 of the points at target, all at 1.2 × target), "≥1:1 ≥0.8:0.5" (bands)."""
    if rule.rule == "linear":
        return f"{rule.zero_at:g}→1" + ("" if rule.stretch is None else f":{rule.at_target:g}→{rule.stretch:g}")
    sign = "≤" if direction == "down" else "≥"
    return " ".join(f"{sign}{bound:g}:{share:g}" for bound, share in rule.bands)
