"""Users and wall screens in a store of two counties (issue #15 item 5), on both backends: the tiny 小旗
(urban: H, T1, V1; pastoral: T2, V2), loaded first, and 小河县 beside it (plain: XH-AUX, XH-T2, XH-V1,
XH-V2). An area or unit is a county's, so a scope names its county; a user or screen confined to a county
sees that one only, and an admin confined to a county manages that county's accounts only."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from collections.abc import Iterator

import pytest

from lib import registry
from lib.access import accounts, tokens
from lib.access.__main__ import PAGES
from lib.access.cli import REFUSED
from lib.store import db
from tests.conftest import BACKENDS, make_store
from tests.fixtures import tiny
from tests.lib.test_county_neutral import XIAOHE

NOW = dt.datetime(2026, 11, 5, 9)
PASSWORD = "correct horse battery"


def _tiny_and_xiaohe(url: str) -> None:
    tiny.build(url)
    with db.engine(url).begin() as conn:
        registry.load(conn, XIAOHE)


@pytest.fixture(scope="module", params=BACKENDS)
def url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Both counties per backend for the module; each test uses user names of its own."""
    with make_store(request.param, tmp_path_factory.mktemp("two"), fill=_tiny_and_xiaohe) as store:
        yield store


def _add(url: str, name: str, role: str, **scope: object) -> None:
    with db.engine(url).begin() as conn:
        accounts.add(conn, name, role, PASSWORD, by="admin", now=NOW, **scope)


def _viewer(url: str, name: str) -> accounts.Viewer:
    with db.engine(url).connect() as conn:
        return accounts.viewer(conn, name)


def test_an_area_names_its_county_once_the_store_holds_two(url: str) -> None:
    with pytest.raises(accounts.AccountError, match="several counties"):
        _add(url, "plain-officer", "area_staff", area="plain")
    with pytest.raises(accounts.AccountError, match="no area urban"):  # the other county's area
        _add(url, "plain-officer", "area_staff", area="urban", county="990101")
    with pytest.raises(accounts.AccountError, match="no county 990199"):
        _add(url, "plain-officer", "area_staff", area="plain", county="990199")
    _add(url, "plain-officer", "area_staff", area="plain", county="990101")
    officer = _viewer(url, "plain-officer")
    assert (officer.county, officer.units) == ("990101", frozenset({"XH-AUX", "XH-T2", "XH-V1", "XH-V2"}))
    assert officer.sees_county("990101")
    assert not officer.sees_county("000001")
    with db.engine(url).connect() as conn:
        listed = accounts.listed(conn).set_index("name")
    assert listed.loc["plain-officer", "county"] == "990101"


def test_a_county_role_is_confined_when_named_and_sees_every_county_when_not(url: str) -> None:
    _add(url, "xh-leader", "leader", county="990101")
    _add(url, "region-leader", "leader")
    leader, region = _viewer(url, "xh-leader"), _viewer(url, "region-leader")
    assert (leader.county, leader.units) == ("990101", None)
    assert (region.county, region.units) == (None, None)
    assert region.sees_county("000001")
    assert region.sees_county("990101")


def test_a_confined_admin_manages_its_own_countys_accounts_only(url: str) -> None:
    _add(url, "xh-admin", "ops_centre", county="990101")
    _add(url, "tiny-staff", "leader", county="000001")
    admin = _viewer(url, "xh-admin")
    with db.engine(url).begin() as conn:
        accounts.add(conn, "xh-staff", "leader", PASSWORD, county="990101", by=admin.name, now=NOW, grantor=admin)
        with pytest.raises(accounts.AccountError, match="you manage accounts of 990101 only"):
            accounts.add(conn, "tiny-new", "leader", PASSWORD, county="000001", by=admin.name, now=NOW,
                         grantor=admin)
        with pytest.raises(accounts.AccountError, match="you manage accounts of 990101 only"):
            accounts.add(conn, "anywhere", "leader", PASSWORD, by=admin.name, now=NOW, grantor=admin)
        with pytest.raises(accounts.AccountError, match="you manage accounts of 990101 only"):
            accounts.change(conn, "tiny-staff", active=False, by=admin.name, now=NOW, grantor=admin)
    assert _viewer(url, "tiny-staff").county == "000001"  # still active


def test_a_wall_screen_shows_its_own_county_whatever_its_view_says(url: str) -> None:
    with db.engine(url).begin() as conn:
        token = tokens.add(conn, "xh-lobby", "map?county=000001&area=plain", area="plain", county="990101",
                           by="admin", now=NOW, pages=PAGES)
        with pytest.raises(accounts.AccountError, match="several counties"):
            tokens.add(conn, "lobby-2", "map", area="plain", by="admin", now=NOW, pages=PAGES)
    with db.engine(url).connect() as conn:
        screen = tokens.resolve(conn, token)
    assert screen is not None
    assert screen.params == (("area", "plain"), ("county", "990101"))
    assert (screen.viewer.county, screen.viewer.units) == ("990101", frozenset({"XH-AUX", "XH-T2", "XH-V1", "XH-V2"}))


@pytest.mark.parametrize(("args", "status"), [
    (("--county", "000001"), REFUSED),
    ((), REFUSED),  # the store's first county is the tiny one
    (("--county", "990101"), 0),
])
def test_the_kpi_cli_as_a_confined_user_is_refused_another_county(url: str, args: tuple[str, ...],
                                                                   status: int) -> None:
    if "cli-xh-leader" not in set(_names(url)):
        _add(url, "cli-xh-leader", "leader", county="990101")
    run = subprocess.run([sys.executable, "-m", "lib.kpi", "show", "--period", "2026-10", "--db", url,
                          "--as", "cli-xh-leader", *args], capture_output=True, text=True, cwd=db.ROOT, timeout=300,
                         check=False)
    assert run.returncode == status, run.stderr
    if status == REFUSED:
        assert "does not see county 000001" in run.stderr


def _names(url: str) -> list[str]:
    with db.engine(url).connect() as conn:
        return list(accounts.listed(conn)["name"])
