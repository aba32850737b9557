"""Sign-in and scoping in the app (AppTest, tiny county on both backends): with COCKPIT_AUTH=on nothing
shows before sign-in; an area officer's pages never show another area's units, whatever the URL says;
injection strings in every parameter change nothing; uploads and publishing follow the role; a kiosk
token opens its view until revoked; the watermark names the viewer. With sign-in off, all is as before."""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from lib import clock, i18n
from lib.access import AccessError, accounts, sessions, tokens
from lib.access.__main__ import PAGES
from lib.ingest.problems import Refused
from lib.store import db
from lib.store.models import AccessUser, Facility
from tests.conftest import BACKENDS, PG_URL, make_store
from tests.fixtures import tiny
from ui import access, data
from ui.frame import Frame

PASSWORD = "pastures green 42"
NOW = dt.datetime(2026, 11, 5, 9)
URBAN_NAMES = ("旗医院", "一号卫生院", "一号卫生室")  # H, T1, V1: never on a pastoral officer's screen
PASTORAL_NAMES = ("二号卫生院", "二号卫生室")
USERS = {"pastor": ("area_staff", {"area": "pastoral"}), "t1-staff": ("unit_staff", {"unit": "T1"}),
         "ops": ("ops_centre", {}), "boss": ("leader", {}), "clerk": ("data_clerk", {"area": "pastoral"})}
FILL = functools.partial(tiny.build_with_users, users=USERS, password=PASSWORD, now=NOW)
INJECTIONS = ("' OR '1'='1' --", "1; DROP TABLE facility; --", "<script>window.pwned=1</script>",
              "\"><img src=x onerror=alert(1)>", "../../etc/passwd", "%27%20OR%201%3D1")


@pytest.fixture(scope="module", params=BACKENDS)
def url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with make_store(request.param, tmp_path_factory.mktemp("access-pages"),
                    fill=FILL) as store:
        yield store


@pytest.fixture
def signed_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COCKPIT_AUTH", "on")


@pytest.fixture
def page_as(signed_on: None, open_page: Callable[..., AppTest]) -> Callable[..., AppTest]:
    """Open pages/<name>.py signed in as ``user`` (None: nobody) with URL parameters; no exception allowed."""

    def _open(url: str, user: str | None, name: str | None, **params: str) -> AppTest:
        session = None if user is None else {access.SESSION_KEY: sessions.start(user, clock.now())}
        return open_page(url, name, session=session, **params)

    return _open


def _shown(at: AppTest) -> str:
    """Everything the run sent to the browser, as text: every element's message, with table data (Arrow,
    raw UTF-8) and chart specs (JSON, whose non-ASCII may be escaped) both readable."""
    parts: list[bytes] = []

    def walk(node: Any) -> None:
        proto = getattr(node, "proto", None)
        if proto is not None and hasattr(proto, "SerializeToString"):
            parts.append(proto.SerializeToString())
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    raw = b"\n".join(parts).decode("utf-8", errors="replace")
    return raw + json.dumps(raw)  # a name JSON-escaped in a chart spec reads the same as the escaped raw


def _leaks(at: AppTest, names: tuple[str, ...] = URBAN_NAMES) -> list[str]:
    text = _shown(at)
    return [n for n in names if n in text or json.dumps(n)[1:-1] in text]


def test_nothing_shows_before_sign_in(url, page_as):
    at = page_as(url, None, "map", period="2026-10")
    assert [t.value for t in at.title] == [i18n.t("access.signin.title", "zh")]
    assert not at.metric
    assert not at.get("deck_gl_json_chart")
    assert _leaks(at, URBAN_NAMES + PASTORAL_NAMES) == []


def _sign_in(at: AppTest, name: str, password: str) -> AppTest:
    at.text_input(key=access.NAME_KEY).input(name)
    at.text_input(key=access.PASSWORD_KEY).input(password)
    return at.button(key="access-go").click().run()


