"""pydeck decks for the map and referral pages: offline, small, bilingual.

Offline: ``map_provider=None`` and the default ``"__MAP_STYLE__"`` sentinel mount no basemap at all
(``map_style=None`` would still fetch Carto's style, tech-notes §4; tests/browser/test_map.py counts
outside requests). The county itself is the base: its outline and the shaded areas (lib.maps.scene).
Small: every layer gets plain records with rounded coordinates and only the fields it draws, so a
refresh stays in the tens of kilobytes. Bilingual: every pickable record carries its own tooltip text
(``tip``), written here through lib.i18n, and one tooltip template shows it for every layer.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd
import pydeck as pdk

from lib import i18n
from lib.events.rollup import Place
from lib.kpi.engine import KpiValue
from lib.maps.flows import Bbox
from ui import palette

RGB = list[int]
STATUS_RGB = palette.STATUS_RGB
DIRECTION_RGB: dict[str, RGB] = {"up": [77, 163, 255], "down": [64, 214, 148], "out": [255, 128, 64]}
AREA_RGB: tuple[RGB, ...] = ([94, 129, 172], [163, 190, 140], [208, 135, 112], [180, 142, 173], [235, 203, 139],
                             [136, 192, 208])
PORT_RGB: RGB = [0, 229, 255]
DISPATCH_RGB: RGB = [186, 104, 255]  # violet: apart from the status reds and greens
DESTINATION_RGB: RGB = DIRECTION_RGB["out"]
# Tier → (outline px, outline colour): county hospitals ringed white, THCs grey, sub-centres cyan.
LEVEL_OUTLINE: dict[str, tuple[float, RGB]] = {"county": (3.0, [255, 255, 255]), "township": (1.5, [200, 205, 215]),
                                               "village": (0.5, [40, 44, 52])}
VILLAGE = LEVEL_OUTLINE["village"]
SUB_CENTRE_OUTLINE: tuple[float, RGB] = (2.5, PORT_RGB)
LEVEL_DOT: dict[str, tuple[float, RGB]] = {"county": (8, [255, 255, 255, 230]), "township": (5, [200, 205, 215, 220]),
                                           "village": (3, [140, 150, 170, 200])}
RADIUS_PX = (4.0, 22.0)  # smallest and largest facility dot: √visits between them
ARC_TILT = {"up": 45, "down": -45, "out": 20}  # degrees towards the map plane
ARC_MAX_PX = 16.0  # width of the busiest arc; the others in proportion (width = volume)
FONT = '"Noto Sans CJK SC, Source Sans Pro, sans-serif"'  # system fonts only: nothing is downloaded
TOOLTIP = {"html": "<div style='white-space:pre-line;max-width:26rem'>{tip}</div>",
           "style": {"backgroundColor": "#1f2430", "color": "#e8eaf0", "fontSize": "15px"}}
COORD_DIGITS = 4


def _xy(lon: float, lat: float) -> list[float]:
    return [round(float(lon), COORD_DIGITS), round(float(lat), COORD_DIGITS)]


def area_colours(shapes: Mapping[str, Any]) -> dict[str, RGB]:
    """A colour per area of lib.maps.scene.shapes, in registry order (any county's own area groups), so the
    map, its legend and the charts agree."""
    codes = [f["properties"]["area"] for f in shapes["areas"]["features"]]
    return {code: AREA_RGB[i % len(AREA_RGB)] for i, code in enumerate(codes)}


def names(frame: pd.DataFrame, lang: str, prefix: str = "name") -> pd.Series:
    """The ``<prefix>_zh`` or ``<prefix>_en`` column (``lang`` is a normalized lib.i18n language)."""
    return frame[f"{prefix}_{lang}"]


# -- view --------------------------------------------------------------------------------------------


def _merc_y(lat: float) -> float:
    return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))


def fit(bbox: Bbox, *, width: int = 1100, height: int = 640, pad: float = 0.06) -> pdk.ViewState:
    """A view that shows the whole box in a canvas of about ``width`` × ``height`` pixels (Web Mercator,
    512-pixel world at zoom 0, as deck.gl draws it)."""
    lon0, lat0, lon1, lat1 = bbox
    zoom_x = math.log2(width * (1 - 2 * pad) * 360 / (512 * max(lon1 - lon0, 1e-6)))
    zoom_y = math.log2(height * (1 - 2 * pad) * 2 * math.pi / (512 * max(_merc_y(lat1) - _merc_y(lat0), 1e-9)))
    lat_c = math.degrees(2 * math.atan(math.exp((_merc_y(lat0) + _merc_y(lat1)) / 2)) - math.pi / 2)
    return pdk.ViewState(longitude=(lon0 + lon1) / 2, latitude=lat_c, zoom=round(min(zoom_x, zoom_y), 2),
                         pitch=0, bearing=0)


def extend(bbox: Bbox, points: Iterable[tuple[float, float]]) -> Bbox:
    """The box grown to hold (lon, lat) points too."""
    lon0, lat0, lon1, lat1 = bbox
    for lon, lat in points:
        lon0, lat0, lon1, lat1 = min(lon0, lon), min(lat0, lat), max(lon1, lon), max(lat1, lat)
    return lon0, lat0, lon1, lat1


# deck.gl's own scale of each layer type's pixel sizes (text, radii, line widths).
_SCALES = {"TextLayer": ("size_scale",), "ScatterplotLayer": ("radius_scale", "line_width_scale"),
           "ArcLayer": ("width_scale",), "LineLayer": ("width_scale",), "GeoJsonLayer": ("line_width_scale",)}


def deck(layers: Sequence[pdk.Layer], view: pdk.ViewState, *, scale: float = 1.0) -> pdk.Deck:
    """A deck with no basemap: nothing but our own layers, no request to any tile or style server.
    ``scale``: labels, dots and lines drawn that many times larger (a wall's height ÷ 1080, ui/kiosk.px)."""
    if scale != 1:
        for layer in layers:
            for prop in _SCALES.get(layer.type, ()):
                setattr(layer, prop, scale)
    # Labels last, so no dot or arc hides an area's or a place's name ("城区" under the county's dots).
    ordered = sorted(layers, key=lambda layer: layer.type == "TextLayer")
    return pdk.Deck(layers=ordered, initial_view_state=view, map_provider=None, tooltip=TOOLTIP)


# -- the county ----------------------------------------------------------------------------------------


def county_layers(shapes: Mapping[str, Any], lang: str, *, shade: bool = True, labels: bool = True,
                  opacity: int = 90) -> list[pdk.Layer]:
    """The banner outline over its areas (shaded by area, or one quiet tone), optionally with area names."""
    features = shapes["areas"]["features"]
    colours = area_colours(shapes)
    quiet: RGB = [48, 54, 66]
    areas = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": f["geometry"],
         "properties": {"fill": [*(colours[f["properties"]["area"]] if shade else quiet), opacity],
                        "tip": f["properties"][f"name_{lang}"]}}
        for f in features]}
    layers = [
        pdk.Layer("GeoJsonLayer", areas, id="areas", filled=True, stroked=True, get_fill_color="properties.fill",
                  get_line_color=[20, 22, 28], line_width_min_pixels=1, pickable=shade),
        pdk.Layer("GeoJsonLayer", shapes["outline"], id="outline", filled=False, stroked=True,
                  get_line_color=[220, 225, 235], line_width_min_pixels=2),
    ]
    if labels:
        rows = [{"p": _xy(f["properties"]["label_lon"], f["properties"]["label_lat"]),
                 "t": f["properties"][f"name_{lang}"]} for f in features]
        layers.append(text_layer("area-labels", rows, size=18, colour=[235, 238, 245, 200]))
    return layers


