"""Map: every member unit on the banner's own outline, coloured by an indicator's status; click one for its profile."""

import datetime as dt

import streamlit as st

from lib import filters
from lib.kpi import Scope
from ui import data, kiosk, maps, mapview
from ui import filters as filter_bar
from ui.frame import enter

LAYERS = ("areas", "facilities", "port", "dispatches")

frame = enter()  # first: makes sure app.py's frame surrounds this run (see ui/frame.py)
st.title(frame.t("page.map"))
chosen = filter_bar.bar(frame)
units = data.units()
in_scope = filters.facility_ids(chosen.scope(units), units)
catalogue = data.indicator_catalogue()
with st.container(horizontal=True, key="map-controls"):
    code = mapview.indicator_choice(frame, catalogue)
    shown = set(LAYERS) if frame.kiosk else set(
        st.pills(frame.t("map.layers"), LAYERS, selection_mode="multi", default=LAYERS, key="map-layers",
                 format_func=lambda layer: frame.t(f"map.layer.{layer}")))


@st.fragment(run_every=kiosk.refresh_seconds(frame))
def body() -> None:
    base = data.map_base()
    points = base["points"]
    if in_scope is not None:
        points = points[points["facility_id"].isin(in_scope)]
    volumes = data.facility_volumes(chosen.period)
    values = {v.scope.split(":", 1)[1]: v for v in data.kpi_values(
        [code], [Scope("facility", (c,)) for c in points["code"]], chosen.period, compare=False)}
    indicator = catalogue.loc[code]
    now = dt.datetime.now()
    layers = maps.county_layers(base["shapes"], frame.lang, shade="areas" in shown, labels="areas" in shown)
    if "facilities" in shown:
        layers.append(maps.facility_layer(maps.facility_records(points, volumes, values, indicator, frame.lang)))
    if "port" in shown:
        layers += maps.port_layers(points, frame.lang)
    if "dispatches" in shown:
        layers += maps.dispatch_layers(data.dispatches(now), base["points"], now, frame.lang)
    left, right = st.columns([3, 2]) if not frame.kiosk else (st.container(), None)
    with left:
        st.pydeck_chart(maps.deck(layers, mapview.view(base["shapes"])), key=mapview.MAP_KEY,
                        height=mapview.MAP_HEIGHT, alt=frame.t("map.alt"), on_select=mapview.picked,
                        selection_mode="single-object")
        mapview.legend(frame, base["shapes"], indicator)
    if right is not None:
        with right:
            mapview.facility(frame, points, chosen.period, indicator)
    mapview.status_table(frame, points, volumes, values, indicator)


body()