def test_the_form_signs_in_says_no_without_telling_why_and_locks_after_five(url, page_as):
    with db.engine(url).begin() as conn:
        accounts.add(conn, "form-user", "leader", PASSWORD, by="setup", now=NOW)
    at = page_as(url, None, None, period="2026-10")
    _sign_in(at, "form-user", "wrong password")
    assert [w.value for w in at.warning] == [i18n.t("access.signin.unknown", "zh")]
    _sign_in(at, "no-such-user", PASSWORD)
    assert [w.value for w in at.warning] == [i18n.t("access.signin.unknown", "zh")]
    _sign_in(at, "form-user", PASSWORD)
    assert not at.exception
    assert at.title[0].value == i18n.t("page.overview", "zh")
    assert any("form-user" in c.value for c in at.caption)  # the badge in the header
    at.button(key="access-signout").click().run()
    assert at.title[0].value == i18n.t("access.signin.title", "zh")
    for _ in range(4):
        _sign_in(at, "form-user", "wrong again")
    _sign_in(at, "form-user", "wrong again")
    assert [w.value for w in at.warning] == [i18n.t("access.signin.locked", "zh")]
    _sign_in(at, "form-user", PASSWORD)  # locked: the right password does not open it now
    assert at.title[0].value == i18n.t("access.signin.title", "zh")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_an_expired_session_asks_for_sign_in_again(url, page_as, new_app, lang):
    at = new_app(url, lang=lang)
    long_ago = clock.now() - dt.timedelta(hours=9)
    at.session_state[access.SESSION_KEY] = sessions.Session("boss", long_ago, clock.now())
    at.run()
    assert [w.value for w in at.warning] == [i18n.t("access.session.expired", lang)]
    assert at.title[0].value == i18n.t("access.signin.title", lang)


@pytest.mark.parametrize("page", ["overview", "map", "referrals", "rankings", "meeting", "alerts", "sinking",
                                  "capacity", "plan", "public_health", "data", "insurance", "centres"])
def test_an_area_officers_pages_show_no_other_areas_unit(url, page_as, page):
    at = page_as(url, "pastor", page, period="2026-10")
    assert at.title[0].value == i18n.t(f"page.{page}", "zh")
    if page != "referrals":
        assert _leaks(at) == []
        return
    # An arc needs both ends: the units the pastoral units referred to are named as targets, never as origins.
    origins = at.dataframe[0].value.index
    assert set(origins) - {i18n.t("ref.total", "zh")} <= set(PASTORAL_NAMES)
    spec = json.loads(at.get("deck_gl_json_chart")[0].proto.json)
    layers = {layer["id"]: layer for layer in spec["layers"]}
    assert all(a["tip"].split(" → ")[0] in PASTORAL_NAMES for a in layers["referrals"]["data"])


@pytest.mark.parametrize("params", [{"area": "urban"}, {"community": "c1"}, {"facility": "H"}, {"unit": "T1"},
                                    {"tier": "county_hospital"}], ids=["area", "community", "facility", "unit", "tier"])
def test_url_tampering_shows_nothing_out_of_scope(url, page_as, params):
    for page in ("map", "rankings", "overview"):
        at = page_as(url, "pastor", page, period="2026-10", **params)
        assert _leaks(at) == [], page


def test_a_unit_officer_sees_its_unit_and_county_totals(url, page_as, open_page, monkeypatch):
    at = page_as(url, "t1-staff", "map", period="2026-10")
    spec = json.loads(at.get("deck_gl_json_chart")[0].proto.json)
    dots = {r["code"] for layer in spec["layers"] if layer["id"] == "facilities" for r in layer["data"]}
    assert dots == {"T1"}
    signed = {m.label: m.value for m in page_as(url, "t1-staff", None, period="2026-10").metric}
    monkeypatch.setenv("COCKPIT_AUTH", "off")
    everyone = {m.label: m.value for m in open_page(url, None, period="2026-10").metric}
    counters = {entry["zh"] for key, entry in i18n.CATALOGUE.items() if key.startswith("live.")}  # today's: its own
    tiles = {k: v for k, v in signed.items() if k not in counters}
    assert tiles  # the headline tiles, county totals, as everyone sees them
    assert tiles == {k: v for k, v in everyone.items() if k in tiles}


