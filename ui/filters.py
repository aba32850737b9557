"""The filter bar every page shares: community, area, tier (peer group), month and span, kept in the URL.

The URL is the state (lib.kpi.filters parses it); widgets only edit it, so a copied link, a bookmark or a
kiosk playlist entry reproduces the view. In kiosk mode no bar is drawn but the URL still applies.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import NamedTuple

import streamlit as st

from lib import clock, i18n
from lib.kpi import filters
from lib.kpi.engine import Scope
from lib.kpi.filters import Filters
from lib.kpi.period import add_months, first_of_month
from ui import data
from ui.frame import Frame

MONTHS_BACK = 36  # the demo keeps 36 full months; older months stay reachable by URL


ALL = ""  # the "all" choice: a real option, since a None option is a selectbox's empty placeholder


def url_param(param: str, key: str, default: str | None) -> Callable[[], None]:
    """An on_change callback writing widget ``key`` into URL parameter ``param`` (dropped when default)."""

    def apply() -> None:
        value = st.session_state[key]
        if value in (None, ALL, default):
            st.query_params.pop(param, None)
        else:
            st.query_params[param] = value
    return apply


def bar(frame: Frame, *, today: dt.date | None = None) -> Filters:
    """Draw the bar (unless kiosk) and return the filters of this run. The URL is read against the units
    the viewer sees, so a hand-edited ?area= or ?community= of another area is ignored, and said so."""
    today = today or clock.today()
    units = frame.viewer.keep(data.units())
    chosen = filters.parse(st.query_params, units, today)
    if chosen.ignored:
        st.warning(frame.t("filter.ignored", names=", ".join(chosen.ignored)))
    if frame.kiosk:
        return chosen
    names = data.choices()
    if not frame.viewer.sees_all:  # only the communities and areas of the viewer's units are offered
        names = {kind: names[kind][names[kind]["code"].isin(set(units[kind]))] for kind in ("community", "area")}
    col = "name_en" if frame.lang == "en" else "name_zh"
    options: dict[str, dict[str, str]] = {
        "community": {ALL: frame.t("filter.all"), **dict(zip(names["community"].code, names["community"][col],
                                                              strict=True))},
        "area": {ALL: frame.t("filter.all"), **dict(zip(names["area"].code, names["area"][col], strict=True))},
        "tier": {ALL: frame.t("filter.all"),
                 **{g: frame.t(f"peer.{g}") for g in dict.fromkeys(units["peer_group"])}},
    }
    current = {"community": chosen.community, "area": chosen.area, "tier": chosen.tier}
    this_month = first_of_month(today)
    months = [add_months(this_month, -i).strftime("%Y-%m") for i in range(MONTHS_BACK + 1)]
    if f"{chosen.period.last_month:%Y-%m}" not in months:  # an older month from a link stays selectable
        months.append(f"{chosen.period.last_month:%Y-%m}")
    with st.container(horizontal=True, key="cockpit-filters"):
        for param, labels in options.items():
            key = f"filter-{param}"
            st.session_state[key] = current[param] or ALL
            st.selectbox(frame.t(f"filter.{param}"), list(labels), format_func=labels.__getitem__, key=key,
                         on_change=url_param(param, key, None))
        st.session_state["filter-period"] = f"{chosen.period.last_month:%Y-%m}"
        st.selectbox(frame.t("filter.period"), months, key="filter-period",
                     on_change=url_param("period", "filter-period", months[0]))
        st.session_state["filter-span"] = chosen.period.kind
        st.segmented_control(frame.t("filter.span"), filters.SPANS, key="filter-span", required=True,
                             format_func=lambda s: i18n.t(f"span.{s}", frame.lang),
                             on_change=url_param("span", "filter-span", "month"))
    return chosen


class Scoped(NamedTuple):
    """The filters of this run, the KPI scope they select, and its facility ids (None: the county)."""

    filters: Filters
    scope: Scope
    facility_ids: list[int] | None


def scoped(frame: Frame, *, today: dt.date | None = None) -> Scoped:
    """Draw the bar and resolve it against the registry: what the live pages start from.

    The viewer narrows both: the KPI scope stays a county total or holds only the viewer's units (a
    community spanning two areas becomes the viewer's units of it), and the facility ids, which every
    unit-level table, map and list reads, are the viewer's even when the scope is the county."""
    chosen = bar(frame, today=today)
    units = data.units()
    scope = chosen.scope(units)
    if not frame.viewer.permits(scope, units):
        mine = frame.viewer.keep(units)
        scope = Scope("facilities", tuple(mine.loc[chosen.keeps(mine), "code"]))
    return Scoped(chosen, scope, frame.viewer.narrow_ids(filters.facility_ids(scope, units), units))
