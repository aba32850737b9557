"""First start in the browser: show the build of the default store (started by the server as it started,
see app.py) step by step until it is done, then rerun straight into the first page.

The build runs in one background thread per server process (lib.store.bootstrap.build_for); every session
that arrives meanwhile shows the same progress bar, and a click that reruns the page only re-attaches
to the build instead of cutting it short.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING

import streamlit as st

from lib.i18n import Progress
from lib.store import bootstrap, db

if TYPE_CHECKING:  # ui.frame imports this module
    from ui.frame import Frame

POLL_SECONDS = 0.25
_JUST_BUILT = "first-start-built"  # session state: this session watched the build; its next run says so
_log = logging.getLogger(__name__)


@contextlib.asynccontextmanager
async def lifespan(_app: object) -> AsyncIterator[None]:
    """The server's start (st.App's lifespan, app.py): the demo store's build, if the store needs one, and
    the overview's first figures begin before any browser connects, in threads of their own, so the
    server answers at once."""
    build = bootstrap.at_server_start()
    threading.Thread(target=_prepare, args=(build,), name="cockpit-first-page", daemon=True).start()
    yield


def _prepare(build: bootstrap.Build | None) -> None:
    """After the build (if any): bring the store current and compute the overview's default view into the
    shared caches. A session arriving meanwhile waits on the same cache entries instead of computing them
    again (Streamlit locks each entry while it is computed); if this fails, the page computes them itself."""
    from lib import clock
    from ui import data, mapview  # both import ui.frame, which imports this module

    if build is not None:
        build.done.wait()
        if build.error is not None:
            return  # the watching session shows it
    try:
        _once(db.resolve_write_url())  # migrations and the catalogue write: the writing role (README)
        data.warm_overview(mapview.DEFAULT_INDICATOR, clock.now())
    except Exception:  # only a head start: the first page reports any real problem itself
        _log.warning("could not prepare the first page at server start", exc_info=True)


@st.cache_resource(show_spinner=False)
def _current() -> tuple[threading.Lock, set[str]]:
    """Stores brought current by this server process (and the lock that lets one session do it)."""
    return threading.Lock(), set()


def _bar(frame: Frame, bar: st.delta_generator.DeltaGenerator, fraction: float, key: str,
         fields: dict[str, object]) -> None:
    bar.progress(min(max(fraction, 0.0), 1.0), text=frame.t(key, **fields))


def _once(url: str, progress: Progress | None = None) -> None:
    """Once per server process and store: migrations, catalogue, and a rollup rebuild if the rollup
    declarations changed (lib.store.bootstrap.bring_current). A failure is not remembered: it retries."""
    lock, done = _current()
    if url in done:
        return
    with lock:
        if url not in done:
            bootstrap.bring_current(url, progress)
            done.add(url)


def _bring_current(frame: Frame, url: str) -> None:
    """:func:`_once`, with a progress bar for the slow steps should there be any."""
    bar = None

    def progress(fraction: float, key: str, /, **fields: object) -> None:
        nonlocal bar
        bar = bar or st.progress(0.0)
        _bar(frame, bar, fraction, key, fields)

    _once(url, progress)
    if bar is not None:
        bar.empty()


def ensure_store(frame: Frame) -> bool:
    """Return once the store is usable: at once, or after showing the build's progress (see :func:`_watch`).

    True in the run right after this session watched a build: the caller then says, while the page
    runs, that its first figures are being computed.
    """
    url = db.resolve_url()
    if bootstrap.needs_demo(url):
        _watch(frame, url)
    _bring_current(frame, db.resolve_write_url())  # it writes: the writing role (README, "Running it for real")
    return bool(st.session_state.pop(_JUST_BUILT, False))


def _watch(frame: Frame, url: str) -> None:
    """Show the build's progress until it is done, then rerun, so the first page draws from the top of a
    clean run (no finished bar left over it). A failed build is raised; the next run starts a new one."""
    build = bootstrap.build_for(url)
    with st.status(frame.t("bootstrap.title"), expanded=True) as status:
        bar = st.progress(0.0)
        while not build.done.wait(POLL_SECONDS):
            _bar(frame, bar, *build.status)
        if build.error is not None:
            status.update(state="error")
            raise build.error
    st.session_state[_JUST_BUILT] = True
    st.rerun()


@contextlib.contextmanager
def first_page(frame: Frame, built: bool) -> Iterator[None]:
    """Around the page's run: right after a build, a spinner that says the first page's figures are being
    computed (every cache is cold, and a ticking clock shows it is not stuck); otherwise nothing."""
    if not built:
        yield
        return
    with st.spinner(frame.t("bootstrap.first_page"), show_time=True):
        yield