@pytest.mark.parametrize("value", INJECTIONS)
def test_injection_strings_in_every_parameter_change_nothing_and_run_nothing(url, page_as, value):
    plain = page_as(url, "boss", None, period="2026-10")
    names = ("area", "community", "tier", "span", "facility", "unit", "indicator", "league", "lang", "kiosk",
             "token", "rotate", "every", "screen", "view", "directions", "disease")
    at = page_as(url, "boss", None, period="2026-10", **dict.fromkeys(names, value))
    assert {m.label: m.value for m in at.metric} == {m.label: m.value for m in plain.metric}
    this_month = {m.label: m.value for m in page_as(url, "boss", None).metric}
    assert {m.label: m.value for m in page_as(url, "boss", None, period=value).metric} == this_month
    assert "<script>" not in "".join(h.proto.body for h in at.get("html"))
    for page in ("map", "rankings", "data"):
        page_as(url, "boss", page, **dict.fromkeys(names, value))  # no exception
    with db.engine(url).connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(Facility)).scalar_one() == 5
        assert conn.execute(sa.select(sa.func.count()).select_from(AccessUser)).scalar_one() >= len(USERS)


def test_uploads_follow_the_role(url, page_as):
    refused = page_as(url, "pastor", "data")
    assert not refused.get("file_uploader")
    assert i18n.t("access.upload.refused", "zh", role=i18n.t("access.role.area_staff", "zh")) in \
        [i.value for i in refused.info]
    assert page_as(url, "clerk", "data").get("file_uploader")


def test_only_the_operations_centre_gets_the_publish_form(url, page_as):
    def has_form(user: str) -> bool:
        at = page_as(url, user, "rankings", period="2026-10")
        return any(e.label == i18n.t("rankings.publish", "zh") for e in at.expander)

    assert has_form("ops")
    assert not has_form("boss")
    assert not has_form("pastor")


def test_the_watermark_names_the_viewer_on_every_page(url, page_as):
    for page in ("overview", "map", "rankings"):
        at = page_as(url, "pastor", page, period="2026-10")
        marks = [h.proto.body for h in at.get("html") if "cockpit-watermark" in h.proto.body]
        assert len(marks) == 1
        assert "pastor" in marks[0].replace("%20", " ")  # the tile's text, URL-encoded in the SVG


def test_a_kiosk_token_opens_its_view_without_sign_in_until_revoked(url, page_as):
    with db.engine(url).begin() as conn:
        token = tokens.add(conn, f"lobby-{url[-6:]}", "map", area="pastoral", by="ops", now=NOW, pages=PAGES)
    at = page_as(url, None, "map", kiosk="1", token=token, period="2026-10")
    assert at.get("deck_gl_json_chart")
    assert _leaks(at) == []
    assert not [t for t in at.title if t.value == i18n.t("access.signin.title", "zh")]
    with db.engine(url).begin() as conn:
        tokens.revoke(conn, f"lobby-{url[-6:]}", by="ops", now=NOW)
    at.run()  # the wall's next refresh
    assert [e.value for e in at.error] == [i18n.t("access.kiosk.refused", "zh")]
    assert not at.get("deck_gl_json_chart")


def test_the_admin_page_adds_a_user_and_shows_the_audit(url, page_as):
    at = page_as(url, "ops", "admin")
    at.text_input(key="admin-add-name").input("newcomer")
    at.selectbox(key="admin-add-role").set_value("unit_staff")
    at.selectbox(key="admin-add-unit").set_value("V2")
    at.text_input(key="admin-add-password").input(PASSWORD)
    at.button(key="admin-add-go").click().run()
    assert not at.exception
    assert [s.value for s in at.success] == [i18n.t("access.admin.done", "zh", what="newcomer")]
    with db.engine(url).connect() as conn:
        assert accounts.viewer(conn, "newcomer").units == frozenset({"V2"})
    audit = at.dataframe[-1].value
    assert "newcomer" in set(audit[i18n.t("access.col.target", "zh")])


def test_the_admin_page_refuses_a_scope_that_does_not_suit_the_role_in_the_readers_language(url, page_as):
    at = page_as(url, "boss", "admin", lang="en")
    at.text_input(key="admin-add-name").input("misfit")
    at.selectbox(key="admin-add-role").set_value("area_staff")
    at.text_input(key="admin-add-password").input(PASSWORD)
    at.button(key="admin-add-go").click().run()
    assert [e.value for e in at.error] == [i18n.t("access.error.needs_scope", "en", role="area_staff",
                                                  needs="--area")]


