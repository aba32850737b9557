"""Shared by tests/lib: the KPI engine on the tiny county, stores for the ingest tests (the tiny county with a
second county beside it), and a local robot server standing in for WeCom and DingTalk (the alerts tests)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
import sqlalchemy as sa

from lib.kpi import Engine
from lib.store import bootstrap, db
from lib.store.models import Area, Base, Community, County, Facility
from tests.conftest import BACKENDS, make_store
from tests.fixtures import tiny


def _other_county(url: str) -> None:
    """A second county with one unit, X1, so a file can name a unit of another county."""
    tiny.build(url)
    with db.engine(url).begin() as conn:
        county = conn.execute(sa.insert(County).returning(County.id), {
            "code": "000002", "name_zh": "另一旗", "name_en": "Other banner", "resident_population": 1,
            "insured_residents": 1, "boundary": "none.geojson"}).scalar_one()
        area = conn.execute(sa.insert(Area).returning(Area.id), {
            "county_id": county, "code": "u", "name_zh": "城区", "name_en": "Urban"}).scalar_one()
        community = conn.execute(sa.insert(Community).returning(Community.id), {
            "county_id": county, "code": "c", "name_zh": "医共体", "name_en": "Community"}).scalar_one()
        conn.execute(sa.insert(Facility), {
            "code": "X1", "county_id": county, "community_id": community, "area_id": area, "tier_code": "thc",
            "name_zh": "外旗卫生院", "name_en": "Other THC", "latitude": 41.0, "longitude": 108.0,
            "coord_source": "surveyed"})
    bootstrap.bring_current(url)  # as every CLI does first: then a refused file is the only thing that ran


@pytest.fixture(scope="module", params=BACKENDS)
def ingest_shared_store(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The tiny county and a second one; refused files must leave it as it is, so the corpus shares it."""
    with make_store(request.param, tmp_path_factory.mktemp("ingest"), fill=_other_county) as url:
        yield url


@pytest.fixture(params=BACKENDS)
def ingest_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A store of its own for tests that write."""
    with make_store(request.param, tmp_path, fill=_other_county) as made:
        yield made


def everything(url: str) -> dict[str, list[tuple]]:
    """Every row of every table, sorted: equal before and after means nothing changed."""
    with db.engine(url).connect() as conn:
        return {name: sorted(map(tuple, conn.execute(sa.select(t)).all()), key=repr)
                for name, t in Base.metadata.tables.items()}


SECRET = "SEC0123456789abcdef"  # the DingTalk robot's 加签 secret


class Robot(BaseHTTPRequestHandler):
    """WeCom at /wecom, DingTalk at /dingtalk (verifying 加签 as DingTalk does), a broken robot at /broken."""

    received: ClassVar[list[tuple[str, dict]]] = []

    def do_POST(self) -> None:
        url = urllib.parse.urlsplit(self.path)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        reply = {"errcode": 0, "errmsg": "ok"}
        if url.path == "/dingtalk":
            query = urllib.parse.parse_qs(url.query)
            expected = base64.b64encode(hmac.new(SECRET.encode(), f"{query['timestamp'][0]}\n{SECRET}".encode(),
                                                 hashlib.sha256).digest()).decode()
            if query.get("sign", [""])[0] != expected:
                reply = {"errcode": 310000, "errmsg": "sign not match"}
        if url.path == "/broken":
            reply = {"errcode": 45009, "errmsg": "api freq out of limit"}
        Robot.received.append((url.path, body))
        data = json.dumps(reply).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def robot() -> Iterator[str]:
    """A robot server on a free port of 127.0.0.1; yields its origin."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), Robot)
    Robot.received = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def engine(tiny_url: str) -> Iterator[Engine]:
    """One KPI engine on the tiny county per backend and module: the store is read-only, an engine only reads."""
    with db.engine(tiny_url).connect() as conn:
        yield Engine(conn, today=tiny.TODAY)
