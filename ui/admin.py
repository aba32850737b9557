"""The admin page: users (role, scope, active), kiosk tokens (made, shown once, revoked) and the audit.

Only the leader and the operations centre reach it (ui/frame.admits); every change goes through
lib.access, which audits it in the same transaction, and the audit is listed below the forms.
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
    listed = data.access_admin()
    users, screens, audit = st.tabs([frame.t(f"access.admin.tab.{k}") for k in ("users", "tokens", "audit")])
    with users:
        _users(frame, listed["users"])
    with screens:
        _tokens(frame, listed["tokens"])
    with audit:
        _table(frame, listed["audit"], "admin-audit")


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


def _pick(frame: Frame, column: str, labels: dict[str, str], key: str) -> str:
    return st.selectbox(frame.t(f"access.col.{column}"), list(labels), format_func=labels.__getitem__, key=key)


def _role_and_scope(frame: Frame, key: str) -> tuple[str, str | None, str | None]:
    """Role, area and unit pickers (the store checks that the scope suits the role)."""
    roles = {c: frame.t(f"access.role.{c}") for c, r in data.access_roles().items() if r.interactive}
    areas, units = _scope_choices(frame)
    role = _pick(frame, "role", roles, f"{key}-role")
    area = _pick(frame, "area", areas, f"{key}-area")
    unit = _pick(frame, "unit", units, f"{key}-unit")
    return role, area or None, unit or None


def _users(frame: Frame, users: pd.DataFrame) -> None:
    _table(frame, users, "admin-users")
    with st.expander(frame.t("access.admin.add_user")), st.form("admin-add-user", clear_on_submit=True):
        name = st.text_input(frame.t("access.col.name"), max_chars=64, key="admin-add-name")
        role, area, unit = _role_and_scope(frame, "admin-add")
        password = st.text_input(frame.t("access.col.password"), type="password", key="admin-add-password",
                                 help=frame.t("access.admin.password.help"))
        if st.form_submit_button(frame.t("access.admin.add"), key="admin-add-go"):
            _apply(frame, name, accounts.add, name, role, password or None, area=area, unit=unit)
            st.rerun()
    if users.empty:
        return
    with st.expander(frame.t("access.admin.change_user")), st.form("admin-change-user"):
        who = st.selectbox(frame.t("access.admin.user"), list(users["name"]), key="admin-change-name")
        role, area, unit = _role_and_scope(frame, "admin-change")
        active = st.checkbox(frame.t("access.col.active"), value=True, key="admin-change-active")
        if st.form_submit_button(frame.t("access.admin.change"), key="admin-change-go"):
            if who == frame.viewer.name and (not active or role != frame.viewer.role):
                st.session_state[ERROR_KEY] = frame.t("access.admin.self")
            else:
                _apply(frame, who, accounts.change, who, role=role, area=area, unit=unit, active=active)
            st.rerun()


def _tokens(frame: Frame, listed: pd.DataFrame) -> None:
    if made := st.session_state.pop(MADE_KEY, None):
        label, view, token = made
        st.warning(frame.t("access.admin.token.made", label=label))
        st.code(f"/{view.split('?')[0]}?kiosk=1&token={token}", language=None)
    _table(frame, listed, "admin-tokens")
    areas, _ = _scope_choices(frame)
    pages = [p.name for p in PAGES if p.name != "admin"]
    with st.expander(frame.t("access.admin.add_token")), st.form("admin-add-token", clear_on_submit=True):
        label = st.text_input(frame.t("access.col.label"), max_chars=64, key="admin-token-label")
        page = st.selectbox(frame.t("access.col.view"), pages, format_func=lambda p: frame.t(f"page.{p}"),
                            key="admin-token-page")
        area = _pick(frame, "area", areas, "admin-token-area")
        if st.form_submit_button(frame.t("access.admin.add"), key="admin-token-go"):
            view = f"{page}?area={area}" if area else page
            token = _apply(frame, label, tokens.add, label, view, area=area or None, pages=tuple(pages))
            if token is not None:
                st.session_state[MADE_KEY] = (label, view, token)
            st.rerun()
    live = list(listed.loc[listed["revoked_at"].isna(), "label"])
    if live:
        with st.form("admin-revoke-token"):
            label = st.selectbox(frame.t("access.col.label"), live, key="admin-revoke-label")
            if st.form_submit_button(frame.t("access.admin.revoke"), key="admin-revoke-go"):
                _apply(frame, label, tokens.revoke, label)
                st.rerun()