def test_with_sign_in_off_everything_shows_and_the_admin_page_says_so(url, open_page):
    at = open_page(url, "map", period="2026-10")
    assert _leaks(at, URBAN_NAMES + PASTORAL_NAMES) == list(URBAN_NAMES + PASTORAL_NAMES)
    assert not [h for h in at.get("html") if "cockpit-watermark" in h.proto.body]
    admin = open_page(url, "admin")
    assert [i.value for i in admin.info] == [i18n.t("access.admin.off", "zh")]


def test_uploads_are_checked_against_the_clerks_units_and_refused_without_the_right(url, monkeypatch):
    monkeypatch.setenv("COCKPIT_DB_URL", url)
    own = "单位编码,患者满意度\nT2,80\nV2,78\n".encode("gbk")
    other = "单位编码,患者满意度\nT2,80\nT1,78\n".encode("gbk")
    with db.engine(url).connect() as conn:
        clerk, pastor = accounts.viewer(conn, "clerk"), accounts.viewer(conn, "pastor")
    plan, _ = data.check_upload("own.csv", own, tiny.OCT, clerk)
    assert len(plan.values) == 2
    with pytest.raises(Refused) as refused:
        data.check_upload("other.csv", other, tiny.OCT, clerk)
    assert any(p.value == "T1" for p in refused.value.problems)
    with pytest.raises(AccessError):
        data.check_upload("own.csv", own, tiny.OCT, pastor)
    assert len(data.check_upload("other.csv", other, tiny.OCT)[0].values) == 2  # sign-in off: the county's units


def test_the_admin_page_makes_a_token_shows_it_once_and_revokes_it(url, page_as):
    at = page_as(url, "ops", "admin")
    label = f"hall-{url[-6:]}"
    at.text_input(key="admin-token-label").input(label)
    at.selectbox(key="admin-token-page").set_value("map")
    at.selectbox(key="admin-token-area").set_value("pastoral")
    at.button(key="admin-token-go").click().run()
    [link] = [c.value for c in at.code]
    token = link.split("token=")[1]
    with db.engine(url).connect() as conn:
        assert tokens.resolve(conn, token).viewer.units == frozenset({"T2", "V2"})
    at.run()
    assert not at.code  # shown once
    at.selectbox(key="admin-revoke-label").set_value(label)
    at.button(key="admin-revoke-go").click().run()
    with db.engine(url).connect() as conn:
        assert tokens.resolve(conn, token) is None
    audit = at.dataframe[-1].value
    mine = audit[audit[i18n.t("access.col.target", "zh")] == label]
    assert list(mine[i18n.t("access.col.action", "zh")]) == [i18n.t("access.action.token.revoke", "zh"),
                                                              i18n.t("access.action.token.add", "zh")]
    assert set(mine[i18n.t("access.col.by", "zh")]) == {"ops"}


@pytest.mark.parametrize("user", ["pastor", "clerk", "t1-staff"])
def test_the_admin_page_is_not_there_for_other_roles(url, page_as, user):
    at = page_as(url, user, "admin")
    assert at.title[0].value != i18n.t("page.admin", "zh")
    assert not at.get("text_input")


def test_a_scoped_clerk_sees_its_own_uploads_in_the_audit_not_others(url, page_as, monkeypatch):
    monkeypatch.setenv("COCKPIT_DB_URL", url)
    urban = "单位编码,患者满意度\nT1,81\n".encode("gbk")
    data.write_upload(data.check_upload("urban.csv", urban, tiny.OCT)[0], "一号卫生院 王会计")
    with db.engine(url).connect() as conn:
        clerk = accounts.viewer(conn, "clerk")
    own = "单位编码,患者满意度\nT2,79\n".encode("gbk")
    data.write_upload(data.check_upload("pastoral.csv", own, tiny.OCT, clerk)[0], "clerk")
    at = page_as(url, "clerk", "data")
    assert _leaks(at) == []
    assert list(data.audit_log(clerk)["file_name"]) == ["pastoral.csv"]
    assert set(data.audit_log()["file_name"]) >= {"urban.csv", "pastoral.csv"}


