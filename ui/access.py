"""Sign-in in the app: who is looking, decided once per run before the page is drawn (ui/frame.route).

Off by default (data/access.toml, COCKPIT_AUTH): everyone is lib.access.OPEN and sees everything, as the
demo always did. On: a wall screen with ``?kiosk=1&token=...`` opens its token's view; anyone else signs in
through the identity provider (``st.login``, when .streamlit/secrets.toml configures [auth]) or with a local
account (argon2, lockout). The session ends on sign-out, after ``session_hours`` or ``idle_minutes``, or
when the user is disabled; a revoked token ends a wall's session at its next refresh.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import streamlit as st
from streamlit.errors import StreamlitSecretNotFoundError

from lib import clock
from lib.access import OPEN, AccessError, Viewer, sessions, watermark
from ui import data

if TYPE_CHECKING:  # ui.frame imports this module
    from ui.frame import Frame

SESSION_KEY = "access-session"
MESSAGE_KEY = "access-message"
NAME_KEY, PASSWORD_KEY = "access-name", "access-password"
TOKEN_PARAM = "token"
ROTATE_PARAM = "rotate"  # lib.kiosk's playlist parameter


def current(frame: Frame) -> Viewer | None:
    """The viewer of this run, or None when nobody is signed in (the caller draws :func:`sign_in_page`)."""
    settings = data.access_settings()
    if not settings.enabled:
        return OPEN
    if frame.kiosk and st.query_params.get(TOKEN_PARAM):
        screen = data.kiosk_screen(st.query_params.get(TOKEN_PARAM))
        if screen is None:
            return None
        view = {ROTATE_PARAM: screen.page, **dict(screen.params)}  # its page, or the playlist its query names
        for key, value in view.items():  # the token's view wins over a hand-edited URL
            if st.query_params.get(key) != value:
                st.query_params[key] = value
        return screen.viewer
    now = clock.now()
    session = _oidc_session(st.session_state.get(SESSION_KEY), now)
    if session is None:
        return None
    if session.expired(now, settings):
        _end("access.session.expired")
        return None
    try:
        viewer = data.viewer_of(session.name)
    except AccessError:  # disabled since, or an identity of the provider without an account here
        if session.via == "oidc":  # the provider's sign-in stays (see _end): the page says why, offers another
            _end("access.signin.no_account", provider_too=False, name=session.name)
        else:
            _end("access.signin.disabled", name=session.name)
        return None
    st.session_state[SESSION_KEY] = session.touched(now)
    return viewer


def confine(viewer: Viewer) -> None:
    """Keep the run's viewer's county for ui.data.here: a viewer confined to a county sees only that one."""
    st.session_state[data.CONFINED_KEY] = viewer.county


def still_valid(frame: Frame) -> bool:
    """Whether the run's signed-in user is still allowed (a desk's live region asks before re-reading
    figures; a wall's refresh reruns the whole page, whose :func:`current` checks its token)."""
    if not signed_in(frame):
        return True
    try:
        data.viewer_of(frame.viewer.name)
    except AccessError:
        return False
    return True


def _oidc_configured() -> bool:
    try:
        return "auth" in st.secrets
    except (FileNotFoundError, StreamlitSecretNotFoundError):
        return False


def _oidc_session(session: sessions.Session | None, now: dt.datetime) -> sessions.Session | None:
    """A session for the identity provider's signed-in user (by e-mail), unless one runs already."""
    if session is not None or not _oidc_configured() or not st.user.is_logged_in:
        return session
    email = str(st.user.get("email") or "")
    session = sessions.start(email, now, via="oidc")
    st.session_state[SESSION_KEY] = session
    return session


def _end(message: str, *, provider_too: bool = True, **fields: object) -> None:
    """End the session, leaving ``message`` for the sign-in page; ``provider_too``: and the provider's sign-in
    it came from. That sign-out leaves the app for the provider and comes back in a new session, so the
    message is lost: an identity without an account keeps its provider sign-in and is told why on every
    run, until someone signs in otherwise (an account added meanwhile signs it in at the next run)."""
    session = st.session_state.pop(SESSION_KEY, None)
    st.session_state[MESSAGE_KEY] = (message, fields)
    if provider_too and session is not None and session.via == "oidc" and _oidc_configured():
        st.logout()


