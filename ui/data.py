"""The one caching seam between pages and the store: ``st.cache_data`` wrappers over pure lib functions.

lib/ functions take a connection and know nothing of Streamlit; here each gets a TTL and a cache key
that includes the store's URL, so two stores in one process (tests, a switched COCKPIT_DB_URL) never
share a cached frame. Caches are shared by every session of the server, so N wall screens refreshing
cost the store one query per TTL, not N. Every cache is bounded twice, by its TTL and by ``max_entries``
(many desks choosing filters at once make many live keys within one TTL), and all of them together by
``server.maxCacheDataSize`` (.streamlit/config.toml). Every cached
query and its TTL is listed in this module:

| function | TTL | why |
|---|---|---|
| counties, units, choices | REGISTRY_TTL (10 min) | the registry changes by import only |
| kpi_values, overview_tiles | KPI_TTL (60 s) | indicators move with the live feed; a minute is near real time |
| live_counters | LIVE_TTL (15 s) | today's counters and data freshness, the wall screen's "now" |
| map_base, indicator_catalogue | REGISTRY_TTL | facility points, county shapes, destinations, indicator names |
| facility_volumes, referral_flows, leakage, facility_links | KPI_TTL | rollup sums that move with the feed |
| dispatches | LIVE_TTL | ambulances under way, the map's live layer |
| kpi_trend | TREND_TTL (10 min, refreshed in the background) | 13 engine periods: seconds cold, history moves slowly |
| draft_scores | SCORES_TTL (5 min, in the background) | 14 months of items: seconds cold; walls keep the last |
| published_scores, score_versions, published_months | SCORES_TTL (5 min) | snapshots read back: fast |
| export_file | SCORES_TTL | the month's Excel / printable report, built once per version shown |
| sinking_page | KPI_TTL (in the background) | doctors' days and rosters: stints are events |
| capacity_page, plan_page | TREND_TTL (in the background) | rosters and reports change monthly; 13 periods cold |
| report_quality | KPI_TTL | completeness, timeliness and outliers of the monthly reports (data page) |
| alert_signals | LIVE_TTL | early-warning signals: the alerts page and the wall's ribbon |
| alert_breaches | LIVE_TTL | rule breaches kept by the runner: the alerts page |
| audit_log | LIVE_TTL | the latest accepted files; an upload clears every cache anyway |
| template_file (county units) | REGISTRY_TTL | the units a template lists; the file is made when clicked |
| centres_now | KPI_TTL | the information centres' figures of today and the period (a few engine periods) |
| centres_trends | TREND_TTL (in the background) | 12 engine months per centre: a second or two cold |
| centre_plan | REGISTRY_TTL | the centres' build plan, a data file that changes with the plan |
| insurance_page, public_health_page | KPI_TTL | the fund's ledger and projection, the tiles: move with the feed |
| region_page | KPI_TTL | every county's headline values and outline (keyed by the store, not the county) |

Access (lib.access: sign-in, the viewer of a session, kiosk tokens, the admin page's lists) is never cached, so
a disabled user or a revoked token is out at the next run. Shared caches hold the county's figures; what a
scoped viewer gets is narrowed before the engine (the scope and unit ids in the key) or cut after the cache
(``Scores.seen_by``, lib.access.trim), never widened.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from typing import NamedTuple

import pandas as pd
import streamlit as st
from sqlalchemy.engine import Connection
from streamlit.runtime.scriptrunner import get_script_run_ctx

from lib import clock, i18n, kpi
from lib.access import OPEN, AccessError, Viewer, accounts, tokens, trim
from lib.access import audit as access_audit
from lib.access import settings as access_settings_mod
from lib.alerts import breaches, signals
from lib.events import live
from lib.ingest import kinds, quality, table, templates
from lib.ingest import monthly as ingest_monthly
from lib.kpi import catalogue, filters, headline, measures, region, trend
from lib.kpi.filters import Filters
from lib.kpi.period import Period, add_months, first_of_month
from lib.maps import flows, scene
from lib.ops import capacity as ops_capacity
from lib.ops import centre_plans, centres, insurance, public_health
from lib.ops import plan as ops_plan
from lib.ops import sinking as ops_sinking
from lib.problems import InputError
from lib.registry import facilities
from lib.registry import settings as registry_settings
from lib.scoring import exports, score, snapshot
from lib.scoring.weights import WeightsError
from lib.store import counties as counties_mod
from lib.store import db

REGISTRY_TTL = "10m"  # the registry changes by import only, a few times a year
KPI_TTL = "60s"
LIVE_TTL = "15s"
TREND_TTL = "10m"
STORES = 8  # entries of a cache keyed by the store and county alone: a region's store shows several counties
COUNTY_PARAM = counties_mod.PARAM  # ?county=CODE: which county of the store the page shows (the first by default)
COUNTY_KEY = "county-shown"  # the session's county, kept across page switches (which drop the query string)
CONFINED_KEY = "county-confined"  # the viewer's own county (lib.access.Viewer.county), set by ui.frame.route


class Here(NamedTuple):
    """Where a run reads: the store's URL and the county shown (None: a store with no county yet). Every
    cache below is keyed by it, so two stores or two counties never share a cached frame."""

    url: str
    county: str | None


@st.cache_data(ttl=REGISTRY_TTL, show_spinner=False, max_entries=STORES)
def _counties(url: str) -> list[counties_mod.CountyRef]:
    with db.engine(url).connect() as conn:
        return counties_mod.listed(conn)


def counties() -> list[counties_mod.CountyRef]:
    """The counties the store holds, in the order they were loaded."""
    return _counties(db.read_url())


def here() -> Here:
    """This run's store and county: a viewer confined to a county sees that one, whatever the URL; anyone else
    ``?county=`` when the store holds it, else the session's last county, else the store's first (a
    hand-edited or stale code never fails; the filter bar says it was ignored)."""
    url = db.read_url()
    codes = [c.code for c in _counties(url)]
    if get_script_run_ctx() is not None:  # a page's run, not the server start's warming thread
        if confined := st.session_state.get(CONFINED_KEY):
            return Here(url, confined)
        for asked in (st.query_params.get(COUNTY_PARAM), st.session_state.get(COUNTY_KEY)):
            if asked in codes:
                return Here(url, asked)
    return Here(url, codes[0] if codes else None)


@contextlib.contextmanager
def _reading(at: Here) -> Iterator[Connection]:
    with db.engine(at.url).connect() as conn:
        yield conn


def _county_id(conn: Connection, at: Here) -> int:
    return counties_mod.resolve(conn, at.county).id


def _ids(facility_ids: Sequence[int] | None) -> tuple[int, ...] | None:
    """Unit ids as a cache key. lib's readers take None for every unit of the store, which is the county's
    units only while the store holds one county; with several, None becomes the county's units."""
    if facility_ids is not None:
        return tuple(int(i) for i in facility_ids)
    return tuple(int(i) for i in units().index) if len(counties()) > 1 else None


