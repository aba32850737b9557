"""lib.access against the tiny county (urban: H, T1, V1; pastoral: T2, V2) on both backends: users and
their scopes, argon2 sign-in and lockout, kiosk tokens, the audit of every change, the CLI."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from lib.access import AccessError, Viewer, accounts, audit, sessions, tokens
from lib.access.__main__ import PAGES
from lib.access.settings import Settings
from lib.kpi import measures
from lib.kpi.engine import Scope
from lib.store import db
from lib.store.models import AccessKioskToken, AccessUser
from tests.conftest import BACKENDS, make_store
from tests.fixtures import tiny

NOW = dt.datetime(2026, 11, 5, 9)
SETTINGS = Settings(enabled=True)
PASSWORD = "correct horse battery"


@pytest.fixture(scope="module", params=BACKENDS)
def url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One tiny county per backend for the module; each test uses user names of its own."""
    with make_store(request.param, tmp_path_factory.mktemp("access"), fill=tiny.build) as store:
        yield store


def _add(url: str, name: str, role: str, **scope: str) -> None:
    with db.engine(url).begin() as conn:
        accounts.add(conn, name, role, PASSWORD, by="admin", now=NOW, **scope)


def _sign_in(url: str, name: str, password: str, now: dt.datetime = NOW) -> accounts.SignIn:
    with db.engine(url).begin() as conn:
        return accounts.authenticate(conn, name, password, SETTINGS, now)


def test_roles_live_in_the_store_and_only_the_operations_centre_publishes(url):
    with db.engine(url).connect() as conn:
        known = accounts.roles(conn)
    assert set(known) == {"leader", "ops_centre", "area_staff", "unit_staff", "data_clerk", "kiosk"}
    assert [c for c, r in known.items() if r.may_publish] == ["ops_centre"]
    assert not known["kiosk"].interactive


@pytest.mark.parametrize(("role", "scope", "units"), [
    ("leader", {}, None),
    ("ops_centre", {}, None),
    ("area_staff", {"area": "pastoral"}, {"T2", "V2"}),
    ("unit_staff", {"unit": "T1"}, {"T1"}),
    ("data_clerk", {"area": "urban"}, {"H", "T1", "V1"}),
])
def test_a_users_viewer_sees_the_units_of_its_scope(url, role, scope, units):
    name = f"{role}-{'-'.join(scope.values()) or 'all'}"
    _add(url, name, role, **scope)
    with db.engine(url).connect() as conn:
        viewer = accounts.viewer(conn, name)
    assert viewer.units == (None if units is None else frozenset(units))
    assert viewer.may_publish == (role == "ops_centre")
    assert viewer.may_upload == (role in ("leader", "ops_centre", "data_clerk"))


@pytest.mark.parametrize(("role", "scope", "says"), [
    ("area_staff", {}, "needs --area"),
    ("unit_staff", {"area": "urban"}, "needs --unit"),
    ("leader", {"area": "urban"}, "whole county"),
    ("area_staff", {"area": "nowhere"}, "no area nowhere"),
    ("unit_staff", {"unit": "X9"}, "no unit X9"),
    ("kiosk", {}, "unknown role"),
    ("superuser", {}, "unknown role"),
])
def test_a_user_without_a_valid_scope_is_refused_and_nothing_is_written(url, role, scope, says):
    with pytest.raises(accounts.AccountError, match=says), db.engine(url).begin() as conn:
        accounts.add(conn, "refused", role, PASSWORD, by="admin", now=NOW, **scope)
    with db.engine(url).connect() as conn:
        assert conn.execute(sa.select(AccessUser.id).where(AccessUser.name == "refused")).first() is None


def test_passwords_are_argon2_hashes_and_short_ones_are_refused(url):
    _add(url, "hashed", "leader")
    with db.engine(url).connect() as conn:
        stored = conn.execute(sa.select(AccessUser.password_hash).where(AccessUser.name == "hashed")).scalar_one()
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored
    with pytest.raises(accounts.AccountError, match="at least 8"), db.engine(url).begin() as conn:
        accounts.add(conn, "short", "leader", "abc", by="admin", now=NOW)


def test_sign_in_checks_the_password_and_a_wrong_name_fails_like_a_wrong_password(url):
    _add(url, "signer", "area_staff", area="urban")
    ok = _sign_in(url, "signer", PASSWORD)
    assert ok.viewer is not None
    assert ok.viewer.units == frozenset({"H", "T1", "V1"})
    assert _sign_in(url, "signer", "wrong password").failure == "unknown"
    assert _sign_in(url, "nobody", PASSWORD).failure == "unknown"
    assert _sign_in(url, "' OR 1=1 --", PASSWORD).failure == "unknown"


