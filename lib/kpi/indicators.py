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
from functools import cache, cached_property

import numpy as np
import pandas as pd

THC_TIERS = ("thc", "sub_centre_thc")
TOWNSHIP_TIERS = (*THC_TIERS, "community_health_centre")


Number = float | np.ndarray  # one scope's figure, or one per scope of a batch


@dataclass(frozen=True)
class Ratio:
    """What a formula returns, for one scope (floats) or for every scope of a batch (arrays)."""

    numerator: Number
    denominator: Number | None = None  # None: a count, the value is the numerator
    factor: float = 1.0
    # The denominator counts people or events, so a small one makes the value unreliable (the rule of
    # lib.kpi.engine.SMALL_DENOMINATOR, for rates, means and per-capita values alike); False for ratios
    # over units or reports (coverage, survey means) and over money (pay, the fund's envelope).
    sampled: bool = True

    @property
    def value(self) -> float | None:
        """The figure of one scope; None where there is nothing to divide by or a stock had no report (NaN)."""
        if self.denominator is None:
            result = self.numerator * self.factor
        elif self.denominator == 0:
            return None
        else:
            result = self.numerator / self.denominator * self.factor
        return None if math.isnan(result) else float(result)

    def values(self, scopes: int) -> np.ndarray:
        """The figure of each scope of a batch; NaN where there is none."""
        numerator = np.broadcast_to(np.asarray(self.numerator, dtype=float), (scopes,))
        if self.denominator is None:
            return numerator * self.factor
        denominator = np.broadcast_to(np.asarray(self.denominator, dtype=float), (scopes,))
        return _per(numerator, denominator) * self.factor

    def of(self, scope: int) -> Ratio | None:
        """One scope's ratio out of a batch's (None where it has no value)."""
        one = Ratio(_at(self.numerator, scope), None if self.denominator is None else _at(self.denominator, scope),
                    self.factor, self.sampled)
        return None if one.value is None else one


def _at(x: Number, i: int) -> float:
    return float(x[i]) if isinstance(x, np.ndarray) else float(x)


def _per(numerator: Number, denominator: Number) -> np.ndarray:
    """numerator ÷ denominator per scope, NaN where the denominator is 0."""
    numerator, denominator = np.asarray(numerator, dtype=float), np.asarray(denominator, dtype=float)
    with np.errstate(all="ignore"):
        return np.where(denominator == 0, np.nan, numerator / np.where(denominator == 0, 1.0, denominator))


def _blank(where: Number, r: Ratio) -> Ratio:
    """No value for the scopes where ``where`` holds (a roster never loaded, no report at all: no data, not 0)."""
    return Ratio(np.where(where, np.nan, r.numerator), r.denominator, r.factor, r.sampled)


@dataclass(frozen=True)
class Gaps:
    """What a value stands on besides its figure: units whose stock report is missing (left out of the
    value and named, issue #11) and the oldest report month carried forward into it."""

    missing: tuple[int, ...] = ()  # facility ids
    as_of: dt.date | None = None


class UnitTable:
    """Every unit an engine knows, once: the frame, its ids and populations as arrays, and the masks formulas
    ask for (``Batch.where``), each computed once over all units."""

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
    """Units' measures by name as numpy columns (what coverage tests read): ``w["staff_gp"] >= 2``."""

    def __init__(self, matrix: np.ndarray, index: dict[str, int]) -> None:
        self.matrix = matrix
        self.columns = index

    def __len__(self) -> int:
        return len(self.matrix)

    def __getitem__(self, name: str) -> np.ndarray:
        return self.matrix[:, self.columns[name]]


@dataclass(frozen=True)
class UnitMeasures:
    """A period's measures of every unit (rows in the order of ``table``), one column per measure; a stock
    a unit has no current report of is NaN. ``expected`` marks the cells whose NaN is a missing report
    (the unit's tier reports that stock); ``reported`` holds each stock's report month (months since year 0)."""

    table: UnitTable
    matrix: np.ndarray
    columns: list[str]
    expected: np.ndarray
    reported: np.ndarray

    @cached_property
    def index(self) -> dict[str, int]:
        return {c: i for i, c in enumerate(self.columns)}

    @cached_property
    def present(self) -> np.ndarray:
        return ~np.isnan(self.matrix)

    @cached_property
    def filled(self) -> np.ndarray:
        return np.nan_to_num(self.matrix)