@st.cache_data(ttl=REGISTRY_TTL, show_spinner=False, max_entries=STORES)
def _units(at: Here) -> pd.DataFrame:
    with _reading(at) as conn:
        return measures.facilities(conn, _county_id(conn, at))


def units() -> pd.DataFrame:
    """The county's member units with tier, peer group, area, community, population
    (lib.kpi.measures.facilities)."""
    return _units(here())


@st.cache_data(ttl=REGISTRY_TTL, show_spinner=False, max_entries=STORES)
def _county_settings(at: Here) -> registry_settings.CountySettings:
    with _reading(at) as conn:
        return registry_settings.read(conn, at.county)


def county_settings() -> registry_settings.CountySettings:
    """The county's settings and own words (lib.registry.settings): what every page's text says of it."""
    return _county_settings(here())


@st.cache_data(ttl=REGISTRY_TTL, show_spinner=False, max_entries=STORES)
def _choices(at: Here) -> dict[str, pd.DataFrame]:
    with _reading(at) as conn:
        return facilities.choices(conn, _county_id(conn, at))


def choices() -> dict[str, pd.DataFrame]:
    """The county's communities and areas with their names, for filters and legends."""
    return _choices(here())


@st.cache_data(ttl=KPI_TTL, show_spinner=False, max_entries=500)
def _kpi_values(at: Here, codes: tuple[str, ...] | None, scopes: tuple[kpi.Scope, ...], period: Period,
                compare: bool, today: dt.date) -> list[kpi.KpiValue]:
    with _reading(at) as conn:
        return kpi.Engine(conn, county=at.county, today=today).compute(codes, scopes, period, compare=compare)


def kpi_values(codes: Sequence[str] | None, scopes: Sequence[kpi.Scope], period: Period, *,
               compare: bool = True) -> list[kpi.KpiValue]:
    """Indicator values from lib.kpi (cached for KPI_TTL, shared by every session)."""
    return _kpi_values(here(), None if codes is None else tuple(codes), tuple(scopes), period, compare,
                       clock.today())


@st.cache_data(ttl=KPI_TTL, show_spinner=False, max_entries=200)
def _overview_tiles(at: Here, scope: kpi.Scope, period: Period, today: dt.date) -> list[headline.Tile]:
    with _reading(at) as conn:
        return headline.tiles(kpi.Engine(conn, county=at.county, today=today), scope, period)


def overview_tiles(scope: kpi.Scope, period: Period, viewer: Viewer = OPEN) -> list[headline.Tile]:
    """The overview's headline tiles (lib.kpi.headline.tiles), cached for KPI_TTL and shared by every screen;
    a missing report is named only to a viewer who sees its unit."""
    return trim.tiles(_overview_tiles(here(), scope, period, clock.today()), viewer, units())


