"""The de-identified staff roster, county doctors' stints at the grassroots (下沉) and family-doctor contracts.

The roster and the stints are the county's size, not event volume: ``--scale`` leaves them alone.
"""

from __future__ import annotations

import numpy as np

from lib.demo.clock import Frame, concat, year_of
from lib.demo.registers import priority
from lib.demo.world import MONTHS, World
from lib.kpi.measures import FRONT_LINE, SENDING_TIERS
from lib.store import pseudonym

GRADES = ("none", "junior", "intermediate", "assoc_senior", "senior")
PAY_BY_GRADE = np.array([0.85, 0.9, 1.05, 1.3, 1.6])
ELIGIBLE_GRADES = ("intermediate", "assoc_senior", "senior")  # 中级及以上 (000 §二(六)1)
SINKING_DAYS = 30  # each eligible doctor ≥30 days a year at the grassroots (000 §二(六)1)
PHYSICIANS = ("clinical", "gp", "tcm", "mongolian", "public_health", "village_doctor")

# Roster by tier [E]: physicians by specialty class, then other staff; sized so the county has ~3 GPs
# per 10,000 residents (001 §(十九)63) and village doctors ~1.25 per 1,000 rural residents (002 §二(二)3).
_HOSPITALS = {
    "county_hospital": {"clinical": 120, "gp": 3, "tcm": 6, "mongolian": 2, "public_health": 4,
                        "nursing": 180, "medtech": 50, "pharmacy": 15, "admin": 25},
    "mongolian_tcm_hospital": {"clinical": 26, "gp": 1, "tcm": 25, "mongolian": 40, "public_health": 2,
                               "nursing": 110, "medtech": 25, "pharmacy": 12, "admin": 18},
    "tcm_hospital": {"clinical": 30, "gp": 1, "tcm": 55, "public_health": 2,
                     "nursing": 100, "medtech": 25, "pharmacy": 12, "admin": 18},
    "mch_centre": {"clinical": 18, "gp": 1, "public_health": 3, "nursing": 25, "medtech": 6, "admin": 6},
    "cdc": {"public_health": 24, "medtech": 8, "admin": 6},
}
_GRADE_MIX = {  # physicians / other health technicians, by level [E]
    ("county", True): (0, 0.30, 0.38, 0.22, 0.10), ("county", False): (0.05, 0.50, 0.35, 0.10, 0),
    ("township", True): (0.10, 0.45, 0.35, 0.10, 0), ("township", False): (0.30, 0.50, 0.20, 0, 0),
    ("village", True): (1.0, 0, 0, 0, 0), ("village", False): (1.0, 0, 0, 0, 0),
}
_PAY = {"county": 8500.0, "township": 6200.0, "village": 3200.0}  # mean monthly ¥ [E]
RURAL_VILLAGE_DOCTORS_PER_1000 = 1.25
# Hospital clinicians by department [E]: the auxiliary ones do not owe days at the grassroots (000 §二(六)1).
_HOSPITAL_DEPARTMENTS = {"clinical": 0.85, "imaging": 0.07, "ultrasound": 0.05, "laboratory": 0.03}


def _hospital_roster(w: World, tier: str) -> dict[str, int]:
    """A county-level unit's posts, sized to the county's population (the table is the reference county's);
    where the county practises no Mongolian medicine, its posts are TCM's."""
    roster = {post: max(1, round(n * w.size)) for post, n in _HOSPITALS.get(tier, {}).items()}
    if w.settings.medicine != "mongolian_tcm" and "mongolian" in roster:
        roster["tcm"] = roster.get("tcm", 0) + roster.pop("mongolian")
    return roster


def _thc_roster(w: World, i: int, weak: bool) -> dict[str, int]:
    """A THC's posts: ≥2 GPs, TCM/Mongolian ≥25% of physicians, ≥1 public-health physician and ≥90%
    health technicians (002 §二(二)1), except the few 'weak' centres that miss one of them."""
    f = w.fac
    size = f.pop[i] + 0.6 * f.pop[f.parent == i].sum()
    physicians = max(4, round(size / 900))
    gp = 1 if weak else 2 + f.sub_centre[i] + (size > 20_000) * 2
    tcm = int(np.ceil((0.2 if weak else 0.3) * physicians))
    herding = f.sparse[i] and w.settings.medicine == "mongolian_tcm"  # Mongolian medicine in herding areas
    roster = {"gp": gp, "mongolian" if herding else "tcm": tcm, "public_health": 1 + (size > 20_000),
              "clinical": max(0, physicians - gp - tcm - 1)}
    techs = sum(roster.values()) + round(0.8 * physicians) + max(1, round(0.25 * physicians)) + 1
    return roster | {"nursing": round(0.8 * physicians), "medtech": max(1, round(0.25 * physicians)), "pharmacy": 1,
                     "admin": max(1, round((0.14 if weak else 0.08) * techs))}


