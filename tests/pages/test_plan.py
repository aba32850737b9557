"""The plan page: the county's milestones on the chosen month's last day, or a notice (tiny county)."""

import pytest
import streamlit as st

from lib import i18n
from lib.ops import plan
from tests.lib.test_ops_plan import TINY_PLAN


@pytest.fixture
def plans(tmp_path, monkeypatch):
    (tmp_path / "tiny.toml").write_text(TINY_PLAN, encoding="utf-8")
    monkeypatch.setattr(plan, "PLANS_DIR", tmp_path)
    st.cache_data.clear()  # the shared tiny store's pages were read without a plan
    yield tmp_path
    st.cache_data.clear()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_milestones_by_status(tiny_url, open_page, plans, lang):
    at = open_page(tiny_url, "plan", period="2026-10", lang=lang)
    counts = {m.label: m.value for m in at.metric}
    assert counts == {i18n.t(f"plan.status.{s}", lang): n
                      for s, n in {"done": "2", "on_course": "4", "at_risk": "3", "late": "1"}.items()}
    [tasks] = [df.value for df in at.dataframe]
    assert len(tasks) == 10
    assert len(at.get("vega_lite_chart")) == 1  # the timeline


def test_filters_keep_unit_owned_milestones_with_their_unit(tiny_url, open_page, plans):
    at = open_page(tiny_url, "plan", period="2026-10", area="pastoral")
    [tasks] = [df.value for df in at.dataframe]
    assert len(tasks) == 9  # H's EMR milestone left with H


def test_no_plan_file(tiny_url, open_page):
    at = open_page(tiny_url, "plan", lang="en")
    assert i18n.t("plan.none", "en") in [i.value for i in at.info]