@st.cache_data(ttl=LIVE_TTL, show_spinner=False, max_entries=200)
def _live_counters(at: Here, facility_ids: tuple[int, ...] | None, county_ids: tuple[int, ...] | None,
                   minute: dt.datetime) -> live.Counters:
    with _reading(at) as conn:
        return live.counters(conn, minute, facility_ids, county_ids)


@st.cache_data(ttl=LIVE_TTL, show_spinner=False, max_entries=20)
def _data_as_of(at: Here, ids: tuple[int, ...] | None, minute: dt.datetime) -> dt.datetime | None:
    with _reading(at) as conn:
        return live.data_as_of(conn, ids)


def data_as_of() -> dt.datetime | None:
    """The newest event time of the county's units (lib.events.live.data_as_of), re-read at most every
    LIVE_TTL."""
    return _data_as_of(here(), _ids(None), clock.now().replace(second=0))


def live_counters(facility_ids: Sequence[int] | None) -> live.Counters:
    """Today's counters (lib.events.live.counters), re-read at most every LIVE_TTL; failures are never cached."""
    now = clock.now().replace(second=0)
    return _live_counters(here(), _ids(facility_ids), _ids(None), now)


@st.cache_data(ttl=REGISTRY_TTL, show_spinner=False, max_entries=STORES)
def _map_base(at: Here) -> dict[str, object]:
    with _reading(at) as conn:
        place = counties_mod.resolve(conn, at.county)
        return {"points": scene.facility_points(conn, place), "shapes": scene.shapes(conn, place),
                "destinations": flows.destinations(conn, place.id)}


def map_base() -> scene.MapBase:
    """What every map draws: facility points, county outline and areas, out-of-county destinations."""
    return scene.MapBase(**_map_base(here()))


@st.cache_data(ttl=REGISTRY_TTL, show_spinner=False, max_entries=STORES)
def _indicator_catalogue(at: Here) -> pd.DataFrame:
    with _reading(at) as conn:
        return catalogue.read(conn)


def indicator_catalogue() -> pd.DataFrame:
    """The indicator catalogue's names, units and scopes, indexed by code."""
    return _indicator_catalogue(here())


@st.cache_data(ttl=KPI_TTL, show_spinner=False, max_entries=100)
def _facility_volumes(at: Here, period: Period) -> pd.DataFrame:
    with _reading(at) as conn:
        return scene.volumes(conn, period)


def facility_volumes(period: Period) -> pd.DataFrame:
    """Visits, admissions, referrals sent/received and ambulance calls per unit (lib.maps.scene.volumes)."""
    return _facility_volumes(here(), period)


@st.cache_data(ttl=KPI_TTL, show_spinner=False, max_entries=500)
def _referral_flows(at: Here, period: Period, origins: tuple[int, ...] | None, directions: tuple[str, ...],
                    disease: str | None) -> pd.DataFrame:
    with _reading(at) as conn:
        return flows.flows(conn, period, origins=origins, directions=directions, disease=disease)


def referral_flows(period: Period, origins: Sequence[int] | None, directions: Sequence[str],
                   disease: str | None) -> pd.DataFrame:
    """Referrals per origin → target over the period (lib.maps.flows.flows)."""
    return _referral_flows(here(), period, _ids(origins), tuple(directions), disease)


@st.cache_data(ttl=KPI_TTL, show_spinner=False, max_entries=200)
def _leakage(at: Here, period: Period, home_ids: tuple[int, ...] | None, watched: tuple[str, ...]) -> pd.DataFrame:
    with _reading(at) as conn:
        return flows.leakage_by_disease(conn, period, home_ids, watched)


def leakage(period: Period, home_ids: Sequence[int] | None) -> pd.DataFrame:
    """Residents' out-of-county and in-county admissions per disease group (lib.maps.flows.leakage_by_disease)."""
    return _leakage(here(), period, _ids(home_ids), county_settings().watched_diseases)


@st.cache_data(ttl=KPI_TTL, show_spinner=False, max_entries=200)
def _facility_links(at: Here, period: Period, facility_id: int) -> dict[str, pd.DataFrame]:
    with _reading(at) as conn:
        return {"referrals": flows.facility_referrals(conn, period, facility_id),
                "doctors": scene.doctors_hosted(conn, facility_id, period.last_date)}


def facility_links(period: Period, facility_id: int) -> dict[str, pd.DataFrame]:
    """A unit's referral partners over the period and the doctors sent to it (the map's profile)."""
    return _facility_links(here(), period, facility_id)


@st.cache_data(ttl=LIVE_TTL, show_spinner=False, max_entries=20)
def _dispatches(at: Here, minute: dt.datetime) -> pd.DataFrame:
    with _reading(at) as conn:
        return scene.dispatches_under_way(conn, minute, counties_mod.resolve(conn, at.county))


