"""The monthly report's kinds and columns, declared in data/reports.toml (one template per kind).

A column is either a ``monthly_report`` metric or one count of a register (``register_count``); the
fixed columns (unit code, unit name, month) come first in every template. Headers are accepted in
either language, so a template downloaded in English can be uploaded from the Chinese page.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from lib.store.db import ROOT

REPORTS_FILE = ROOT / "data" / "reports.toml"
TYPES = ("number", "integer", "flag")
LEVELS = ("county", "township", "village")
UNIT_CODE, UNIT_NAME, MONTH = "unit_code", "unit_name", "month"  # the fixed columns, by their keys
FIXED_HEADERS = {UNIT_CODE: ("单位编码", "Unit code"), UNIT_NAME: ("单位名称", "Unit name"), MONTH: ("月份", "Month")}


@dataclass(frozen=True)
class Column:
    """One reported figure: where it is stored and what values it accepts."""

    metric: str  # the column's key; the monthly_report metric unless ``register`` is set
    header_zh: str
    header_en: str
    type: str  # number | integer | flag
    min: float
    max: float
    register: str = ""  # register_count.register, with ``field`` registered | managed
    field: str = ""
    not_above: str = ""  # the key of a column in the same row this one may not exceed
    former: tuple[str, ...] = ()  # earlier headers, still read: files filled from older templates load

    def header(self, lang: str) -> str:
        return self.header_zh if lang == "zh" else self.header_en


@dataclass(frozen=True)
class Kind:
    """One template: the columns a group of units reports together."""

    code: str
    name_zh: str
    name_en: str
    levels: tuple[str, ...]
    source: str
    columns: tuple[Column, ...]

    def name(self, lang: str) -> str:
        return self.name_zh if lang == "zh" else self.name_en


class KindsError(ValueError):
    """data/reports.toml is malformed: said with the kind and column at fault."""


def _column(kind: str, raw: dict) -> Column:
    try:
        column = Column(metric=raw["metric"], header_zh=raw["header_zh"], header_en=raw["header_en"],
                        type=raw["type"], min=float(raw["min"]), max=float(raw["max"]),
                        register=raw.get("register", ""), field=raw.get("field", ""),
                        not_above=raw.get("not_above", ""), former=tuple(raw.get("former_headers", ())))
    except KeyError as missing:
        msg = f"{REPORTS_FILE.name}: kind {kind!r}: a column lacks {missing}"
        raise KindsError(msg) from None
    if column.type not in TYPES:
        msg = f"{REPORTS_FILE.name}: kind {kind!r}, column {column.metric!r}: type must be one of {TYPES}"
        raise KindsError(msg)
    if bool(column.register) != (column.field in ("registered", "managed")):
        msg = f"{REPORTS_FILE.name}: kind {kind!r}, column {column.metric!r}: a register needs field registered|managed"
        raise KindsError(msg)
    return column


def load(path: Path = REPORTS_FILE) -> tuple[Kind, ...]:
    """Every kind in ``path``, checked: unique column keys and headers, known levels and types."""
    doc = tomllib.loads(path.read_text(encoding="utf-8"))
    kinds = []
    for raw in doc.get("kind", []):
        columns = tuple(_column(raw.get("code", "?"), c) for c in raw.get("column", []))
        kinds.append(Kind(code=raw["code"], name_zh=raw["name_zh"], name_en=raw["name_en"],
                          levels=tuple(raw["levels"]), source=raw.get("source", ""), columns=columns))
    keys = [c.metric for k in kinds for c in k.columns]
    headers = [h for k in kinds for c in k.columns for h in (c.header_zh, c.header_en, *c.former)]
    headers += [h for pair in FIXED_HEADERS.values() for h in pair]
    for name, values in (("column", keys), ("header", headers), ("kind", [k.code for k in kinds])):
        twice = sorted({v for v in values if values.count(v) > 1})
        if twice:
            msg = f"{path.name}: {name}s defined twice: {twice}"
            raise KindsError(msg)
    for kind in kinds:
        if set(kind.levels) - set(LEVELS):
            msg = f"{path.name}: kind {kind.code!r}: levels must be among {LEVELS}"
            raise KindsError(msg)
        for column in kind.columns:
            if column.not_above and column.not_above not in {c.metric for c in kind.columns}:
                msg = f"{path.name}: kind {kind.code!r}, column {column.metric!r}: not_above is no column of its kind"
                raise KindsError(msg)
    return tuple(kinds)


@cache
def kinds() -> tuple[Kind, ...]:
    """The shipped kinds (data/reports.toml), read once per process."""
    return load()


def by_code(code: str) -> Kind:
    for kind in kinds():
        if kind.code == code:
            return kind
    msg = f"unknown report kind {code!r}; known: {', '.join(k.code for k in kinds())}"
    raise KeyError(msg)


def normalise_header(text: object) -> str:
    """A header as compared: spaces and case ignored, full-width brackets read as half-width."""
    return str(text or "").strip().replace(" ", "").replace("（", "(").replace("）", ")").casefold()


@cache
def header_index() -> dict[str, tuple[Kind | None, str]]:
    """Normalised header (either language) → (its kind, column key); the fixed columns have no kind."""
    index: dict[str, tuple[Kind | None, str]] = {}
    for key, pair in FIXED_HEADERS.items():
        for header in (*pair, key):
            index[normalise_header(header)] = (None, key)
    for kind in kinds():
        for column in kind.columns:
            for header in (column.header_zh, column.header_en, column.metric, *column.former):
                index[normalise_header(header)] = (kind, column.metric)
    return index
