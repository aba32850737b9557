"""The referral page's controls and figures: flow filters, headline indicators, the arc map, the
origin × destination table, out-of-county leakage by disease and the out-of-county rate per area.

Direction and disease group live in the URL (``?dir=up,out&disease=cancer``) beside the shared
filters. They narrow the arcs and the table only; the headline indicators are the KPI engine's for
the filtered scope and period, so with every direction and disease shown the arcs add up to them.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence

import altair as alt
import pandas as pd
import streamlit as st

from lib import i18n
from lib.maps import flows
from lib.maps.disease import CODES
from lib.maps.disease import name as disease_name
from lib.maps.flows import Referrals
from ui import grid, kiosk, maps, mapview, palette
from ui.filters import url_param
from ui.frame import Frame

DIRECTION_PARAM, DISEASE_PARAM = "dir", "disease"
DIRECTION_KEY, DISEASE_KEY = "ref-directions", "ref-disease"
MAP_KEY = "referral-map"
WATCHED_RGB, OTHER_RGB = "#ff8040", "#6b7385"


def _hex(rgb: Sequence[int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb[:3])


def flow_filters(frame: Frame, watched: Collection[str]) -> tuple[tuple[str, ...], str | None]:
    """Directions and disease group from the URL, with their widgets unless on a wall screen; the groups
    the county's plan watches (``watched``) marked ★."""
    asked = [d for d in (st.query_params.get(DIRECTION_PARAM) or "").split(",") if d in flows.DIRECTIONS]
    directions = tuple(asked) or flows.DIRECTIONS
    disease = st.query_params.get(DISEASE_PARAM)
    disease = disease if disease in CODES else None
    if frame.kiosk:
        return directions, disease

    def set_directions() -> None:
        chosen = [d for d in flows.DIRECTIONS if d in (st.session_state[DIRECTION_KEY] or [])]
        if chosen and len(chosen) < len(flows.DIRECTIONS):
            st.query_params[DIRECTION_PARAM] = ",".join(chosen)
        else:
            st.query_params.pop(DIRECTION_PARAM, None)

    with st.container(horizontal=True, key="ref-filters"):
        st.session_state[DIRECTION_KEY] = list(directions)
        st.pills(frame.t("ref.direction"), flows.DIRECTIONS, selection_mode="multi", key=DIRECTION_KEY,
                 format_func=lambda d: frame.t(f"map.dir.{d}"), on_change=set_directions)
        st.session_state[DISEASE_KEY] = disease
        st.selectbox(frame.t("ref.disease"), CODES, key=DISEASE_KEY, placeholder=frame.t("filter.all"), width=320,
                     format_func=_disease_label(frame, watched),
                     on_change=url_param(DISEASE_PARAM, DISEASE_KEY, None))
    return directions, disease


def _disease_label(frame: Frame, watched: Collection[str]) -> Callable[[str], str]:
    return lambda code: disease_name(code, frame.lang) + (" ★" if code in watched else "")


def draw(frame: Frame, view: Referrals) -> None:
    """The referrals page's body: headline and flow map; origin × destination table and leakage; area
    trend (on a wall, three sections shown in turn)."""

    def arcs() -> None:
        headline(frame, view)
        flow_map(frame, view)

    def where_to() -> None:
        left, right = st.columns([3, 2])
        with left:
            od_table(frame, view)
        with right:
            leakage(frame, view.leakage)

    kiosk.sections(frame, [arcs, where_to, lambda: area_trend(frame, view)])


def headline(frame: Frame, view: Referrals) -> None:
    """The KPI engine's referral indicators for the scope, and out-of-county referrals from the arcs."""
    t, lang, catalogue, flow = frame.t, frame.lang, view.catalogue, view.flow
    with st.container(horizontal=True, key="ref-headline"):
        for code in flows.HEADLINE:
            v = view.headline.get(code)
            if v is None:
                continue
            change = None if v.previous is None or v.value is None else v.value - v.previous
            label = catalogue.at[code, f"name_{lang}"]
            st.metric(label, i18n.fmt_value(v.value, v.unit, lang),
                      **palette.delta(v.direction, change, v.unit, lang),
                      help=t("ref.kpi.help", period=v.period, target=i18n.fmt_value(v.target, v.unit, lang)),
                      border=True)
        st.metric(t("ref.out_referrals"), i18n.fmt_number(flows.direction_totals(flow)["out"], lang), border=True,
                  help=t("ref.out_referrals.help"))
    st.caption(t("ref.kpi.note"))