def test_five_failures_in_the_window_lock_the_account_even_against_the_right_password(url):
    _add(url, "guessed", "leader")
    outcomes = [_sign_in(url, "guessed", f"guess {i}", NOW + dt.timedelta(minutes=i)).failure for i in range(5)]
    assert outcomes == ["unknown"] * 4 + ["locked"]
    assert _sign_in(url, "guessed", PASSWORD, NOW + dt.timedelta(minutes=10)).failure == "locked"
    later = NOW + dt.timedelta(minutes=4) + SETTINGS.lockout + dt.timedelta(seconds=1)
    assert _sign_in(url, "guessed", PASSWORD, later).viewer is not None
    with db.engine(url).connect() as conn:
        actions = audit.listed(conn)
    assert {"signin.lockout", "signin.locked"} <= set(actions.loc[actions["target"] == "guessed", "action"])


def test_failures_spread_beyond_the_window_do_not_lock(url):
    _add(url, "slow-typist", "leader")
    for i in range(6):
        assert _sign_in(url, "slow-typist", "typo", NOW + i * SETTINGS.failure_window).failure == "unknown"
    assert _sign_in(url, "slow-typist", PASSWORD, NOW + 6 * SETTINGS.failure_window).viewer is not None


def test_a_disabled_user_cannot_sign_in_and_loses_its_viewer(url):
    _add(url, "leaver", "unit_staff", unit="V2")
    with db.engine(url).begin() as conn:
        accounts.change(conn, "leaver", active=False, by="admin", now=NOW)
    assert _sign_in(url, "leaver", PASSWORD).failure == "disabled"
    with pytest.raises(AccessError), db.engine(url).connect() as conn:
        accounts.viewer(conn, "leaver")


def test_every_change_is_audited_with_who_what_and_when(url):
    _add(url, "audited", "area_staff", area="urban")
    with db.engine(url).begin() as conn:
        accounts.change(conn, "audited", role="unit_staff", unit="T1", by="boss", now=NOW + dt.timedelta(hours=1))
        rows = audit.listed(conn)
    mine = rows[rows["target"] == "audited"]
    assert list(mine["action"]) == ["user.change", "user.add"]  # newest first
    assert list(mine["by"]) == ["boss", "admin"]
    assert "role=unit_staff" in mine["detail"].iloc[0]
    assert "unit_code=T1" in mine["detail"].iloc[0]
    assert mine["at"].iloc[0] == NOW + dt.timedelta(hours=1)


def test_a_kiosk_token_opens_its_view_until_revoked_and_only_its_hash_is_kept(url):
    with db.engine(url).begin() as conn:
        token = tokens.add(conn, "lobby", "map?area=pastoral", area="pastoral", by="admin", now=NOW, pages=PAGES)
        stored = conn.execute(sa.select(AccessKioskToken.token_hash).where(AccessKioskToken.label == "lobby")
                              ).scalar_one()
    assert len(token) >= 43
    assert token not in stored
    with db.engine(url).connect() as conn:
        screen = tokens.resolve(conn, token)
        assert tokens.resolve(conn, token[:-1] + ("A" if token[-1] != "A" else "B")) is None
        assert tokens.resolve(conn, "") is None
    assert screen is not None
    # an area is a county's: the screen is confined to it, and its view names it
    assert (screen.label, screen.page, screen.params) == ("lobby", "map", (("area", "pastoral"), ("county", "000001")))
    assert screen.viewer.county == "000001"
    assert screen.viewer.kiosk
    assert screen.viewer.units == frozenset({"T2", "V2"})
    assert not screen.viewer.may_upload
    with db.engine(url).begin() as conn:
        tokens.revoke(conn, "lobby", by="admin", now=NOW)
    with db.engine(url).connect() as conn:
        assert tokens.resolve(conn, token) is None
        assert list(audit.listed(conn).query("target == 'lobby'")["action"]) == ["token.revoke", "token.add"]


@pytest.mark.parametrize("view", ["admin-secrets", "admin", "/admin?x=1"])
def test_a_token_for_an_unknown_page_or_the_admin_page_is_refused(url, view):
    with pytest.raises(accounts.AccountError, match="unknown page"), db.engine(url).begin() as conn:
        tokens.add(conn, "nowhere", view, by="admin", now=NOW, pages=PAGES)


def test_a_viewer_permits_county_totals_and_its_own_units_only(url):
    with db.engine(url).connect() as conn:
        units = measures.facilities(conn)
    urban = Viewer(name="u", role="area_staff", units=frozenset({"H", "T1", "V1"}))
    assert urban.permits(Scope(), units)
    assert urban.permits(Scope("area", ("urban",)), units)
    assert urban.permits(Scope("facility", ("T1",)), units)
    assert not urban.permits(Scope("area", ("pastoral",)), units)
    assert not urban.permits(Scope("facilities", ("T1", "T2")), units)
    assert not urban.permits(Scope("facility", ("nowhere",)), units)
    assert sorted(units.loc[urban.narrow_ids(None, units), "code"]) == ["H", "T1", "V1"]
    assert urban.narrow_ids(list(units.index), units) == urban.ids(units)
    assert list(urban.keep(units)["code"]) == list(units.loc[urban.ids(units), "code"])


