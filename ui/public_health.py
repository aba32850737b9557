"""Drawing the public health, TCM and elderly-care page: the engine's tiles per section (as the overview
draws them), TCM share per area and unit against 20%, elderly care per area with the 医康养 area first.
On a wall the three sections are shown in turn (ui.kiosk.sections)."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from lib import i18n
from lib.ops.public_health import ELDERLY, ELDERLY_COUNTS, PublicHealth
from ui import grid, kiosk, overview, palette
from ui.frame import Frame

TCM_TARGET = 0.20  # shown as the rule when the engine has no target for an area (000 §二(七)2)


def draw(frame: Frame, view: PublicHealth) -> None:
    """The page's body: management and contracts; TCM; elderly care."""
    kiosk.sections(frame, [lambda: management(frame, view), lambda: tcm(frame, view), lambda: elderly(frame, view)])


def management(frame: Frame, view: PublicHealth) -> None:
    st.subheader(frame.t("ph.management"))
    overview.tiles(frame, view.tiles["management"], "ph-management")
    st.caption(frame.t("ph.management.note"))


def _status_colour(frame: Frame) -> alt.Color:
    labels = {s: frame.t(f"status.{s or 'none'}") for s in palette.STATUS_HEX}
    return alt.Color("status_label:N", title=None, legend=None,  # the caption says what the colours mean
                     scale=alt.Scale(domain=list(labels.values()), range=list(palette.STATUS_HEX.values())))


def _share_bars(frame: Frame, rows: pd.DataFrame, height: int) -> alt.LayerChart:
    """TCM share per row (an area or a unit) coloured by status, the 20% target as a rule; ``height`` (at 1080
    lines) holds the axis and its title as well as the bars."""
    shown = rows.assign(label=rows[f"name_{frame.lang}"],
                        status_label=[frame.t(f"status.{s or 'none'}") for s in rows["status"]])
    target = rows["target"].dropna()
    rule = pd.DataFrame({"target": [float(target.iloc[0]) if len(target) else TCM_TARGET]})
    bars = alt.Chart(shown).mark_bar().encode(
        y=alt.Y("label:N", sort=list(shown["label"]), title=None,
                axis=alt.Axis(labelLimit=kiosk.px(frame, 220), labelOverlap=False)),  # every unit named
        x=alt.X("value:Q", title=None, axis=alt.Axis(format=".0%")),  # the headings name the share
        color=_status_colour(frame),
        tooltip=[alt.Tooltip("label:N", title=frame.t("ph.col.name")),
                 alt.Tooltip("value:Q", format=".1%", title=frame.t("kpi.value")),
                 alt.Tooltip("numerator:Q", title=frame.t("kpi.numerator")),
                 alt.Tooltip("denominator:Q", title=frame.t("kpi.denominator"))],
    )
    line = alt.Chart(rule).mark_rule(color="#e8eaf0", strokeDash=[6, 4], size=2).encode(x="target:Q")
    return (bars + line).properties(height=kiosk.px(frame, height))


def tcm(frame: Frame, view: PublicHealth) -> None:
    """TCM tiles; share by area and by unit (hospitals and township centres) against 20%."""
    t = frame.t
    st.subheader(t("ph.tcm"))
    overview.tiles(frame, view.tiles["tcm"], "ph-tcm")
    left, right = st.columns([2, 3])
    with left:
        st.markdown(f"**{t('ph.tcm.by_area')}**")
        if view.tcm_by_area["value"].notna().any():
            st.altair_chart(_share_bars(frame, view.tcm_by_area, 30 * len(view.tcm_by_area) + 50), width="stretch")
        else:
            st.caption(t("ph.no_data"))
    with right:
        st.markdown(f"**{t('ph.tcm.by_unit')}**")
        if view.tcm_by_unit["value"].notna().any():
            units = view.tcm_by_unit.sort_values("value", ascending=False, na_position="last")
            st.altair_chart(_share_bars(frame, units, 18 * len(units) + 50), width="stretch")
        else:
            st.caption(t("ph.no_data"))
    st.caption(t("ph.tcm.note"))


def elderly(frame: Frame, view: PublicHealth) -> None:
    """Elderly-care tiles for the scope; its residents aged 60+ and care beds beside every area's figures,
    the 医康养 area first and starred."""
    t = frame.t
    st.subheader(t("ph.elderly"))
    overview.tiles(frame, view.tiles["elderly"], "ph-elderly")
    counts, areas = st.columns([1, 5])
    with counts:
        for code in ELDERLY_COUNTS:
            v = view.elderly_counts.get(code)
            st.metric(t(f"kpi.short.{code}"), i18n.fmt_value(None if v is None else v.value, "count", frame.lang),
                      border=True)
    table = view.elderly_by_area
    names = zip(table["mission"], table[f"name_{frame.lang}"], strict=True)
    shown = pd.DataFrame({"area": [("★ " if mission else "") + name for mission, name in names]})
    config: dict[str, object] = {"area": t("filter.area")}
    for code in ELDERLY:
        unit = "count" if code in ELDERLY_COUNTS else "pct"
        shown[code] = [i18n.fmt_value(x, unit, frame.lang) for x in table[code]]
        config[code] = t(f"kpi.short.{code}")
    with areas:
        grid.dataframe(shown, hide_index=True, column_config=config, height=kiosk.px(frame, 50 + 36 * len(shown)))
    st.caption(t("ph.elderly.mission", area=view.mission_names[frame.lang]) if view.mission_area
               else t("ph.elderly.no_mission"))