def dispatches(now: dt.datetime) -> pd.DataFrame:
    """Ambulance runs under way (lib.maps.scene.dispatches_under_way), re-read at most every LIVE_TTL."""
    return _dispatches(here(), now.replace(second=0, microsecond=0))


@st.cache_data(ttl=TREND_TTL, show_spinner=False, max_entries=50, refresh_mode="background")
def _kpi_trend(at: Here, code: str, end: dt.date, today: dt.date) -> pd.DataFrame:
    with _reading(at) as conn:
        return trend.monthly(conn, code, end, county=at.county, today=today)


def kpi_trend(code: str, end: dt.date) -> pd.DataFrame:
    """``code`` per month for 13 months to ``end`` for every scope (lib.kpi.trend.monthly); served stale while
    a background run refreshes it, so a page never waits on the 13 periods once they were read."""
    return _kpi_trend(here(), code, end, clock.today())


# --- monthly assessment (lib.scoring) -------------------------------------------------------------

SCORES_TTL = "5m"  # a month's scores move only with late data; publishing clears these at once


@st.cache_data(ttl=SCORES_TTL, show_spinner=False, max_entries=24, refresh_mode="background")
def _draft_scores(at: Here, month: dt.date) -> score.Scores:
    with _reading(at) as conn:
        return score.draft(conn, month, county=at.county)


def draft_scores(month: dt.date) -> score.Scores:
    """The month's live scores, the unpublished draft (lib.scoring.score.draft)."""
    return _draft_scores(here(), month)


@st.cache_data(ttl=SCORES_TTL, show_spinner=False, max_entries=48)
def _published_scores(at: Here, month: dt.date, version: int | None) -> score.Scores | None:
    with _reading(at) as conn:
        return snapshot.load(conn, month, version, county=at.county)


def published_scores(month: dt.date, version: int | None = None) -> score.Scores | None:
    """A published version of the month (the latest by default), or None (lib.scoring.snapshot.load)."""
    return _published_scores(here(), month, version)


@st.cache_data(ttl=SCORES_TTL, show_spinner=False, max_entries=48)
def _score_versions(at: Here, month: dt.date) -> list[score.Published]:
    with _reading(at) as conn:
        return snapshot.versions(conn, month, at.county)


def score_versions(month: dt.date) -> list[score.Published]:
    """The month's published versions, oldest first."""
    return _score_versions(here(), month)


@st.cache_data(ttl=SCORES_TTL, show_spinner=False, max_entries=STORES)
def _published_months(at: Here) -> list[dt.date]:
    with _reading(at) as conn:
        return snapshot.published_months(conn, at.county)


def published_months() -> list[dt.date]:
    """Months with a published version, newest first."""
    return _published_months(here())


@st.cache_data(ttl=SCORES_TTL, show_spinner=False, max_entries=24)
def _export_file(kind: str, lang: str, mark: str, key: tuple[object, ...], _scores: score.Scores) -> bytes | str:
    return exports.excel(_scores, lang, mark) if kind == "xlsx" else exports.report_html(_scores, lang, mark)


def export_file(scores: score.Scores, kind: str, lang: str, mark: str = "") -> bytes | str:
    """The month as a file (lib.scoring.exports): "xlsx" or "html", built once per store, version, language,
    the units shown and the watermark ``mark`` (who and which minute; "" without sign-in).

    Plain bytes, not a deferred callable: a deferred download's id is revoked when a rerun redraws the
    button, and a click between the two fails ("Deferred file not found").
    """
    version = None if scores.published is None else scores.published.version
    shown = tuple(scores.units["facility_code"])  # a scoped viewer's file holds its units only
    return _export_file(kind, lang, mark, (here(), scores.month, version, scores.computed_at, shown), scores)


def publish_scores(month: dt.date, by: str, note: str = "", viewer: Viewer = OPEN) -> snapshot.Outcome:
    """Publish the month (lib.scoring.snapshot.publish), then drop the cached scores so every screen sees it;
    refused (AccessError) for a viewer whose role may not publish."""
    if not viewer.may_publish:
        raise AccessError(f"{viewer.name}: role {viewer.role} may not publish")
    with db.engine(db.resolve_write_url()).begin() as conn:
        outcome = snapshot.publish(conn, month, by=by, county=here().county, note=note)
    for cached in (_draft_scores, _published_scores, _score_versions, _published_months):
        cached.clear()
    return outcome


# --- what each page draws: lib dataclasses assembled from the cached reads above ---------------------


