"""Unit-level details inside county-level results, cut to what a viewer sees.

A county total is everyone's, but some come with names attached: a stock indicator names the units whose
report is missing, the fund's envelope names the lead hospitals' parts. These functions drop the names
(and the parts) of units the viewer does not see; the totals stay as they are.
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from lib.access.viewer import Viewer
from lib.kpi.engine import KpiValue
from lib.kpi.headline import Tile
from lib.ops.insurance import Insurance


def value(v: KpiValue, viewer: Viewer) -> KpiValue:
    """The value without the codes of missing reports of units the viewer does not see."""
    if viewer.sees_all or not v.missing_units:
        return v
    return replace(v, missing_units=tuple(c for c in v.missing_units if viewer.allows(c)))


def tiles(shown: list[Tile], viewer: Viewer, units: pd.DataFrame) -> list[Tile]:
    """Headline tiles whose lists of missing reports name only the viewer's units (``units``: the registry's)."""
    if viewer.sees_all:
        return shown
    mine = viewer.keep(units)
    names = set(zip(mine["name_zh"], mine["name_en"], strict=True))
    return [replace(t, value=value(t.value, viewer), missing=tuple(m for m in t.missing if m in names))
            for t in shown]


def insurance(page: Insurance, viewer: Viewer, units: pd.DataFrame) -> Insurance:
    """The fund's page with only the lead hospitals' parts the viewer sees (the envelope's total stays)."""
    if viewer.sees_all:
        return page
    envelope, ledger = page.envelope, page.ledger
    if envelope is not None:
        hidden = [c for c in envelope.leads["code"] if not viewer.allows(c)]
        envelope = replace(envelope, leads=viewer.keep(envelope.leads))
        ledger = ledger.drop(columns=[c for c in hidden if c in ledger.columns])
    return replace(page, envelope=envelope, ledger=ledger, indicators=tiles(page.indicators, viewer, units))
