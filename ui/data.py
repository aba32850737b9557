"""The one caching seam between pages and the store: ``st.cache_data`` wrappers over pure lib functions.

lib/ functions take a connection and know nothing of Streamlit; here each gets a TTL and a cache key
that includes the store's URL, so two stores in one process (tests, a switched COCKPIT_DB_URL) never
share a cached frame. Caches are shared by every session of the server, so N wall screens refreshing
cost the store one query per TTL, not N. Every cached query and its TTL is listed in this module:

| function | TTL | why |
|---|---|---|
| units, choices, facility_counts | REGISTRY_TTL (10 min) | the registry changes by import only |
| kpi_values | KPI_TTL (60 s) | indicators move with the live feed; a minute is "near real time" for them |
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pandas as pd
import streamlit as st

from lib import db, facilities, kpi
from lib.period import Period

REGISTRY_TTL = "10m"  # the registry changes by import only, a few times a year
KPI_TTL = "60s"


@st.cache_data(ttl=REGISTRY_TTL, show_spinner=False)
def _facility_counts(url: str, lang: str) -> pd.DataFrame:
    with db.engine(url).connect() as conn:
        return facilities.facility_counts(conn, lang)


def facility_counts(lang: str) -> pd.DataFrame:
    """Facilities per tier and area in ``lang`` (see lib.facilities.facility_counts)."""
    return _facility_counts(db.resolve_url(), lang)


@st.cache_data(ttl=REGISTRY_TTL, show_spinner=False)
def _units(url: str) -> pd.DataFrame:
    with db.engine(url).connect() as conn:
        return facilities.units(conn)


def units() -> pd.DataFrame:
    """Every member unit with tier, peer group, area, community, population (lib.facilities.units)."""
    return _units(db.resolve_url())


@st.cache_data(ttl=REGISTRY_TTL, show_spinner=False)
def _choices(url: str) -> dict[str, pd.DataFrame]:
    with db.engine(url).connect() as conn:
        return facilities.choices(conn)


def choices() -> dict[str, pd.DataFrame]:
    """The county's communities and areas with their names, for filters and legends."""
    return _choices(db.resolve_url())


@st.cache_data(ttl=KPI_TTL, show_spinner=False, max_entries=500)
def _kpi_values(url: str, codes: tuple[str, ...] | None, scopes: tuple[kpi.Scope, ...], period: Period,
                compare: bool, today: dt.date) -> list[kpi.KpiValue]:
    with db.engine(url).connect() as conn:
        return kpi.Engine(conn, today=today).compute(codes, scopes, period, compare=compare)


def kpi_values(codes: Sequence[str] | None, scopes: Sequence[kpi.Scope], period: Period, *,
               compare: bool = True) -> list[kpi.KpiValue]:
    """Indicator values from lib.kpi (cached for KPI_TTL, shared by every session)."""
    return _kpi_values(db.resolve_url(), None if codes is None else tuple(codes), tuple(scopes), period, compare,
                       dt.date.today())