def status_map(period: Period, code: str, facility_ids: Sequence[int] | None,
               now: dt.datetime) -> scene.StatusMap:
    """The units in scope coloured by ``code`` (the map page and the overview's compact map). Only they are
    drawn: the ambulance layer and the place names read the same points, so no other unit shows."""
    base = map_base()
    points = base.points if facility_ids is None else base.points[base.points["facility_id"].isin(facility_ids)]
    values = kpi_values([code], [kpi.Scope("facility", (c,)) for c in points["code"]], period, compare=False)
    base = dataclasses.replace(base, points=points)
    return scene.StatusMap(base, points, facility_volumes(period), {v.scope.codes[0]: v for v in values},
                             indicator_catalogue().loc[code], dispatches(now))


def facility_profile(period: Period, code: str | None, indicator: str,
                     viewer: Viewer = OPEN) -> scene.FacilityProfile | None:
    """The unit opened on the map (None if ``code`` names no unit, or one ``viewer`` does not see)."""
    points = map_base().points.set_index("code")
    if code not in points.index or not viewer.allows(code):
        return None
    unit = points.loc[code]
    series = kpi_trend(indicator, period.last_month)
    links = facility_links(period, int(unit["facility_id"]))
    return scene.FacilityProfile(
        unit=unit, period=period, values=kpi_values(None, [kpi.Scope("facility", (code,))], period),
        catalogue=indicator_catalogue(),
        trend=series[(series["kind"] == "facility") & (series["scope"] == code)],
        referrals=links["referrals"], doctors=links["doctors"])


def overview_page(chosen: Filters, scope: kpi.Scope, facility_ids: Sequence[int] | None, league_group: str,
                  map_indicator: str, now: dt.datetime, viewer: Viewer = OPEN) -> headline.Overview:
    """The overview: today's counters, the headline tiles, the compact map and the league of the last
    published month (a draft, labelled, if none is), listing only the units the filters keep and the
    viewer sees."""
    published = published_months()
    scores = published_scores(published[0]) if published else None
    if scores is None:
        scores = draft_scores(add_months(first_of_month(now.date()), -1))
    scores = scores.seen_by(viewer)
    group = league_group if league_group in scores.groups else headline.DEFAULT_LEAGUE
    keep = chosen.keeps(scores.group(group).reset_index(drop=True), by_tier=False)
    return headline.Overview(live_counters(facility_ids), overview_tiles(scope, chosen.period, viewer),
                             status_map(chosen.period, map_indicator, facility_ids, now),
                             headline.league(scores, group, keep))


def warm_overview(map_indicator: str, now: dt.datetime) -> None:
    """Fill the caches the overview's default view reads (no filters, the default league), so the first
    visitor after a server start finds them warm: the page's own calls, so the same cache keys."""
    everything = units()
    chosen = filters.parse({}, everything, now.date())
    scope = chosen.scope(everything)
    overview_page(chosen, scope, filters.facility_ids(scope, everything), headline.DEFAULT_LEAGUE, map_indicator, now)


def referrals_page(period: Period, scope: kpi.Scope, facility_ids: Sequence[int] | None,
                   directions: Sequence[str], disease: str | None, viewer: Viewer = OPEN) -> flows.Referrals:
    """The referrals page: arcs, the engine's referral indicators, leakage by disease, the area trend. A scoped
    viewer's map shows its units and the units they referred to (an arc needs both ends), no others."""
    headline = {v.code: v for v in kpi_values(flows.HEADLINE, [scope], period)}
    base = map_base()
    flow = referral_flows(period, facility_ids, directions, disease)
    points = base.points
    if not viewer.sees_all:
        ends = {int(p.id) for p in flow["to"] if p.kind == "facility"} | set(viewer.ids(units()) or ())
        points = points[points["facility_id"].isin(ends)]
    trend_rows = kpi_trend("out_of_county_rate", period.last_month)
    if not viewer.sees_all:  # the county's line, the viewer's areas' and units'
        mine = viewer.keep(units())
        seen = trend_rows["kind"].eq("county") | (trend_rows["kind"].eq("area") & trend_rows["scope"].isin(
            set(mine["area"]))) | (trend_rows["kind"].eq("facility") & trend_rows["scope"].isin(set(mine["code"])))
        trend_rows = trend_rows[seen]
    return flows.Referrals(flow, headline, indicator_catalogue(), leakage(period, facility_ids), trend_rows, points,
                           base.shapes, base.destinations)


def month_scores(month: dt.date, viewer: Viewer = OPEN) -> score.MonthScores:
    """The rankings and meeting pages' month: draft, published versions, the latest and the one before,
    each holding only the units ``viewer`` sees."""
    try:
        draft, problem = draft_scores(month).seen_by(viewer), None
    except WeightsError as exc:  # a store missing scored indicators: the page says why
        draft, problem = None, str(exc)
    versions = score_versions(month)
    published = published_scores(month) if versions else None
    previous = published_scores(month, versions[-2].version) if len(versions) > 1 else None
    return score.MonthScores(month, draft, problem, versions, published and published.seen_by(viewer),
                             previous and previous.seen_by(viewer))


