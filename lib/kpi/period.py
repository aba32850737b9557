"""Reporting periods: a month, year to date, rolling 12 months, or today, and their comparisons."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from typing import Literal

Kind = Literal["month", "ytd", "r12", "today"]


def first_of_month(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(month: dt.date, n: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


def last_day(month: dt.date) -> dt.date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


@dataclass(frozen=True)
class Period:
    """``end`` is the first day of the last month covered (month, ytd, r12) or the day itself (today)."""

    kind: Kind
    end: dt.date

    def __post_init__(self) -> None:
        if self.kind != "today" and self.end.day != 1:
            object.__setattr__(self, "end", first_of_month(self.end))

    @classmethod
    def month(cls, text: str) -> Period:
        """``YYYY-MM`` → that month."""
        year, month = (int(x) for x in text.split("-"))
        return cls("month", dt.date(year, month, 1))

    @property
    def first_month(self) -> dt.date:
        if self.kind == "ytd":
            return self.end.replace(month=1)
        if self.kind == "r12":
            return add_months(self.end, -11)
        return first_of_month(self.end)

    @property
    def last_month(self) -> dt.date:
        return first_of_month(self.end)

    @property
    def first_date(self) -> dt.date:
        """The first calendar day the period covers."""
        return self.end if self.kind == "today" else self.first_month

    @property
    def last_date(self) -> dt.date:
        """The last calendar day the period covers (it may lie in the future for the current month)."""
        return self.end if self.kind == "today" else last_day(self.end)

    @property
    def months(self) -> int:
        return {"month": 1, "ytd": self.end.month, "r12": 12, "today": 1}[self.kind]

    def previous(self) -> Period:
        """The period just before: last month, YTD to last month, the 12 months to last month, yesterday."""
        if self.kind == "today":
            return Period("today", self.end - dt.timedelta(days=1))
        if self.kind == "ytd" and self.end.month == 1:
            return Period("ytd", self.end)  # no earlier YTD inside the same year: compare with itself
        return Period(self.kind, add_months(self.end, -1))

    def last_year(self) -> Period:
        if self.kind == "today":
            try:
                return Period("today", self.end.replace(year=self.end.year - 1))
            except ValueError:  # 29 February
                return Period("today", self.end.replace(year=self.end.year - 1, day=28))
        return Period(self.kind, add_months(self.end, -12))

    def label(self) -> str:
        if self.kind == "today":
            return self.end.isoformat()
        ym = f"{self.end:%Y-%m}"
        return {"month": ym, "ytd": f"{self.end.year}-01..{ym}", "r12": f"{self.first_month:%Y-%m}..{ym}"}[self.kind]

    def elapsed_share(self, today: dt.date) -> float:
        """Share of the calendar year elapsed at the period's end (or today, if that is earlier)."""
        as_of = min(self.last_date, today)
        days = 366 if calendar.isleap(as_of.year) else 365
        return as_of.timetuple().tm_yday / days

    def months_elapsed(self, today: dt.date) -> float:
        """Months of the year elapsed at the period's end, counting a part month by its days."""
        as_of = min(self.last_date, today)
        return as_of.month - 1 + as_of.day / calendar.monthrange(as_of.year, as_of.month)[1]
