"""Meeting mode: the month's assessment as full-screen slides, large type, stepped forward and back.

Slide 0 states the month in plain sentences (lib.scoring.narrative); then the peer groups, a group
longer than ``ROWS_PER_SLIDE`` paged across slides ("村卫生室排名 (2/4)"). The ← and → keys, a
clicker's PageUp and PageDown, or the buttons step back and forward. Type is sized by the screen's
height (vh), so a slide laid out for 1920×1080 fits a 1280×720 projector the same way.
The meeting sees the published version; the live draft is a separate view, labelled DRAFT on every
slide. "Full screen" (``?present=1``) hides the app's header and menu and widens the slide; with the
browser's own full screen (F11) nothing but the slide is left. The URL holds the state
(``?period=YYYY-MM&slide=N&view=draft&present=1``), so a link reopens a slide.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import streamlit as st

from lib import i18n
from lib.kiosk import pages
from lib.kpi.period import add_months, first_of_month
from lib.scoring import narrative, snapshot, tables
from lib.scoring.score import MonthScores, Scores
from ui import rankings
from ui.frame import Frame

SLIDE_PARAM, VIEW_PARAM, PRESENT_PARAM = "slide", "view", "present"
SLIDE_KEY = "meeting-slide"
# Type sized for a projector at the back of the room, by the screen's height: the same slide fits
# 720 and 1080 lines. ROWS_PER_SLIDE rows of 5.2vh leave room for the title, banner and controls.
ROWS_PER_SLIDE = 12
CSS = """
<style>
h1 { font-size: 1.1rem !important; opacity: 0.7; padding: 0 !important; }
.st-key-meeting-slide h2 { font-size: clamp(1.4rem, 4.2vh, 4rem) !important; padding: 0.2rem 0 0.6rem 0 !important; }
.st-key-meeting-slide li, .st-key-meeting-slide p { font-size: clamp(1rem, 2.9vh, 2.8rem) !important;
    line-height: 1.4; }
.st-key-meeting-slide table { font-size: clamp(0.9rem, 2.3vh, 2.2rem) !important; }
.st-key-meeting-slide th { font-size: clamp(0.8rem, 1.8vh, 1.7rem) !important; }
.st-key-meeting-slide td, .st-key-meeting-slide th { white-space: nowrap !important;
    padding: 0.5vh 0.6rem !important; line-height: 1.3 !important; }
.st-key-meeting-banner p { font-size: clamp(0.9rem, 2vh, 2rem) !important; font-weight: 600; }
.st-key-meeting-keys { display: none !important; }
</style>
"""
# Full screen: no Streamlit header or navigation, no frame bar, the whole width for the slide.
FULL_SCREEN_CSS = """
<style>
[data-testid="stHeader"], [data-testid="stToolbar"], [data-testid="stDecoration"],
.st-key-cockpit-frame { display: none !important; }
[data-testid="stMainBlockContainer"] { padding: 0.8rem 2rem 1rem 2rem !important; max-width: 100% !important; }
</style>
"""
SLIDE_COLUMNS = ("rank", "interval", "change", "unit", "total", "satisfaction", "health", "quality", "capacity",
                 "efficiency", "report", "flags")


@dataclass(frozen=True)
class Slide:
    """The opening (``group`` None) or one page of a peer group's league."""

    group: str | None = None
    rows: slice | None = None  # the group's rows on this slide (lib.kiosk.pages)
    page: int = 0
    pages: int = 1


def slides(scores: Scores) -> list[Slide]:
    """The opening, then each group's league in balanced pages of at most ROWS_PER_SLIDE rows."""
    out = [Slide()]
    for group in scores.groups:
        parts = pages(len(scores.group(group)), ROWS_PER_SLIDE)
        out += [Slide(group, rows, i, len(parts)) for i, rows in enumerate(parts)]
    return out


def _go(slide: int) -> None:
    st.query_params[SLIDE_PARAM] = str(slide)


def _present(on: bool) -> None:
    if on:
        st.query_params[PRESENT_PARAM] = "1"
    else:
        st.query_params.pop(PRESENT_PARAM, None)


def _clicker_keys(slide: int, count: int) -> None:
    """A presentation clicker sends PageUp / PageDown: hidden twins of the ← and → buttons take them."""
    with st.container(key="meeting-keys"):
        st.button("PageUp", key="meeting-page-up", disabled=slide == 0, on_click=_go, args=(slide - 1,),
                  shortcut="PageUp")
        st.button("PageDown", key="meeting-page-down", disabled=slide >= count - 1, on_click=_go,
                  args=(slide + 1,), shortcut="PageDown")