def meeting_month(period: str | None, today: dt.date) -> dt.date:
    """The meeting's month: ?period= if given, else the latest published month, else the last complete one."""
    if period:
        return filters.parse({"period": period}, units(), today).period.last_month
    months = published_months()
    return months[0] if months else add_months(first_of_month(today), -1)


# --- data page: report files in, their quality and audit (lib.ingest) ---------------------------------


@st.cache_data(ttl=REGISTRY_TTL, show_spinner=False, max_entries=STORES)
def _county_units(at: Here) -> tuple[str, pd.DataFrame]:
    with _reading(at) as conn:
        _, county, units = ingest_monthly.county_units(conn, at.county)
    return county, units


def template_file(kind: str, month: dt.date, lang: str, fmt: str, viewer: Viewer = OPEN) -> Callable[[], bytes]:
    """A report template (lib.ingest.templates) with the county's units listed (those ``viewer`` sees), made
    when a clerk asks for it: a download button holds this maker, so a run of the page does not build every
    kind's workbook in every format (a dozen files, most of the page's time)."""
    county, units = _county_units(here())
    listed = viewer.keep(measures.active(units[units["county"] == county], month))  # a retired unit owes none
    settings = county_settings()

    def made() -> bytes:
        with i18n.speaking_for(settings.all_words()):  # on Streamlit's thread, outside the page's run
            return templates.build(kinds.by_code(kind), listed, month, lang, fmt, due_day=settings.reporting_day)

    return made


def check_upload(name: str, content: bytes, month: dt.date,
                 viewer: Viewer = OPEN) -> tuple[ingest_monthly.Plan, ingest_monthly.Outcome]:
    """Check a file and say what writing it would do (a dry run, rolled back); raises Refused, or AccessError
    for a role without uploads. A scoped clerk's file is checked against its own units: a row for another
    unit is refused as one the county does not have."""
    if not viewer.may_upload:
        raise AccessError(f"{viewer.name}: role {viewer.role} may not upload")
    county, units = _county_units(here())
    units = viewer.keep(units)
    plan = ingest_monthly.check(table.read(name, content), content, month, units, county, clock.today())
    with db.engine(db.resolve_write_url()).connect() as conn:  # the dry run writes, then rolls back
        preview = ingest_monthly.apply(conn, plan, by="", channel="upload", now=clock.now())
        conn.rollback()
    return plan, preview


def write_upload(plan: ingest_monthly.Plan, by: str) -> ingest_monthly.Outcome:
    """Write a checked file in one transaction, then drop the cached reads it changes."""
    with db.engine(db.resolve_write_url()).begin() as conn:
        outcome = ingest_monthly.apply(conn, plan, by=by, channel="upload", now=clock.now())
    st.cache_data.clear()  # reports feed tiles, scores, maps and this page: every cached read may differ
    return outcome


@st.cache_data(ttl=KPI_TTL, show_spinner=False, max_entries=50)
def _quality(at: Here, month: dt.date, ids: tuple[int, ...], now: dt.datetime, due_day: int) -> quality.Quality:
    with _reading(at) as conn:
        return quality.build(conn, month, ids, now, due_day)


def report_quality(month: dt.date, facility_ids: Sequence[int] | None, now: dt.datetime) -> quality.Quality:
    """Completeness, timeliness and outliers of the monthly reports (lib.ingest.quality) for units in scope."""
    ids = tuple(measures.active(units(), month).index) if facility_ids is None else tuple(facility_ids)
    return _quality(here(), month, ids, now.replace(minute=0, second=0), county_settings().reporting_day)


@st.cache_data(ttl=LIVE_TTL, show_spinner=False, max_entries=STORES)
def _audit(at: Here) -> pd.DataFrame:
    with _reading(at) as conn:
        return quality.audit_log(conn)


def audit_log(viewer: Viewer = OPEN) -> pd.DataFrame:
    """The latest accepted files (lib.ingest.quality.audit_log); a scoped viewer sees its own uploads only (a
    file's sender and name may name other units)."""
    log = _audit(here())
    return log if viewer.sees_all else log[log["by"] == viewer.name].reset_index(drop=True)


# --- information centres ---------------------------------------------------------------------------


@st.cache_data(ttl=KPI_TTL, show_spinner=False, max_entries=200)
def _centres_now(at: Here, scope: kpi.Scope, period: Period, today: dt.date) -> centres.Now:
    with _reading(at) as conn:
        return centres.now(kpi.Engine(conn, county=at.county, today=today), scope, period)


@st.cache_data(ttl=TREND_TTL, show_spinner=False, max_entries=50, refresh_mode="background")
def _centres_trends(at: Here, scope: kpi.Scope, end: dt.date, today: dt.date) -> dict[str, pd.DataFrame]:
    with _reading(at) as conn:
        return centres.trends(kpi.Engine(conn, county=at.county, today=today), scope, end)