def text_layer(layer_id: str, rows: list[dict[str, Any]], *, size: int, colour: RGB,
          offset: Sequence[int] = (0, 0), anchor: str = "middle") -> pdk.Layer:
    """Labels in any script: the glyph atlas is built in the browser from system fonts (characterSet auto)."""
    return pdk.Layer("TextLayer", rows, id=layer_id, get_position="p", get_text="t", get_size=size,
                     get_color=colour, character_set='"auto"', font_family=FONT, get_pixel_offset=list(offset),
                     get_text_anchor=f'"{anchor}"', outline_width=2, outline_color=[10, 12, 16, 255],
                     font_settings={"sdf": True})


# -- facilities ----------------------------------------------------------------------------------------


def facility_records(points: pd.DataFrame, volumes: pd.DataFrame, values: Mapping[str, KpiValue],
                     indicator: Mapping[str, str], lang: str) -> list[dict[str, Any]]:
    """One dot per unit: coloured by the indicator's status, outlined by tier, sized by visits."""
    vols = volumes.reindex(points["facility_id"], fill_value=0)
    top = max(float(vols["visits"].max()) if len(vols) else 0.0, 1.0)
    lo, hi = RADIUS_PX
    out = []
    for row, (_, vol) in zip(points.itertuples(index=False), vols.iterrows(), strict=True):
        value = values.get(row.code)
        status = None if value is None else value.status
        width, line = SUB_CENTRE_OUTLINE if row.is_sub_centre else LEVEL_OUTLINE.get(row.level, VILLAGE)
        out.append({
            "code": row.code, "p": _xy(row.longitude, row.latitude),
            "r": round(lo + (hi - lo) * math.sqrt(vol["visits"] / top), 1),
            "fill": [*STATUS_RGB.get(status, STATUS_RGB[None]), 235], "line": line, "lw": width,
            "tip": facility_tip(row, value, vol, indicator, lang),
        })
    return out