def flow_map(frame: Frame, view: Referrals) -> None:
    """Arcs over the county, out-of-county destinations in their true direction at the edge of the view."""
    shapes, points, flow = view.shapes, view.points, view.flow
    places = flows.place_destinations(view.destinations, shapes["bbox"])
    layers = [*maps.county_layers(shapes, frame.lang, opacity=45),
              maps.facility_layer(maps.point_records(points, frame.lang)),
              maps.arc_layer(maps.arc_records(flow, points, places, frame.lang)),
              *maps.destination_layers(places, flows.out_by_destination(flow), frame.lang)]
    bbox = maps.extend(shapes["bbox"], zip(places["map_lon"], places["map_lat"], strict=True))
    height = kiosk.px(frame, 600)
    st.pydeck_chart(maps.deck(layers, maps.fit(bbox, width=kiosk.px(frame, 1100), height=height),
                              scale=kiosk.scale(frame)), key=MAP_KEY,
                    height=height, alt=frame.t("ref.map.alt"))
    swatches = " ".join(f"<span style='color:{_hex(maps.DIRECTION_RGB[d])}'>━━</span> {frame.t(f'map.dir.{d}')}"
                        for d in flows.DIRECTIONS)
    st.html(f"<div style='font-size:.85rem'>{swatches} · {frame.t('ref.map.legend')}</div>")


def od_table(frame: Frame, view: Referrals) -> None:
    """Who refers to whom: origins (rows) × destinations (columns), busiest first."""
    places = maps.place_names(view.points, view.destinations, frame.lang)
    origins = {place.id: name for place, name in places.items() if place.kind == "facility"}
    st.markdown(f"**{frame.t('ref.od')}**")
    matrix = flows.od_matrix(view.flow, origins, places, frame.t("ref.total"))
    if matrix.empty:
        st.caption(frame.t("ref.none"))
    grid.dataframe(matrix, height=kiosk.px(frame, 420))


def leakage(frame: Frame, by_disease: pd.DataFrame) -> None:
    """Out-of-county admissions per disease group; the five groups seed 000 §二(二)3 watches stand out."""
    t, lang = frame.t, frame.lang
    st.markdown(f"**{t('ref.leakage')}**")
    if by_disease.empty:
        st.caption(t("ref.none"))
        return
    shown = by_disease.assign(
        label=[disease_name(c, lang) + (" ★" if w else "") for c, w in zip(by_disease["disease_group"],
                                                                            by_disease["watched"], strict=True)],
        group=[t("ref.watched") if w else t("ref.other") for w in by_disease["watched"]],
    )
    chart = alt.Chart(shown).mark_bar().encode(
        y=alt.Y("label:N", sort=list(shown["label"]), title=None, axis=alt.Axis(labelLimit=260)),
        x=alt.X("out:Q", title=t("ref.leakage.axis")),
        color=alt.Color("group:N", scale=alt.Scale(domain=[t("ref.watched"), t("ref.other")],
                                                   range=[WATCHED_RGB, OTHER_RGB]), legend=alt.Legend(title=None,
                                                                                                     orient="bottom")),
        tooltip=[alt.Tooltip("label:N", title=t("ref.disease")), alt.Tooltip("out:Q", title=t("ref.col.out")),
                 alt.Tooltip("in_county:Q", title=t("ref.col.in")),
                 alt.Tooltip("out_share:Q", format=".1%", title=t("ref.col.share")),
                 alt.Tooltip("referred_out:Q", title=t("ref.col.referred"))],
    )
    share = chart.mark_text(align="left", dx=4, color="#e8eaf0").encode(text=alt.Text("out_share:Q", format=".0%"))
    st.altair_chart((chart + share).properties(height=kiosk.px(frame, 360)), width="stretch")
    st.caption(t("ref.leakage.note"))


def area_trend(frame: Frame, view: Referrals) -> None:
    """out_of_county_rate per area and for the county, month by month (KPI engine)."""
    t, series = frame.t, view.trend
    areas = view.points.drop_duplicates("area")
    names = dict(zip(areas["area"], maps.names(areas, frame.lang, "area"), strict=True))
    county = t("ref.county")
    rows = series[series["kind"].isin(["area", "county"])].assign(
        who=lambda s: [names.get(c, county) if k == "area" else county for k, c in zip(s["kind"], s["scope"],
                                                                                       strict=True)])
    colours = {names[c]: _hex(rgb) for c, rgb in maps.area_colours(view.shapes).items() if c in names} | \
        {county: "#e8eaf0"}
    chart = alt.Chart(rows).mark_line(point=True).encode(
        x=mapview.MONTH_AXIS,
        y=alt.Y("value:Q", title=t("ref.trend.axis"), axis=alt.Axis(format=".0%")),
        color=alt.Color("who:N", title=None, scale=alt.Scale(domain=list(colours), range=list(colours.values())),
                        legend=alt.Legend(orient="bottom")),
        strokeDash=alt.condition(alt.datum.who == county, alt.value([6, 4]), alt.value([1, 0])),
        tooltip=[alt.Tooltip("who:N", title=t("filter.area")),
                 alt.Tooltip("month:T", format="%Y-%m", title=t("map.col.month")),
                 alt.Tooltip("value:Q", format=".1%", title=t("map.col.value")),
                 alt.Tooltip("numerator:Q", title=t("map.col.numerator")),
                 alt.Tooltip("denominator:Q", title=t("map.col.denominator"))],
    )
    st.markdown(f"**{t('ref.trend')}**")
    if rows["value"].isna().all():
        st.caption(t("ref.none"))
        return
    st.altair_chart(chart.properties(height=kiosk.px(frame, 320)), width="stretch")