@st.cache_data(ttl=REGISTRY_TTL, show_spinner=False, max_entries=STORES)
def _centre_plan(at: Here) -> centre_plans.Plan | None:
    with _reading(at) as conn:
        return centre_plans.for_store(conn, at.county)


def centres_page(period: Period, scope: kpi.Scope) -> centres.Centres:
    """The information centres page (lib.ops.centres) for the scope and period, on the county's clock; a
    plan file that cannot be read is named on the page, the figures still shown."""
    at, today = here(), clock.today()
    try:
        plan, problem = _centre_plan(at), ""
    except InputError as exc:
        plan, problem = None, str(exc)
    return centres.page(period, today, _centres_now(at, scope, period, today),
                        _centres_trends(at, scope, period.last_month, today), plan, problem)


# --- early warning: signals and rule breaches (lib.alerts) ----------------------------------------------


@st.cache_data(ttl=LIVE_TTL, show_spinner=False, max_entries=50)
def _signals(at: Here, since: dt.date, ids: tuple[int, ...] | None, open_only: bool) -> pd.DataFrame:
    with _reading(at) as conn:
        return signals.listed(conn, since, ids, open_only=open_only)


def alert_signals(since: dt.date, facility_ids: Sequence[int] | None, *, open_only: bool = False) -> pd.DataFrame:
    """Signals raised since ``since`` in the townships in scope (lib.alerts.signals.listed)."""
    return _signals(here(), since, _ids(facility_ids), open_only)


@st.cache_data(ttl=LIVE_TTL, show_spinner=False, max_entries=50)
def _breaches(at: Here, since: dt.date, ids: tuple[int, ...] | None, open_only: bool) -> pd.DataFrame:
    with _reading(at) as conn:
        return breaches.listed(conn, since, counties_mod.resolve(conn, at.county), ids, open_only=open_only)


def alert_breaches(since: dt.date, facility_ids: Sequence[int] | None, *, open_only: bool = False,
                   viewer: Viewer = OPEN) -> pd.DataFrame:
    """Rule breaches open or seen since ``since`` that concern the scope (lib.alerts.breaches.listed); for a
    scoped viewer only those found in the county as a whole or among its own units (a breach of several
    units names them all)."""
    found = _breaches(here(), since, _ids(facility_ids), open_only)
    if viewer.sees_all or found.empty:
        return found
    everyone = units()
    return found[[viewer.permits(breaches.scope_of(label), everyone) for label in found["scope"]]]


ALERT_WORKFLOWS = {"signal": signals.WORKFLOW, "breach": breaches.WORKFLOW}


def respond_to_alert(kind: str, alert_id: int, state: str, by: str, note: str) -> None:
    """Record a step of the work on a signal or a breach (``kind``, lib.alerts.workflow), then drop the
    cached lists."""
    with db.engine(db.resolve_write_url()).begin() as conn:
        ALERT_WORKFLOWS[kind].respond(conn, alert_id, state, by=by, note=note, now=clock.now())
    _signals.clear()
    _breaches.clear()


# --- sinking, capacity, plan (#13 items 2, 5, 6) ---


@st.cache_data(ttl=KPI_TTL, show_spinner=False, max_entries=100, refresh_mode="background")
def _sinking_page(at: Here, scope: kpi.Scope, period: Period, facility_ids: tuple[int, ...] | None,
                  today: dt.date) -> ops_sinking.Sinking:
    with _reading(at) as conn:
        return ops_sinking.build(kpi.Engine(conn, county=at.county, today=today), scope, period, facility_ids)


def sinking_page(scope: kpi.Scope, period: Period, facility_ids: Sequence[int] | None) -> ops_sinking.Sinking:
    """The resources-sent-down page (lib.ops.sinking.build)."""
    return _sinking_page(here(), scope, period, _ids(facility_ids), clock.today())


@st.cache_data(ttl=TREND_TTL, show_spinner=False, max_entries=100, refresh_mode="background")
def _capacity_page(at: Here, scope: kpi.Scope, period: Period, facility_ids: tuple[int, ...] | None,
                   today: dt.date) -> ops_capacity.Capacity:
    with _reading(at) as conn:
        return ops_capacity.build(kpi.Engine(conn, county=at.county, today=today), scope, period, facility_ids)


def capacity_page(scope: kpi.Scope, period: Period, facility_ids: Sequence[int] | None) -> ops_capacity.Capacity:
    """The capacity page (lib.ops.capacity.build)."""
    return _capacity_page(here(), scope, period, _ids(facility_ids), clock.today())


