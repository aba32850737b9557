"""Reading one cell as a reported value or a month: what clerks actually type, and nothing looser."""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata

FLAG_WORDS = {"1": 1.0, "0": 0.0, "是": 1.0, "否": 0.0, "有": 1.0, "无": 0.0, "yes": 1.0, "no": 0.0,
              "y": 1.0, "n": 0.0, "true": 1.0, "false": 0.0, "√": 1.0, "×": 0.0}
MONTH_PATTERN = re.compile(r"^(\d{4})\s*(?:[-/.年]\s*(\d{1,2})\s*月?|(\d{2}))$")


class BadValue(ValueError):  # noqa: N818 - carries the reason key of a lib.ingest.problems.Problem
    """A cell that is not what its column takes; ``reason`` names why (an ingest.problem key)."""

    def __init__(self, reason: str, **params: object) -> None:
        super().__init__(reason)
        self.reason = reason
        self.params = params


def _text(cell: object) -> str:
    return unicodedata.normalize("NFKC", str(cell)).strip()  # full-width digits and signs read as ASCII


def number(cell: object, kind: str) -> float:
    """``cell`` as a value of a column of type ``kind`` (number | integer | flag)."""
    if kind == "flag":
        value = FLAG_WORDS.get(_text(cell).casefold()) if not isinstance(cell, (int, float)) else float(cell)
        if value not in (0.0, 1.0):
            raise BadValue("not_flag")
        return value
    if isinstance(cell, (bool, dt.date, dt.datetime)):
        raise BadValue("not_number")
    if isinstance(cell, (int, float)):
        value = float(cell)
    else:
        try:
            value = float(_text(cell).replace(",", ""))
        except ValueError:
            raise BadValue("not_number") from None
    if not math.isfinite(value):
        raise BadValue("not_number")
    if kind == "integer" and value != round(value):
        raise BadValue("not_integer")
    return value


def month(cell: object) -> dt.date:
    """A month as a clerk writes it: 2026-10, 2026/10, 2026.10, 202610, 2026年10月, or an Excel date."""
    if isinstance(cell, dt.datetime | dt.date):
        return dt.date(cell.year, cell.month, 1)
    text = _text(cell).removesuffix(".0")
    found = MONTH_PATTERN.match(text)
    if not found:
        raise BadValue("not_month")
    year, number_ = int(found.group(1)), int(found.group(2) or found.group(3))
    if not 1 <= number_ <= 12 or not 2000 <= year <= 2100:
        raise BadValue("not_month")
    return dt.date(year, number_, 1)


def plain(x: float) -> str:
    """A bound as a clerk would write it: 100, not 100.0."""
    return str(int(x)) if x == int(x) else str(x)
