"""Drawing the capacity page (lib.ops.capacity.Capacity): the scope's indicators and the GP trend against
001's targets; EMR level per hospital and each THC's staffing and ambulances; training against the plan.
On a wall, three sections in turn."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from lib import i18n
from lib.kiosk import pages
from lib.ops.capacity import HEADLINE, Capacity
from ui import grid, kiosk, mapview, ops, palette
from ui.frame import Frame


def draw(frame: Frame, view: Capacity) -> None:
    """Indicators and the GP trend; EMR and THCs side by side with training below (on a wall: EMR with
    training, then the THCs a section per WALL_ROWS)."""
    if not frame.kiosk:
        parts = [lambda: overview(frame, view), lambda: side_by_side(frame, view), lambda: training(frame, view)]
    else:
        parts = [lambda: overview(frame, view), lambda: (emr(frame, view, st.container()), training(frame, view)),
                 *(lambda part=part: thcs(frame, view.thcs.iloc[part], st.container())
                   for part in pages(len(view.thcs), ops.WALL_ROWS))]
    kiosk.sections(frame, parts)


def _name(frame: Frame, rows: pd.DataFrame) -> pd.Series:
    return rows["name_en" if frame.lang == "en" else "name_zh"]


def _as_of(frame: Frame, value: object, month: object) -> str:
    """"not reported", "as of YYYY-MM" for a carried report, or nothing for this month's."""
    if value is None or pd.isna(value):
        return frame.t("ops.not_reported")
    return "" if month is None or pd.isna(month) else frame.t("ops.as_of", month=i18n.fmt_month(month, frame.lang))


def overview(frame: Frame, view: Capacity) -> None:
    """The five indicators, then GPs per 10,000 month by month against the period's and the 2030 target."""
    t = frame.t
    with st.container(horizontal=True, key="cap-headline"):
        for code in HEADLINE:
            ops.metric(frame, view.headline.get(code), code, view.names, key=f"cap-{code}")
    st.markdown(f"**{t('cap.gp_trend')}**")
    series = pd.DataFrame(view.gp_series, columns=["month", "value"]).dropna()
    if series.empty:
        st.info(t("ops.no_data"))
        return
    series["month"] = pd.to_datetime(series["month"])
    line = alt.Chart(series).mark_line(point=True, color="#e8eaf0").encode(
        x=mapview.MONTH_AXIS, y=alt.Y("value:Q", title=t("cap.gp_axis"), scale=alt.Scale(zero=True)),
        tooltip=[alt.Tooltip("month:T", format="%Y-%m", title=t("map.col.month")),
                 alt.Tooltip("value:Q", format=".2f", title=t("cap.gp_axis"))])
    goals = []
    gp = view.headline.get("gp_per_10k")
    if gp is not None and gp.target is not None:
        goals.append({"goal": gp.target, "label": t("cap.goal.now", target=f"{gp.target:g}")})
    if view.gp_goal is not None:
        goals.append({"goal": view.gp_goal[0], "label": t("cap.goal.later", target=f"{view.gp_goal[0]:g}",
                                                          year=view.gp_goal[1].year if view.gp_goal[1] else "")})
    layers = [line]
    if goals:
        rules = alt.Chart(pd.DataFrame(goals))
        layers += [rules.mark_rule(strokeDash=[6, 4], color=palette.STATUS_HEX["near"]).encode(y="goal:Q"),
                   rules.mark_text(align="left", dx=4, dy=-6, color=palette.STATUS_HEX["near"]).encode(
                       y="goal:Q", text="label:N", x=alt.value(0))]
    st.altair_chart(alt.layer(*layers).properties(height=kiosk.px(frame, 330)), width="stretch")
    st.caption(t("cap.gp_note"))


def side_by_side(frame: Frame, view: Capacity) -> None:
    left, right = st.columns([2, 3])
    emr(frame, view, left)
    thcs(frame, view.thcs, right)


def emr(frame: Frame, view: Capacity, where: DeltaGenerator) -> None:
    """EMR level per hospital against its tier's target."""
    t = frame.t
    with where:
        st.markdown(f"**{t('cap.emr')}**")
        e = view.emr
        if e.empty:
            st.info(t("cap.no_hospitals"))
            return
        table = pd.DataFrame({"unit": _name(frame, e), "level": e["level"], "target": e["target"],
                              "status": [t(f"ops.status.{s}") if isinstance(s, str) else i18n.MISSING
                                         for s in e["status"]],
                              "note": [_as_of(frame, v, m) for v, m in zip(e["level"], e["as_of"], strict=True)]})
        grid.dataframe(table, hide_index=True, height=ops.table_height(frame, len(table), 8), column_config={
            "unit": t("cap.col.hospital"), "level": st.column_config.NumberColumn(t("cap.col.level"), format="%d"),
            "target": st.column_config.NumberColumn(t("cap.col.target"), format="%d"),
            "status": t("cap.col.status"), "note": t("cap.col.note")})
        st.caption(t("cap.emr_note"))


def thcs(frame: Frame, h: pd.DataFrame, where: DeltaGenerator) -> None:
    """Each THC's staffing (002 §二(二)1) and ambulances reported."""
    t = frame.t
    with where:
        st.markdown(f"**{t('cap.thcs')}**")
        if h.empty:
            st.info(t("cap.no_thcs"))
            return
        staffed = [i18n.MISSING if pd.isna(s) else t("sink.yes") if s else t("sink.no") for s in h["staffed"]]
        table = pd.DataFrame({"unit": _name(frame, h), "staffed": staffed, "ambulances": h["ambulances"],
                              "note": [_as_of(frame, v, m) for v, m in zip(h["ambulances"], h["as_of"], strict=True)]})
        grid.dataframe(table, hide_index=True, height=ops.table_height(frame, len(table), 16), column_config={
            "unit": t("cap.col.thc"), "staffed": t("cap.col.staffed"),
            "ambulances": st.column_config.NumberColumn(t("cap.col.ambulances"), format="%d"),
            "note": t("cap.col.note")})
        st.caption(t("cap.thc_note"))


def training(frame: Frame, view: Capacity) -> None:
    """Counted training milestones of the plan: reported so far against the target, with status."""
    t = frame.t
    st.markdown(f"**{t('cap.training')}**")
    if not view.training:
        st.info(t("cap.no_training"))
        return
    lang = frame.lang
    rows = pd.DataFrame([{
        "what": p.milestone.name_en if lang == "en" else p.milestone.name_zh, "clause": p.milestone.clause,
        "done": p.value, "target": p.target, "share": None if p.value is None or not p.target else
        min(p.value / p.target, 1.0) * 100, "period": p.period or i18n.MISSING,
        "due": i18n.fmt_datetime(p.milestone.due, lang), "status": t(f"plan.status.{p.status}"),
    } for p in view.training])
    grid.dataframe(rows, hide_index=True, height=ops.table_height(frame, len(rows), 10), column_config={
        "what": t("plan.col.milestone"), "clause": t("plan.col.clause"),
        "done": st.column_config.NumberColumn(t("cap.col.done"), format="%.0f"),
        "target": st.column_config.NumberColumn(t("cap.col.target"), format="%.0f"),
        "share": st.column_config.ProgressColumn(t("cap.col.share"), format="%.0f%%", min_value=0, max_value=100),
        "period": t("cap.col.period"), "due": t("plan.col.due"), "status": t("plan.col.status")})
    st.caption(t("cap.training_note"))
