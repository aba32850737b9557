"""The catalogue is complete in both languages, and numbers read the way each audience writes them."""

from __future__ import annotations

import datetime as dt
import re
import string

import pandas as pd
import pytest

from lib import i18n
from lib.i18n import CATALOGUE, fmt_datetime, fmt_money, fmt_number, fmt_pct, t


@pytest.mark.parametrize("key", sorted(CATALOGUE))
def test_every_key_has_both_languages_with_the_same_fields(key: str) -> None:
    entry = CATALOGUE[key]
    assert set(entry) == set(i18n.LANGS)
    assert all(text.strip() for text in entry.values())
    fields = [{f for _, f, _, _ in string.Formatter().parse(text) if f} for text in entry.values()]
    assert fields[0] == fields[1]


def test_no_english_count_is_glued_to_a_plural_noun() -> None:
    """"1 units" reads wrong: an English text puts a count after a colon or in brackets, never before a plural."""
    glued = re.compile(r"\{(n|k|units|count)\} [a-z]+s\b")
    offending = {key: entry["en"] for key, entry in CATALOGUE.items() if glued.search(entry["en"])}
    assert offending == {}


def test_t_falls_back_to_chinese_then_to_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(CATALOGUE, "only.zh", {"zh": "仅中文"})
    assert t("page.map", "en") == "Map"
    assert t("page.map", "zh") == "医疗资源地图"
    assert t("only.zh", "en") == "仅中文"
    assert t("page.map", "fr") == "医疗资源地图"
    assert t("no.such.key", "en") == "no.such.key"
    assert t("ingest.problem.more", "en", n=65) == "… and 65 more problems not listed"


@pytest.mark.parametrize(
    ("x", "digits", "expected"), [(1234567, 0, "1,234,567"), (1234.5678, 2, "1,234.57"), (0, 0, "0"), (None, 0, "—")]
)
def test_fmt_number(x: float | None, digits: int, expected: str) -> None:
    assert fmt_number(x, "zh", digits) == fmt_number(x, "en", digits) == expected


@pytest.mark.parametrize(
    ("x", "digits", "expected"), [(0.613, 1, "61.3%"), (0.65, 0, "65%"), (1.0, 1, "100.0%"), (float("nan"), 1, "—")]
)
def test_fmt_pct_takes_a_fraction(x: float, digits: int, expected: str) -> None:
    assert fmt_pct(x, "zh", digits) == fmt_pct(x, "en", digits) == expected


@pytest.mark.parametrize(
    ("x", "zh", "en"),
    [
        (361.6, "¥362", "¥362"),
        (9_999, "¥9,999", "¥10k"),
        (12_345, "¥1.23万", "¥12.3k"),
        (10_316_000, "¥1032万", "¥10.3M"),
        (123_456_789, "¥1.23亿", "¥123M"),
        (2.5e9, "¥25亿", "¥2.5B"),
        (-12_345, "-¥1.23万", "-¥12.3k"),
        (None, "—", "—"),
    ],
)
def test_fmt_money_uses_each_languages_units(x: float | None, zh: str, en: str) -> None:
    assert fmt_money(x, "zh") == zh
    assert fmt_money(x, "en") == en


def test_fmt_datetime() -> None:
    ts = dt.datetime(2026, 11, 22, 8, 5)
    assert fmt_datetime(ts, "zh") == "2026年11月22日 08:05"
    assert fmt_datetime(ts, "en") == "22 Nov 2026 08:05"
    assert fmt_datetime(dt.date(2026, 3, 1), "en") == "1 Mar 2026"
    assert fmt_datetime(pd.Timestamp("2026-02-01 17:30"), "zh") == "2026年2月1日 17:30"
    assert fmt_datetime(pd.NaT, "zh") == fmt_datetime(None, "en") == "—"
