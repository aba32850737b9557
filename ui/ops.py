"""What the operations pages (sinking, capacity, plan) draw alike: an indicator's figure as a metric with
its target and gaps, and a table's height that fits a wall."""

from __future__ import annotations

import streamlit as st

from lib import i18n
from lib.kpi.engine import KpiValue
from ui import palette
from ui.frame import Frame

ROW_PX, HEAD_PX = 35, 38  # st.dataframe's row and header heights on a desk
WALL_ROWS = 14  # table rows a 1080-line wall shows in a section beside a heading and a caption


def table_height(frame: Frame, rows: int, at_most: int) -> int | str:
    """A table's height: on a desk ``rows`` rows, at most ``at_most`` (then it scrolls); on a wall all its
    rows (the caller pages a long table into sections of WALL_ROWS, lib.kiosk.pages)."""
    if frame.kiosk:
        return "content"
    return HEAD_PX + ROW_PX * max(1, min(rows, at_most)) + 2


def metric(frame: Frame, v: KpiValue | None, code: str, names: dict[str, tuple[str, str]], *, key: str) -> None:
    """An indicator as a bordered metric: value, change on the previous period, target, what it leaves out
    (``names``: indicator and unit codes to their names)."""
    side = 1 if frame.lang == "en" else 0
    name = names[code][side]
    with st.container(border=True, key=key):
        if v is None:
            st.metric(name, i18n.MISSING)
            st.caption(frame.t("ops.not_applicable"))
            return
        change = None if v.value is None or v.previous is None else v.value - v.previous
        st.metric(name, i18n.fmt_value(v.value, v.unit, frame.lang) if v.value is not None else frame.t("ops.no_data"),
                  **palette.delta(v.direction, change, v.unit, frame.lang),
                  help=frame.t("ops.kpi.help", period=v.period, source=v.target_source or "—"))
        target = i18n.fmt_value(v.target, v.unit, frame.lang)
        if v.target_upper is not None:
            target += "–" + i18n.fmt_value(v.target_upper, v.unit, frame.lang)
        colour, status = palette.STATUS_HEX[v.status], frame.t(f"ops.status.{v.status or 'none'}")
        st.html(f"<div style='font-size:.85rem'>{frame.t('ops.target')} {target} · "
                f"<span style='color:{colour}'>{status}</span></div>")
        if v.missing_units:
            left_out = [names[c][side] if c in names else c for c in v.missing_units]
            st.caption(frame.t("kpi.missing_units", names=("、" if side == 0 else ", ").join(left_out)))
        if v.as_of is not None:
            st.caption(frame.t("kpi.as_of", month=i18n.fmt_month(v.as_of, frame.lang)))
