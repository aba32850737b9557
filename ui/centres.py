"""Drawing the information centres page: a panel per centre — build status, today's and the period's
figures, a 12-month trend — grouped by the stage of 000 主要目标 that is due to build it.

Figures are drawn as a small HTML grid, not ``st.metric``: ten narrow panels would cut metric labels
with an ellipsis. On a wall each stage is one section (ui.kiosk.sections), so a screen shows five panels.
"""

from __future__ import annotations

import datetime as dt
import html

import altair as alt
import pandas as pd
import streamlit as st

from lib import i18n
from lib.ops.centre_plans import Build
from lib.ops.centres import Centres, Figure, Panel
from ui import kiosk, palette
from ui.frame import Frame

PER_ROW = 5  # panels side by side: 000 主要目标 plans five centres per stage
TREND_HEIGHT = {False: 95, True: 190}  # px at 1080 lines: a wall shows one stage, with room for the trends
CSS = """<style>
.centre-status { font-size: .85rem; margin: -.4rem 0 .1rem 0; }
.centre-today { font-size: .8rem; opacity: .85; margin-bottom: .2rem; }
.centre-figs { display: grid; grid-template-columns: 1fr 1fr; gap: .15rem .6rem; }
.centre-figs .v { font-size: 1.35rem; font-weight: 600; line-height: 1.2; }
.centre-figs .l { font-size: .75rem; opacity: .8; line-height: 1.2; }
</style>"""
BUILD_HEX = {"live": palette.BETTER_HEX, "building": palette.STATUS_HEX["near"], "overdue": palette.WORSE_HEX,
             "unknown": palette.NEUTRAL_HEX}


def value_text(frame: Frame, f: Figure) -> str:
    """A figure in its unit; missing reads "—" (never 0)."""
    if f.value is None:
        return i18n.MISSING
    if f.unit == "minutes":
        return frame.t("centres.minutes", v=i18n.fmt_number(f.value, frame.lang, 1))
    if f.unit == "per_day":
        return i18n.fmt_number(f.value, frame.lang, 1)
    return i18n.fmt_value(f.value, f.unit, frame.lang)


def _help(frame: Frame, f: Figure) -> str:
    """Hover text: what an indicator divides, or how a mean was taken."""
    if f.unit == "minutes" and f.denominator:
        return frame.t("centres.mean.help", n=i18n.fmt_number(f.denominator, frame.lang))
    if f.indicator and f.denominator is not None:
        return frame.t("centres.kpi.help", num=i18n.fmt_number(f.numerator, frame.lang, 1),
                       den=i18n.fmt_number(f.denominator, frame.lang, 1))
    return ""


def build_state(b: Build | None, today: dt.date) -> str:
    if b is None:
        return "unknown"
    return "live" if b.live(today) else "overdue" if b.overdue(today) else "building"


def status_text(frame: Frame, b: Build | None, today: dt.date) -> str:
    """Live since when; or due by the end of which year and the days left on the county's clock."""
    state = build_state(b, today)
    if b is None:
        return frame.t("centres.status.unknown")
    if state == "live":
        return frame.t("centres.status.live", since=i18n.fmt_datetime(b.live_since, frame.lang), due=b.due)
    if state == "overdue":
        return frame.t("centres.status.overdue", due=b.due)
    return frame.t("centres.status.building", due=b.due, days=b.days_left(today))


def _figures_html(frame: Frame, figures: tuple[Figure, ...]) -> str:
    cells = "".join(f"<div title='{html.escape(_help(frame, f))}'><div class='v'>{html.escape(value_text(frame, f))}"
                    f"</div><div class='l'>{html.escape(frame.t(f'centres.fig.{f.key}'))}</div></div>"
                    for f in figures)
    return f"<div class='centre-figs'>{cells}</div>"


def _today_html(frame: Frame, figures: tuple[Figure, ...]) -> str:
    if not figures:
        return f"<div class='centre-today'>{html.escape(frame.t('centres.today.monthly'))}</div>"
    parts = " · ".join(f"{frame.t(f'centres.fig.{f.key}')} {value_text(frame, f)}" for f in figures)
    return f"<div class='centre-today'>{html.escape(frame.t('centres.today', figures=parts))}</div>"