def test_a_session_ends_after_its_length_or_when_idle():
    session = sessions.start("someone", NOW)
    assert not session.expired(NOW + dt.timedelta(minutes=29), SETTINGS)
    assert session.expired(NOW + SETTINGS.idle + dt.timedelta(seconds=1), SETTINGS)
    busy = session
    for minutes in range(0, 8 * 60, 20):
        busy = busy.touched(NOW + dt.timedelta(minutes=minutes))
        assert not busy.expired(NOW + dt.timedelta(minutes=minutes), SETTINGS)
    assert busy.expired(NOW + SETTINGS.session + dt.timedelta(minutes=1), SETTINGS)


def _cli(url: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "lib.access", "--db", url, "--by", "cli", *args], input=stdin,
                          capture_output=True, text=True, cwd=db.ROOT, timeout=120, check=False)


def test_the_cli_adds_a_user_from_stdin_lists_disables_and_refuses_bad_input(url):
    added = _cli(url, "user", "add", "clerk-cli", "--role", "data_clerk", "--unit", "T2", "--password-stdin",
                 stdin=PASSWORD + "\n")
    assert added.returncode == 0, added.stderr
    assert PASSWORD not in added.stdout + added.stderr
    assert _sign_in(url, "clerk-cli", PASSWORD).viewer.units == frozenset({"T2"})
    assert "clerk-cli" in _cli(url, "user", "list").stdout
    assert _cli(url, "user", "disable", "clerk-cli").returncode == 0
    assert _sign_in(url, "clerk-cli", PASSWORD).failure == "disabled"
    refused = _cli(url, "user", "add", "x", "--role", "area_staff", "--password-stdin", stdin=PASSWORD)
    assert refused.returncode == 2
    assert "needs --area" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_the_cli_makes_and_revokes_a_token(url):
    made = _cli(url, "token", "add", "hall", "--view", "overview")
    assert made.returncode == 0, made.stderr
    token = made.stdout.split("token=")[1].strip()
    with db.engine(url).connect() as conn:
        assert tokens.resolve(conn, token).label == "hall"
    assert _cli(url, "token", "revoke", "hall").returncode == 0
    with db.engine(url).connect() as conn:
        assert tokens.resolve(conn, token) is None
    assert _cli(url, "token", "revoke", "hall").returncode == 2


def test_no_secrets_in_the_repository():
    """Only the example secrets file is tracked; no tracked file holds a private key or an argon2 hash."""
    tracked = subprocess.run(["git", "ls-files"], capture_output=True, text=True, cwd=db.ROOT, check=True).stdout
    names = tracked.split()
    assert ".streamlit/secrets.toml" not in names
    for name in names:
        path = Path(db.ROOT, name)
        if path.suffix in (".py", ".toml", ".md", ".json", ".yml", ".yaml", ".ini", ".cfg", ".env", ".txt"):
            text = path.read_text(encoding="utf-8", errors="replace")
            assert "-----BEGIN" + " PRIVATE KEY" not in text, name
            assert "$argon2" + "id$v=" not in text, name  # split, so this file does not match itself


def test_an_admin_gives_only_roles_within_its_own_rights(url):
    _add(url, "chief", "leader")
    _add(url, "centre", "ops_centre")
    with db.engine(url).connect() as conn:
        leader, centre = accounts.viewer(conn, "chief"), accounts.viewer(conn, "centre")
    with pytest.raises(accounts.AccountError, match="cannot give or change role ops_centre"), \
            db.engine(url).begin() as conn:
        accounts.add(conn, "self-promoted", "ops_centre", PASSWORD, by="chief", now=NOW, grantor=leader)
    with pytest.raises(accounts.AccountError, match="ops_centre"), db.engine(url).begin() as conn:
        accounts.change(conn, "centre", active=False, by="chief", now=NOW, grantor=leader)
    with db.engine(url).begin() as conn:
        accounts.add(conn, "new-officer", "area_staff", PASSWORD, area="urban", by="chief", now=NOW, grantor=leader)
        accounts.add(conn, "new-centre", "ops_centre", PASSWORD, by="centre", now=NOW, grantor=centre)
        accounts.change(conn, "new-officer", role="unit_staff", unit="T1", by="chief", now=NOW, grantor=leader)
    with db.engine(url).connect() as conn:
        assert accounts.viewer(conn, "new-officer").units == frozenset({"T1"})
        assert accounts.viewer(conn, "new-centre").may_publish
