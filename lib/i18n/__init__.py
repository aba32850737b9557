"""Chinese/English strings and number formats for every page, chart and export.

Streamlit has no i18n of its own (streamlit#1353), so the catalogue lives in ``lib/i18n_catalogue/*.json``
(one file per area of the app: core, kpi, overview, map, ...), one entry per key with both languages
side by side, which makes a missing translation easy to spot in review and in tests. A key may be
defined in one file only. Chinese is the default and the fallback: an untranslated key still shows
something a county user can read.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import math
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from pathlib import Path
from typing import Protocol

LANGS = ("zh", "en")
DEFAULT_LANG = "zh"
CATALOGUE_DIR = Path(__file__).with_name("catalogue")


def _load_catalogue() -> dict[str, dict[str, str]]:
    merged: dict[str, dict[str, str]] = {}
    for path in sorted(CATALOGUE_DIR.glob("*.json")):
        part = json.loads(path.read_text(encoding="utf-8"))
        clash = merged.keys() & part.keys()
        if clash:
            msg = f"{path.name}: keys already defined in another catalogue file: {sorted(clash)}"
            raise ValueError(msg)
        merged.update(part)
    return merged


CATALOGUE: dict[str, dict[str, str]] = _load_catalogue()
MISSING = "—"

_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONEY_UNITS = {
    # Chinese reads large sums in 万 (1e4) and 亿 (1e8); English in thousands, millions, billions.
    "zh": ((1e8, "亿"), (1e4, "万")),
    "en": ((1e9, "B"), (1e6, "M"), (1e3, "k")),
}


class Progress(Protocol):
    """How a long job (the first start's build) tells its watcher where it is: a fraction from 0 to 1 that
    never goes back, and the step as a catalogue key with its fields, so each watcher shows its own language."""

    def __call__(self, fraction: float, key: str, /, **fields: object) -> None: ...


def normalize_lang(lang: str | None) -> str:
    """A supported language code; anything else (None, "fr", "") means Chinese."""
    return lang if lang in LANGS else DEFAULT_LANG


# A county's own words, the catalogue's {county_*} fields: no text names the reference county. The words of
# the county being shown (lib.registry.settings.CountySettings.all_words), set around a page run or an
# export by ``speaking_for``; county-neutral words when none is set.
CountyWords = Mapping[str, Mapping[str, str]]  # language -> field -> word
NEUTRAL_WORDS: CountyWords = {
    "zh": {"county_self": "县", "county_level": "县级", "county_areas": "分区", "county_tcm": "中医",
           "county_plan": "医共体建设方案", "county_watch_source": "医共体建设方案"},
    "en": {"county_self": "county", "county_level": "County", "county_areas": "Areas", "county_tcm": "TCM",
           "county_plan": "the county plan", "county_watch_source": "the county plan"},
}
_county_words: ContextVar[CountyWords | None] = ContextVar("county_words", default=None)


@contextlib.contextmanager
def speaking_for(words: CountyWords, *, unless_set: bool = False) -> Iterator[None]:
    """Fill the {county_*} fields with ``words`` inside the block (``unless_set``: keep words already set)."""
    if unless_set and _county_words.get() is not None:
        yield
        return
    token = _county_words.set(words)
    try:
        yield
    finally:
        _county_words.reset(token)


def t(key: str, lang: str, **fmt: object) -> str:
    """The text for ``key`` in ``lang``, else in Chinese, else the key itself; ``fmt`` fills {fields}, the
    county's words fill the {county_*} ones ``fmt`` leaves."""
    entry = CATALOGUE.get(key, {})
    text = entry.get(lang) or entry.get(DEFAULT_LANG) or key
    if "{county_" in text:
        fmt = {**(_county_words.get() or NEUTRAL_WORDS)[normalize_lang(lang)], **fmt}
    return text.format(**fmt) if fmt else text


def _is_missing(x: float | None) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def fmt_number(x: float | None, lang: str, digits: int = 0) -> str:
    """Thousands-grouped number (both languages group by three on dashboards)."""
    if _is_missing(x):
        return MISSING
    return f"{x:,.{digits}f}"


def fmt_pct(x: float | None, lang: str, digits: int = 1) -> str:
    """A fraction 0..1 as a percentage: 0.613 -> "61.3%"."""
    if _is_missing(x):
        return MISSING
    return f"{x * 100:.{digits}f}%"


def _three_significant(v: float) -> str:
    # 1.23, 12.3, 123, then 1234 in full: "g" alone would print 999.7 as "1e+03".
    return f"{v:.0f}" if v >= 999.5 else f"{v:.3g}"


def fmt_money(x: float | None, lang: str) -> str:
    """Yuan in the reader's units: zh "¥1.23万" / "¥4.56亿", en "¥12.3k" / "¥1.23M"; small sums in full."""
    if _is_missing(x):
        return MISSING
    sign, v = ("-" if x < 0 else ""), abs(float(x))
    for size, unit in _MONEY_UNITS[normalize_lang(lang)]:
        if v >= size:
            return f"{sign}¥{_three_significant(v / size)}{unit}"
    return f"{sign}¥{v:,.0f}"


def fmt_month(day: dt.date | None, lang: str) -> str:
    """A month as readers write it: "2027年12月" / "Dec 2027"."""
    if day is None:
        return MISSING
    return f"{day.year}年{day.month}月" if normalize_lang(lang) == "zh" else f"{_MONTHS_EN[day.month - 1]} {day.year}"


def fmt_datetime(ts: dt.datetime | dt.date | None, lang: str) -> str:
    """A timestamp (or date) as readers write it: "2026年11月22日 08:15" / "22 Nov 2026 08:15"."""
    if ts is None or ts != ts:  # pandas.NaT passes for a datetime but is unequal to itself
        return MISSING
    if normalize_lang(lang) == "zh":
        text = f"{ts.year}年{ts.month}月{ts.day}日"
    else:
        # Month names from a table, not strftime("%b"), so the server's C/zh locale cannot change them.
        text = f"{ts.day} {_MONTHS_EN[ts.month - 1]} {ts.year}"
    return f"{text} {ts:%H:%M}" if isinstance(ts, dt.datetime) else text


_VALUE_DIGITS = {"ratio": 2, "per_10k": 1, "per_1k": 2, "score": 1, "level": 0, "count": 0}


def value_digits(unit: str) -> int:
    """Decimals of an indicator value in its unit (lib.kpi.catalogue.UNITS), one unless the unit says
    otherwise: the screen's text and the workbook's number formats agree through this."""
    return _VALUE_DIGITS.get(unit, 1)


def fmt_value(x: float | None, unit: str, lang: str) -> str:
    """An indicator value in its unit (lib.kpi.catalogue.UNITS): 61.3% · ¥10,316 · 3.4 · 1,234."""
    if unit == "pct":
        return fmt_pct(x, lang)
    if unit == "money":
        return fmt_money(x, lang)
    return fmt_number(x, lang, value_digits(unit))


def reads_as_zero(x: float, unit: str, lang: str) -> bool:
    """A change that rounds to nothing as written ("+0.0 pp", "-¥0") is no change: no arrow, no colour."""
    return fmt_change(x, unit, lang) in {fmt_change(1e-12, unit, lang), fmt_change(-1e-12, unit, lang)}


def fmt_change(x: float | None, unit: str, lang: str) -> str:
    """A signed change: percentage points for shares ("+1.2 个百分点" / "+1.2 pp"), else the unit's own."""
    if _is_missing(x):
        return MISSING
    if unit == "pct":
        return t("change.pp", lang, v=f"{x * 100:+.1f}")
    if unit == "money":
        return ("+" if x >= 0 else "-") + fmt_money(abs(x), lang)
    return f"{x:+,.{value_digits(unit)}f}"