@st.cache_data(ttl=TREND_TTL, show_spinner=False, max_entries=100, refresh_mode="background")
def _plan_page(at: Here, period: Period, units: tuple[str, ...] | None, today: dt.date) -> ops_plan.PlanView:
    with _reading(at) as conn:
        return ops_plan.build(kpi.Engine(conn, county=at.county, today=today), period, units)


def plan_page(period: Period, facility_ids: Sequence[int] | None) -> ops_plan.PlanView:
    """The plan page (lib.ops.plan.build): milestones owned by the filtered units, and the county's own."""
    codes = None if facility_ids is None else tuple(units().loc[list(facility_ids), "code"])
    return _plan_page(here(), period, codes, clock.today())
# --- the region: every county of the store side by side (issue #15 item 6) --------------------------


@st.cache_data(ttl=KPI_TTL, show_spinner=False, max_entries=50)
def _region_page(url: str, period: Period, today: dt.date) -> region.Region:
    with db.engine(url).connect() as conn:
        return region.compare(conn, period, today=today)


def region_page(period: Period) -> region.Region:
    """Every county on the headline indicators against its own targets (lib.kpi.region.compare)."""
    return _region_page(db.read_url(), period, clock.today())


# --- insurance fund and public health (issue #13 items 3-4) ---------------------------------------


@st.cache_data(ttl=KPI_TTL, show_spinner=False, max_entries=100)
def _insurance_page(at: Here, scope: kpi.Scope, period: Period, today: dt.date) -> insurance.Insurance:
    with _reading(at) as conn:
        return insurance.page(kpi.Engine(conn, county=at.county, today=today), scope, period)


def insurance_page(scope: kpi.Scope, period: Period, viewer: Viewer = OPEN) -> insurance.Insurance:
    """The insurance page (lib.ops.insurance.page), cached for KPI_TTL and shared by every screen; the lead
    hospitals' parts only for a viewer who sees them (lib.access.trim)."""
    return trim.insurance(_insurance_page(here(), scope, period, clock.today()), viewer, units())


@st.cache_data(ttl=KPI_TTL, show_spinner=False, max_entries=100)
def _public_health_page(at: Here, scope: kpi.Scope, period: Period, today: dt.date) -> public_health.PublicHealth:
    with _reading(at) as conn:
        return public_health.page(kpi.Engine(conn, county=at.county, today=today), scope, period)


def public_health_page(scope: kpi.Scope, period: Period, viewer: Viewer = OPEN) -> public_health.PublicHealth:
    """The public health, TCM and elderly-care page (lib.ops.public_health.page), cached for KPI_TTL; the TCM
    table by unit lists only the units ``viewer`` sees."""
    page = _public_health_page(here(), scope, period, clock.today())
    return dataclasses.replace(page, tcm_by_unit=viewer.keep(page.tcm_by_unit),
                               tiles={k: trim.tiles(v, viewer, units()) for k, v in page.tiles.items()})


# --- access (lib.access): never cached, so a disabled user or a revoked token is out at the next run ----


def access_settings() -> access_settings_mod.Settings:
    """Whether sign-in is on, session and lockout lengths, the watermark (data/access.toml, COCKPIT_AUTH)."""
    return access_settings_mod.load()


def sign_in(name: str, password: str) -> accounts.SignIn:
    """Check a local password (lib.access.accounts.authenticate), counting failures, in one transaction."""
    with db.engine(db.resolve_write_url()).begin() as conn:
        return accounts.authenticate(conn, name, password, access_settings(), clock.now())


def viewer_of(name: str) -> Viewer:
    """The viewer of an active user (raises AccessError for an unknown or disabled one)."""
    with db.engine(db.resolve_url()).connect() as conn:
        return accounts.viewer(conn, name)


def kiosk_screen(token: str | None) -> tokens.Kiosk | None:
    """The screen of a live kiosk token, or None (lib.access.tokens.resolve)."""
    with db.engine(db.resolve_url()).connect() as conn:
        return tokens.resolve(conn, token)


def access_admin() -> dict[str, pd.DataFrame]:
    """What the admin page lists: users, kiosk tokens (never the tokens themselves), the latest audit."""
    with db.engine(db.resolve_url()).connect() as conn:
        return {"users": accounts.listed(conn), "tokens": tokens.listed(conn), "audit": access_audit.listed(conn)}


def access_roles() -> dict[str, accounts.Role]:
    """The store's roles (lib.access.accounts.roles)."""
    with db.engine(db.resolve_url()).connect() as conn:
        return accounts.roles(conn)


def change_access(change: Callable[..., object], /, *args: object, **kwargs: object) -> object:
    """Run one change of lib.access (accounts.add / change, tokens.add / revoke) in its own transaction,
    stamped with the time; the change and its audit row commit together or not at all."""
    with db.engine(db.resolve_write_url()).begin() as conn:
        return change(conn, *args, now=clock.now(), **kwargs)
