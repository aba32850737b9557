"""The one frame every page runs inside: page config, language, kiosk mode, first-start store, navigation.

``app.py`` calls :func:`route`; every file in ``pages/`` calls :func:`enter` as its first statement.

Why pages call in too: the user's layout keeps the folder name ``pages/`` beside ``app.py``. While
that folder exists and no session has called ``st.navigation`` yet, Streamlit runs the legacy v1
wrapper (``_mpa_v1`` in streamlit/runtime/scriptrunner/script_runner.py), which executes a deep-linked
``pages/map.py`` *without* ``app.py``: after a server restart a kiosk reconnecting to ``/map`` would
get no page config, no language and an auto-generated sidebar. :func:`enter` notices that the router
is not around this run (a context variable that only :func:`route` sets while the page runs), calls
the real ``st.navigation`` (public API; it switches the process out of the legacy mode) and reruns,
so the same page is served again, this time through ``app.py``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from pathlib import Path

import streamlit as st

from lib import i18n
from lib.access import OPEN, Viewer
from lib.store import db
from ui import access, first_start, outage

PAGES_DIR = Path(__file__).resolve().parents[1] / "pages"
APP_ICON = "🩺"  # an emoji favicon is drawn inline; a ":material/...:" one comes from fonts.gstatic.com
LANG_KEY = "lang"  # URL query parameter (?lang=en), the one source of the run's language
LANG_SWITCH_KEY = "lang-switch"
KIOSK_KEY = "kiosk"  # ?kiosk=1: wall screen, no navigation and no controls
FRAME_KEY = "cockpit-frame"  # the frame's container; the browser sees class st-key-cockpit-frame


@dataclass(frozen=True)
class PageDef:
    """A page of the cockpit: its file in pages/ (and i18n key page.<name>), nav section and icon."""

    name: str
    section: str
    icon: str


PAGES = (
    PageDef("overview", "sec.live", ":material/dashboard:"),
    PageDef("map", "sec.live", ":material/map:"),
    PageDef("referrals", "sec.live", ":material/swap_vert:"),
    PageDef("alerts", "sec.live", ":material/campaign:"),
    PageDef("region", "sec.live", ":material/public:"),  # the store's counties side by side
    PageDef("rankings", "sec.monthly", ":material/leaderboard:"),
    PageDef("meeting", "sec.monthly", ":material/slideshow:"),
    PageDef("sinking", "sec.monthly", ":material/move_down:"),
    PageDef("insurance", "sec.monthly", ":material/account_balance_wallet:"),
    PageDef("public_health", "sec.monthly", ":material/health_and_safety:"),
    PageDef("capacity", "sec.monthly", ":material/groups:"),
    PageDef("plan", "sec.monthly", ":material/flag:"),
    PageDef("centres", "sec.platform", ":material/hub:"),
    PageDef("data", "sec.platform", ":material/database:"),
    PageDef("admin", "sec.platform", ":material/admin_panel_settings:"),  # leader and operations centre only
)
DEFAULT_PAGE = PAGES[0].name
ADMIN_PAGE = "admin"
DEFAULT_ROOT_NAME = "home"  # the pathname the default page reserves (it is served at "/")


@dataclass(frozen=True)
class Frame:
    """What a page needs from the frame: the run's language (with ``t`` bound to it), kiosk flag and the
    viewer (who is signed in and which units they see; everything while sign-in is off)."""

    lang: str
    kiosk: bool
    viewer: Viewer = field(default=OPEN)

    def t(self, key: str, **fmt: object) -> str:
        return i18n.t(key, self.lang, **fmt)


# Set by route() only while the page runs: a page that finds it empty was not started by app.py.
_current: ContextVar[Frame | None] = ContextVar("cockpit_frame", default=None)


def _this_run() -> Frame:
    # The URL decides; the switch's last value covers page switches, which drop the query string.
    lang = i18n.normalize_lang(st.query_params.get(LANG_KEY) or st.session_state.get(LANG_SWITCH_KEY))
    if lang != i18n.DEFAULT_LANG and st.query_params.get(LANG_KEY) != lang:
        st.query_params[LANG_KEY] = lang  # back into the URL, so it can be shared or bookmarked
    return Frame(lang=lang, kiosk=st.query_params.get(KIOSK_KEY) == "1")


def _navigation(frame: Frame) -> st.Page:
    # The favicon goes first: a run whose navigation arrives before it makes the browser use the
    # page's Material icon as favicon, which it fetches from fonts.gstatic.com.
    st.set_page_config(page_icon=APP_ICON, layout="wide")
    # Titles and sections go through t() on every run, so switching language relabels the menu.
    sections: dict[str, list[st.Page]] = {}
    for page in PAGES:
        if page.name == ADMIN_PAGE and not admits(frame.viewer):
            continue
        sections.setdefault(frame.t(page.section), []).append(
            st.Page(
                PAGES_DIR / f"{page.name}.py",
                title=frame.t(f"page.{page.name}"),
                icon=page.icon,
                default=page.name == DEFAULT_PAGE,
                url_path=DEFAULT_ROOT_NAME if page.name == DEFAULT_PAGE else None,
            )
        )
    # The default page answers at "/" and reserves its pathname without serving it; it reserves another
    # name, so "/overview", the name rotate= and links use, opens the overview too (a hidden twin).
    alias = st.Page(PAGES_DIR / f"{DEFAULT_PAGE}.py", title=frame.t(f"page.{DEFAULT_PAGE}"), url_path=DEFAULT_PAGE,
                    visibility="hidden")
    sections[frame.t(PAGES[0].section)].append(alias)
    return st.navigation(sections, position="hidden" if frame.kiosk else "top")


def admits(viewer: Viewer) -> bool:
    """Whether the admin page is there for ``viewer``: the leader and the operations centre (and, with sign-in
    off, everyone, where it says that sign-in is off)."""
    return viewer.may_admin


def _switch_lang() -> None:
    lang = st.session_state[LANG_SWITCH_KEY]
    if lang == i18n.DEFAULT_LANG:
        st.query_params.pop(LANG_KEY, None)  # the default stays out of the URL
    else:
        st.query_params[LANG_KEY] = lang


def _header(frame: Frame, *, county_switch: bool = False) -> None:
    with st.container(key=FRAME_KEY, horizontal=True, vertical_alignment="center"):
        st.caption(frame.t("app.title"), width="stretch")
        if county_switch:
            from ui import county  # imports ui.data: not before a page runs

            county.switch(frame)
        if frame.kiosk:
            return
        access.badge(frame)
        # Not bind="query-params": a bound widget puts its *formatted* label in the URL (?lang=English).
        # The switch follows the run's language, which may come from a shared link or the back button.
        st.session_state[LANG_SWITCH_KEY] = frame.lang
        st.segmented_control(
            frame.t("lang.label"),
            options=i18n.LANGS,
            format_func=lambda code: i18n.t(f"lang.{code}", code),
            required=True,
            key=LANG_SWITCH_KEY,
            on_change=_switch_lang,
            label_visibility="collapsed",
        )


@contextlib.contextmanager
def _around_page(frame: Frame) -> Iterator[None]:
    token = _current.set(frame)
    try:
        yield
    finally:
        _current.reset(token)


@contextlib.contextmanager
def _in_county_words() -> Iterator[None]:
    """Every text of the page in the county's own words (旗 / 县 / 市, its area layer, its plan...)."""
    from ui import data  # loads every lib module: not before a page runs (the first start's screen needs none)

    with i18n.speaking_for(data.county_settings().all_words()):
        yield


