"""The one caching seam between pages and the store: ``st.cache_data`` wrappers over pure lib functions.

lib/ functions take a connection and know nothing of Streamlit; here each gets a TTL and a cache key
that includes the store's URL, so two stores in one process (tests, a switched COCKPIT_DB_URL) never
share a cached frame. Every cached query and its TTL is listed in this module.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from lib import db, facilities

REGISTRY_TTL = "10m"  # the registry changes by import only, a few times a year


@st.cache_data(ttl=REGISTRY_TTL, show_spinner=False)
def _facility_counts(url: str, lang: str) -> pd.DataFrame:
    with db.engine(url).connect() as conn:
        return facilities.facility_counts(conn, lang)


def facility_counts(lang: str) -> pd.DataFrame:
    """Facilities per tier and area in ``lang`` (see lib.facilities.facility_counts)."""
    return _facility_counts(db.resolve_url(), lang)
