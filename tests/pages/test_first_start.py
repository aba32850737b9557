"""First start and later starts as the server and a session see them: the server begins the demo store's
build as it starts; an existing store whose rollups were built by other declarations is rebuilt at start,
then drawn."""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest
from streamlit.web.server.app_discovery import discover_asgi_app

from lib.events import rollup
from lib.store import bootstrap, db
from lib.store.models import DailyRollup, StoreMeta
from tests import demo_stub
from tests.fixtures import tiny
from ui import first_start


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


# --- the server's start: the build begins before any browser connects ----------------------------------


def test_streamlit_run_serves_app_py_as_an_app_with_a_lifespan() -> None:
    """``streamlit run app.py`` finds the st.App in app.py (Streamlit's own discovery, the one its CLI
    uses) and imports it as the module ``app``; each session's run executes the file as ``__main__``."""
    found = discover_asgi_app(db.ROOT / "app.py")
    assert (found.is_asgi_app, found.import_string) == (True, "app:app")


def test_the_lifespan_starts_the_build_without_any_session(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    default = tmp_path / "data" / "cockpit.db"
    monkeypatch.setattr(db, "DEFAULT_SQLITE", default)
    monkeypatch.delenv("COCKPIT_DB_URL", raising=False)
    calls = demo_stub.recording(monkeypatch)

    async def start_and_stop() -> bootstrap.Build:
        async with first_start.lifespan(None):
            return bootstrap.build_for(f"sqlite:///{default}")  # what a session arriving now would watch

    # its own thread: a worker that ran a browser test holds Playwright's loop in this one for the session
    with concurrent.futures.ThreadPoolExecutor(1) as own:
        build = own.submit(asyncio.run, start_and_stop()).result()
    assert build.done.wait(timeout=30)
    assert build.error is None
    assert calls == [f"sqlite:///{default.with_name('cockpit.db.partial')}"]
    assert not bootstrap.needs_demo(f"sqlite:///{default}")
    for thread in threading.enumerate():  # the first page's head start, done before the store goes away
        if thread.name == "cockpit-first-page":
            thread.join(timeout=60)
