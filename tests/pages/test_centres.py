"""The information centres page shows lib.ops.centres' figures (the KPI engine's) for the filters, in both
languages, with each centre's build status from its county's plan file (tiny county, both stores)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from lib import clock
from lib.ops import centre_plans
from lib.ops.centre_plans import CENTRES
from lib.store import db
from tests.conftest import make_store
from tests.fixtures import tiny
from ui import kiosk


def _panels(at: AppTest) -> dict[str, str]:
    """Each centre's panel text (its html block), keyed by the centre's position in CENTRES."""
    bodies = [h.proto.body for h in at.get("html") if "class='centre-figs'" in h.proto.body]
    assert len(bodies) == len(CENTRES)
    return dict(zip(CENTRES, bodies, strict=True))


# October on the tiny county, worked out in tests/lib/test_centres.py, as each language writes it.
OCTOBER = {
    "zh": {"emergency": ["44.0 分钟", "急救呼叫"], "rx_review": ["83.3%", "60.0 分钟"], "referral": ["60.0%"],
           "qc": ["86.0"], "drug_delivery": ["75.0%"], "lab": ["75.0 分钟", ">40<"], "tcm": [">8<"]},
    "en": {"emergency": ["44.0 min", "Call→arrival"], "rx_review": ["83.3%", "60.0 min"], "referral": ["60.0%"],
           "qc": ["86.0"], "drug_delivery": ["75.0%"], "lab": ["75.0 min", ">40<"], "tcm": [">8<"]},
}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_each_centre_shows_its_months_figures(tiny_url: str, open_page: Any, lang: str) -> None:
    at = open_page(tiny_url, "centres", period="2026-10", lang=lang)
    panels = _panels(at)
    for code, texts in OCTOBER[lang].items():
        for text in texts:
            assert text in panels[code], (code, text)
    assert at.title[0].value == ("十大信息中心" if lang == "zh" else "Information centres")


def test_the_area_filter_narrows_every_panel_and_missing_reads_as_a_dash(tiny_url: str, open_page: Any) -> None:
    """Pastoral (T2, V2): ambulances at 70 and 50 minutes; no lab test or sterilisation batch reported there."""
    panels = _panels(open_page(tiny_url, "centres", period="2026-10", area="pastoral", lang="en"))
    assert "60.0 min" in panels["emergency"]
    assert ">2<" in panels["emergency"]  # calls
    assert panels["lab"].count(">—<") == 3  # tests, turnaround, batches: no value, never 0


def test_a_wall_shows_one_stage_at_a_time(tiny_url: str, open_page: Any) -> None:
    at = open_page(tiny_url, "centres", period="2026-10", kiosk="1")
    assert at.session_state[kiosk.SECTIONS_KEY] == 2  # the five centres due by 2025, then the five by 2026
    assert len([h for h in at.get("html") if "class='centre-figs'" in h.proto.body]) == 5


@pytest.fixture
def planned_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, Path]]:
    """A tiny store of its own (its plan is cached by URL) and a plan folder for it."""
    folder = tmp_path / "plans"
    folder.mkdir()
    monkeypatch.setattr(centre_plans, "PLAN_DIR", folder)
    with make_store("sqlite", tmp_path, fill=tiny.build) as url:
        yield url, folder
    st.cache_data.clear()


def test_build_status_comes_from_the_countys_plan(planned_store: tuple[str, Path], open_page: Any) -> None:
    url, folder = planned_store
    shipped = (db.ROOT / "data" / "centres" / "wulatezhongqi.toml").read_text("utf-8")
    (folder / "tiny.toml").write_text(shipped.replace('county = "150824"', 'county = "000001"'), encoding="utf-8")
    panels = _panels(open_page(url, "centres", period="2026-10", lang="en"))
    today = clock.today()
    lab = centre_plans.read(folder / "tiny.toml").centres[CENTRES.index("lab")]
    if lab.days_left(today) is not None:
        assert f"days left: {lab.days_left(today)}" in panels["lab"]
    else:
        assert "Overdue" in panels["lab"]
    assert "Live since 16 Jun 2025 (due end-2025)" in panels["imaging_ecg"]


def test_a_broken_plan_is_named_and_the_figures_still_shown(planned_store: tuple[str, Path],
                                                            open_page: Any) -> None:
    url, folder = planned_store
    (folder / "tiny.toml").write_text('county = "000001"\n', encoding="utf-8")
    at = open_page(url, "centres", period="2026-10", lang="en")
    assert "[[centre]]: none given" in at.error[0].value
    assert "44.0 min" in _panels(at)["emergency"]


def test_the_peer_group_filter_keeps_its_units(tiny_url: str, open_page: Any) -> None:
    """Village clinics (V1, V2): V1's two ECG reads (30 and 50 min); no ambulance station among them."""
    panels = _panels(open_page(tiny_url, "centres", period="2026-10", tier="village_clinic", lang="en"))
    assert ">2<" in panels["imaging_ecg"]
    assert "40.0 min" in panels["imaging_ecg"]
    assert panels["emergency"].count(">—<") == 2  # calls and minutes: none reported, not 0
