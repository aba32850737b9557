"""The one AppTest opener for page tests: every AppTest of app.py is built by ``new_app`` below.

``new_app(url, **params)`` gives an AppTest of app.py on the store at ``url``, not run yet (for a test
that sets more before its first run); ``open_page(url, name, **params)`` opens pages/<name>.py
straight away, as a deep link does (the page file runs first and ui.frame.enter() reroutes it through
app.py), and checks that no exception was raised.

Caches are kept from test to test: every ``st.cache_data`` and ``st.cache_resource`` entry is keyed by
the store's URL (ui/data.py, ui/first_start.py) and every store a test builds has a URL of its own,
so the read-only stores shared by many tests (``tiny_url``) are read and brought current once, not
once per test. A test that changes its store after a page has read it clears them itself
(``st.cache_data.clear()``).

``COCKPIT_TEST_WAIT_SCALE`` stretches the script timeout (tests/conftest.py).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterator, Sequence

import pytest
from streamlit.testing.v1 import AppTest

from lib import i18n
from lib.kpi import Engine, Scope
from lib.kpi.period import Period
from lib.registry import settings as registry_settings
from lib.store import db
from tests.conftest import WAIT_SCALE


@pytest.fixture(autouse=True)
def _banner_words() -> Iterator[None]:
    """The stores these pages read are banners (the tiny 小旗 and the demo's 乌拉特中旗), so the texts a test
    expects speak as a 旗 too; a test of another county sets that county's words itself."""
    with i18n.speaking_for(registry_settings.named("小旗").all_words()):
        yield

SCRIPT_TIMEOUT = 60 * WAIT_SCALE  # seconds a single run of the script may take


@functools.cache
def _components() -> object | None:
    """Streamlit's registry of installed custom components, discovered once per test session.

    Each new AppTest otherwise scans the metadata of every installed package on its first run (up to a
    second on a busy machine); the set cannot change during a test run, and the app declares none.
    """
    try:
        from streamlit.components.v2.component_manager import BidiComponentManager
    except ImportError:  # another Streamlit: AppTest discovers them itself
        return None
    manager = BidiComponentManager()
    manager.discover_and_register_components(start_file_watching=False)
    return manager


@pytest.fixture
def new_app(monkeypatch: pytest.MonkeyPatch) -> Callable[..., AppTest]:
    """Build (without running) an AppTest of app.py on the store at ``url`` with URL parameters."""

    def _new(url: str, **params: str) -> AppTest:
        monkeypatch.setenv("COCKPIT_DB_URL", url)
        at = AppTest.from_file(str(db.ROOT / "app.py"), default_timeout=SCRIPT_TIMEOUT)
        if (components := _components()) is not None and hasattr(at, "_bidi_component_manager"):
            at._bidi_component_manager = components
        for key, value in params.items():
            at.query_params[key] = value
        return at

    return _new


@pytest.fixture
def open_page(new_app: Callable[..., AppTest]) -> Callable[..., AppTest]:
    """Open pages/<name>.py (None: the default page, the overview) on a store with URL parameters; no
    exception allowed. ``session`` presets session state (a signed-in user, tests/pages/test_access.py)."""

    def _open(url: str, name: str | None, *, session: dict[str, object] | None = None, **params: str) -> AppTest:
        at = new_app(url, **params)
        for key, value in (session or {}).items():
            at.session_state[key] = value
        if name is not None:
            at.switch_page(f"pages/{name}.py")
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        return at

    return _open


def engine_tiles(url: str, codes: Sequence[str], lang: str, month: dt.date, today: dt.date) -> dict[str, str]:
    """What a page's headline tiles must show for ``codes`` at county scope: indicator name → the engine's
    value, formatted (compare with ``{m.label: m.value for m in at.metric}``)."""
    with db.engine(url).connect() as conn:
        engine = Engine(conn, today=today)
        values = engine.compute(codes, [Scope()], Period("month", month))
        names = engine.catalogue[f"name_{lang}"]
    return {names[v.code]: i18n.fmt_value(v.value, v.unit, lang) for v in values}
