"""Drawing the region page: counties side by side on the headline indicators, each against its own targets,
and a map of the counties' outlines coloured by their status on one indicator.

The indicator that colours the map is in the URL (``?indicator=``), like the map page's, so a region wall's
playlist entry opens the same view. Each county's row links to its own overview (``?county=``).
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import pydeck as pdk
import streamlit as st

from lib import i18n
from lib.kpi.engine import KpiValue
from lib.kpi.region import Region
from lib.store import counties
from ui import grid, kiosk, maps, overview, palette
from ui.filters import url_param
from ui.frame import Frame

INDICATOR_PARAM, INDICATOR_KEY = "indicator", "region-indicator"
MAP_KEY = "region-map"
MAP_HEIGHT = 520


def indicator_choice(frame: Frame, region: Region) -> str:
    """The headline indicator that colours the map (the first by default)."""
    options = list(region.codes)
    current = st.query_params.get(INDICATOR_PARAM)
    current = current if current in options else options[0]
    if frame.kiosk:
        return current
    st.session_state[INDICATOR_KEY] = current
    st.selectbox(frame.t("map.indicator"), options, key=INDICATOR_KEY, width=420,
                 format_func=lambda c: _name(frame, region, c), on_change=url_param(INDICATOR_PARAM, INDICATOR_KEY,
                                                                                   options[0]))
    return current


def _name(frame: Frame, region: Region, code: str) -> str:
    return region.names[code][1 if frame.lang == "en" else 0]


def cell(frame: Frame, v: KpiValue | None) -> str:
    """A county's value with its own target: "62.1%（≥65%，未达标）"; missing reads "—", never 0."""
    if v is None:
        return i18n.MISSING
    return f"{i18n.fmt_value(v.value, v.unit, frame.lang)} · {overview.target_text(frame, v)}"


def table(frame: Frame, region: Region) -> pd.DataFrame:
    """One row per county: a link to its overview (none to a county outside a confined viewer's: it would
    open the viewer's own), then each headline indicator."""
    rows = []
    for c in region.counties:
        link = f"./?{counties.PARAM}={c.county.code}" + ("&lang=en" if frame.lang == "en" else "")
        row: dict[str, Any] = {frame.t("region.county"): c.county.name(frame.lang),
                               frame.t("region.open"): link if frame.viewer.sees_county(c.county.code) else None}
        row.update({_name(frame, region, code): cell(frame, c.values.get(code)) for code in region.codes})
        rows.append(row)
    return pd.DataFrame(rows)


def _status_colours(frame: Frame, region: Region) -> pd.DataFrame:
    """The table's cell colours: each county's status on each indicator (grey: no status)."""
    out = []
    for c in region.counties:
        row = {frame.t("region.county"): "", frame.t("region.open"): ""}
        for code in region.codes:
            status = getattr(c.values.get(code), "status", None)
            row[_name(frame, region, code)] = f"color: {palette.STATUS_HEX[status]}"
        out.append(row)
    return pd.DataFrame(out)


def map_layers(frame: Frame, region: Region, code: str) -> list[pdk.Layer]:
    """Each county's outline filled with its status on ``code``, its name and value as a label."""
    statuses = region.statuses(code)
    features, labels = [], []
    for c in region.counties:
        if c.outline is None:
            continue
        v = c.values.get(code)
        tip = f"{c.county.name(frame.lang)}\n{_name(frame, region, code)}: {cell(frame, v)}"
        features.append({"type": "Feature", "geometry": c.outline,
                         "properties": {"fill": [*palette.STATUS_RGB[statuses[c.county.code]], 150], "tip": tip}})
        if c.label_at is not None:
            value = i18n.MISSING if v is None else i18n.fmt_value(v.value, v.unit, frame.lang)
            labels.append({"p": list(c.label_at), "t": f"{c.county.name(frame.lang)}\n{value}"})
    return [
        pdk.Layer("GeoJsonLayer", {"type": "FeatureCollection", "features": features}, id="counties", filled=True,
                  stroked=True, get_fill_color="properties.fill", get_line_color=[220, 225, 235],
                  line_width_min_pixels=2, pickable=True),
        maps.text_layer("county-labels", labels, size=18, colour=[245, 247, 250, 230]),
    ]


def draw(frame: Frame, region: Region) -> None:
    if len(region.counties) < 2:
        st.info(frame.t("region.one_county"))
    code = indicator_choice(frame, region)
    if region.bbox is not None:
        width = kiosk.px(frame, 1100)
        height = kiosk.px(frame, MAP_HEIGHT)
        st.pydeck_chart(maps.deck(map_layers(frame, region, code), maps.fit(region.bbox, width=width, height=height),
                                  scale=kiosk.scale(frame)), key=MAP_KEY, height=height)
    st.caption(frame.t("region.legend"))
    shown = table(frame, region)
    grid.dataframe(shown.style.apply(lambda _: _status_colours(frame, region), axis=None), hide_index=True,
                 column_config={frame.t("region.open"): st.column_config.LinkColumn(
                     display_text=frame.t("region.open_text"))})