def _controls(frame: Frame, slide: int, count: int, month: dt.date, today: dt.date, present: bool) -> None:
    _clicker_keys(slide, count)
    with st.container(horizontal=True, vertical_alignment="center", key="meeting-controls"):
        st.button(frame.t("meeting.prev"), key="meeting-prev", disabled=slide == 0, on_click=_go, args=(slide - 1,),
                  shortcut="Left")
        st.markdown(f"**{frame.t('meeting.slide', i=slide + 1, n=count)}**")
        st.button(frame.t("meeting.next"), key="meeting-next", disabled=slide >= count - 1, on_click=_go,
                  args=(slide + 1,), type="primary", shortcut="Right")
        months = [add_months(first_of_month(today), -i) for i in range(1, 37)]
        if month not in months:
            months.insert(0, month)
        st.selectbox(frame.t("meeting.month"), months, index=months.index(month), key="meeting-month",
                     format_func=lambda m: i18n.fmt_month(m, frame.lang), label_visibility="collapsed",
                     on_change=_set_month, width=160)
        st.button(frame.t("meeting.window" if present else "meeting.full_screen"), key="meeting-present",
                  on_click=_present, args=(not present,),
                  icon=":material/fullscreen_exit:" if present else ":material/fullscreen:")
        st.page_link("pages/rankings.py", label=frame.t("meeting.exit"), icon=":material/logout:",
                     query_params={"period": f"{month:%Y-%m}", **({"lang": frame.lang} if frame.lang != "zh" else {})})


def _set_month() -> None:
    st.query_params["period"] = f"{st.session_state['meeting-month']:%Y-%m}"
    st.query_params[SLIDE_PARAM] = "0"


def _views_of(published: Scores | None, draft: Scores) -> Scores:
    """The published version unless ?view=draft (or nothing is published)."""
    return draft if published is None or st.query_params.get(VIEW_PARAM) == "draft" else published


def _views(frame: Frame, published: Scores | None, draft: Scores) -> None:
    """The switch between the published version and the live draft; the draft is always labelled as such."""
    if published is None:
        return
    views = {"published": frame.t("rankings.view.published"), "draft": frame.t("rankings.view.draft")}
    current = "draft" if st.query_params.get(VIEW_PARAM) == "draft" else "published"

    def switch() -> None:
        if st.session_state["meeting-view"] == "draft":
            st.query_params[VIEW_PARAM] = "draft"
        else:
            st.query_params.pop(VIEW_PARAM, None)

    st.session_state["meeting-view"] = current
    st.segmented_control(frame.t("rankings.view"), list(views), format_func=views.__getitem__, required=True,
                         key="meeting-view", on_change=switch, label_visibility="collapsed")


def _banner(frame: Frame, scores: Scores) -> None:
    with st.container(key="meeting-banner"):
        p = scores.published
        if p is None:
            st.error(frame.t("meeting.draft_banner"), icon=":material/edit_note:")
        else:
            st.success(frame.t("meeting.published_banner", v=p.version, by=p.published_by,
                               at=i18n.fmt_datetime(p.published_at, frame.lang)), icon=":material/task_alt:")
        st.caption(tables.status(scores, frame.lang))


def _opening(frame: Frame, scores: Scores, published: Scores | None, draft: Scores) -> None:
    st.header(frame.t("meeting.opening", county=scores.county(frame.lang),
                      month=i18n.fmt_month(scores.month, frame.lang)))
    st.markdown("\n".join(f"- {line}" for line in narrative.opening(scores, frame.lang)))
    if published is not None and scores is published:
        moved = snapshot.diff(published, draft)
        if not moved.empty:
            st.caption(frame.t("meeting.draft_note", n=len(moved)))


def _group(frame: Frame, scores: Scores, slide: Slide) -> None:
    group = slide.group
    title = frame.t("meeting.group", group=frame.t(f"peer.{group}"), month=i18n.fmt_month(scores.month, frame.lang))
    if slide.pages > 1:
        title += frame.t("part.of", i=slide.page + 1, n=slide.pages)
    st.header(title)
    table = tables.league(scores, group, frame.lang)[list(SLIDE_COLUMNS)].iloc[slide.rows]
    names = tables.headers(frame.lang)
    shown = table.assign(rank=table["rank"].astype(object).where(table["rank"].notna(), "—"),
                         **{c: [i18n.fmt_number(v, frame.lang, tables.DIGITS) for v in table[c]]
                            for c in SLIDE_COLUMNS[4:10]})
    st.table(shown.rename(columns=names).set_index(names["rank"]))


def draw(frame: Frame, view: MonthScores, today: dt.date) -> None:
    """The meeting: the month's assessment as slides, or why there is none to present."""
    present = st.query_params.get(PRESENT_PARAM) == "1"
    st.html(CSS + (FULL_SCREEN_CSS if present else ""))
    st.title(frame.t("page.meeting"))
    month = view.month
    if month >= first_of_month(today):  # a month still running is never presented as an assessment
        _controls(frame, 0, 1, month, today, present)
        st.warning(frame.t("meeting.not_over", month=i18n.fmt_month(month, frame.lang)))
        return
    draft = view.draft
    if draft is None:
        st.error(view.problem)
        return
    if not draft.has_data:
        _controls(frame, 0, 1, month, today, present)
        st.warning(frame.t("score.no_data", month=i18n.fmt_month(month, frame.lang)))
        return
    published = view.published
    scores = _views_of(published, draft)
    deck = slides(scores)
    try:
        slide = min(max(int(st.query_params.get(SLIDE_PARAM, 0)), 0), len(deck) - 1)
    except ValueError:
        slide = 0
    _controls(frame, slide, len(deck), month, today, present)
    _views(frame, published, draft)
    _banner(frame, scores)
    with st.container(key=SLIDE_KEY):
        if scores.units.empty:
            st.info(frame.t("meeting.no_scores"))
        elif deck[slide].group is None:
            _opening(frame, scores, published, draft)
        else:
            _group(frame, scores, deck[slide])
    rankings.downloads(frame, scores, "meeting")

