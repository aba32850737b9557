"""Every page runs inside the frame without an exception, in both languages (AppTest, no browser).

AppTest resets Streamlit's pages/ flag before every run, so each ``switch_page`` below also takes the
legacy path a cold deep link takes in a real server: the page file runs first and ui.frame.enter()
reroutes it through app.py. tests/browser/test_cold_deep_link.py proves the same in Chromium.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from lib import i18n
from lib.store import bootstrap, db
from tests import demo_stub
from tests.conftest import make_store
from ui.frame import FRAME_KEY, LANG_KEY, LANG_SWITCH_KEY, PAGES, PAGES_DIR


@pytest.fixture(scope="module")
def reference_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated store holding the reference registry, built once for the module (its tests only read it)."""
    with make_store("sqlite", tmp_path_factory.mktemp("smoke"), fill=bootstrap.load_reference) as url:
        yield url


@pytest.fixture
def app(reference_url: str, new_app: Callable[..., AppTest]) -> AppTest:
    """The app on the reference registry, not run yet (tests/pages/conftest.py's opener)."""
    return new_app(reference_url)


def _assert_framed(at: AppTest, title: str) -> None:
    assert not at.exception
    assert at.main.children[0].proto.id.endswith(FRAME_KEY), "the frame must open every page"
    assert [el.value for el in at.title] == [title]


def test_every_page_and_section_has_its_text() -> None:
    keys = {f"page.{p.name}" for p in PAGES} | {f"page.{p.name}.desc" for p in PAGES} | {p.section for p in PAGES}
    assert keys <= set(i18n.CATALOGUE)
    assert sorted(p.name for p in PAGES) == sorted(f.stem for f in PAGES_DIR.glob("*.py"))


@pytest.mark.parametrize("page", [p.name for p in PAGES])
def test_every_page_runs_inside_the_frame(app: AppTest, page: str) -> None:
    app.run()
    app.switch_page(f"pages/{page}.py").run()
    _assert_framed(app, i18n.t(f"page.{page}", "zh"))


def test_default_page_is_the_overview_in_chinese(app: AppTest) -> None:
    app.run()
    _assert_framed(app, "总览")
    assert "今日门急诊" in [m.label for m in app.metric]  # the live counters


def test_english_from_the_url(app: AppTest) -> None:
    app.query_params[LANG_KEY] = "en"
    app.run()
    app.switch_page("pages/map.py").run()
    _assert_framed(app, "Map")
    assert "Township health centre" in app.dataframe[0].value["Tier"].tolist()  # the map's table of units


def test_language_switch_relabels_the_page(app: AppTest) -> None:
    app.run()
    app.button_group(key=LANG_SWITCH_KEY).set_value("en").run()
    _assert_framed(app, "Overview")


def test_kiosk_hides_the_controls(app: AppTest) -> None:
    app.query_params["kiosk"] = "1"
    app.run()
    _assert_framed(app, "总览")
    assert not app.get("button_group")


def test_first_start_builds_the_default_store_then_shows_the_page(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, new_app: Callable[..., AppTest]
) -> None:
    default = tmp_path / "cockpit.db"
    monkeypatch.setattr(db, "DEFAULT_SQLITE", default)
    demo_calls = demo_stub.recording(monkeypatch)
    at = new_app(f"sqlite:///{default}").run()
    _assert_framed(at, "总览")
    assert len(demo_calls) == 1
    assert not bootstrap.needs_demo(f"sqlite:///{default}")
    assert "今日门急诊" in [m.label for m in at.metric]
