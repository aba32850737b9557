"""The map page's controls, legend, facility profile and table (the page itself only lays them out).

The chosen indicator and the open profile live in the URL (``?indicator=…&facility=…``), like the
shared filters: a link or a kiosk playlist entry opens the same view. A click on a facility writes
``facility`` (pydeck selection callback); the facility selectbox is the same choice for keyboards,
screen readers, AppTest and anyone who cannot hit a dot on a WebGL canvas.
"""

from __future__ import annotations

import datetime as dt
import functools
import html
from collections.abc import Callable, Collection, Mapping
from typing import Any

import altair as alt
import pandas as pd
import pydeck as pdk
import streamlit as st

from lib import i18n
from lib.events.rollup import Place
from lib.kiosk import pages
from lib.kpi.engine import KpiValue
from lib.maps.scene import FacilityProfile, StatusMap
from ui import grid, kiosk, maps
from ui.filters import url_param
from ui.frame import Frame

INDICATOR_PARAM, FACILITY_PARAM = "indicator", "facility"
INDICATOR_KEY, FACILITY_KEY = "map-indicator", "map-facility"
MAP_KEY = "facility-map"
LAYERS = ("areas", "facilities", "port", "dispatches")
MAP_HEIGHT = 560
MAP_WIDTH = 1100  # the map's column at 1920 px
WALL_ROWS = 16  # table rows a 1080-line wall shows at its type size, below the page title
DEFAULT_INDICATOR = "out_of_county_rate"  # the map's first question: where do residents leave the county
MONTH_AXIS = alt.X("yearmonth(month):T", title=None, axis=alt.Axis(format="%Y-%m", labelAngle=-45,
                                                                   tickCount={"interval": "month", "step": 1}))
STATUS_ORDER = {"missed": 0, "near": 1, "met": 2, None: 3}


def _name(frame: Frame, row: Any, prefix: str = "name") -> str:
    return row[f"{prefix}_{frame.lang}"]


def indicator_choice(frame: Frame, catalogue: pd.DataFrame) -> str:
    """The indicator that colours the dots: one with a target direction, defined per facility."""
    options = [c for c, r in catalogue.iterrows()
               if "facility" in r["scopes"] and r["direction"] in ("up", "down", "band")]
    default = DEFAULT_INDICATOR if DEFAULT_INDICATOR in options else options[0]
    current = st.query_params.get(INDICATOR_PARAM)
    current = current if current in options else default
    if frame.kiosk:
        return current
    st.session_state[INDICATOR_KEY] = current
    st.selectbox(frame.t("map.indicator"), options, key=INDICATOR_KEY, width=420,
                 format_func=lambda c: _name(frame, catalogue.loc[c]),
                 on_change=url_param(INDICATOR_PARAM, INDICATOR_KEY, default))
    return current


def layer_choice(frame: Frame, has_port: bool) -> set[str]:
    """Which layers to draw: all on a wall, the reader's choice on a desk; the border port's only where the
    county's registry has one."""
    offered = [layer for layer in LAYERS if has_port or layer != "port"]
    if frame.kiosk:
        return set(offered)
    return set(st.pills(frame.t("map.layers"), offered, selection_mode="multi", default=offered, key="map-layers",
                        format_func=lambda layer: frame.t(f"map.layer.{layer}")))


def layers(frame: Frame, m: StatusMap, shown: Collection[str], now: dt.datetime) -> list[pdk.Layer]:
    """Layers of the map page (and the overview's compact map): outline and areas, dots coloured by the
    indicator's status, the border port and ambulances under way, as ``shown`` asks."""
    shapes = m.base.shapes
    out = maps.county_layers(shapes, frame.lang, shade="areas" in shown, labels="areas" in shown)
    if "facilities" in shown:
        out.append(maps.facility_layer(maps.facility_records(m.points, m.volumes, m.values, m.indicator, frame.lang)))
    if "port" in shown:
        out += maps.port_layers(m.points, frame.lang)
    if "dispatches" in shown:
        out += maps.dispatch_layers(m.dispatches, m.base.points, now, frame.lang)
    return out


def draw(frame: Frame, m: StatusMap, profile: FacilityProfile | None, shown: Collection[str],
         now: dt.datetime) -> None:
    """The map page's body: the map and its legend, the opened unit beside it (not on a wall), the table."""

    def the_map() -> None:
        left, right = st.columns([3, 2]) if not frame.kiosk else (st.container(), None)
        with left:
            st.pydeck_chart(maps.deck(layers(frame, m, shown, now), view(frame, m.base.shapes),
                                      scale=kiosk.scale(frame)), key=MAP_KEY,
                            height=kiosk.px(frame, MAP_HEIGHT), alt=frame.t("map.alt"), on_select=picked,
                            selection_mode="single-object")
            legend(frame, m.base.shapes, m.indicator, bool(m.base.points["is_border_port"].any()))
        if right is not None:
            with right:
                facility(frame, m, profile)

    kiosk.sections(frame, [the_map, *status_tables(frame, m)])


