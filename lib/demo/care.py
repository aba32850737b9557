"""Patient flows: visits, admissions (in county and, from insurance settlement, out of county), referrals.

Each ``*_frame`` function takes the units and times of the events and returns a frame of table columns;
outcome times that lie after ``World.now`` are left empty, so the same functions serve the demo's
history and the live feed's new events.
"""

from __future__ import annotations

import numpy as np

from lib.demo.clock import Frame, after, lognormal, money, until
from lib.demo.world import World, calibrate, labels, logit, row_draw, sigmoid
from lib.maps.disease import CODES
from lib.store.models import AGE_BANDS, SEXES

# Age weights for who uses a service, by AGE_BANDS ([E]: children and the elderly visit most).
VISIT_AGES = (1.2, 0.5, 0.7, 1.2, 2.0)
ADMISSION_AGES = (0.6, 0.2, 0.6, 1.3, 3.0)

# Disease mix of admissions by age band [E]; childbirth only for women 18-44.
_D = {c: i for i, c in enumerate(CODES)}
_MIX = {  # cancer chd pneumonia stroke mental trauma childbirth copd other
    "0-6": (0.005, 0, 0.40, 0, 0.002, 0.12, 0, 0.02, 0.45),
    "7-17": (0.01, 0, 0.25, 0, 0.04, 0.25, 0, 0.01, 0.44),
    "18-44": (0.04, 0.02, 0.06, 0.01, 0.06, 0.16, 0.45, 0.01, 0.34),
    "45-64": (0.10, 0.12, 0.08, 0.10, 0.03, 0.09, 0, 0.07, 0.41),
    "65+": (0.09, 0.16, 0.14, 0.16, 0.01, 0.05, 0, 0.12, 0.27),
}
DISEASE_BY_AGE = np.array([np.asarray(_MIX[a]) / sum(_MIX[a]) for a in AGE_BANDS])
# Log-odds of leaving the county, by disease and area [E]: leakage concentrates in cancer, CHD and
# stroke (seed 000 §二(二)3) and is highest from the sparse herding areas (geography.md), lowest from town.
OUT_BY_DISEASE = np.array([1.4, 0.8, -0.6, 0.5, 0.4, -0.3, -0.9, -0.5, -0.1])
OUT_URBAN, OUT_SPARSE = -0.35, 0.6
THC_SHARE = np.array([0.02, 0.05, 0.45, 0.05, 0.0, 0.2, 0.15, 0.45, 0.3])  # of in-county admissions
LOS_DAYS = np.array([10, 8, 7, 12, 20, 8, 4, 9, 6])  # median length of stay
# Median ¥ at a county hospital [E], so the in-county mean is near the national ¥10,316 (geography.md).
COST = 1.25 * np.array([16e3, 12e3, 6e3, 13e3, 9e3, 10e3, 5e3, 8e3, 7e3])
CHRONIC = np.array([0.05, 0.35, 0.08, 0.35, 0, 0.02, 0, 0.12, 0.08])  # P(in htn/dm register | 45+)
# Out-of-county destinations: the nearer a place, the more go there, cancer and heart cases travelling
# furthest (to the regional capital, Beijing) [E]: a place's weight is exp(-km / reach of the disease).
REACH_KM = np.array([500.0, 300.0, 90.0, 200.0, 400.0, 110.0, 60.0, 120.0, 150.0])
# Monthly volumes at scale 1 (geography.md "Demo volumes").
ADMISSIONS = 1_500  # insured residents' admissions, in and out of county
OUT_SHARE = (0.27, 0.23)  # out-of-county share of them, start -> end of window (~25%, "有效降低")
UP_REFERRALS = 330  # 上转 250-420 a month (3-5k a year) with the seasons and a slow rise
DOWN_RATIO = (0.16, 0.23)  # 下转 15-25% of 上转, improving
OUT_REFERRALS = 0.3  # formal out-of-county referrals per out-of-county admission [E]
INFLATION = 0.03  # a year [E]


def _price(w: World, month: int) -> float:
    return (1 + INFLATION) ** (3 * float(w.t[month]))


# --- visits ---------------------------------------------------------------------------------------

def emergency_share(w: World) -> np.ndarray:
    """Share of a unit's visits that are emergencies [E]; the border port sees trauma (geography.md)."""
    f = w.fac
    return np.select([f.border_port, f.hospital, f.thc, f.village], [0.12, 0.10, 0.05, 0.01], 0.03)


