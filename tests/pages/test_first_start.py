"""An existing store whose rollups were built by other declarations is rebuilt at start, then drawn."""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from lib.events import rollup
from lib.store import db
from lib.store.models import DailyRollup, StoreMeta
from tests.fixtures import tiny


def test_a_store_with_stale_rollups_is_rebuilt_before_the_first_page(sqlite_url: str,
                                                                     open_page: Callable[..., AppTest]) -> None:
    tiny.build(sqlite_url)
    with db.engine(sqlite_url).begin() as conn:
        conn.execute(sa.delete(DailyRollup))  # as if a new metric had never been rolled up
        conn.execute(sa.delete(StoreMeta))
    open_page(sqlite_url, None)
    with db.engine(sqlite_url).connect() as conn:
        assert rollup.stored_fingerprint(conn) == rollup.fingerprint()
        assert conn.execute(sa.select(sa.func.count()).select_from(DailyRollup)).scalar_one() > 0
