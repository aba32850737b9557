"""The alerts page: signals of the last weeks in the townships in scope, open ones first, each with the
step its responder can take (verify, confirm, dismiss) and the note that goes with it; and the wall's
ribbon naming open signals."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from lib import clock, i18n
from lib.alerts import config, signals
from ui import data, grid
from ui.frame import Frame

DAYS_SHOWN = 28
RESPONDER_KEY = "alerts-by"


def draw(frame: Frame, facility_ids: list[int] | None) -> None:
    """The signals of the last weeks: open ones, then closed ones (the page's live region)."""
    found = data.alert_signals(clock.today() - dt.timedelta(days=DAYS_SHOWN), facility_ids)
    st.caption(frame.t("alerts.how", days=DAYS_SHOWN))
    if found.empty:
        st.info(frame.t("alerts.none", days=DAYS_SHOWN))
        return
    table = _table(frame, found)
    open_rows = table[found["state"].isin(signals.OPEN).to_numpy()]
    st.subheader(frame.t("alerts.open", n=len(open_rows)))
    _grid(frame, open_rows)
    closed = table[~found["state"].isin(signals.OPEN).to_numpy()]
    if len(closed):
        st.subheader(frame.t("alerts.closed", n=len(closed)))
        _grid(frame, closed)


def _table(frame: Frame, found: pd.DataFrame) -> pd.DataFrame:
    units = data.units()
    names = units["name_zh" if frame.lang == "zh" else "name_en"]
    syndromes = config.syndrome_names(frame.lang)
    return pd.DataFrame({
        "place": names.reindex(found["facility_id"]).to_numpy(),
        "syndrome": [syndromes.get(s, s) for s in found["syndrome"]],
        "day": [i18n.fmt_datetime(pd.Timestamp(d).date(), frame.lang) for d in found["day"]],
        "count": found["count"], "threshold": found["threshold"],
        "method": [frame.t(f"alerts.method.{m}") for m in found["method"]],
        "state": [frame.t(f"alerts.state.{s}") for s in found["state"]],
        "by": found["state_by"].replace("", None), "note": found["note"].replace("", None),
    }, index=found["id"].to_numpy())


def _grid(frame: Frame, table: pd.DataFrame) -> None:
    grid.dataframe(table, hide_index=True, width="stretch", column_config={
        c: frame.t(f"alerts.col.{c}") for c in table.columns})


def respond(frame: Frame, facility_ids: list[int] | None) -> None:
    """The form that records a step of the response (outside the live region: a timer must not redraw a
    form half filled in). Not on a wall."""
    found = data.alert_signals(clock.today() - dt.timedelta(days=DAYS_SHOWN), facility_ids, open_only=True)
    if frame.kiosk or found.empty:
        return
    _respond(frame, found, _table(frame, found))


SIGNAL_KEY, STEP_KEY, NOTE_KEY, MESSAGE_KEY = "alerts-signal", "alerts-step", "alerts-note", "alerts-message"


def _save(frame: Frame) -> None:
    """The form's callback (as the publish form's: a rerun cannot lose the click)."""
    state = st.session_state
    try:
        data.respond_to_signal(int(state[SIGNAL_KEY]), state[STEP_KEY] or "", state[RESPONDER_KEY],
                               state[NOTE_KEY])
    except signals.StepRefused as refused:
        state[MESSAGE_KEY] = ("error", frame.t(f"alerts.refused.{refused.reason}"))
    else:
        state[MESSAGE_KEY] = ("success", frame.t("alerts.saved"))


def _respond(frame: Frame, open_signals: pd.DataFrame, table: pd.DataFrame) -> None:
    with st.form("alerts-respond"):
        st.markdown(f"**{frame.t('alerts.respond')}**")
        st.selectbox(frame.t("alerts.signal"), list(open_signals["id"]), key=SIGNAL_KEY,
                     format_func=lambda i: f"{table.loc[i, 'place']} · {table.loc[i, 'syndrome']} · "
                                           f"{table.loc[i, 'day']}")
        st.segmented_control(frame.t("alerts.step"), ("verifying", "confirmed", "dismissed"), key=STEP_KEY,
                             format_func=lambda s: frame.t(f"alerts.state.{s}"), default="verifying")
        st.text_input(frame.t("alerts.by"), key=RESPONDER_KEY, max_chars=64)
        st.text_area(frame.t("alerts.note"), key=NOTE_KEY, placeholder=frame.t("alerts.note.hint"))
        st.form_submit_button(frame.t("alerts.save"), type="primary", key="alerts-save", on_click=_save,
                              args=(frame,))
    if MESSAGE_KEY in st.session_state:
        kind, text = st.session_state.pop(MESSAGE_KEY)
        (st.success if kind == "success" else st.error)(text)


def ribbon(frame: Frame) -> None:
    """On a wall: one line naming the open signals of the last days, if any."""
    since = clock.today() - dt.timedelta(days=DAYS_SHOWN)
    found = data.alert_signals(since, None, open_only=True)
    if found.empty:
        return
    names = data.units()["name_zh" if frame.lang == "zh" else "name_en"]
    syndromes = config.syndrome_names(frame.lang)
    items = [f"{names.get(f, f)} {syndromes.get(s, s)}" for f, s in zip(found["facility_id"], found["syndrome"],
                                                                      strict=True)]
    st.error(frame.t("alerts.ribbon", n=len(items), items="；".join(items[:5]) if frame.lang == "zh"
                     else "; ".join(items[:5])), icon=":material/campaign:")
