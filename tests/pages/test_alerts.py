"""The alerts page and the wall's ribbon (AppTest) on the tiny county with one open signal at T1."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from lib import clock
from lib.alerts import signals
from lib.store import bootstrap, db
from lib.store.models import AlertSignal
from tests.conftest import make_store
from tests.fixtures import tiny


def _with_signal(url: str) -> None:
    tiny.build(url)
    bootstrap.bring_current(url)
    now = clock.now()
    with db.engine(url).begin() as conn:
        t1 = conn.execute(sa.text("SELECT id FROM facility WHERE code = 'T1'")).scalar_one()
        conn.execute(sa.insert(AlertSignal), {
            "facility_id": t1, "syndrome": "fever_resp", "day": now.date() - dt.timedelta(days=1), "count": 26,
            "expected": 14, "threshold": 14, "method": "mpm", "raised_at": now, "state": "new", "state_at": now,
            "state_by": "", "note": ""})


@pytest.fixture
def store(tmp_path: Path) -> Iterator[str]:
    with make_store("sqlite", tmp_path, fill=_with_signal) as url:
        yield url


def test_the_page_lists_the_signal_and_records_a_step(store: str, open_page: Callable[..., AppTest]) -> None:
    at = open_page(store, "alerts")
    table = at.dataframe[0].value
    assert table["place"].tolist() == ["一号卫生院"]
    assert table["state"].tolist() == ["新信号"]
    at.text_input(key="alerts-by").input("疾控中心 李医生")
    at.button(key="alerts-save").click().run()  # a new signal goes to "being verified"
    assert not at.exception
    assert [s.value for s in at.success] == ["已登记"]
    with db.engine(store).connect() as conn:
        state = conn.execute(sa.text("SELECT state, state_by FROM alert_signal")).one()
        assert tuple(state) == ("verifying", "疾控中心 李医生")
        assert signals.history(conn, 1)["state"].tolist() == ["verifying"]


def test_english_and_the_wall_ribbon(store: str, open_page: Callable[..., AppTest]) -> None:
    at = open_page(store, "alerts", lang="en")
    assert at.dataframe[0].value["place"].tolist() == ["THC one"]
    assert at.dataframe[0].value["syndrome"].tolist() == ["Fever with respiratory symptoms"]
    wall = open_page(store, None, kiosk="1")
    assert [e.value for e in wall.error] == ["预警（待处置 1）：一号卫生院 发热伴呼吸道症状"]


def test_closing_needs_a_note(store: str) -> None:
    with db.engine(store).begin() as conn:
        signals.respond(conn, 1, "verifying", by="李医生", note="", now=clock.now())
        with pytest.raises(signals.StepRefused, match="no_note"):
            signals.respond(conn, 1, "dismissed", by="李医生", note=" ", now=clock.now())
        with pytest.raises(signals.StepRefused, match="not_allowed"):
            signals.respond(conn, 1, "new", by="李医生", note="x", now=clock.now())
        signals.respond(conn, 1, "dismissed", by="李医生", note="同一家庭聚集，已排除", now=clock.now())
        assert signals.history(conn, 1)["state"].tolist() == ["verifying", "dismissed"]