class Batch:
    """Measures summed over several scopes at once: ``b["visits"]`` is one total per scope, ``b.where(...)``
    narrows every scope to the units passing a test. Formulas run once per batch, whatever the scopes.

    ``members`` marks each scope's units (scopes × units). A stock no unit of a scope has a current report
    of sums to NaN for it. ``gaps()`` tells, per scope and for the measures read since ``start()``, which
    units were missing and how old the oldest report was.
    """

    def __init__(self, measures: UnitMeasures, members: np.ndarray, population: np.ndarray | None = None) -> None:
        self.measures = measures
        self.members = members
        self.population = members @ measures.table.population if population is None else population
        self.unit_count = members.sum(axis=1)
        self._totals: np.ndarray | None = None
        self._subsets: dict[str, Batch] = {}
        self._read: set[str] = set()

    def __len__(self) -> int:
        return len(self.members)

    def __getitem__(self, measure: str) -> np.ndarray:
        """The measure's total per scope, noted as read (for ``gaps``)."""
        self._read.add(measure)
        return self.sum_of(measure)

    def sum_of(self, measure: str) -> np.ndarray:
        """The measure's total per scope, not noted (readers beside the formulas)."""
        column = self.measures.index.get(measure)
        if column is None:
            return np.zeros(len(self))
        if self._totals is None:
            m, weights = self.measures, self.members.astype(float)
            some = (weights @ m.present) > 0
            self._totals = np.where(some | (self.unit_count == 0)[:, None], weights @ m.filled, np.nan)
        return self._totals[:, column]

    def total(self, *measures: str) -> np.ndarray:
        return sum((self[m] for m in measures), np.zeros(len(self)))

    def where(self, name: str, mask: Callable[[pd.DataFrame], pd.Series]) -> Batch:
        """Each scope's units passing ``mask`` (once per name over all units: formulas ask for the same subsets)."""
        if name not in self._subsets:
            self._subsets[name] = Batch(self.measures, self.members & self.measures.table.mask(name, mask))
        return self._subsets[name]

    def tiers(self, tiers: Iterable[str]) -> Batch:
        tiers = tuple(tiers)
        return self.where("tiers:" + ",".join(tiers), lambda u: u["tier"].isin(tiers))

    @property
    def primary(self) -> Batch:
        return self.where("primary", lambda u: u["is_primary"].astype(bool))

    def count_units(self, tiers: Iterable[str], test: Callable[[Columns], np.ndarray],
                    needs: tuple[str, ...] = ()) -> Ratio:
        """Units of these tiers passing ``test`` ÷ units of these tiers (coverage indicators). A unit
        without a current report of a stock in ``needs`` is left out of both and named (``gaps``)."""
        scoped = self.tiers(tiers)
        scoped._read.update(needs)
        m = self.measures
        known = np.ones(len(m.matrix), dtype=bool)
        for need in needs:
            known &= m.present[:, m.index[need]] if need in m.index else False
        with np.errstate(invalid="ignore"):
            passing = np.asarray(test(Columns(m.matrix, m.index)), dtype=bool)
        counted = scoped.members & known
        return Ratio((counted & passing).sum(axis=1).astype(float), counted.sum(axis=1).astype(float), sampled=False)

    def start(self) -> None:
        """Forget the measures read so far (before a formula runs)."""
        self._read.clear()
        for sub in list(self._subsets.values()):
            sub.start()

    def gaps(self) -> list[Gaps]:
        """Per scope: missing units and the oldest report month among the measures read since ``start()``."""
        missing = np.zeros(self.members.shape, dtype=bool)
        oldest = np.full(len(self), np.inf)
        self._collect(missing, oldest)
        ids = self.measures.table.ids
        dated = np.isfinite(oldest)
        out = [NO_GAPS] * len(self)
        for i in np.flatnonzero(missing.any(axis=1) | dated):  # most scopes of a batch have nothing to say
            as_of = _month_of(int(oldest[i])) if dated[i] else None
            out[i] = Gaps(tuple(sorted(ids[missing[i]].tolist())), as_of)
        return out

    def _collect(self, missing: np.ndarray, oldest: np.ndarray) -> None:
        m = self.measures
        columns = [m.index[c] for c in self._read if c in m.index]
        if columns:
            gone = (~m.present[:, columns] & m.expected[:, columns]).any(axis=1)
            missing |= self.members & gone
            per_unit = np.fmin.reduce(m.reported[:, columns], axis=1, initial=np.inf)
            np.minimum(oldest, np.where(self.members, per_unit, np.inf).min(axis=1, initial=np.inf), out=oldest)
        for sub in list(self._subsets.values()):
            sub._collect(missing, oldest)


NO_GAPS = Gaps()