def tcm_probability(w: World) -> np.ndarray:
    """P(TCM/Mongolian-medicine visit | outpatient) per unit and month.

    County share calibrated to rise from 16.5% to 19% (geography.md 16-20%, target 20% seed 000 §二(七)2);
    TCM dominates the TCM hospital, and (Mongolian medicine) the units of sparse herding areas.
    """
    def build() -> np.ndarray:
        f = w.fac
        sparse = f.sparse
        base = np.select([f.tcm_hospital, f.hospital, f.thc, f.village],
                         [0.55, 0.06, np.where(sparse, 0.30, 0.14), np.where(sparse, 0.28, 0.10)], 0.05)
        outpatient = 1 - emergency_share(w)
        out = np.zeros_like(w.visits)
        for i in range(out.shape[1]):
            logits = logit(base) + 0.3 * w.z("tcm")[:, i]
            target = (0.165 + 0.025 * w.t[i]) / np.average(outpatient, weights=w.visits[:, i] + 1e-9)
            out[:, i] = sigmoid(logits + calibrate(logits, w.visits[:, i] * outpatient + 1e-9, target))
        return out

    return w.memo("tcm_probability", build)


# Share of visits in each watched syndrome group, by calendar month [E]: respiratory fevers peak in winter,
# diarrhoea in summer, rash with fever in spring; jaundice is rare all year. Emergencies see more fever.
SYNDROME_SHARES = {
    "fever_resp": (0.09, 0.08, 0.06, 0.05, 0.04, 0.03, 0.03, 0.03, 0.04, 0.05, 0.07, 0.09),
    "diarrhoea": (0.015, 0.015, 0.015, 0.02, 0.025, 0.035, 0.045, 0.045, 0.03, 0.02, 0.015, 0.015),
    "rash_fever": (0.003, 0.004, 0.006, 0.007, 0.006, 0.004, 0.003, 0.002, 0.002, 0.002, 0.002, 0.003),
    "jaundice": (0.0008,) * 12,
}


def syndromes(w: World, rng: np.random.Generator, unit: np.ndarray, emergency: np.ndarray, month: int) -> np.ndarray:
    """Each visit's syndrome group (None for most), from its own stream: the other draws stay as they were."""
    own = np.random.Generator(rng.bit_generator.jumped())  # a copy far ahead: ``rng`` itself is not advanced
    calendar = w.calendar_month(month) - 1
    shares = np.array([v[calendar] for v in SYNDROME_SHARES.values()])
    cumulative = np.cumsum(shares)
    draw = own.random(len(unit)) / np.where(emergency, 1.5, 1.0)
    picked = np.searchsorted(cumulative, draw, side="right")
    names = np.array([*SYNDROME_SHARES, None], dtype=object)
    return names[picked]


def visit_frame(w: World, rng: np.random.Generator, unit: np.ndarray, emergency: np.ndarray,
                ts: np.ndarray, month: int) -> Frame:
    """Visits at the given units and times; ``emergency`` marks emergency visits."""
    f = w.fac
    n = len(unit)
    tcm = ~emergency & (rng.random(n) < tcm_probability(w)[unit, month])
    non_resident_p = np.select([f.border_port, f.hospital], [0.45, 0.03], 0.01)[unit]  # drivers (geography.md)
    resident = rng.random(n) >= non_resident_p
    home = w.draw_homes(rng, unit)
    person = w.draw_persons(rng, home, VISIT_AGES)
    visitor = rng.integers(0, len(w.visitor_keys), n)
    age = np.where(resident, w.people.age[person], np.where(rng.random(n) < 0.7, 2, 3))
    sex = np.where(resident, w.people.sex[person], (rng.random(n) < 0.9).astype(int))
    # Mean ¥ per visit [E]: cheaper at village level; national 2023 mean ¥361.6 (geography.md).
    mean_cost = np.select([f.tier == "county_hospital", f.hospital, f.thc, f.village], [320, 270, 160, 75], 220)
    cost = money(lognormal(rng, mean_cost[unit] * np.exp(-0.18) * np.where(emergency, 1.6, 1.0), 0.6, n)
                 * _price(w, month))
    reimbursed = np.select([f.village, f.thc], [0.6, 0.55], 0.45)[unit]
    return {
        "syndrome": syndromes(w, rng, unit, emergency, month),
        "facility_id": f.id[unit], "home_facility_id": np.where(resident, f.id[home].astype(object), None),
        "ts": ts, "kind": np.where(emergency, "emergency", "outpatient").astype(object),
        "is_tcm": tcm, "is_insured_resident": resident, "cost": cost,
        "fund_paid": money(np.where(resident, cost * reimbursed, 0.0)),
        "person_key": np.where(resident, w.person_keys[person], w.visitor_keys[visitor]),
        "age_band": labels(AGE_BANDS, age), "sex": labels(SEXES, sex),
    }


# --- admissions -----------------------------------------------------------------------------------