def sign_in_page(frame: Frame) -> None:
    """What a run without a viewer shows: a refused wall's message, or the sign-in form."""
    if frame.kiosk and st.query_params.get(TOKEN_PARAM):
        st.error(frame.t("access.kiosk.refused"), icon=":material/block:")
        return
    st.title(frame.t("access.signin.title"))
    if message := st.session_state.pop(MESSAGE_KEY, None):
        key, fields = message
        st.warning(frame.t(key, **fields))
    if _oidc_configured():
        st.button(frame.t("access.signin.oidc"), on_click=st.login, key="access-oidc", type="primary",
                  icon=":material/badge:")
        st.caption(frame.t("access.signin.or_local"))
    with st.form("access-signin"):
        st.text_input(frame.t("access.signin.name"), key=NAME_KEY, max_chars=64)
        st.text_input(frame.t("access.signin.password"), key=PASSWORD_KEY, type="password", max_chars=256)
        st.form_submit_button(frame.t("access.signin.go"), type="primary", key="access-go", on_click=_submit)


def _submit() -> None:
    """The form's callback: check the password, start a session or say why not (never which part was wrong)."""
    name, password = st.session_state.get(NAME_KEY, "").strip(), st.session_state.get(PASSWORD_KEY, "")
    st.session_state[PASSWORD_KEY] = ""
    outcome = data.sign_in(name, password) if name and password else None
    if outcome is not None and outcome.viewer is not None:
        st.session_state[SESSION_KEY] = sessions.start(outcome.viewer.name, clock.now())
        return
    failure = "unknown" if outcome is None else outcome.failure
    st.session_state[MESSAGE_KEY] = (f"access.signin.{failure}", {})


def sign_out() -> None:
    """End the session (and the identity provider's, when it started it)."""
    session = st.session_state.pop(SESSION_KEY, None)
    if session is not None and session.via == "oidc" and _oidc_configured():
        st.logout()


def signed_in(frame: Frame) -> bool:
    """Someone is signed in (sign-in on, not a wall's token): records name them, no one types a name."""
    return frame.viewer.role != OPEN.role and not frame.viewer.kiosk


def author(frame: Frame, typed: str) -> str:
    """Who a record (a publication, an upload, a step on an alert) names: the signed-in user, else the name typed."""
    return frame.viewer.name if signed_in(frame) else typed.strip()


def badge(frame: Frame) -> None:
    """Who is signed in and their role, and the sign-out button (in the frame's header)."""
    if not signed_in(frame):
        return
    st.caption(frame.t("access.signed_in", name=frame.viewer.name, role=frame.t(f"access.role.{frame.viewer.role}")),
               width="content")
    st.button(frame.t("access.signout"), key="access-signout", on_click=sign_out, icon=":material/logout:",
              type="tertiary")


def mark(frame: Frame) -> str:
    """The watermark's text for this run ("" when sign-in or the watermark is off): name or kiosk label, time."""
    if frame.viewer.role == OPEN.role or not data.access_settings().watermark:
        return ""
    return watermark.label(frame.viewer.name, clock.now())


# A table's own CSV download cannot carry the watermark: while it is on, tables offer none (their figures are
# the viewer's in any case; the watermarked exports are the rankings page's Excel and printed report).
NO_TABLE_DOWNLOAD = 'button[aria-label^="Download as CSV"]{display:none}'  # Streamlit's label, in English


def overlay(frame: Frame) -> None:
    """The watermark tiled over the whole page, letting clicks through."""
    text = mark(frame)
    if text:
        st.html(f'<style>{watermark.css(text)}{NO_TABLE_DOWNLOAD}</style>'
                '<div class="cockpit-watermark" data-testid="cockpit-watermark"></div>')