def staff_frame(w: World) -> Frame:
    f = w.fac
    rng = w.rng("staff")
    weak = set(rng.choice(np.flatnonzero(f.thc), size=min(3, int(f.thc.sum())), replace=False).tolist())
    village_pop = f.pop[f.village].sum()
    rural_pop = f.pop[f.rural].sum()
    per_village_resident = RURAL_VILLAGE_DOCTORS_PER_1000 * rural_pop / max(village_pop, 1) / 1000
    unit, specialty = [], []
    for i in range(f.n):
        if f.village[i]:
            roster = {"village_doctor": max(1, round(f.pop[i] * per_village_resident * rng.uniform(0.8, 1.2)))}
        elif f.thc[i]:
            roster = _thc_roster(w, i, i in weak)
        else:
            roster = _hospital_roster(w, f.tier[i])
        for name, count in roster.items():
            unit += [i] * count
            specialty += [name] * count
    unit_a, spec = np.array(unit), np.array(specialty, dtype=object)
    n = len(unit_a)
    physician = np.isin(spec, PHYSICIANS)
    grade = np.zeros(n, dtype=int)
    for (level, phys), mix in _GRADE_MIX.items():
        sel = (f.level[unit_a] == level) & (physician == phys)
        grade[sel] = rng.choice(len(GRADES), sel.sum(), p=mix)
    grade[spec == "admin"] = 0
    licensed = physician & (rng.random(n) < np.select([f.village[unit_a], f.thc[unit_a]], [0.43, 0.95], 1.0))
    pay = np.vectorize(_PAY.get)(f.level[unit_a]) * PAY_BY_GRADE[grade] * rng.lognormal(0, 0.08, n)
    department = np.where(physician, "clinical", "other").astype(object)
    clinical_hospital = (spec == "clinical") & np.isin(f.tier[unit_a], SENDING_TIERS)
    department[clinical_hospital] = rng.choice(list(_HOSPITAL_DEPARTMENTS), clinical_hospital.sum(),
                                               p=list(_HOSPITAL_DEPARTMENTS.values()))
    leader = np.zeros(n, dtype=bool)
    for i in np.flatnonzero(np.isin(f.tier, SENDING_TIERS)):  # a director and two deputies per hospital
        seniors = np.flatnonzero((unit_a == i) & physician & (grade >= GRADES.index("assoc_senior")))
        leader[rng.permutation(seniors)[:3]] = True
    first, today = w.month(0), np.datetime64(w.today, "D")
    window = int((today - first).astype(int))
    start = first - rng.integers(1, 20 * 365, n).astype("timedelta64[D]")  # most joined before the window
    joined = rng.random(n) < 0.06
    start[joined] = first + rng.integers(0, window, joined.sum()).astype("timedelta64[D]")
    left = rng.random(n) < 0.04
    end = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    end[left] = start[left] + ((today - start[left]).astype(int) * rng.uniform(0.3, 0.95, left.sum())).astype(int)
    return {
        "staff_key": np.array([pseudonym.person_key(f"demo-staff-{w.county}-{k}", pseudonym.DEMO_SALT)
                               for k in range(n)], dtype=object),
        "facility_id": f.id[unit_a], "title_grade": np.asarray(GRADES, dtype=object)[grade],
        "specialty_class": spec, "is_physician": physician, "is_health_technician": spec != "admin",
        "licensed": licensed, "monthly_pay": np.round(pay, 2), "active": ~left,
        "department": department, "is_leader": leader, "start_date": start,
        "end_date": np.array([None if np.isnat(d) else d.astype(object) for d in end], dtype=object),
    }


def sinking_frame(w: World, staff: Frame, staff_ids: np.ndarray) -> Frame:
    """Stints of intermediate+ clinicians of the county hospitals at THCs, within the demo window.

    Each year most THCs get a doctor stationed all year (four quarterly postings, 004 §九); the other
    eligible doctors do rotations and tours adding up to ≥30 days (000 §二(六)1), a few falling short.
    """
    f = w.fac
    rng = w.rng("sinking")
    unit = np.searchsorted(f.id, staff["facility_id"])
    eligible = np.flatnonzero(np.isin(f.tier[unit], SENDING_TIERS) & np.isin(staff["title_grade"], ELIGIBLE_GRADES)
                              & np.isin(staff["specialty_class"], FRONT_LINE) & (staff["department"] == "clinical")
                              & ~staff["is_leader"] & staff["active"])
    thcs = np.flatnonzero(f.thc)
    lead = f.lead_of()
    first, today = w.month(0), w.today
    rows: list[tuple[int, int, np.datetime64, int, str, bool]] = []
    for year in range(year_of(first), year_of(today) + 1):
        jan1 = np.datetime64(f"{year}-01-01")
        pool = list(rng.permutation(eligible))
        for thc in thcs[rng.random(len(thcs)) < 0.8]:
            mine = [s for s in pool if lead[unit[s]] == lead[thc]][:4] or pool[:4]
            for q, s in enumerate(mine):
                pool.remove(s)
                rows.append((s, thc, jan1 + 91 * q, 91 if q < 3 else 92, "stationed", True))
        for s in pool:
            target = rng.integers(SINKING_DAYS, 48) if rng.random() < 0.85 else rng.integers(6, SINKING_DAYS)
            hosts = thcs[lead[thcs] == lead[unit[s]]] if (lead[thcs] == lead[unit[s]]).any() else thcs
            done = 0
            while done < target:
                kind = "rotation" if rng.random() < 0.6 else "tour"
                days = int(min(target - done, rng.integers(5, 15) if kind == "rotation" else rng.integers(1, 4)))
                start = jan1 + int(rng.integers(0, 365 - days))
                rows.append((s, int(rng.choice(hosts)), start, days, kind, bool(rng.random() < 0.9)))
                done += days
    who, host, start, days, kind, planned = (np.array(c) for c in zip(*rows, strict=True))
    start = start.astype("datetime64[D]")
    keep = (start >= first) & (start <= today)
    days = np.minimum(days, (today - start).astype(int) + 1)  # a stint under way counts the days so far
    return {"staff_id": staff_ids[who[keep]], "host_facility_id": f.id[host[keep]], "start_date": start[keep],
            "days": days[keep], "kind": kind[keep].astype(object), "planned": planned[keep]}