def _hospital_choice(w: World, homes: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A county hospital: the home community's lead twice as likely as another [E]."""
    f = w.fac
    hospitals = np.flatnonzero(f.hospital)
    weights = np.where(f.lead_of()[homes][:, None] == hospitals[None, :], 2.0, 1.0)
    return hospitals[row_draw(rng, weights, np.arange(len(homes)))]


def _destinations(w: World, rng: np.random.Generator, disease: np.ndarray) -> np.ndarray:
    """Where each out-of-county case goes among the county's destinations (None where it lists none)."""
    if not w.destinations:
        return np.full(len(disease), None, dtype=object)
    mix = np.exp(-w.destination_km[None, :] / REACH_KM[:, None])
    return w.destination_ids(row_draw(rng, mix / mix.sum(axis=1, keepdims=True), disease))


def admission_frame(w: World, rng: np.random.Generator, ts: np.ndarray, month: int) -> Frame:
    """Admissions of insured residents, in county (HIS) and out of county (insurance settlement, N#11)."""
    f, people = w.fac, w.people
    n = len(ts)
    cum = np.cumsum(np.asarray(ADMISSION_AGES)[people.age])
    person = np.searchsorted(cum, rng.random(n) * cum[-1], side="right")
    home, age = people.home[person], people.age[person]
    probs = DISEASE_BY_AGE[age]
    probs[(people.sex[person] == 1) | (age != 2), _D["childbirth"]] = 0.0
    disease = row_draw(rng, probs, np.arange(n))
    logits = (OUT_BY_DISEASE[disease] + np.where(f.rural[home], 0.0, OUT_URBAN) + OUT_SPARSE * f.sparse[home]
              + 0.25 * w.z("leakage")[home, month])
    target = OUT_SHARE[0] + (OUT_SHARE[1] - OUT_SHARE[0]) * w.t[month]
    out = rng.random(n) < sigmoid(logits + calibrate(logits, np.ones(n), target))
    at_thc = rng.random(n) < THC_SHARE[disease]
    place = np.where(at_thc, f.township[home], _hospital_choice(w, home, rng))
    dest = _destinations(w, rng, disease)
    stay = lognormal(rng, LOS_DAYS[disease] * np.where(at_thc, 0.8, 1.0), 0.4, n)
    level = np.where(out, 1.7, np.where(at_thc, 0.45, 1.0))
    cost = money(lognormal(rng, COST[disease] * level * np.exp(-0.1), 0.45, n) * _price(w, month))
    fund = money(cost * np.where(out, 0.5, np.where(at_thc, 0.75, 0.65)) * rng.uniform(0.95, 1.02, n))
    return {
        "home_facility_id": f.id[home], "facility_id": np.where(out, None, f.id[place].astype(object)),
        "destination_id": np.where(out, dest, None), "in_county": ~out, "admitted_at": ts,
        "discharged_at": until(after(ts, stay * 1440), w.now), "disease_group": labels(CODES, disease),
        "is_insured_resident": np.ones(n, bool),
        "chronic_managed": (age >= 3) & (rng.random(n) < CHRONIC[disease]),
        "cost": cost, "fund_paid": np.minimum(fund, cost),
        "source": np.where(out, "insurance_settlement", "his").astype(object), **w.person_columns(person),
    }


def visitor_admission_frame(w: World, rng: np.random.Generator, ts: np.ndarray) -> Frame:
    """Trauma admissions of non-resident drivers at the border port or a county hospital.

    They are not the county's insured residents, so ``is_insured_resident`` is false and every
    resident-based rate leaves them out; ``home_facility_id`` is the border-port centre they came through.
    """
    f = w.fac
    n = len(ts)
    port = int(np.flatnonzero(f.border_port)[0]) if f.border_port.any() else int(np.flatnonzero(f.hospital)[0])
    place = np.where(rng.random(n) < 0.6, port, int(np.flatnonzero(f.hospital)[0]))
    cost = money(lognormal(rng, COST[_D["trauma"]] * 0.8, 0.45, n))
    return {
        "home_facility_id": np.full(n, f.id[port]), "facility_id": f.id[place].astype(object),
        "destination_id": np.full(n, None, dtype=object), "in_county": np.ones(n, bool), "admitted_at": ts,
        "discharged_at": until(after(ts, lognormal(rng, 6.0, 0.4, n) * 1440), w.now),
        "disease_group": np.full(n, "trauma", dtype=object), "is_insured_resident": np.zeros(n, bool),
        "chronic_managed": np.zeros(n, bool), "cost": cost, "fund_paid": np.zeros(n),
        "source": np.full(n, "his", dtype=object),
        "person_key": w.visitor_keys[rng.integers(0, len(w.visitor_keys), n)],
        "age_band": np.where(rng.random(n) < 0.7, "18-44", "45-64").astype(object),
        "sex": np.where(rng.random(n) < 0.9, "M", "F").astype(object),
    }


# --- referrals ------------------------------------------------------------------------------------

REFERRAL_MIX = {  # disease mix of referrals by direction [E]; same order as lib.maps.disease.CODES
    "up": (0.12, 0.15, 0.15, 0.15, 0.05, 0.10, 0.05, 0.08, 0.15),
    "down": (0.05, 0.15, 0.10, 0.30, 0.05, 0.10, 0.0, 0.10, 0.15),
    "out": (0.35, 0.20, 0.03, 0.15, 0.07, 0.08, 0.0, 0.02, 0.10),
}


def referral_volumes(w: World, month: int) -> dict[str, float]:
    """Expected referrals by direction in a month at scale 1."""
    t = float(w.t[month])
    up = UP_REFERRALS * w.size * w.season(month) ** 0.5 * (1 + 0.05 * t)  # damped seasons: inside 250-420
    return {"up": up, "down": up * (DOWN_RATIO[0] + (DOWN_RATIO[1] - DOWN_RATIO[0]) * t),
            "out": admissions(w, month) * (OUT_SHARE[0] + (OUT_SHARE[1] - OUT_SHARE[0]) * t) * OUT_REFERRALS}


def admissions(w: World, month: int) -> float:
    """Expected admissions of insured residents in a month at scale 1."""
    return ADMISSIONS * w.size * w.season(month)


def referral_origins(w: World, direction: str) -> np.ndarray:
    """Relative weight of each unit as a sender of referrals in ``direction`` (month-free) [E]."""
    f = w.fac
    size = w.visits.mean(axis=1)
    if direction == "up":
        return size * np.select([f.village, f.thc], [0.35 / size[f.village].sum(), 0.65 / size[f.thc].sum()], 0)
    if direction == "down":  # THCs refer down only to their own village clinics
        has_villages = np.isin(np.arange(f.n), f.parent)
        thc = f.thc & has_villages
        return size * np.select([f.hospital, thc], [0.8 / size[f.hospital].sum(), 0.2 / size[thc].sum()], 0)
    return size * np.select([f.hospital, f.thc], [0.9 / size[f.hospital].sum(),
                                                  0.1 * (1 + 2 * f.sparse) / size[f.thc].sum()], 0)


def _referral_ends(w: World, rng: np.random.Generator, direction: str,
                   unit: np.ndarray) -> tuple[np.ndarray | None, np.ndarray]:
    """The receiving unit (None when out of county) and the patient's home unit.

    Up: from a village clinic to its THC or a county hospital, from a THC to a county hospital. Down:
    from a hospital back to the patient's own THC, from a THC to one of its village clinics.
    """
    f = w.fac
    home = w.draw_homes(rng, unit)
    if direction == "out":
        return None, home
    if direction == "up":
        up_to_thc = f.village[unit] & (rng.random(len(unit)) < 0.55)
        return np.where(up_to_thc, f.township[unit], _hospital_choice(w, unit, rng)), home
    villages = np.flatnonzero(f.village)
    own = (f.parent[villages][None, :] == unit[:, None]) | ~f.thc[unit][:, None]
    village = villages[row_draw(rng, own.astype(float), np.arange(len(unit)))]
    return np.where(f.thc[unit], village, f.township[home]), np.where(f.thc[unit], village, home)


def referral_frame(w: World, rng: np.random.Generator, direction: str, unit: np.ndarray, ts: np.ndarray,
                   month: int) -> Frame:
    """Referrals sent from ``unit``; acceptance and feedback come later (closure varies by unit)."""
    f = w.fac
    n = len(unit)
    disease = rng.choice(len(CODES), n, p=np.asarray(REFERRAL_MIX[direction]) / sum(REFERRAL_MIX[direction]))
    to, home = _referral_ends(w, rng, direction, unit)
    none = np.full(n, None, dtype=object)
    dest = _destinations(w, rng, disease)
    person = w.draw_persons(rng, home, ADMISSION_AGES)
    accepted = after(ts, lognormal(rng, 120.0 if to is None else 35.0, 0.6, n))
    accepted[rng.random(n) >= 0.97] = np.datetime64("NaT")
    closes = rng.random(n) < w.rate("referral_closure", 0.84, 0.91, 0.04, 0.6, 0.99)[unit, month]
    feedback = after(accepted, lognormal(rng, {"up": 2.0, "down": 1.0, "out": 3.0}[direction] * 1440, 0.5, n))
    feedback[~closes] = np.datetime64("NaT")
    return {
        "from_facility_id": f.id[unit], "to_facility_id": none if to is None else f.id[to].astype(object),
        "destination_id": dest if to is None else none,
        "direction": np.full(n, direction, dtype=object), "disease_group": labels(CODES, disease),
        "sent_at": ts, "accepted_at": until(accepted, w.now), "feedback_at": until(feedback, w.now),
        **w.person_columns(person),
    }