def view(frame: Frame, shapes: Mapping[str, Any]) -> pdk.ViewState:
    """The map's opening view: the whole county in the map's column at 1920 px."""
    return maps.fit(shapes["bbox"], width=kiosk.px(frame, MAP_WIDTH), height=kiosk.px(frame, MAP_HEIGHT))


def picked() -> None:
    """The map's selection callback: a clicked facility opens its profile (an empty click keeps it)."""
    objects = st.session_state[MAP_KEY]["selection"]["objects"].get("facilities") or []
    if objects:
        st.query_params[FACILITY_PARAM] = objects[0]["code"]


def swatch(rgb: list[int], text: str, *, ring: bool = False) -> str:
    """A legend's coloured dot (or ring) and its text, as HTML."""
    colour = f"rgb({rgb[0]},{rgb[1]},{rgb[2]})"
    style = f"border:2px solid {colour}" if ring else f"background:{colour}"
    return (f"<span style='display:inline-block;width:.8em;height:.8em;border-radius:50%;{style};"
            f"margin:0 .3em 0 .9em;vertical-align:middle'></span>{html.escape(text)}")


def legend(frame: Frame, shapes: Mapping[str, Any], indicator: pd.Series, has_port: bool) -> None:
    """What the colours, outlines and sizes mean, in the reader's language."""
    t = frame.t
    statuses = "".join(swatch(maps.STATUS_RGB[s], t(f"map.status.{s}")) for s in ("met", "near", "missed"))
    statuses += swatch(maps.STATUS_RGB[None], t("map.status.na"))
    areas = maps.area_colours(shapes)
    area_names = {f["properties"]["area"]: f["properties"][f"name_{frame.lang}"] for f in shapes["areas"]["features"]}
    shading = "".join(swatch(rgb, area_names[code]) for code, rgb in areas.items())
    port = swatch(maps.PORT_RGB, t("map.port"), ring=True) if has_port else ""
    marks = port + swatch(maps.DISPATCH_RGB, t("map.layer.dispatches"))
    st.html(f"<div style='font-size:.85rem;line-height:1.9'><b>{html.escape(_name(frame, indicator))}</b>"
            f"{statuses}<br>{html.escape(t('map.legend.size'))}{marks}<br>"
            f"{html.escape(t('map.legend.areas'))}{shading}</div>")


def facility(frame: Frame, m: StatusMap, profile: FacilityProfile | None) -> None:
    """The selectbox of units and the opened unit's profile."""
    by_code = m.points.set_index("code")
    current = None if profile is None or profile.unit.name not in by_code.index else profile.unit.name
    if not frame.kiosk:
        st.session_state[FACILITY_KEY] = current
        st.selectbox(frame.t("map.facility"), list(by_code.index), key=FACILITY_KEY, placeholder=frame.t("map.pick"),
                     format_func=lambda c: _name(frame, by_code.loc[c]),
                     on_change=url_param(FACILITY_PARAM, FACILITY_KEY, None))
    if current is None or profile is None:
        st.caption(frame.t("map.pick.hint"))
        return
    with st.container(key="facility-profile"):
        _profile(frame, profile, m)


def _profile(frame: Frame, p: FacilityProfile, m: StatusMap) -> None:
    t, unit, indicator = frame.t, p.unit, m.indicator
    st.subheader(_name(frame, unit))
    st.caption(" · ".join([_name(frame, unit, "tier"), _name(frame, unit, "area"), _name(frame, unit, "community"),
                           t(f"map.coords.{unit['coord_source']}")]))
    st.markdown(f"**{t('map.profile.indicators', period=p.period.label())}**")
    grid.dataframe(_indicator_rows(frame, p.values, p.catalogue), hide_index=True, height=240)
    chosen = next((v for v in p.values if v.code == indicator.name), None)
    st.markdown(f"**{t('map.profile.trend', indicator=_name(frame, indicator))}**")
    _trend(frame, p.trend, indicator, chosen)
    names = maps.place_names(m.base.points, m.base.destinations, frame.lang)
    st.markdown(f"**{t('map.profile.referrals', period=p.period.label())}**")
    grid.dataframe(_referral_rows(frame, p.referrals, names), hide_index=True)
    st.markdown(f"**{t('map.profile.doctors', until=i18n.fmt_datetime(p.period.last_date, frame.lang))}**")
    grid.dataframe(_doctor_rows(frame, p.doctors, names), hide_index=True)


def _status(frame: Frame, v: KpiValue) -> str:
    return maps.status_text(v, frame.lang) + (" ⚠" if v.small_denominator else "")