def status_text(value: KpiValue | None, lang: str) -> str:
    """Met / near / missed, or why there is no status (not applicable, no target, no data)."""
    if value is None:
        return i18n.t("map.status.na", lang)
    if value.value is None and value.missing_units:
        return i18n.t("map.status.unreported", lang)
    if value.status is None:
        return i18n.t("map.status.nodata" if value.value is None else "map.status.notarget", lang)
    return i18n.t(f"map.status.{value.status}", lang)


def facility_tip(row: Any, value: KpiValue | None, vol: pd.Series, indicator: Mapping[str, str],
                 lang: str) -> str:
    """Name; tier · area · community; the indicator against its target; the unit's volumes."""
    lines = [getattr(row, f"name_{lang}"),
             " · ".join(getattr(row, f"{field}_{lang}") for field in ("tier", "area", "community"))]
    label = indicator[f"name_{lang}"]
    if value is None:
        lines.append(f"{label}: {status_text(None, lang)}")
    else:
        target = "" if value.target is None else \
            " " + i18n.t("map.tip.target", lang, target=i18n.fmt_value(value.target, value.unit, lang))
        lines.append(f"{label}: {i18n.fmt_value(value.value, value.unit, lang)}{target} · {status_text(value, lang)}")
    lines.append(i18n.t("map.tip.volumes", lang, visits=i18n.fmt_number(vol["visits"], lang),
                        sent=i18n.fmt_number(vol["ref_sent"], lang), received=i18n.fmt_number(vol["ref_in"], lang)))
    if row.is_border_port:
        lines.append(i18n.t("map.port", lang))
    return "\n".join(lines)


def point_records(points: pd.DataFrame, lang: str) -> list[dict[str, Any]]:
    """Plain dots by tier (the referral map's context under the arcs): name and tier in the tooltip."""
    rows = []
    for r, n, tier in zip(points.itertuples(index=False), names(points, lang), names(points, lang, "tier"),
                          strict=True):
        radius, fill = LEVEL_DOT.get(r.level, LEVEL_DOT["village"])
        rows.append({"code": r.code, "p": _xy(r.longitude, r.latitude), "r": radius, "fill": fill,
                     "line": [20, 22, 28], "lw": 1, "tip": f"{n}\n{tier}"})
    return rows


def facility_layer(records: list[dict[str, Any]], layer_id: str = "facilities") -> pdk.Layer:
    """Dots of facility_records, point_records or marker_records; the map's click opens the profile of the
    ``code`` picked."""
    return pdk.Layer("ScatterplotLayer", records, id=layer_id, get_position="p", get_radius="r",
                     radius_units='"pixels"', get_fill_color="fill", get_line_color="line", get_line_width="lw",
                     line_width_units='"pixels"', stroked=True, filled=True, pickable=True)


def marker_records(points: pd.DataFrame, tips: Mapping[int, Sequence[str]], *, radius: float, fill: Sequence[int],
                   line: RGB, width: float) -> list[dict[str, Any]]:
    """One mark at each unit of ``tips`` (facility id → the lines of its tooltip): the alerts map's open
    signals (dots) and breaches (rings); units without coordinates are left out."""
    at = points.set_index("facility_id")
    return [{"code": at.at[i, "code"], "p": _xy(at.at[i, "longitude"], at.at[i, "latitude"]), "r": radius,
             "fill": list(fill), "line": line, "lw": width, "tip": "\n".join(lines)}
            for i, lines in tips.items() if i in at.index and not pd.isna(at.at[i, "latitude"])]


def port_layers(points: pd.DataFrame, lang: str) -> list[pdk.Layer]:
    """The border port (甘其毛都): a ring around its unit and its name."""
    port = points[points["is_border_port"].astype(bool)]
    if port.empty:
        return []
    rows = [{"p": _xy(r.longitude, r.latitude), "t": i18n.t("map.port", lang), "tip": i18n.t("map.port", lang)}
            for r in port.itertuples(index=False)]
    # The label beside the ring, not above it: the port sits on the border, where above leaves the map.
    return [pdk.Layer("ScatterplotLayer", rows, id="border-port", get_position="p", get_radius=30,
                      radius_units='"pixels"', stroked=True, filled=False, get_line_color=PORT_RGB,
                      get_line_width=3, line_width_units='"pixels"', pickable=True),
            text_layer("port-label", rows, size=16, colour=PORT_RGB, offset=(36, 0), anchor="start")]


# -- live emergency dispatches ---------------------------------------------------------------------------


