"""The admin page: users (role, scope, active), kiosk tokens (made, shown once, revoked) and the audit.

Only the leader and the operations centre reach it (ui/frame.admits); every change goes through
lib.access, which audits it in the same transaction, and the audit is listed below the forms. In a store
of several counties, users and screens made here are the county shown (its areas and units are the ones
offered); region-wide accounts are made with ``python -m lib.access`` without ``--county``. An admin
confined to a county lists and manages that county's only.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from lib.access import OPEN, accounts, tokens
from ui import data, grid
from ui.frame import PAGES, Frame, admits

MADE_KEY, DONE_KEY, ERROR_KEY = "admin-token-made", "admin-done", "admin-error"
NONE = ""  # "no area" / "no unit": a real option, as the filter bar's ALL


def draw(frame: Frame) -> None:
    if not admits(frame.viewer):
        st.error(frame.t("access.admin.refused"))
        return
    if frame.viewer.role == OPEN.role:
        st.info(frame.t("access.admin.off"))
        return
    if done := st.session_state.pop(DONE_KEY, None):
        st.success(frame.t("access.admin.done", what=done))
    if error := st.session_state.pop(ERROR_KEY, None):
        st.error(error)
    listed = {k: _own(frame, v) for k, v in data.access_admin().items()}
    users, screens, audit = st.tabs([frame.t(f"access.admin.tab.{k}") for k in ("users", "tokens", "audit")])
    with users:
        _users(frame, listed["users"])
    with screens:
        _tokens(frame, listed["tokens"])
    with audit:
        steps = listed["audit"].assign(action=lambda a: [frame.t(f"access.action.{x}") for x in a["action"]])
        _table(frame, steps, "admin-audit")


def _own(frame: Frame, listed: pd.DataFrame) -> pd.DataFrame:
    """The users or screens a confined admin manages (its county's); everything for anyone else."""
    if frame.viewer.county is None or "county" not in listed:
        return listed
    return listed[listed["county"] == frame.viewer.county]


def _county(frame: Frame) -> str | None:
    """The county an account or screen made here is confined to: the one shown, once the store holds several
    (or the admin is confined); None in a store of one county (lib.access confines an area or unit to it)."""
    return data.here().county if frame.viewer.county or len(data.counties()) > 1 else None


def _table(frame: Frame, table: pd.DataFrame, key: str) -> None:
    grid.dataframe(table.rename(columns=lambda c: frame.t(f"access.col.{c.removesuffix('_code')}")), hide_index=True,
                   key=key)


def _apply(frame: Frame, what: str, change: Callable[..., object], *args: object, **kwargs: object) -> object:
    """Run one change as the signed-in user; its refusal is shown in the reader's language, nothing written."""
    try:
        out = data.change_access(change, *args, by=frame.viewer.name, **kwargs)
    except accounts.AccountError as exc:
        st.session_state[ERROR_KEY] = exc.text(frame.lang)
        return None
    st.session_state[DONE_KEY] = what
    return out


def _scope_choices(frame: Frame) -> tuple[dict[str, str], dict[str, str]]:
    names = data.choices()
    units = data.units()
    col = "name_en" if frame.lang == "en" else "name_zh"
    areas = {NONE: frame.t("access.admin.none"), **dict(zip(names["area"]["code"], names["area"][col], strict=True))}
    return areas, {NONE: frame.t("access.admin.none"), **dict(zip(units["code"], units[col], strict=True))}


def _pick(frame: Frame, column: str, labels: dict[str, str], key: str) -> None:
    st.selectbox(frame.t(f"access.col.{column}"), list(labels), format_func=labels.__getitem__, key=key)


def _role_and_scope(frame: Frame, key: str) -> None:
    """Role, area and unit pickers (the store checks that the scope suits the role)."""
    roles = {c: frame.t(f"access.role.{c}") for c, r in data.access_roles().items()
             if r.interactive and accounts.grantable(r, frame.viewer)}
    areas, units = _scope_choices(frame)
    _pick(frame, "role", roles, f"{key}-role")
    _pick(frame, "area", areas, f"{key}-area")
    _pick(frame, "unit", units, f"{key}-unit")


def _chosen(key: str) -> dict[str, str | None]:
    """What the pickers of :func:`_role_and_scope` hold, as lib.access takes it ("" is none)."""
    state = st.session_state
    return {"role": state[f"{key}-role"], "area": state[f"{key}-area"] or None, "unit": state[f"{key}-unit"] or None}


def _add_user(frame: Frame) -> None:
    """The form's callback (a callback, not the button's return value, so a rerun cannot lose the click)."""
    name, password = st.session_state["admin-add-name"].strip(), st.session_state["admin-add-password"]
    chosen = _chosen("admin-add")
    _apply(frame, name, accounts.add, name, chosen.pop("role"), password or None, county=_county(frame),
           grantor=frame.viewer, **chosen)


def _change_user(frame: Frame) -> None:
    who, active, chosen = st.session_state["admin-change-name"], st.session_state["admin-change-active"], \
        _chosen("admin-change")
    if who == frame.viewer.name and (not active or chosen["role"] != frame.viewer.role):
        st.session_state[ERROR_KEY] = frame.t("access.admin.self")
        return
    _apply(frame, who, accounts.change, who, active=active, county=_county(frame), grantor=frame.viewer, **chosen)


def _add_token(frame: Frame, pages: tuple[str, ...]) -> None:
    label, page, area = (st.session_state[k] for k in ("admin-token-label", "admin-token-page", "admin-token-area"))
    view = f"{page}?area={area}" if area else page
    token = _apply(frame, label, tokens.add, label.strip(), view, area=area or None, county=_county(frame),
                   pages=pages)
    if token is not None:
        st.session_state[MADE_KEY] = (label, view, token)


def _revoke_token(frame: Frame) -> None:
    label = st.session_state["admin-revoke-label"]
    _apply(frame, label, tokens.revoke, label)


def _users(frame: Frame, users: pd.DataFrame) -> None:
    _table(frame, users, "admin-users")
    with st.expander(frame.t("access.admin.add_user")), st.form("admin-add-user", clear_on_submit=True):
        st.text_input(frame.t("access.col.name"), max_chars=64, key="admin-add-name")
        _role_and_scope(frame, "admin-add")
        st.text_input(frame.t("access.col.password"), type="password", key="admin-add-password",
                      help=frame.t("access.admin.password.help"))
        st.form_submit_button(frame.t("access.admin.add"), key="admin-add-go", on_click=_add_user, args=(frame,))
    if users.empty:
        return
    with st.expander(frame.t("access.admin.change_user")), st.form("admin-change-user"):
        st.selectbox(frame.t("access.admin.user"), list(users["name"]), key="admin-change-name")
        _role_and_scope(frame, "admin-change")
        st.checkbox(frame.t("access.col.active"), value=True, key="admin-change-active")
        st.form_submit_button(frame.t("access.admin.change"), key="admin-change-go", on_click=_change_user,
                              args=(frame,))


def _tokens(frame: Frame, listed: pd.DataFrame) -> None:
    if made := st.session_state.pop(MADE_KEY, None):
        label, view, token = made
        st.warning(frame.t("access.admin.token.made", label=label))
        st.code(f"/{view.split('?')[0]}?kiosk=1&token={token}", language=None)
    _table(frame, listed, "admin-tokens")
    areas, _ = _scope_choices(frame)
    pages = tuple(p.name for p in PAGES if p.name != "admin")
    with st.expander(frame.t("access.admin.add_token")), st.form("admin-add-token", clear_on_submit=True):
        st.text_input(frame.t("access.col.label"), max_chars=64, key="admin-token-label")
        st.selectbox(frame.t("access.col.view"), pages, format_func=lambda p: frame.t(f"page.{p}"),
                     key="admin-token-page")
        _pick(frame, "area", areas, "admin-token-area")
        st.form_submit_button(frame.t("access.admin.add"), key="admin-token-go", on_click=_add_token,
                              args=(frame, pages))
    live = list(listed.loc[listed["revoked_at"].isna(), "label"])
    if live:
        with st.form("admin-revoke-token"):
            st.selectbox(frame.t("access.col.label"), live, key="admin-revoke-label")
            st.form_submit_button(frame.t("access.admin.revoke"), key="admin-revoke-go", on_click=_revoke_token,
                                  args=(frame,))