@cache
def _month_of(number: int) -> dt.date:
    """Months since year 0 (lib.kpi.measures.month_number) → the month's first day."""
    return dt.date(number // 12, number % 12 + 1, 1)


class Sums:
    """One scope's measures summed (readers of figures beside the indicators: centres, capacity, flows):
    ``s["visits"]`` is a number; ``s.where(...)`` narrows."""

    def __init__(self, batch: Batch) -> None:
        self.batch = batch

    def __getitem__(self, measure: str) -> float:
        return float(self.batch.sum_of(measure)[0])

    def total(self, *measures: str) -> float:
        return sum(self[m] for m in measures)

    @property
    def population(self) -> float:
        return float(self.batch.population[0])

    @property
    def rows(self) -> np.ndarray:
        return np.flatnonzero(self.batch.members[0])

    @property
    def units(self) -> pd.DataFrame:
        return self.batch.measures.table.frame.iloc[self.rows]

    @property
    def wide(self) -> pd.DataFrame:
        m = self.batch.measures
        return pd.DataFrame(m.matrix[self.rows], index=m.table.ids[self.rows], columns=m.columns)

    def where(self, name: str, mask: Callable[[pd.DataFrame], pd.Series]) -> Sums:
        return Sums(self.batch.where(name, mask))

    @property
    def primary(self) -> Sums:
        return Sums(self.batch.primary)


def _col(w: Columns | pd.DataFrame, name: str) -> np.ndarray | pd.Series:
    return w[name] if name in w.columns else np.zeros(len(w))


def _ratio(num: Number, den: Number, factor: float = 1.0) -> Ratio:
    """num ÷ den (× factor); a scope with nothing to divide by has no value."""
    return Ratio(num, den, factor)


def _mean_pay(s: Batch) -> np.ndarray:
    return _per(s["pay_sum"], s["pay_n"])


def _pay_ratio(s: Batch) -> Ratio:
    """Mean pay at primary units ÷ mean pay at the lead hospital; NaN means propagate to no value."""
    return Ratio(_mean_pay(s.primary), _mean_pay(s.where("lead", lambda u: u["is_lead"].astype(bool))),
                 sampled=False)


def thc_staffing_ok(w: Columns | pd.DataFrame) -> np.ndarray | pd.Series:
    # 002 §二(二)1: technicians ≥90% of staff, ≥2 GPs, TCM/Mongolian ≥25% of physicians, ≥1 public-health physician.
    return ((_col(w, "staff_tech") >= 0.9 * _col(w, "staff_n")) & (_col(w, "staff_gp") >= 2)
            & (_col(w, "staff_tcm_phys") >= 0.25 * _col(w, "staff_phys")) & (_col(w, "staff_ph_phys") >= 1)
            & (_col(w, "staff_n") > 0))


def _rostered(formula: Callable[[Batch], Ratio]) -> Callable[[Batch], Ratio]:
    """A figure counted on the roster: no value where nobody in the scope is on it (a roster never loaded
    is no data, not zero GPs; #13 "no data, never a zero where nothing was reported")."""
    return lambda s: _blank(s["staff_n"] == 0, formula(s))


def _rural(s: Batch) -> Batch:
    """Agricultural/pastoral population: units in the areas the county's registry counts as rural."""
    return s.where("rural", lambda u: u["rural"].astype(bool))


def _report_mean(metric: str) -> Callable[[Batch], Ratio]:
    """The mean of the units' monthly reported scores over the period (四方满意 surveys, QC scores)."""
    return lambda s: Ratio(s[f"rep_{metric}_sum"], s[f"rep_{metric}_n"], sampled=False)


def _reported_count(metric: str) -> Callable[[Batch], Ratio]:
    """A count units report monthly, summed over the period; no value when no unit reported it (never 0)."""
    return lambda s: _blank(s[f"rep_{metric}_n"] == 0, Ratio(s[f"rep_{metric}_sum"]))


REFERRALS_SENT = ("ref_sent:up", "ref_sent:down", "ref_sent:out")
FUND_ALL = ("visit_fund", "fund_home_in", "fund_home_out")
FUND_HOME_IN = ("visit_fund_home", "fund_home_in")  # the residents' in-county spending, by home unit

# Each formula runs over a batch of scopes (lib.kpi.engine evaluates it once for all the scopes it shows).
FORMULAS: dict[str, Callable[[Batch], Ratio | None]] = {
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
    "tcm_outreach_events": lambda s: _blank(s.total("rep_tcm_outreach_5jin_n", "rep_tcm_outreach_nearby_n") == 0,
                                            Ratio(s.total("rep_tcm_outreach_5jin_sum", "rep_tcm_outreach_nearby_sum"))),
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
    "emr_level": lambda s: _blank(s.unit_count != 1, Ratio(s["rep_emr_level"])),  # a unit's own level only
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
