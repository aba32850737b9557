"""Drawing the overview: live counters, headline tiles (bullet chart + sparkline + trajectory)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from lib import i18n
from lib.events.live import Counters
from lib.kpi.engine import KpiValue
from lib.kpi.headline import League, Overview, Tile
from lib.maps.scene import StatusMap
from ui import kiosk, maps, mapview, palette
from ui.frame import Frame

TILES_PER_ROW = 5  # two rows of five in the left column at 1920 px
COUNTERS = ("visits", "admissions", "referrals_up", "referrals_down", "referrals_out", "dispatches_under_way",
            "reads_waiting")


TILE_CSS = "<style>" + "".join(
    f'div[class*="st-key-tile-"][class*="-{status}"] {{ border-color: {colour} !important; border-width: 2px; }}'
    for status, colour in palette.STATUS_HEX.items() if status
) + 'div[class*="st-key-tile-"] { gap: 0.3rem !important; }</style>'



def counters(frame: Frame, c: Counters) -> None:
    with st.container(horizontal=True, key="overview-counters"):
        for name in COUNTERS:
            st.metric(frame.t(f"live.{name}"), i18n.fmt_number(getattr(c, name), frame.lang), border=True)
    st.caption(frame.t("live.as_of", when=i18n.fmt_datetime(c.data_as_of, frame.lang)))


def _part(x: float | None, lang: str, *, money: bool = False) -> str:
    """A numerator (yuan for money indicators) or denominator: decimals only where it has them."""
    if money:
        return i18n.fmt_money(x, lang)
    return i18n.fmt_number(x, lang, 0 if x is None or float(x).is_integer() else 1)


def target_text(frame: Frame, v: KpiValue) -> str:
    status = frame.t(f"status.{v.status or 'none'}")
    if v.target is None:
        return status
    if v.target_upper is not None:
        return frame.t("kpi.target_band", lo=i18n.fmt_value(v.target, v.unit, frame.lang),
                       hi=i18n.fmt_value(v.target_upper, v.unit, frame.lang), status=status)
    sign = "≤" if v.direction in ("down", "on_track") else "≥"
    return frame.t("kpi.target_line", target=sign + i18n.fmt_value(v.target, v.unit, frame.lang), status=status)


def _trajectory_text(frame: Frame, tile: Tile) -> str:
    path, v = tile.trajectory, tile.value
    if path is None:
        return ""
    if path.already_met:
        return frame.t("traj.met")
    parts = [frame.t("traj.reach", month=i18n.fmt_month(path.reached_by, frame.lang)) if path.reached_by
             else frame.t("traj.never")]
    if path.needed_per_month is not None and v.deadline is not None:
        parts.append(frame.t("traj.needed", deadline=i18n.fmt_month(v.deadline, frame.lang),
                             gain=i18n.fmt_change(path.needed_per_month, v.unit, frame.lang)))
    return "；".join(parts) if frame.lang == "zh" else "; ".join(parts)


def bullet(frame: Frame, v: KpiValue) -> dict:
    """Value bar in the status colour against the target tick; numerator/denominator on hover.

    A Vega-Lite spec written out, not built with Altair: Altair validates every chart against the
    schema when it is drawn (~60 ms a tile), and a page of twenty tiles paid that twenty times (issue #13).
    """
    hi = max(x for x in (v.value, v.target_upper or v.target, 1e-9) if x is not None) * 1.15
    if v.unit == "pct":
        hi = min(max(hi, 0.05), 1.0)
    row = {
        "value": v.value, "target": v.target, "hi": hi,
        "shown": i18n.fmt_value(v.value, v.unit, frame.lang),
        "num": _part(v.numerator, frame.lang, money=v.unit == "money"),
        "den": _part(v.denominator, frame.lang),
        "goal": i18n.fmt_value(v.target, v.unit, frame.lang), "period": v.period,
    }
    tooltip = [{"field": field, "type": "nominal", "title": frame.t(f"kpi.{key}")}
               for field, key in (("shown", "value"), ("num", "numerator"), ("den", "denominator"), ("goal", "target"),
                                  ("period", "period"))]

    def layer(mark: dict, field: str) -> dict:
        x = {"field": field, "type": "quantitative", "axis": None,
             "scale": {"domain": [0, hi], "nice": False, "zero": True}}
        return {"mark": mark, "encoding": {"x": x, "tooltip": tooltip}}

    layers = [layer({"type": "bar", "size": 16, "color": "#2b3340"}, "hi")]
    if v.value is not None:  # a missing value draws no bar, never a bar of zero
        layers.append(layer({"type": "bar", "size": 16, "color": palette.STATUS_HEX[v.status]}, "value"))
    if v.target is not None:
        layers.append(layer({"type": "tick", "thickness": 3, "size": 26, "color": "#f5f7fa"}, "target"))
    return {"data": {"values": [row]}, "layer": layers, "height": kiosk.px(frame, 30),
            "config": {"view": {"strokeWidth": 0}}}


def _sparkline(t: Tile) -> list[float] | None:
    """The tile's months with a value; none from fewer than two, or from zeros only (no line to draw)."""
    points = [x for _, x in t.series if x is not None and not pd.isna(x)]
    return points if len(points) > 1 and any(points) else None


SPARK_HEX = "#8ab4f8"  # the months' line: a quantity over time, not a status


def sparkline(frame: Frame, points: list[float]) -> dict:
    """The tile's months as a small area chart, a Vega-Lite spec written out (as ``bullet``).

    Not ``st.metric(chart_data=...)``, and both scales' domains given: Streamlit draws a chart before its
    rows arrive, so a scale left to find its extent in the data logged Vega's "Infinite extent for field
    x/y" warning to the browser console on every draw, hundreds an hour on a wall (issue #14).
    """
    low, high = min(points), max(points)
    if high == low:  # a flat line, drawn across the middle
        low, high = low - (abs(low) or 1) * 0.05, high + (abs(high) or 1) * 0.05
    xy = {"x": {"field": "x", "type": "quantitative", "axis": None, "scale": {"domain": [0, len(points) - 1]}},
          "y": {"field": "y", "type": "quantitative", "axis": None, "scale": {"domain": [low, high]}}}
    return {"data": {"values": [{"x": i, "y": y} for i, y in enumerate(points)]},
            "mark": {"type": "area", "color": SPARK_HEX, "opacity": 0.25,
                     "line": {"color": SPARK_HEX, "strokeWidth": 2}},
            "encoding": {**xy, "y2": {"datum": low}},
            "height": kiosk.px(frame, 32), "padding": {"left": 0, "right": 0, "top": 2, "bottom": 2},
            "config": {"view": {"strokeWidth": 0}}}


def tile(frame: Frame, t: Tile) -> None:
    v = t.value
    full = t.name_en if frame.lang == "en" else t.name_zh
    name = frame.t(f"kpi.short.{v.code}") if f"kpi.short.{v.code}" in i18n.CATALOGUE else full
    change = None if v.value is None or v.previous is None else v.value - v.previous
    help_text = full + " · " + frame.t("kpi.num_den", num=_part(v.numerator, frame.lang, money=v.unit == "money"),
                                       den=_part(v.denominator, frame.lang), period=v.period)
    if t.basis:  # an area's share counts its residents, or its units' services: say which
        help_text += " · " + frame.t(f"kpi.basis.{t.basis}")
    with st.container(border=True, key=f"tile-{v.code}-{v.status or 'none'}"):
        st.metric(
            name, i18n.fmt_value(v.value, v.unit, frame.lang),
            **palette.delta(v.direction, change, v.unit, frame.lang),
            delta_description=frame.t("kpi.vs_last_month"), help=help_text,
        )
        points = _sparkline(t)
        if points:
            st.vega_lite_chart(spec=sparkline(frame, points), width="stretch", height=kiosk.px(frame, 36))
        st.vega_lite_chart(spec=bullet(frame, v), width="stretch", height=kiosk.px(frame, 34))
        st.caption(target_text(frame, v))
        trajectory = _trajectory_text(frame, t)
        if trajectory:
            st.caption(trajectory)
        for gap in _gaps_text(frame, t):
            st.caption(gap)


def _gaps_text(frame: Frame, t: Tile) -> list[str]:
    """What the value leaves out (units whose report is missing, named) and how old a stock it carries."""
    out = []
    if t.missing:
        names = [en if frame.lang == "en" else zh for zh, en in t.missing]
        out.append(frame.t("kpi.missing_units", names=("、" if frame.lang == "zh" else ", ").join(names)))
    if t.value.as_of is not None:
        out.append(frame.t("kpi.as_of", month=i18n.fmt_month(t.value.as_of, frame.lang)))
    return out


LEAGUE_PARAM = "league"  # ?league=<peer group>: which league the overview lists
COMPACT_MAP = {"width": 520, "height": 330}  # the right-hand column at 1920 px


def compact_map(frame: Frame, m: StatusMap, now: dt.datetime) -> None:
    """调度一张图 in small: units coloured by the map's default indicator, ambulances under way."""
    st.caption(frame.t("overview.map", indicator=m.indicator[f"name_{frame.lang}"]))
    width, height = (kiosk.px(frame, COMPACT_MAP[k]) for k in ("width", "height"))
    st.pydeck_chart(maps.deck(mapview.layers(frame, m, mapview.LAYERS, now),
                              maps.fit(m.base.shapes["bbox"], width=width, height=height), scale=kiosk.scale(frame)),
                    key="overview-map", height=height, alt=frame.t("map.alt"))


def _league_rows(frame: Frame, units: pd.DataFrame) -> str:
    """Ranked units as lines: rank, name, total, rank change (▲ up, ▼ down)."""
    lines = []
    for u in units.itertuples():
        moved = "" if pd.isna(u.previous_rank) or u.previous_rank == u.rank else (
            f" ▲{int(u.previous_rank - u.rank)}" if u.previous_rank > u.rank else f" ▼{int(u.rank - u.previous_rank)}")
        lines.append(f"{int(u.rank)}\\. {getattr(u, f'name_{frame.lang}')} · {u.total:.1f}{moved}")  # no list
    return "  \n".join(lines)


def league(frame: Frame, board: League) -> None:
    """Top and bottom units of the last published month in one peer group (a draft, labelled, if none is)."""
    state = (frame.t("overview.league.published", version=board.published_version) if board.published_version
             else frame.t("overview.league.draft"))
    st.caption(frame.t("overview.league", group=frame.t(f"peer.{board.group}"),
                       month=i18n.fmt_month(board.month, frame.lang), state=state))
    best, worst = st.columns(2)
    best.markdown(f"**{frame.t('overview.league.top')}**  \n" + _league_rows(frame, board.top))
    worst.markdown(f"**{frame.t('overview.league.bottom')}**  \n" + _league_rows(frame, board.bottom))


def draw(frame: Frame, view: Overview, now: dt.datetime) -> None:
    """The overview's body: counters; tiles on the left; the compact map and the league on the right."""
    counters(frame, view.counters)
    left, right = st.columns([7, 3])
    with left:
        tiles(frame, view.tiles)
    with right:
        compact_map(frame, view.status_map, now)
        league(frame, view.league)


def tiles(frame: Frame, items: list[Tile], group: str = "overview") -> None:
    """Tiles in rows of TILES_PER_ROW; ``group`` keys the rows, so a page may draw several sets."""
    st.html(TILE_CSS)
    per_row = TILES_PER_ROW * (kiosk.settings().screen.columns if frame.kiosk else 1)  # a spliced wall: one row
    for start in range(0, len(items), per_row):
        with st.container(horizontal=True, key=f"{group}-tiles-{start}"):
            for item in items[start:start + per_row]:
                tile(frame, item)
