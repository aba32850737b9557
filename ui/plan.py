"""Drawing the plan page (lib.ops.plan.PlanView): milestones by status, a timeline of due dates with the
day looked at, and the task list with clause, owner, figure and evidence. On a wall, the timeline, then
the list a page at a time."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from lib import i18n
from lib.kiosk import pages
from lib.ops.plan import STATUSES, PlanView, Progress
from ui import grid, kiosk, ops, palette
from ui.frame import Frame

STATUS_HEX = {"done": palette.STATUS_HEX["met"], "on_course": palette.SCORE_HEX,
              "at_risk": palette.STATUS_HEX["near"], "late": palette.STATUS_HEX["missed"]}
WALL_ROWS = 10  # task-list rows per wall section


def draw(frame: Frame, view: PlanView) -> None:
    t = frame.t
    if view.problem:
        st.error(t("plan.invalid", problem=view.problem))
        return
    if view.plan is None:
        st.info(t("plan.none"))
        return
    parts = [lambda: timeline(frame, view)]
    if frame.kiosk:
        parts += [lambda part=part: tasks(frame, view.items[part]) for part in pages(len(view.items), WALL_ROWS)]
    else:
        parts.append(lambda: tasks(frame, view.items))
    kiosk.sections(frame, parts)


def timeline(frame: Frame, view: PlanView) -> None:
    """Counts by status, then each milestone from the plan's start to its due date, coloured by status."""
    t, lang = frame.t, frame.lang
    plan = view.plan
    st.markdown(f"**{plan.title_en if lang == 'en' else plan.title_zh}** · "
                + t("plan.as_of", day=i18n.fmt_datetime(view.day, lang)))
    with st.container(horizontal=True, key="plan-counts"):
        for status in STATUSES:
            st.metric(t(f"plan.status.{status}"), sum(p.status == status for p in view.items), border=True)
    if not view.items:
        st.info(t("plan.no_items"))
        return
    rows = pd.DataFrame([{"what": _label(frame, p), "start": pd.Timestamp(p.milestone.since or plan.start),
                          "due": pd.Timestamp(p.milestone.due), "status": t(f"plan.status.{p.status}"),
                          "clause": p.milestone.clause, "owner": _owner(frame, p)} for p in view.items])
    order = list(rows["what"])
    colours = alt.Scale(domain=[t(f"plan.status.{s}") for s in STATUSES], range=[STATUS_HEX[s] for s in STATUSES])
    base = alt.Chart(rows).encode(y=alt.Y("what:N", sort=order, title=None, axis=alt.Axis(labelLimit=420)))
    tooltip = [alt.Tooltip("what:N", title=t("plan.col.milestone")),
               alt.Tooltip("clause:N", title=t("plan.col.clause")),
               alt.Tooltip("owner:N", title=t("plan.col.owner")),
               alt.Tooltip("due:T", format="%Y-%m-%d", title=t("plan.col.due")),
               alt.Tooltip("status:N", title=t("plan.col.status"))]
    colour = alt.Color("status:N", scale=colours, legend=alt.Legend(orient="bottom", title=None))  # one legend
    bars = base.mark_bar(height={"band": 0.35}, opacity=0.45).encode(
        x=alt.X("start:T", title=None, axis=alt.Axis(format="%Y-%m")), x2="due:T", color=colour, tooltip=tooltip)
    ends = base.mark_point(filled=True, size=kiosk.px(frame, 120)).encode(x="due:T", color=colour, tooltip=tooltip)
    today = alt.Chart(pd.DataFrame({"day": [pd.Timestamp(view.day)]})).mark_rule(color="#e8eaf0",
                                                                                   strokeDash=[4, 3]).encode(x="day:T")
    height = kiosk.px(frame, max(200, min(620, 30 * len(rows))))
    st.altair_chart((bars + ends + today).properties(height=height), width="stretch")
    st.caption(t("plan.rule"))


def _label(frame: Frame, p: Progress) -> str:
    return p.milestone.name_en if frame.lang == "en" else p.milestone.name_zh


def _owner(frame: Frame, p: Progress) -> str:
    return p.milestone.owner_en if frame.lang == "en" else p.milestone.owner_zh


def _figure(frame: Frame, p: Progress) -> str:
    """A linked milestone's figure against its target ("—" when nothing is reported yet), else empty."""
    m = p.milestone
    if not (m.indicator or m.report):
        return ""
    unit = p.unit or "count"
    return frame.t("plan.figure", value=i18n.fmt_value(p.value, unit, frame.lang),
                   target=i18n.fmt_value(p.target, unit, frame.lang), period=p.period or i18n.MISSING)


def tasks(frame: Frame, items: list[Progress]) -> None:
    """The task list: milestone, clause, owner, due, status, figure, evidence."""
    t, lang = frame.t, frame.lang
    rows = pd.DataFrame([{
        "what": _label(frame, p), "clause": p.milestone.clause, "owner": _owner(frame, p),
        "due": i18n.fmt_datetime(p.milestone.due, lang), "status": t(f"plan.status.{p.status}"),
        "figure": _figure(frame, p),
        "evidence": p.milestone.evidence_en if lang == "en" else p.milestone.evidence_zh} for p in items])
    at_most = WALL_ROWS if frame.kiosk else 16
    grid.dataframe(rows, hide_index=True, height=ops.table_height(frame, len(rows), at_most),
                   column_config={k: t(f"plan.col.{k}") for k in rows.columns})
