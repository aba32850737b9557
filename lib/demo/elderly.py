"""Elderly care (医康养), key-population screening and 名医工作室 in the demo (issue #13 item 4).

Keyed on tiers and on the registry's ``elderly_care_area``: the area a plan gives the mission of 医康养
(乌拉特中旗's mountain-dry area, seed 000 §二(一)2) has township health centres with more care beds and an
elderly-care network built earlier; a county that names none simply has none of that emphasis. Figures follow seed
003 §一 where it gives them (16.4% of residents aged 60+, 4,890 of 64,511 of them living alone, destitute
or disabled) and are marked [E] where estimated.
"""

from __future__ import annotations

import numpy as np

from lib.demo.world import MONTHS, World

ELDERLY_SHARE = 0.164  # residents aged 60+ (003 §一)
HARDSHIP_SHARE = 4_890 / 64_511  # of them living alone, destitute or disabled (003 §一)
DESTITUTE_PER_RESIDENT = 0.006  # 特困人员 [E]
# Managed shares (start, end, spread) for lib.demo.registers: visited this month (target 100%, 003 §三(二)5)
# and in concentrated support (target 60%, 003 §三(四)10).
MANAGED = {"elderly_hardship": (0.90, 0.98, 0.03), "destitute": (0.48, 0.62, 0.06)}
SCREENED_PER_RESIDENT_MONTH = 0.004  # key-population screenings (000 §二(四)3) [E]
STUDIO_STEPS = (1, 3)  # the TCM lead hospital's 名医工作室 at the window's start and end (target 5, 000 §二(七)2)


def _mission(w: World) -> np.ndarray:
    return w.fac.area == w.settings.elderly_care_area


def registered(w: World) -> dict[str, np.ndarray]:
    """Elderly people in hardship and destitute people per unit and month (registers, scale-free)."""
    f = w.fac
    rng = w.rng("elderly/registers")
    pop = f.pop[:, None].astype(float) * (1 + 0.35 * _mission(w))[:, None]  # an older population there
    noise = rng.lognormal(0, 0.1, (f.n, 1))
    return {"elderly_hardship": np.round(pop * ELDERLY_SHARE * HARDSHIP_SHARE * noise * np.ones(MONTHS)).astype(int),
            "destitute": np.round(pop * DESTITUTE_PER_RESIDENT * noise * np.ones(MONTHS)).astype(int)}


def report_values(w: World) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Metric -> (units that report it, values per unit and month), as lib.demo.reports reads them."""
    f = w.fac
    rng = w.rng("elderly/reports")
    homes = (f.thc | f.village) & (f.pop > 0)
    mission = _mission(w)[:, None]
    older = f.pop[:, None] * ELDERLY_SHARE * (1 + 0.35 * mission) * (0.97 + 0.06 * w.t)
    beds = np.where(f.thc[:, None], rng.integers(2, 8, (f.n, 1)) + 18 * mission, 0) * (0.8 + 0.2 * w.t)
    occupancy = w.rate("elderly/occupancy", 0.55, 0.72, 0.08, 0.1, 1.0) + 0.1 * mission
    centre = np.maximum(w.adoption("elderly_centre", 0.5, 0.85), mission & f.thc[:, None])
    station = np.where(mission, w.adoption("elderly_station_m", 0.7, 1.0), w.adoption("elderly_station", 0.35, 0.75))
    studios = np.zeros((f.n, MONTHS))
    tcm_lead = np.flatnonzero(f.tcm_hospital)
    lead = int(tcm_lead[0]) if len(tcm_lead) else int(np.flatnonzero(f.lead)[0])
    studios[lead] = np.round(STUDIO_STEPS[0] + (STUDIO_STEPS[1] - STUDIO_STEPS[0]) * w.t)
    studios[f.thc] = w.adoption("tcm_master_studio", 0.0, 0.15)[f.thc]
    return {
        "screening": (homes, rng.poisson(f.pop[:, None] * SCREENED_PER_RESIDENT_MONTH * np.ones(MONTHS))),
        "tcm_master_studio": (f.thc | (np.arange(f.n) == lead), studios),
        "elderly_residents": (homes, np.round(older)),
        "care_beds": (f.thc, np.round(beds)),
        "care_beds_used": (f.thc, np.round(np.round(beds) * np.clip(occupancy, 0, 1))),
        "elderly_centre": (f.thc, centre),
        "elderly_station": (f.village, station),
    }
