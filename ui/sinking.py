"""Drawing the resources-sent-down page (lib.ops.sinking.Sinking): the scope's indicators and each sending
hospital; the doctors furthest behind; what each host unit received; the monthly roster against what was
served. On a wall, four sections in turn."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from lib import i18n
from lib.kiosk import pages
from lib.ops.sinking import HEADLINE, Sinking
from ui import grid, kiosk, ops, palette
from ui.frame import Frame


def draw(frame: Frame, view: Sinking) -> None:
    """Indicators and hospitals; doctors; hosts (on a wall a section per WALL_ROWS of them); the roster."""
    host_parts = pages(len(view.hosts), ops.WALL_ROWS - 2) if frame.kiosk else [slice(None)]
    kiosk.sections(frame, [lambda: overview(frame, view), lambda: doctors(frame, view),
                           *(lambda part=part: hosts(frame, view.hosts.iloc[part]) for part in host_parts),
                           lambda: roster(frame, view)])


def _name(frame: Frame, rows: pd.DataFrame) -> pd.Series:
    return rows["name_en" if frame.lang == "en" else "name_zh"]


def overview(frame: Frame, view: Sinking) -> None:
    """The four indicators for the scope, then each sending hospital: eligible, on track, behind."""
    t = frame.t
    with st.container(horizontal=True, key="sink-headline"):
        for code in HEADLINE:
            ops.metric(frame, view.headline.get(code), code, view.names, key=f"sink-{code}")
    st.caption(t("sink.owed", day=i18n.fmt_datetime(view.as_of, frame.lang), owed=f"{view.owed:.1f}"))
    st.markdown(f"**{t('sink.hospitals')}**")
    h = view.hospitals
    if h.empty:
        st.info(t("sink.no_hospitals"))
        return
    table = pd.DataFrame({"unit": _name(frame, h), "eligible": h["eligible"], "on_track": h["on_track"],
                          "behind": h["behind"], "short": h["short"], "compliance": h["compliance"] * 100})
    grid.dataframe(table, hide_index=True, height=ops.table_height(frame, len(table), 6), column_config={
        "unit": t("sink.col.hospital"), "eligible": st.column_config.NumberColumn(t("sink.col.eligible"), format="%d"),
        "on_track": st.column_config.NumberColumn(t("sink.col.on_track"), format="%d"),
        "behind": st.column_config.NumberColumn(t("sink.col.behind"), format="%d"),
        "short": st.column_config.NumberColumn(t("sink.col.short_total"), format="%.0f"),
        "compliance": st.column_config.ProgressColumn(t("sink.col.compliance"), format="%.1f%%", min_value=0,
                                                      max_value=100)})


def doctors(frame: Frame, view: Sinking) -> None:
    """Each eligible doctor (staff key only) with days served against days owed, furthest behind first."""
    t = frame.t
    d = view.doctors
    behind = int((~d["on_track"]).sum()) if len(d) else 0
    st.markdown(f"**{t('sink.doctors', n=len(d), behind=behind)}**")
    if d.empty:
        st.info(t("sink.no_doctors"))
        return
    shown = d.head(ops.WALL_ROWS) if frame.kiosk else d  # a wall: the furthest behind
    table = pd.DataFrame({"staff": shown["staff_key"].str[:10], "unit": _name(frame, shown), "days": shown["days"],
                          "owed": shown["owed"], "short": shown["short"],
                          "state": [t("sink.on_track") if ok else t("sink.behind") for ok in shown["on_track"]]})
    grid.dataframe(table, hide_index=True, height=ops.table_height(frame, len(table), 14), column_config={
        "staff": t("sink.col.staff"), "unit": t("sink.col.hospital"),
        "days": st.column_config.NumberColumn(t("sink.col.days"), format="%.0f"),
        "owed": st.column_config.NumberColumn(t("sink.col.owed"), format="%.1f"),
        "short": st.column_config.NumberColumn(t("sink.col.short"), format="%.1f"), "state": t("sink.col.state")})
    st.caption(t("sink.doctors.note"))


def hosts(frame: Frame, h: pd.DataFrame) -> None:
    """Days each host unit received (engine) against its target, stationed physicians, attending coverage."""
    t = frame.t
    st.markdown(f"**{t('sink.hosts')}**")
    if h.empty:
        st.info(t("sink.no_hosts"))
        return
    covered = [i18n.MISSING if pd.isna(c) else t("sink.yes") if c else t("sink.no") for c in h["covered"]]
    table = pd.DataFrame({"unit": _name(frame, h), "days": h["days"], "target": h["days_target"],
                          "stationed": h["stationed"], "covered": covered})
    left, right = st.columns([3, 2])
    with left:
        grid.dataframe(table, hide_index=True, height=ops.table_height(frame, len(table), 16), column_config={
            "unit": t("sink.col.host"), "days": st.column_config.NumberColumn(t("sink.col.received"), format="%.0f"),
            "target": st.column_config.NumberColumn(t("sink.col.target"), format="%.0f"),
            "stationed": st.column_config.NumberColumn(t("sink.col.stationed"), format="%d"),
            "covered": t("sink.col.covered")})
    with right:
        chart = alt.Chart(table.assign(met=table["days"] >= table["target"].fillna(0))).mark_bar().encode(
            y=alt.Y("unit:N", sort="-x", title=None, axis=alt.Axis(labelLimit=200)),
            x=alt.X("days:Q", title=t("sink.col.received")),
            color=alt.Color("met:N", scale=alt.Scale(domain=[True, False], range=[palette.STATUS_HEX["met"],
                                                                                 palette.STATUS_HEX["missed"]]),
                            legend=None),
            tooltip=[alt.Tooltip("unit:N", title=t("sink.col.host")),
                     alt.Tooltip("days:Q", title=t("sink.col.received")),
                     alt.Tooltip("target:Q", title=t("sink.col.target"))])
        st.altair_chart(chart.properties(height=kiosk.px(frame, min(520, 40 + 32 * len(table)))), width="stretch")
    st.caption(t("sink.hosts.note"))


def roster(frame: Frame, view: Sinking) -> None:
    """The monthly roster (排班): days planned against days served, month by month, for the scope's hospitals."""
    t = frame.t
    r = view.roster
    st.markdown(f"**{t('sink.roster')}**")
    if r.empty:
        st.info(t("sink.no_roster"))
        return
    per_month = r.groupby("month").agg(planned=("planned", lambda s: s.sum(min_count=1)),
                                       executed=("executed", "sum"), rostered=("rostered", "sum")).reset_index()
    long = per_month.melt(id_vars="month", value_vars=["planned", "executed"], var_name="what", value_name="days")
    long["what"] = [t(f"sink.roster.{w}") for w in long["what"]]
    long["month"] = pd.to_datetime(long["month"])
    chart = alt.Chart(long.dropna(subset=["days"])).mark_bar().encode(
        x=alt.X("yearmonth(month):O", title=None, axis=alt.Axis(format="%Y-%m", labelAngle=-45)),
        xOffset="what:N", y=alt.Y("days:Q", title=t("sink.roster.axis")),
        color=alt.Color("what:N", title=None, legend=alt.Legend(orient="bottom"),
                        scale=alt.Scale(domain=[t("sink.roster.planned"), t("sink.roster.executed")],
                                        range=[palette.SCORE_HEX, palette.STATUS_HEX["met"]])),
        tooltip=[alt.Tooltip("month:T", format="%Y-%m", title=t("map.col.month")),
                 alt.Tooltip("what:N", title=" "), alt.Tooltip("days:Q", title=t("sink.roster.axis"))])
    st.altair_chart(chart.properties(height=kiosk.px(frame, 420)), width="stretch")
    unreported = per_month.loc[per_month["planned"].isna(), "month"]
    if len(unreported):
        st.caption(t("sink.roster.unreported", months=", ".join(i18n.fmt_month(m, frame.lang) for m in unreported)))
    last = per_month.iloc[-1]
    st.caption(t("sink.roster.note", month=i18n.fmt_month(last["month"], frame.lang),
                 planned=i18n.fmt_number(last["planned"], frame.lang),
                 executed=i18n.fmt_number(last["executed"], frame.lang),
                 rostered=i18n.fmt_number(last["rostered"], frame.lang)))