def trend_chart(frame: Frame, p: Panel) -> alt.Chart | None:
    """The trend figure month by month; a month with nothing reported is a gap in the line, never 0."""
    if p.trend["value"].isna().all():
        return None
    fmt = ".1%" if p.trend_unit == "pct" else ",.1~f"  # enough digits that two ticks never read the same
    title = frame.t(f"centres.fig.{p.trend_key}")
    return alt.Chart(p.trend).mark_line(point=True).encode(
        x=alt.X("yearmonth(month):T", title=None, axis=alt.Axis(format="%m", labelAngle=0, tickCount=6)),
        y=alt.Y("value:Q", title=None, axis=alt.Axis(format=fmt, tickCount=3), scale=alt.Scale(zero=False)),
        tooltip=[alt.Tooltip("month:T", format="%Y-%m", title=frame.t("centres.month")),
                 alt.Tooltip("value:Q", format=fmt, title=title)],
    ).properties(height=kiosk.px(frame, TREND_HEIGHT[frame.kiosk]))


def area_chart(frame: Frame, areas: pd.DataFrame) -> alt.Chart | None:
    """Mean call→arrival minutes per area of the dispatching station (the pastoral north far longer)."""
    shown = areas.dropna(subset=["minutes"]).assign(name=lambda a: a[f"area_{frame.lang}"])
    if shown.empty:
        return None
    bars = alt.Chart(shown).mark_bar(color=palette.SCORE_HEX).encode(
        y=alt.Y("name:N", title=None, sort=list(shown["name"])),
        x=alt.X("minutes:Q", title=None, axis=None),
        tooltip=[alt.Tooltip("name:N", title=frame.t("filter.area")),
                 alt.Tooltip("minutes:Q", format=".1f", title=frame.t("centres.fig.ems_minutes")),
                 alt.Tooltip("calls:Q", format=",.0f", title=frame.t("centres.fig.ems_calls"))])
    text = bars.mark_text(align="left", dx=3, color="#e8eaf0", fontSize=kiosk.px(frame, 12)).encode(
        text=alt.Text("minutes:Q", format=".0f"))
    return (bars + text).properties(height=kiosk.px(frame, 26 * len(shown)))


def panel(frame: Frame, p: Panel, today: dt.date) -> None:
    state = build_state(p.build, today)
    with st.container(border=True, key=f"centre-{p.code}-{state}"):
        st.html(f"<b>{html.escape(frame.t(f'centres.name.{p.code}'))}</b>"
                f"<div class='centre-status' style='color:{BUILD_HEX[state]}'>"
                f"{html.escape(status_text(frame, p.build, today))}</div>" + _today_html(frame, p.today)
                + _figures_html(frame, p.period))
        if p.by_area is not None and (chart := area_chart(frame, p.by_area)) is not None:
            st.caption(frame.t("centres.by_area"))
            st.altair_chart(chart, width="stretch")
        st.caption(frame.t("centres.trend", figure=frame.t(f"centres.fig.{p.trend_key}")))
        chart = trend_chart(frame, p)
        if chart is None:
            st.caption(i18n.MISSING + " " + frame.t("centres.no_data"))
        else:
            st.altair_chart(chart, width="stretch")


def _groups(view: Centres) -> list[tuple[int | None, list[Panel]]]:
    """Panels by the year they are due (000 主要目标's two stages); without a plan, five at a time."""
    if view.plan is None:
        return [(None, list(view.panels[i:i + PER_ROW])) for i in range(0, len(view.panels), PER_ROW)]
    years = sorted({p.build.due for p in view.panels if p.build is not None})
    return [(y, [p for p in view.panels if p.build is not None and p.build.due == y]) for y in years]


def stage(frame: Frame, view: Centres, year: int | None, panels: list[Panel]) -> None:
    """The centres due by the end of ``year``, side by side."""
    if year is not None:
        live = sum(p.build is not None and p.build.live(view.today) for p in panels)
        st.markdown(f"**{frame.t('centres.stage', year=year, live=live, n=len(panels))}**")
    for start in range(0, len(panels), PER_ROW):  # equal widths, five to a row
        for column, p in zip(st.columns(PER_ROW), panels[start:start + PER_ROW], strict=False):
            with column:
                panel(frame, p, view.today)


def draw(frame: Frame, view: Centres) -> None:
    """The page's body: what the figures cover, then the stages (on a wall, one at a time)."""
    st.html(CSS)
    st.caption(frame.t("centres.note", period=view.period.label(), today=i18n.fmt_datetime(view.today, frame.lang)))
    if view.plan_problem:
        st.error(frame.t("centres.plan_problem", problem=view.plan_problem))
    elif view.plan is None:
        st.info(frame.t("centres.no_plan"))
    elif view.plan.illustrative:
        st.caption(frame.t("centres.illustrative", source=view.plan.source))
    kiosk.sections(frame, [lambda y=y, ps=ps: stage(frame, view, y, ps) for y, ps in _groups(view)])