def dispatch_layers(dispatches: pd.DataFrame, points: pd.DataFrame, now: dt.datetime, lang: str) -> list[pdk.Layer]:
    """Ambulances under way: a line from the station to each scene, a dot sized by the calls there."""
    if dispatches.empty:
        return []
    stations = points.set_index("facility_id")
    rows = []
    for d in dispatches.itertuples(index=False):
        if d.station_id not in stations.index:
            continue
        home = stations.loc[d.station_id]
        minutes = max(0, int((now - pd.Timestamp(d.first_call)).total_seconds() // 60))
        state = i18n.t(f"map.live.{d.stage}", lang)
        rows.append({"s": _xy(home.longitude, home.latitude), "p": _xy(d.longitude, d.latitude),
                     "r": 4 + 2 * min(int(d.calls), 5),
                     "tip": i18n.t("map.tip.dispatch", lang, station=names(home, lang), calls=int(d.calls),
                                   state=state, minutes=minutes)})
    return [pdk.Layer("LineLayer", rows, id="dispatch-routes", get_source_position="s", get_target_position="p",
                      get_color=[*DISPATCH_RGB, 200], get_width=2, width_units='"pixels"'),
            pdk.Layer("ScatterplotLayer", rows, id="dispatches", get_position="p", get_radius="r",
                      radius_units='"pixels"', get_fill_color=[*DISPATCH_RGB, 170], stroked=True,
                      get_line_color=[255, 255, 255], get_line_width=1, line_width_units='"pixels"', pickable=True)]


# -- referral arcs -----------------------------------------------------------------------------------------


def place_names(points: pd.DataFrame, destinations: pd.DataFrame, lang: str) -> dict[Place, str]:
    """Every place a referral can go, named in the reader's language: member units and destinations."""
    col = f"name_{lang}"
    return ({Place("facility", int(i)): n for i, n in zip(points["facility_id"], points[col], strict=True)}
            | {Place("destination", int(i)): n for i, n in zip(destinations["id"], destinations[col], strict=True)})


def arc_records(flow: pd.DataFrame, points: pd.DataFrame, places: pd.DataFrame, lang: str) -> list[dict[str, Any]]:
    """One arc per origin → target: width in proportion to the referrals, colour by direction."""
    if flow.empty:
        return []
    where = {Place("facility", int(r.facility_id)): (r.longitude, r.latitude, n) for r, n in
             zip(points.itertuples(index=False), names(points, lang), strict=True)}
    where |= {Place("destination", int(r.id)): (r.map_lon, r.map_lat, n) for r, n in
              zip(places.itertuples(index=False), names(places, lang), strict=True)}
    top = max(int(flow["n"].max()), 1)
    rows = []
    for f in flow.itertuples(index=False):
        src, dst = where.get(Place("facility", int(f.from_id))), where.get(f.to)
        if src is None or dst is None:
            continue
        rows.append({"s": _xy(src[0], src[1]), "t": _xy(dst[0], dst[1]), "n": int(f.n), "dir": f.direction,
                     "tilt": ARC_TILT[f.direction],
                     "w": round(max(1.0, ARC_MAX_PX * f.n / top), 2), "c": DIRECTION_RGB[f.direction],
                     "tip": i18n.t("map.tip.arc", lang, origin=src[2], target=dst[2],
                                   direction=i18n.t(f"map.dir.{f.direction}", lang),
                                   n=i18n.fmt_number(f.n, lang))})
    return rows


def arc_layer(rows: list[dict[str, Any]]) -> pdk.Layer:
    """Arcs tilted towards the map plane, so they read as curves from above and up and down between the
    same pair bulge to opposite sides."""
    return pdk.Layer("ArcLayer", rows, id="referrals", get_source_position="s", get_target_position="t",
                     get_source_color="c", get_target_color="c", get_width="w", width_units='"pixels"',
                     get_tilt="tilt", get_height=0.3, pickable=True)


def destination_layers(places: pd.DataFrame, out_by_dest: Mapping[int, int], lang: str) -> list[pdk.Layer]:
    """Out-of-county destinations at their placed positions, labelled with their true distance."""
    rows = []
    for r, label in zip(places.itertuples(index=False), names(places, lang), strict=True):
        km = i18n.fmt_number(r.km, lang)
        rows.append({"p": _xy(r.map_lon, r.map_lat), "t": i18n.t("map.dest.label", lang, name=label, km=km),
                     "tip": i18n.t("map.tip.destination", lang, name=label, km=km,
                                   n=i18n.fmt_number(out_by_dest.get(int(r.id), 0), lang))})
    return [pdk.Layer("ScatterplotLayer", rows, id="destinations", get_position="p", get_radius=9,
                      radius_units='"pixels"', get_fill_color=DESTINATION_RGB, stroked=True,
                      get_line_color=[255, 255, 255], get_line_width=2, line_width_units='"pixels"', pickable=True),
            text_layer("destination-labels", rows, size=16, colour=[255, 200, 170], offset=(0, 20))]

