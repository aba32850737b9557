"""How each catalogue indicator is computed from per-facility measures summed over a scope.

A formula returns a ``Ratio`` (numerator, denominator, factor) or ``None`` where the scope has no
data for it. The numerator/denominator definitions are the ones in data/kpi/catalogue.toml; a
contract test checks that both lists hold the same codes.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

THC_TIERS = ("thc", "sub_centre_thc")
TOWNSHIP_TIERS = (*THC_TIERS, "community_health_centre")


@dataclass(frozen=True)
class Ratio:
    numerator: float
    denominator: float | None = None  # None: a count, the value is the numerator
    factor: float = 1.0
    # The denominator counts people or events, so a small one makes the value unreliable (the rule of
    # lib.kpi.engine.SMALL_DENOMINATOR, for rates, means and per-capita values alike); False for ratios
    # over units or reports (coverage, survey means) and over money (pay, the fund's envelope).
    sampled: bool = True

    @property
    def value(self) -> float | None:
        """The figure; None where there is nothing to divide by or a stock had no report at all (NaN)."""
        if self.denominator is None:
            result = self.numerator * self.factor
        elif self.denominator == 0:
            return None
        else:
            result = self.numerator / self.denominator * self.factor
        return None if math.isnan(result) else result


@dataclass(frozen=True)
class Gaps:
    """What a value stands on besides its figure: units whose stock report is missing (left out of the
    value and named, issue #11) and the oldest report month carried forward into it."""

    missing: tuple[int, ...] = ()  # facility ids
    as_of: dt.date | None = None


class UnitTable:
    """Every unit an engine knows, once: the frame, its ids and populations as arrays, and the masks formulas
    ask for (``Sums.where``), each computed once over all units and then cut to a scope's rows."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame
        self.ids = frame.index.to_numpy()
        self.population = frame["population"].to_numpy(dtype=float)
        self._masks: dict[str, np.ndarray] = {}

    def mask(self, name: str, test: Callable[[pd.DataFrame], pd.Series]) -> np.ndarray:
        if name not in self._masks:
            self._masks[name] = np.asarray(test(self.frame), dtype=bool)
        return self._masks[name]


class Columns:
    """A few units' measures by name as numpy columns (what coverage tests read): ``w["staff_gp"] >= 2``."""

    def __init__(self, matrix: np.ndarray, index: dict[str, int]) -> None:
        self.matrix = matrix
        self.columns = index

    def __len__(self) -> int:
        return len(self.matrix)

    def __getitem__(self, name: str) -> np.ndarray:
        return self.matrix[:, self.columns[name]]


class Sums:
    """Measures of the facilities in a scope: ``s["visits"]`` sums a measure; ``s.where(...)`` narrows.

    ``matrix`` holds one row per unit of the scope (``rows``: positions in ``table``) and one column per
    measure; a stock a unit has no current report of is NaN there, and sums leave it out (NaN when no
    unit has one). ``expected`` marks the cells whose NaN is a missing report (the unit's tier reports that
    stock) and ``reported`` holds each stock's report month (months since year 0). ``gaps()`` tells, for the
    measures read since ``start()``, which units were missing and how old the oldest report was.
    """

    def __init__(self, matrix: np.ndarray, columns: list[str], table: UnitTable | pd.DataFrame,
                 rows: np.ndarray | None = None, population: float | None = None,
                 expected: np.ndarray | None = None, reported: np.ndarray | None = None):
        self.table = table if isinstance(table, UnitTable) else UnitTable(table)
        self.rows = np.arange(len(self.table.ids)) if rows is None else rows
        self.matrix = matrix
        self.columns = columns
        self.population = float(self.table.population[self.rows].sum()) if population is None else population
        self.expected = np.zeros(matrix.shape, dtype=bool) if expected is None else expected
        self.reported = np.full(matrix.shape, np.nan) if reported is None else reported
        self._index = {c: i for i, c in enumerate(columns)}
        with np.errstate(all="ignore"):
            some = (~np.isnan(matrix)).any(axis=0)
            totals = np.where(some | (len(matrix) == 0), np.nansum(matrix, axis=0), np.nan)
        self._totals = dict(zip(columns, totals.tolist(), strict=True))
        self._subsets: dict[str, Sums] = {}
        self._read: set[str] = set()

    @property
    def units(self) -> pd.DataFrame:
        return self.table.frame.iloc[self.rows]

    @property
    def wide(self) -> pd.DataFrame:
        return pd.DataFrame(self.matrix, index=self.table.ids[self.rows], columns=self.columns)

    def __getitem__(self, measure: str) -> float:
        self._read.add(measure)
        return float(self._totals.get(measure, 0.0))

    def total(self, *measures: str) -> float:
        return sum(self[m] for m in measures)

    def where(self, name: str, mask: Callable[[pd.DataFrame], pd.Series]) -> Sums:
        """The units passing ``mask`` (once per name over all units: formulas ask for the same subsets often)."""
        if name not in self._subsets:
            keep = self.table.mask(name, mask)[self.rows]
            self._subsets[name] = Sums(self.matrix[keep], self.columns, self.table, self.rows[keep], None,
                                       self.expected[keep], self.reported[keep])
        return self._subsets[name]

    def tiers(self, tiers: Iterable[str]) -> Sums:
        tiers = tuple(tiers)
        return self.where("tiers:" + ",".join(tiers), lambda u: u["tier"].isin(tiers))

    @property
    def primary(self) -> Sums:
        return self.where("primary", lambda u: u["is_primary"].astype(bool))

    def count_units(self, tiers: Iterable[str], test: Callable[[Columns], np.ndarray],
                    needs: tuple[str, ...] = ()) -> Ratio | None:
        """Units of these tiers passing ``test`` ÷ units of these tiers (coverage indicators). A unit
        without a current report of a stock in ``needs`` is left out of both and named (``gaps``)."""
        scoped = self.tiers(tiers)
        scoped._read.update(needs)
        known = np.ones(len(scoped.matrix), dtype=bool)
        for need in needs:
            known &= ~np.isnan(scoped.matrix[:, scoped._index[need]]) if need in scoped._index else False
        n = int(known.sum())
        if n == 0:
            return None
        passing = int(np.asarray(test(Columns(scoped.matrix[known], scoped._index))).sum())
        return Ratio(passing, n, sampled=False)

    def start(self) -> None:
        """Forget the measures read so far (before a formula runs)."""
        self._read.clear()
        for sub in self._subsets.values():
            sub.start()

    def gaps(self) -> Gaps:
        """Missing units and the oldest report month among the measures read since ``start()``."""
        missing: set[int] = set()
        oldest = np.inf
        cols = [self._index[m] for m in self._read if m in self._index]
        if cols:
            gone = (np.isnan(self.matrix[:, cols]) & self.expected[:, cols]).any(axis=1)
            if gone.any():
                missing.update(self.table.ids[self.rows][gone].tolist())
            oldest = np.nanmin(self.reported[:, cols], initial=np.inf)
        for sub in self._subsets.values():
            nested = sub.gaps()
            missing.update(nested.missing)
            if nested.as_of is not None:
                oldest = min(oldest, nested.as_of.year * 12 + nested.as_of.month - 1)
        as_of = None if not np.isfinite(oldest) else dt.date(int(oldest) // 12, int(oldest) % 12 + 1, 1)
        return Gaps(tuple(sorted(missing)), as_of)


def _col(w: Columns | pd.DataFrame, name: str) -> np.ndarray | pd.Series:
    return w[name] if name in w.columns else np.zeros(len(w))


def _ratio(num: float, den: float, factor: float = 1.0) -> Ratio | None:
    return None if den == 0 else Ratio(num, den, factor)


def _mean_pay(s: Sums) -> float | None:
    return s["pay_sum"] / s["pay_n"] if s["pay_n"] else None


def _pay_ratio(s: Sums) -> Ratio | None:
    primary, lead = _mean_pay(s.primary), _mean_pay(s.where("lead", lambda u: u["is_lead"].astype(bool)))
    return None if primary is None or not lead else Ratio(primary, lead, sampled=False)


def thc_staffing_ok(w: Columns | pd.DataFrame) -> np.ndarray | pd.Series:
    # 002 §二(二)1: technicians ≥90% of staff, ≥2 GPs, TCM/Mongolian ≥25% of physicians, ≥1 public-health physician.
    return ((_col(w, "staff_tech") >= 0.9 * _col(w, "staff_n")) & (_col(w, "staff_gp") >= 2)
            & (_col(w, "staff_tcm_phys") >= 0.25 * _col(w, "staff_phys")) & (_col(w, "staff_ph_phys") >= 1)
            & (_col(w, "staff_n") > 0))


def _rostered(formula: Callable[[Sums], Ratio | None]) -> Callable[[Sums], Ratio | None]:
    """A figure counted on the roster: no value where nobody in the scope is on it (a roster never loaded
    is no data, not zero GPs; #13 "no data, never a zero where nothing was reported")."""
    return lambda s: None if s["staff_n"] == 0 else formula(s)


def _rural(s: Sums) -> Sums:
    """Agricultural/pastoral population: units in the areas the county's registry counts as rural."""
    return s.where("rural", lambda u: u["rural"].astype(bool))


def _report_mean(metric: str) -> Callable[[Sums], Ratio | None]:
    """The mean of the units' monthly reported scores over the period (四方满意 surveys, QC scores)."""
    def mean(s: Sums) -> Ratio | None:
        n = s[f"rep_{metric}_n"]
        return None if n == 0 else Ratio(s[f"rep_{metric}_sum"], n, sampled=False)
    return mean


def _reported_count(metric: str) -> Callable[[Sums], Ratio | None]:
    """A count units report monthly, summed over the period; no value when no unit reported it (never 0)."""
    def count(s: Sums) -> Ratio | None:
        return None if s[f"rep_{metric}_n"] == 0 else Ratio(s[f"rep_{metric}_sum"])
    return count


REFERRALS_SENT = ("ref_sent:up", "ref_sent:down", "ref_sent:out")
FUND_ALL = ("visit_fund", "fund_home_in", "fund_home_out")
FUND_HOME_IN = ("visit_fund_home", "fund_home_in")  # the residents' in-county spending, by home unit

FORMULAS: dict[str, Callable[[Sums], Ratio | None]] = {
    # Resident-based (the catalogue's basis): the scope's residents by home unit, wherever they were treated.
    "primary_visit_share": lambda s: _ratio(s["visits_home_primary"], s["visits_home"]),
    "in_county_admission_share": lambda s: _ratio(s["adm_home_in"], s.total("adm_home_in", "adm_home_out")),
    "out_of_county_rate": lambda s: _ratio(s["adm_home_out"], s.total("adm_home_in", "adm_home_out")),
    "up_referrals": lambda s: Ratio(s["ref_sent:up"]),
    "down_referrals": lambda s: Ratio(s["ref_sent:down"]),
    "down_up_ratio": lambda s: _ratio(s["ref_sent:down"], s["ref_sent:up"]),
    "referral_closure_rate": lambda s: _ratio(s["ref_closed"], s.total(*REFERRALS_SENT)),
    "out_referrals_by_disease": lambda s: Ratio(s["adm_home_out"]),
    "sinking_days_compliance": lambda s: _ratio(s["sink_compliant"], s["sink_eligible"]),
    "sinking_days_hosted": lambda s: Ratio(s["sink_days"]),
    "stationed_physicians_per_10k": lambda s: _ratio(s["stationed_phys"], s.population, 10_000),
    "township_attending_coverage": lambda s: s.count_units(THC_TIERS, lambda w: _col(w, "stationed_phys") >= 1),
    "village_ecg_coverage": lambda s: s.count_units(["village_clinic"], lambda w: _col(w, "rep_ecg_networked") >= 1,
                                                    needs=("rep_ecg_networked",)),
    "pay_ratio_primary_lead": _pay_ratio,
    "fund_execution": lambda s: None,  # needs the county's envelope: computed by lib.kpi
    "fund_in_county_share": lambda s: _ratio(s.total(*FUND_HOME_IN), s.total(*FUND_HOME_IN, "fund_home_out")),
    "fund_primary_share": lambda s: _ratio(s.primary.total("visit_fund", "fund_at"), s.total("visit_fund", "fund_at")),
    "cost_per_admission": lambda s: _ratio(s["adm_at_cost"], s["adm_at"]),
    "cost_per_visit": lambda s: _ratio(s["outpatient_cost"], s["visits_outpatient"]),
    "tcm_visit_share": lambda s: _ratio(s["visits_tcm"], s["visits"]),
    "tcm_hall_coverage": lambda s: s.count_units(TOWNSHIP_TIERS, lambda w: _col(w, "rep_tcm_hall") >= 1,
                                                 needs=("rep_tcm_hall",)),
    "village_tcm_service_rate": lambda s: s.count_units(["village_clinic"], lambda w: _col(w, "rep_tcm_service") >= 1,
                                                        needs=("rep_tcm_service",)),
    # No outreach report in the period is no value, never 0 (issue #13: a month not yet reported).
    "tcm_outreach_events": lambda s: Ratio(s.total("rep_tcm_outreach_5jin_sum", "rep_tcm_outreach_nearby_sum"))
    if s.total("rep_tcm_outreach_5jin_n", "rep_tcm_outreach_nearby_n") else None,
    "htn_managed_rate": lambda s: _ratio(s["man_htn"], s["reg_htn"]),
    "dm_managed_rate": lambda s: _ratio(s["man_dm"], s["reg_dm"]),
    "maternal_managed_rate": lambda s: _ratio(s["man_pregnancy"], s["reg_pregnancy"]),
    "fd_contract_rate": lambda s: _ratio(s.total("fd_active_priority", "fd_active_general"), s.population),
    "fd_contract_priority_rate": lambda s: _ratio(s["fd_active_priority"], s["reg_priority_group"]),
    "followup_completion": lambda s: _ratio(s["fu_ontime"], s["fu_due"]),
    "chronic_admission_rate": lambda s: _ratio(s["adm_home_chronic"], s.total("reg_htn", "reg_dm")),
    "gp_per_10k": _rostered(lambda s: _ratio(s["staff_gp"], s.population, 10_000)),
    "thc_staffing_compliance": _rostered(lambda s: s.count_units(THC_TIERS, thc_staffing_ok)),
    "village_doctor_density": _rostered(lambda s: _ratio(_rural(s)["vdoc_n"], _rural(s).population, 1_000)),
    "village_doctor_licensed_share": lambda s: _ratio(s["vdoc_licensed"], s["vdoc_n"]),
    "emr_level": lambda s: Ratio(s["rep_emr_level"]) if len(s.rows) == 1 else None,
    "thc_ambulance_coverage": lambda s: s.count_units(THC_TIERS, lambda w: _col(w, "rep_ambulances") >= 1,
                                                      needs=("rep_ambulances",)),
    **{f"satisfaction_{who}": _report_mean(f"satisfaction_{who}")
       for who in ("patient", "staff", "government", "insurer")},
    "rx_pass_rate": lambda s: _ratio(s["rx_passed"], s["rx_reviewed"]),
    "delivery_ontime_rate": lambda s: _ratio(s["deliveries_ontime"], s["deliveries"]),
    "qc_score": _report_mean("qc_score"),
    "tcm_remote_consults": _reported_count("tcm_remote_consults"),
    "sterilisation_batches": _reported_count("sterilisation_batches"),
    # Issue #13: screening (a reported count), 名医工作室 and
    # elderly care (stocks: the latest report; registers: managed = visited / in concentrated support).
    "key_population_screenings": _reported_count("screening"),
    "tcm_master_studios": lambda s: Ratio(s["rep_tcm_master_studio"]),
    "elderly_population": lambda s: Ratio(s["rep_elderly_residents"]),
    "elderly_visit_rate": lambda s: _ratio(s["man_elderly_hardship"], s["reg_elderly_hardship"]),
    "concentrated_support_rate": lambda s: _ratio(s["man_destitute"], s["reg_destitute"]),
    "care_beds": lambda s: Ratio(s["rep_care_beds"]),
    "care_bed_occupancy": lambda s: _ratio(s["rep_care_beds_used"], s["rep_care_beds"]),
    "township_elderly_centre_coverage": lambda s: s.count_units(
        TOWNSHIP_TIERS, lambda w: _col(w, "rep_elderly_centre") >= 1, needs=("rep_elderly_centre",)),
    "village_elderly_station_coverage": lambda s: s.count_units(
        ["village_clinic"], lambda w: _col(w, "rep_elderly_station") >= 1, needs=("rep_elderly_station",)),
}