@pytest.fixture
def read_only(monkeypatch: pytest.MonkeyPatch, tmp_path) -> Iterator[str]:
    """A PostgreSQL store (tiny county and users) whose viewing URL logs in as a role that may only read;
    what the app writes goes through COCKPIT_DB_WRITE_URL, the owner's URL here."""
    with make_store("postgresql", tmp_path, fill=FILL) as owner:
        schema_name = owner.split("search_path%3D", 1)[1]
        role = f"view_{schema_name}"
        admin = db.engine(PG_URL)
        with admin.begin() as conn:
            conn.execute(sa.text(f"CREATE ROLE {role} LOGIN"))
            conn.execute(sa.text(f"GRANT USAGE ON SCHEMA {schema_name} TO {role}"))
            conn.execute(sa.text(f"GRANT SELECT ON ALL TABLES IN SCHEMA {schema_name} TO {role}"))
        viewing = owner.replace("postgres@", f"{role}@", 1)
        monkeypatch.setenv("COCKPIT_DB_WRITE_URL", owner)
        try:
            yield viewing
        finally:
            db.engine(viewing).dispose()
            with admin.begin() as conn:
                conn.execute(sa.text(f"DROP OWNED BY {role}"))
                conn.execute(sa.text(f"DROP ROLE {role}"))


def test_a_read_only_viewing_role_serves_the_pages_and_writes_go_through_the_writing_role(read_only, page_as):
    with pytest.raises(sa.exc.ProgrammingError), db.engine(read_only).begin() as conn:  # the role can only read
        conn.execute(sa.update(AccessUser).values(failures=0))
    at = page_as(read_only, None, None, period="2026-10")
    _sign_in(at, "ops", PASSWORD)  # sign-in writes (counters, the audit): through the writing URL
    assert not at.exception
    assert at.title[0].value == i18n.t("page.overview", "zh")
    assert at.metric
    for page in ("map", "rankings", "admin"):
        at.switch_page(f"pages/{page}.py").run()
        assert not at.exception, page


def test_a_user_disabled_meanwhile_is_out_at_the_next_run(url, page_as):
    with db.engine(url).begin() as conn:
        accounts.add(conn, "leaving-soon", "area_staff", PASSWORD, area="pastoral", by="setup", now=NOW)
    at = page_as(url, "leaving-soon", "map", period="2026-10")
    assert at.get("deck_gl_json_chart")
    with db.engine(url).begin() as conn:
        accounts.change(conn, "leaving-soon", active=False, by="ops", now=NOW)
    at.run()
    assert [w.value for w in at.warning] == [i18n.t("access.signin.disabled", "zh")]
    assert not at.get("deck_gl_json_chart")


def test_a_desks_live_region_notices_a_user_disabled_meanwhile(url, monkeypatch):
    monkeypatch.setenv("COCKPIT_DB_URL", url)
    with db.engine(url).begin() as conn:
        accounts.add(conn, "desk-user", "unit_staff", PASSWORD, unit="T2", by="setup", now=NOW)
        frame = Frame("zh", kiosk=False, viewer=accounts.viewer(conn, "desk-user"))
    assert access.still_valid(frame)
    with db.engine(url).begin() as conn:
        accounts.change(conn, "desk-user", active=False, by="ops", now=NOW)
    assert not access.still_valid(frame)
    assert access.still_valid(Frame("zh", kiosk=False))  # sign-in off: nothing to check


def test_a_leader_is_not_offered_the_operations_centres_role(url, page_as):
    offered = page_as(url, "boss", "admin").selectbox(key="admin-add-role").options
    assert i18n.t("access.role.ops_centre", "zh") not in offered
    assert i18n.t("access.role.area_staff", "zh") in offered
    by_centre = page_as(url, "ops", "admin").selectbox(key="admin-add-role").options
    assert i18n.t("access.role.ops_centre", "zh") in by_centre


def test_a_kiosk_tokens_view_wins_over_a_tampered_url(url, page_as):
    with db.engine(url).begin() as conn:
        token = tokens.add(conn, f"foyer-{url[-6:]}", "map?area=pastoral", area="pastoral", by="ops", now=NOW,
                           pages=PAGES)
    at = page_as(url, None, "map", kiosk="1", token=token, rotate="admin", area="urban", period="2026-10")
    assert (at.query_params["rotate"], at.query_params["area"]) == ("map", "pastoral")
    assert at.get("deck_gl_json_chart")
    assert _leaks(at) == []
