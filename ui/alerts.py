"""The alerts page: open signals (at their township's THC) and rule breaches (at their unit) on the county
map; the signals of the last weeks in the townships in scope and the breaches that concern the scope,
open ones first; the forms that record a step of the work on either (verify, confirm, dismiss a signal;
acknowledge, close a breach) with the note that goes with it; and the wall's ribbon naming open signals."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection

import pandas as pd
import streamlit as st

from lib import clock, i18n
from lib.alerts import breaches, config, signals
from lib.alerts.workflow import StepRefused
from lib.kpi.engine import SCOPE_COLUMNS
from ui import access, data, grid, kiosk, maps, mapview
from ui.frame import Frame

DAYS_SHOWN = 28
MAP_KEY = "alerts-map"
SIGNAL_RGB = maps.STATUS_RGB["missed"]  # a filled red dot at the township
BREACH_RGB = [255, 160, 40]  # an amber ring at the unit: a signal's dot inside stays visible
STEPS = {"signal": ("verifying", "confirmed", "dismissed"), "breach": ("acknowledged", "closed")}


def draw(frame: Frame, facility_ids: list[int] | None) -> None:
    """The map, the signals and the breaches (the page's live region; on a wall one part at a time)."""
    since = clock.today() - dt.timedelta(days=DAYS_SHOWN)
    found = data.alert_signals(since, facility_ids)
    kept = data.alert_breaches(since, facility_ids, viewer=frame.viewer)
    st.caption(frame.t("alerts.how", days=DAYS_SHOWN))

    def lists() -> None:
        _signal_lists(frame, found)
        _breach_lists(frame, kept)

    kiosk.sections(frame, [lambda: _map(frame, found, kept), lists])


# -- the map --------------------------------------------------------------------------------------------


def _map(frame: Frame, found: pd.DataFrame, kept: pd.DataFrame) -> None:
    """The county (its outline over quiet areas, named) with a dot per township with open signals and a
    ring per unit with open breaches; each mark's tooltip lists what is open there."""
    base = data.map_base()
    layers = maps.county_layers(base.shapes, frame.lang, shade=False)
    layers.append(maps.facility_layer(maps.marker_records(
        base.points, _signal_tips(frame, found[found["state"].isin(signals.OPEN)]), radius=10,
        fill=[*SIGNAL_RGB, 235], line=[255, 255, 255], width=1.5), layer_id="signals"))
    layers.append(maps.facility_layer(maps.marker_records(
        base.points, _breach_tips(frame, kept[kept["state"].isin(breaches.OPEN)]), radius=18,
        fill=[0, 0, 0, 0], line=BREACH_RGB, width=3), layer_id="breaches"))
    st.pydeck_chart(maps.deck(layers, mapview.view(frame, base.shapes), scale=kiosk.scale(frame)), key=MAP_KEY,
                    height=kiosk.px(frame, mapview.MAP_HEIGHT), alt=frame.t("alerts.map.alt"))
    st.html(f"<div style='font-size:.85rem'>{mapview.swatch(SIGNAL_RGB, frame.t('alerts.map.signals'))}"
            f"{mapview.swatch(BREACH_RGB, frame.t('alerts.map.breaches'), ring=True)}</div>")


def _signal_tips(frame: Frame, open_signals: pd.DataFrame) -> dict[int, list[str]]:
    """Township THC id → one line per open signal there."""
    names = data.units()[f"name_{frame.lang}"]
    syndromes = config.syndrome_names(frame.lang)
    tips: dict[int, list[str]] = {}
    for row in open_signals.itertuples(index=False):
        tips.setdefault(int(row.facility_id), [names.get(row.facility_id, "")]).append(frame.t(
            "alerts.map.signal", syndrome=syndromes.get(row.syndrome, row.syndrome),
            count=i18n.fmt_number(row.count, frame.lang), threshold=i18n.fmt_number(row.threshold, frame.lang, 1),
            state=frame.t(f"alerts.state.{row.state}")))
    return tips


def _breach_tips(frame: Frame, open_breaches: pd.DataFrame) -> dict[int, list[str]]:
    """Unit id → one line per open breach scoped to that unit (breaches of an area or the county have no
    one place on the map: the list names them)."""
    units = data.units()
    ids = pd.Series(units.index, index=units["code"])
    tips: dict[int, list[str]] = {}
    for row in open_breaches.itertuples(index=False):
        scope = breaches.scope_of(row.scope)
        if scope.kind != "facility":
            continue
        for code in scope.codes:
            if code in ids.index:
                unit = int(ids[code])
                tips.setdefault(unit, [units.at[unit, f"name_{frame.lang}"]]).append(
                    f"{row.rule}：{_lines(frame, row)}")
    return tips


# -- the lists ------------------------------------------------------------------------------------------


def _signal_lists(frame: Frame, found: pd.DataFrame) -> None:
    _lists(frame, found, signals.OPEN, lambda: _table(frame, found), "alerts")


def _breach_lists(frame: Frame, kept: pd.DataFrame) -> None:
    _lists(frame, kept, breaches.OPEN, lambda: _breach_table(frame, kept), "alerts.breach")


def _lists(frame: Frame, rows: pd.DataFrame, open_states: Collection[str], table: Callable[[], pd.DataFrame],
           keys: str) -> None:
    """Open ones, then closed ones, under headings counting them (text keys ``<keys>.none/.open/.closed/.col``)."""
    if rows.empty:
        st.info(frame.t(f"{keys}.none", days=DAYS_SHOWN))
        return
    shown = table()
    is_open = rows["state"].isin(open_states).to_numpy()
    st.subheader(frame.t(f"{keys}.open", n=int(is_open.sum())))
    _grid(frame, shown[is_open], f"{keys}.col")
    if (~is_open).any():
        st.subheader(frame.t(f"{keys}.closed", n=int((~is_open).sum())))
        _grid(frame, shown[~is_open], f"{keys}.col")


def _table(frame: Frame, found: pd.DataFrame) -> pd.DataFrame:
    units = data.units()
    names = units["name_zh" if frame.lang == "zh" else "name_en"]
    syndromes = config.syndrome_names(frame.lang)
    return pd.DataFrame({
        "place": names.reindex(found["facility_id"]).to_numpy(),
        "syndrome": [syndromes.get(s, s) for s in found["syndrome"]],
        "day": [i18n.fmt_datetime(pd.Timestamp(d).date(), frame.lang) for d in found["day"]],
        "count": found["count"], "threshold": found["threshold"].round(1),
        "method": [frame.t(f"alerts.method.{m}") for m in found["method"]],
        "state": [frame.t(f"alerts.state.{s}") for s in found["state"]],
        "by": found["state_by"].replace("", None), "note": found["note"].replace("", None),
    }).set_axis(found["id"].to_numpy())  # by id after building: columns of ``found`` align on its own index


def _lines(frame: Frame, row: object) -> str:
    return str(getattr(row, f"lines_{frame.lang}")).replace("\n", "；" if frame.lang == "zh" else "; ")


def _scope_name(frame: Frame, units: pd.DataFrame, label: str) -> str:
    """The county, or the names of the units, areas or communities a breach's scope names."""
    scope = breaches.scope_of(label)
    if scope.kind == "county":
        return frame.t("alerts.scope.county")
    column = SCOPE_COLUMNS[scope.kind]
    shown = f"name_{frame.lang}" if column == "code" else f"{column}_{frame.lang}"
    named = units.loc[units[column].isin(scope.codes), shown].unique()
    return "、".join(named) if len(named) else label


def _breach_table(frame: Frame, kept: pd.DataFrame) -> pd.DataFrame:
    units = data.units()
    when = [[i18n.fmt_datetime(pd.Timestamp(t).to_pydatetime(), frame.lang) for t in kept[c]]
            for c in ("first_seen", "last_seen")]
    return pd.DataFrame({
        "rule": kept["rule"], "scope": [_scope_name(frame, units, s) for s in kept["scope"]],
        "what": [_lines(frame, r) for r in kept.itertuples(index=False)],
        "first_seen": when[0], "last_seen": when[1],
        "state": [frame.t(f"alerts.state.{s}") for s in kept["state"]],
        "by": kept["state_by"].replace("", None), "note": kept["note"].replace("", None),
    }).set_axis(kept["id"].to_numpy())


def _grid(frame: Frame, table: pd.DataFrame, prefix: str) -> None:
    grid.dataframe(table, hide_index=True, width="stretch", column_config={
        c: frame.t(f"{prefix}.{c}") for c in table.columns})


# -- the forms --------------------------------------------------------------------------------------------


def respond(frame: Frame, facility_ids: list[int] | None) -> None:
    """The forms that record a step on an open signal or breach (outside the live region: a timer must not
    redraw a form half filled in). Not on a wall."""
    if frame.kiosk:
        return
    since = clock.today() - dt.timedelta(days=DAYS_SHOWN)
    open_signals = data.alert_signals(since, facility_ids, open_only=True)
    open_breaches = data.alert_breaches(since, facility_ids, open_only=True, viewer=frame.viewer)
    left, right = st.columns(2)
    if not open_signals.empty:
        table = _table(frame, open_signals)
        with left:
            _form(frame, "signal", {i: f"{r.place} · {r.syndrome} · {r.day}" for i, r in table.iterrows()})
    if not open_breaches.empty:
        table = _breach_table(frame, open_breaches)
        with right:
            _form(frame, "breach", {i: f"{r.rule} · {r.scope} · {r.first_seen}" for i, r in table.iterrows()})


def _key(kind: str, part: str = "") -> str:
    return f"alerts-{kind}-{part}" if part else f"alerts-{kind}"


def _save(frame: Frame, kind: str) -> None:
    """A form's callback (as the publish form's: a rerun cannot lose the click)."""
    state = st.session_state
    try:
        data.respond_to_alert(kind, int(state[_key(kind)]), state[_key(kind, "step")] or "",
                              access.author(frame, state.get(_key(kind, "by"), "")), state[_key(kind, "note")])
    except StepRefused as refused:
        state[_key(kind, "message")] = ("error", _refused(frame, refused))
    else:
        state[_key(kind, "message")] = ("success", frame.t("alerts.saved"))


def _refused(frame: Frame, refused: StepRefused) -> str:
    if refused.reason != "not_allowed":
        return frame.t(f"alerts.refused.{refused.reason}")
    allowed = "、" if frame.lang == "zh" else ", "
    return frame.t("alerts.refused.not_allowed", state=frame.t(f"alerts.state.{refused.state}"),
                   allowed=allowed.join(frame.t(f"alerts.state.{s}") for s in refused.allowed) or i18n.MISSING)


def _form(frame: Frame, kind: str, labels: dict[int, str]) -> None:
    with st.form(_key(kind, "form")):
        st.markdown(f"**{frame.t(f'alerts.respond.{kind}')}**")
        st.selectbox(frame.t(f"alerts.pick.{kind}"), list(labels), key=_key(kind), format_func=labels.__getitem__)
        st.segmented_control(frame.t("alerts.step"), STEPS[kind], key=_key(kind, "step"),
                             format_func=lambda s: frame.t(f"alerts.state.{s}"), default=STEPS[kind][0])
        if not access.signed_in(frame):  # signed in, the step names the user
            st.text_input(frame.t("alerts.by"), key=_key(kind, "by"), max_chars=64)
        st.text_area(frame.t("alerts.note"), key=_key(kind, "note"), placeholder=frame.t(f"alerts.note.hint.{kind}"))
        st.form_submit_button(frame.t("alerts.save"), type="primary", key=_key(kind, "save"), on_click=_save,
                              args=(frame, kind))
    if _key(kind, "message") in st.session_state:
        level, text = st.session_state.pop(_key(kind, "message"))
        (st.success if level == "success" else st.error)(text)


def ribbon(frame: Frame) -> None:
    """On a wall: one line naming the open signals of the last days, if any."""
    since = clock.today() - dt.timedelta(days=DAYS_SHOWN)
    found = data.alert_signals(since, frame.viewer.ids(data.units()), open_only=True)  # a scoped wall: its units
    if found.empty:
        return
    names = data.units()["name_zh" if frame.lang == "zh" else "name_en"]
    syndromes = config.syndrome_names(frame.lang)
    items = [f"{names.get(f, f)} {syndromes.get(s, s)}" for f, s in zip(found["facility_id"], found["syndrome"],
                                                                      strict=True)]
    st.error(frame.t("alerts.ribbon", n=len(items), items="；".join(items[:5]) if frame.lang == "zh"
                     else "; ".join(items[:5])), icon=":material/campaign:")
