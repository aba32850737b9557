"""The body of a page that is not built yet: its title, what it will show, and one real read."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from ui import grid
from ui.frame import Frame


def draw(frame: Frame, name: str, counts: pd.DataFrame) -> None:
    """Draw page ``name``'s title and description, then the facility counts as proof of a live store."""
    st.title(frame.t(f"page.{name}"))
    st.markdown(frame.t(f"page.{name}.desc"))
    st.caption(frame.t("placeholder.coming"))
    if counts.empty:
        st.info(frame.t("facilities.empty"))
        return
    st.subheader(frame.t("facilities.heading"))
    grid.dataframe(
        counts,
        hide_index=True,
        column_config={
            "tier": frame.t("facilities.tier"),
            "area": frame.t("facilities.area"),
            "facilities": st.column_config.NumberColumn(frame.t("facilities.count"), format="%d"),
        },
    )
    st.caption(frame.t("facilities.total", n=int(counts["facilities"].sum())))