def _indicator_rows(frame: Frame, values: list[KpiValue], catalogue: pd.DataFrame) -> pd.DataFrame:
    t, lang = frame.t, frame.lang
    rows = [{t("map.col.indicator"): _name(frame, catalogue.loc[v.code]),
             t("map.col.value"): i18n.fmt_value(v.value, v.unit, lang),
             t("map.col.target"): i18n.fmt_value(v.target, v.unit, lang),
             t("map.col.status"): _status(frame, v),
             t("map.col.previous"): i18n.fmt_value(v.previous, v.unit, lang),
             t("map.col.last_year"): i18n.fmt_value(v.last_year, v.unit, lang),
             t("map.col.fraction"): f"{i18n.fmt_number(v.numerator, lang)} / {i18n.fmt_number(v.denominator, lang)}"
             if v.denominator is not None else i18n.MISSING,
             "_order": STATUS_ORDER.get(v.status, 3)}
            for v in values]
    frame_ = pd.DataFrame(rows)
    return frame_.sort_values("_order", kind="stable").drop(columns="_order") if rows else frame_


def _trend(frame: Frame, series: pd.DataFrame, indicator: pd.Series, value: KpiValue | None) -> None:
    if series.empty or series["value"].isna().all():
        st.caption(frame.t("map.status.na"))
        return
    axis = alt.Axis(format=".0%") if indicator["unit"] == "pct" else alt.Axis()
    line = alt.Chart(series).mark_line(point=True).encode(
        x=MONTH_AXIS,
        y=alt.Y("value:Q", title=None, axis=axis),
        tooltip=[alt.Tooltip("month:T", format="%Y-%m", title=frame.t("map.col.month")),
                 alt.Tooltip("value:Q", format=".1%" if indicator["unit"] == "pct" else ",.2f",
                             title=frame.t("map.col.value"))])
    layers: list[alt.Chart] = [line]
    if value is not None and value.target is not None:
        rule = pd.DataFrame({"target": [value.target], "label": [frame.t("map.col.target")]})
        layers.append(alt.Chart(rule).mark_rule(strokeDash=[6, 4], color="#f1c40f").encode(y="target:Q"))
    st.altair_chart(alt.layer(*layers).properties(height=200), width="stretch")


def _referral_rows(frame: Frame, refs: pd.DataFrame, names: Mapping[Place, str]) -> pd.DataFrame:
    t = frame.t
    return pd.DataFrame({
        t("map.col.way"): [t(f"map.way.{w}") for w in refs["way"]],
        t("map.col.direction"): [t(f"map.dir.{d}") for d in refs["direction"]],
        t("map.col.partner"): [names.get(p, "—") for p in refs["partner"]],
        t("map.col.referrals"): refs["n"].astype(int).tolist(),
    })


def _doctor_rows(frame: Frame, doctors: pd.DataFrame, names: Mapping[Place, str]) -> pd.DataFrame:
    t = frame.t
    return pd.DataFrame({
        t("map.col.from"): [names.get(Place("facility", int(i)), "—") for i in doctors["from_id"]],
        t("map.col.kind"): [t(f"map.stint.{k}") for k in doctors["kind"]],
        t("map.col.doctors"): doctors["doctors"].astype(int).tolist(),
        t("map.col.stints"): doctors["stints"].astype(int).tolist(),
        t("map.col.days"): doctors["days"].astype(int).tolist(),
    })


def status_tables(frame: Frame, m: StatusMap) -> list[Callable[[], None]]:
    """The map as a table: every unit shown, its status on the indicator and its volumes (sortable, readable
    without the canvas). On a desk one scrolling table; on a wall pages of WALL_ROWS rows, one per section."""
    t, lang, points, values, indicator = frame.t, frame.lang, m.points, m.values, m.indicator
    vols = m.volumes.reindex(points["facility_id"], fill_value=0)
    rows = []
    for (_, unit), (_, vol) in zip(points.iterrows(), vols.iterrows(), strict=True):
        v = values.get(unit["code"])
        rows.append({
            t("map.col.facility"): _name(frame, unit), t("map.col.tier"): _name(frame, unit, "tier"),
            t("map.col.area"): _name(frame, unit, "area"),
            _name(frame, indicator): i18n.fmt_value(None if v is None else v.value, indicator["unit"], lang),
            t("map.col.status"): maps.status_text(v, lang) if v is None else _status(frame, v),
            t("map.col.visits"): int(vol["visits"]), t("map.col.sent"): int(vol["ref_sent"]),
            t("map.col.received"): int(vol["ref_in"]), t("map.col.calls"): int(vol["ems_calls"]),
        })
    table = pd.DataFrame(rows)
    if not frame.kiosk:
        return [functools.partial(_table, frame, table, 320)]
    return [functools.partial(_table, frame, table.iloc[rows], "content") for rows in pages(len(table), WALL_ROWS)]


def _table(frame: Frame, table: pd.DataFrame, height: int | str) -> None:
    st.markdown(f"**{frame.t('map.table')}**")
    grid.dataframe(table, hide_index=True, height=height)