def route() -> None:
    """The body of app.py: set up the run, then run the page the URL asks for."""
    frame = _this_run()
    try:
        built = first_start.ensure_store(frame)  # before navigation: no menu to click while the store is built
    except db.UNREACHABLE:
        _navigation(frame)  # keeps the URL's page; nothing else to draw until the store answers
        outage.banner(frame)
        outage.retry_until_reachable()
        return
    viewer = access.current(frame)
    if viewer is None:  # nobody signed in: the form (or a refused wall's message), no menu to open anything
        _navigation(replace(frame, kiosk=True))
        _header(replace(frame, kiosk=frame.kiosk and bool(st.query_params.get(access.TOKEN_PARAM))))
        access.sign_in_page(frame)
        return
    frame = replace(frame, viewer=viewer)
    access.confine(viewer)
    page = _navigation(frame)
    st.set_page_config(page_title=f"{page.title} · {frame.t('app.short')}")
    _header(frame, county_switch=True)
    access.overlay(frame)
    if frame.kiosk:
        from ui import kiosk  # imports this module

        if frame.viewer.kiosk:
            kiosk.stay_on_playlist(page.url_path or DEFAULT_PAGE)
        kiosk.wall(page.url_path or DEFAULT_PAGE)
    # The wall's tick reruns the page; elsewhere the guard starts its own retry timer.
    with (_around_page(frame), outage.guard(frame, retry=not frame.kiosk), first_start.first_page(frame, built),
          _in_county_words()):
        page.run()
    if frame.kiosk:
        kiosk.shown()


def enter() -> Frame:
    """First statement of every page file: the frame of this run, after making sure app.py set it up."""
    frame = _current.get()
    if frame is None:
        # Run by Streamlit's legacy pages/ wrapper, not by app.py. Registering the real navigation ends
        # that mode for the whole process and resolves the deep-linked page; the rerun keeps the page
        # and the query string, and this time goes through app.py.
        _navigation(_this_run())
        st.rerun()
    return frame