ROSTER_SLACK = (1.0, 1.2)  # a month's roster plans up to a fifth more days than its rostered stints served [E]


def roster_frame(w: World, staff: Frame, staff_ids: np.ndarray, stints: Frame) -> Frame:
    """Each sending hospital's monthly 下沉 roster (排班, 000 §二(六)1: 每月进行一次排班) as days planned,
    filed with the hospital's monthly return (monthly_report ``sink_roster_days``; received times come from
    lib.demo.reports.alongside): the days its rostered stints served that month, plus planned days not served."""
    f = w.fac
    unit_of = dict(zip(staff_ids.tolist(), np.searchsorted(f.id, staff["facility_id"]).tolist(), strict=True))
    rostered = stints["planned"]
    days = stints["days"][rostered]
    day = np.repeat(stints["start_date"][rostered], days) + np.concatenate([np.arange(n) for n in days])
    unit = np.repeat([unit_of[s] for s in stints["staff_id"][rostered].tolist()], days)
    month = ((day.astype("datetime64[M]") - w.first).astype(int))
    inside = (month >= 0) & (month < MONTHS)
    served = np.zeros((f.n, MONTHS))
    np.add.at(served, (unit[inside], month[inside]), 1)
    sending = np.flatnonzero(np.isin(f.tier, SENDING_TIERS))
    rng = w.rng("sinking/roster")
    planned = np.ceil(served[sending] * rng.uniform(*ROSTER_SLACK, (len(sending), MONTHS)))
    months = np.array([w.month(i) for i in range(MONTHS)])
    unit_i, month_i = np.nonzero(np.ones_like(planned, dtype=bool))
    return {"facility_id": f.id[sending[unit_i]], "month": months[month_i],
            "metric": np.full(len(unit_i), "sink_roster_days", dtype=object), "value": planned[unit_i, month_i]}


def contract_frame(w: World, scale: float) -> Frame:
    """Family-doctor contracts (家庭医生签约), one-year validity, renewed on the anniversary.

    Coverage climbs from ~72% to ~77% of residents (target 75%, 002 §二(三)3), priority
    groups ~90%; a resident's propensity is fixed, so the same people renew. Signings from the year
    before the window are kept, as they are what is valid when the window opens.
    """
    f, people = w.fac, w.people
    rng = w.rng("contracts")
    n = people.n
    propensity = rng.random(n)
    month, day = rng.integers(1, 13, n), rng.integers(1, 29, n)  # day ≤ 28: every year has it
    sampled = rng.random(n) < scale
    coverage = w.rate("fd_contract", 0.66, 0.72, 0.04, 0.4, 0.97)[people.home]
    is_priority = priority(w)
    first, today = w.month(0), w.today
    frames: list[Frame] = []
    for year in range(year_of(first) - 1, year_of(today) + 1):
        t_index = int(np.clip((np.datetime64(f"{year}-07-01", "M") - w.first).astype(int), 0, coverage.shape[1] - 1))
        cover = coverage[:, t_index]
        cover = np.where(is_priority, 1 - (1 - cover) * 0.35, cover)
        base = np.datetime64(f"{year}-01", "M") + (month - 1)
        signed = base.astype("datetime64[D]") + (day - 1)
        valid_until = (base + 12).astype("datetime64[D]") + (day - 1) - 1
        sel = np.flatnonzero(sampled & (propensity < cover) & (signed <= today) & (valid_until >= first))
        frames.append({"facility_id": f.id[people.home[sel]], "signed_on": signed[sel],
                       "valid_until": valid_until[sel], "priority_group": is_priority[sel],
                       **w.person_columns(sel)})
    return concat(frames)

