"""Monthly unit reports (satisfaction, quality, capacity flags) and the insurance fund.

Reports are due by the 16th of the following month (seed 003 §四(二)): most arrive in time, some late,
a few never. The fund follows seed 000 §二(一)3: a revenue budget, minus the 5% reserve and commercial
premiums, paid to the two lead hospitals as a prepayment at year start plus monthly settlements.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from lib.demo import elderly
from lib.demo.clock import Frame, concat, year_of
from lib.demo.services import ambulances, village_service
from lib.demo.world import MONTHS, World
from lib.kpi.measures import SENDING_TIERS
from lib.ops.insurance import OVERSPEND_SHARE

RESERVE_RATE = 0.05  # 调剂金 (000 §二(一)3)
PREMIUM_SHARE = 0.025  # commercial-insurance premium as a share of spending [E]
SETTLED_SHARE = 0.95  # monthly pre-settlement pays 95%, the rest at year-end clearing [E]
LEAD_SHARES = (0.65, 0.35)  # the first lead hospital's share of the fund, the second's [E]
OUTREACH_PER_YEAR = {"tcm_outreach_5jin": 50, "tcm_outreach_nearby": 30}  # targets, 000 §二(七)3
EMR_TARGET = {"county_hospital": 6, "mongolian_tcm_hospital": 5, "tcm_hospital": 5}  # 000 §二(五)3
# Counts reported monthly to the two information centres that have no event table (000 主要目标): remote
# TCM consultations the THCs requested (中医问诊中心) and the county hospitals' sterilisation batches
# (检验消毒中心). Peer group → mean a month at scale 1 [E], growing as the centres come into use.
CENTRE_COUNTS = {"tcm_remote_consults": ("thc", 14.0), "sterilisation_batches": ("county_hospital", 90.0)}


def _report_values(w: World) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Metric -> (units that report it, values per unit and month)."""
    f = w.fac
    everyone = np.ones(f.n, bool)
    values = {
        "satisfaction_patient": (everyone, 87 + 3 * w.t + 3 * w.z("satisfaction_patient")),
        "satisfaction_staff": (everyone, 81 + 3 * w.t + 4 * w.z("satisfaction_staff")),
        "satisfaction_government": (everyone, 87 + 2 * w.t + 3 * w.z("satisfaction_government")),
        "satisfaction_insurer": (everyone, 84 + 3 * w.t + 3 * w.z("satisfaction_insurer")),
        "qc_score": (everyone, 85 + 3 * w.t + 2 * f.hospital[:, None] + 4 * w.z("qc")),
        "tcm_hall": (f.thc, w.adoption("tcm_hall", 0.75, 0.95)),
        "ambulances": (f.thc, ambulances(w)),
        "ecg_networked": (f.village, village_service(w, "ecg_networked")),
        "tcm_service": (f.village, village_service(w, "tcm_service")),
    }
    rng = w.rng("reports/values")
    target = np.array([EMR_TARGET.get(t, 0) for t in f.tier])
    upgrade = rng.integers(10, MONTHS + 6, f.n)  # some reach the target level during the window, some later
    emr = target[:, None] - (np.arange(MONTHS)[None, :] < upgrade[:, None])
    values["emr_level"] = (target > 0, emr)
    tcm_lead = f.tcm_hospital
    if not tcm_lead.any():
        tcm_lead = f.lead & (np.cumsum(f.lead) == 1)
    for metric, per_year in OUTREACH_PER_YEAR.items():
        pace = rng.uniform(0.8, 1.15, MONTHS // 12 + 2)[(np.arange(MONTHS) + int(w.first.astype(int) % 12)) // 12]
        values[metric] = (tcm_lead, np.tile(rng.poisson(per_year / 12 * pace), (f.n, 1)))
    clipped = {k: (mask, np.clip(np.round(v, 1), 0, 100)) for k, (mask, v) in values.items()}
    return clipped | elderly.report_values(w)  # counts (residents 60+, beds) beyond 100: not clipped


def _centre_counts(w: World) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Metric -> (units that report it, counts per unit and month): whole numbers, not clipped like scores."""
    f = w.fac
    rng = w.rng("reports/centres")
    uptake = 0.6 + 0.8 * w.t  # [E]
    return {metric: (f.peer == peer, rng.poisson(per_month * w.size * uptake, (f.n, MONTHS)).astype(float))
            for metric, (peer, per_month) in CENTRE_COUNTS.items()}


def report_frame(w: World) -> Frame:
    """One row per unit, month and metric, received mostly before the 16th of the next month."""
    f = w.fac
    rng = w.rng("reports/received")
    late = rng.random((f.n, MONTHS)) < np.clip(0.07 + 0.05 * w.z("punctual"), 0.01, 0.4)
    missing = rng.random((f.n, MONTHS)) < 0.02
    day = np.where(late, rng.integers(17, 29, (f.n, MONTHS)), rng.integers(2, 16, (f.n, MONTHS)))
    months = np.array([w.month(i) for i in range(MONTHS + 1)])
    next_month = months[1:]
    received = (next_month[None, :] + (day - 1).astype("timedelta64[D]")).astype("datetime64[s]")
    received += (rng.integers(8 * 3600, 18 * 3600, (f.n, MONTHS))).astype("timedelta64[s]")
    present = ~missing & (received <= w.now)
    frames: list[Frame] = []
    for metric, (mask, value) in (_report_values(w) | _centre_counts(w)).items():
        unit, month = np.nonzero(mask[:, None] & present)
        frames.append({"facility_id": f.id[unit], "month": months[month],
                       "metric": np.full(len(unit), metric, dtype=object), "value": value[unit, month],
                       "received_at": received[unit, month]})
    return concat(frames)


# Training (000 §二(二)3, §二(四)1), reported monthly from the plan's start [E]: young doctors sent for
# further study by the banner-level hospitals (20 a year), 名医工作室 set up at the lead hospitals (10 in
# three years), CDC backbone staff trained (30 in three years).
TRAINING = {"training_sent": ("sending", 20 / 12), "expert_studio": ("lead", 10 / 32),
            "cdc_backbone_trained": ("cdc", 30 / 32)}
PLAN_START = np.datetime64("2025-05-01")  # 000 issued 2025-05-07: counting starts that month


def training_frame(w: World) -> Frame:
    """Monthly training counts per reporting unit, 0 before the plan starts (received times: ``alongside``)."""
    f = w.fac
    who = {"sending": np.isin(f.tier, SENDING_TIERS), "lead": f.lead, "cdc": f.tier == "cdc"}
    rng = w.rng("reports/training")
    months = np.array([w.month(i) for i in range(MONTHS)])
    started = months >= PLAN_START
    frames: list[Frame] = []
    for metric, (group, per_month) in TRAINING.items():
        units = np.flatnonzero(who[group])
        if not len(units):
            continue
        pace = rng.uniform(0.7, 1.2, len(units))[:, None] / len(units)
        value = rng.poisson(per_month * pace * started[None, :], (len(units), MONTHS)).astype(float)
        unit_i, month_i = np.nonzero(np.ones_like(value, dtype=bool))
        frames.append({"facility_id": f.id[units[unit_i]], "month": months[month_i],
                       "metric": np.full(len(unit_i), metric, dtype=object), "value": value[unit_i, month_i]})
    return concat(frames)


def alongside(regular: Frame, extra: Frame) -> Frame:
    """``extra`` rows (facility_id, month, metric, value) filed with each unit's regular return of the
    month (``report_frame``): its received time, and no row where that return never came, so report
    timeliness and completeness read exactly as before the extra metrics existed."""
    filed = pd.DataFrame({k: regular[k] for k in ("facility_id", "month", "received_at")}).groupby(
        ["facility_id", "month"])["received_at"].max()
    rows = pd.DataFrame(extra).join(filed, on=["facility_id", "month"]).dropna(subset=["received_at"])
    dtypes = {k: np.asarray(v).dtype for k, v in extra.items()} | {"received_at": regular["received_at"].dtype}
    return {k: rows[k].to_numpy().astype(dtypes[k]) for k in rows.columns}


def fund_frames(w: World, county_id: int, spending: np.ndarray) -> dict[str, Frame]:
    """Budget, lead-hospital shares and payments per year, sized to the generated spending.

    ``spending`` is the fund's spending per demo month (visits and admissions of insured residents).
    The revenue budget is set so the envelope lands within a few percent of the year's spending, some
    years in surplus and some over (000 §二(一)3: surplus retained, overspend shared).
    """
    f = w.fac
    rng = w.rng("fund")
    leads = np.flatnonzero(f.lead)[: len(LEAD_SHARES)]
    shares = np.asarray(LEAD_SHARES[: len(leads)]) / sum(LEAD_SHARES[: len(leads)])
    years = np.array([year_of(w.month(i)) for i in range(MONTHS)])
    covered = np.array([w.season(i) for i in range(MONTHS)])  # share of a mean year each month stands for
    covered[-1] *= w.current_month_elapsed
    budget, share, payment = [], [], []
    made = spending > 0  # the months with events (``python -m lib.demo --months N`` makes the last N)
    for year in np.unique(years[made]):
        sel = (years == year) & made
        annual = spending[sel].sum() / covered[sel].sum() * 12
        envelope = annual * (1 + rng.normal(0.015, 0.02))
        premium = PREMIUM_SHARE * annual
        budget.append((county_id, int(year), round((envelope + premium) / (1 - RESERVE_RATE), 2), RESERVE_RATE,
                       round(premium, 2)))
        complete = sel.sum() == 12 and np.datetime64(f"{year + 1}-01-31") <= w.today
        for lead, part in zip(leads, shares, strict=True):
            share.append((int(year), f.id[lead], float(part)))
            prepaid = envelope * part / 12
            payment.append((f.id[lead], int(year), 1, "prepayment", prepaid, np.datetime64(f"{year}-01-10")))
            settled = 0.0
            for i in np.flatnonzero(sel):
                paid_on = w.month(i + 1) + np.timedelta64(14, "D")
                if paid_on <= w.today:
                    amount = spending[i] * part * SETTLED_SHARE
                    settled += amount
                    payment.append((f.id[lead], int(year), w.calendar_month(i), "settlement", amount, paid_on))
            if complete:
                actual = spending[sel].sum()
                owed = (envelope + (1 - OVERSPEND_SHARE) * max(0.0, actual - envelope)) * part
                payment.append((f.id[lead], int(year), 12, "clearing", owed - prepaid - settled,
                                np.datetime64(f"{year + 1}-01-31")))
    return {
        "fund_budget": _frame(("county_id", "year", "revenue_budget", "reserve_rate", "commercial_premium"), budget),
        "fund_share": _frame(("year", "lead_facility_id", "share"), share),
        "fund_payment": _frame(("lead_facility_id", "year", "month", "kind", "amount", "paid_on"), payment),
    }


def _frame(columns: tuple[str, ...], rows: list[tuple]) -> Frame:
    frame = {c: np.array(v) for c, v in zip(columns, zip(*rows, strict=True), strict=True)}
    if "amount" in frame:
        frame["amount"] = np.round(frame["amount"].astype(float), 2)
    if "kind" in frame:
        frame["kind"] = frame["kind"].astype(object)
    return frame
