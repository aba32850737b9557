"""Programme registers (counts per unit and month) and the follow-ups they generate (健康随访中心).

Register sizes are county-scale facts, not event volumes, so ``--scale`` leaves them alone; the
follow-ups due each month follow from them and do scale.
"""

from __future__ import annotations

import numpy as np

from lib.demo import elderly
from lib.demo.clock import Frame
from lib.demo.world import MONTHS, World

# Registered per resident [E]: ~10k hypertension and ~3k type-2 diabetes patients for ~105k residents,
# ~700 pregnancies a year (geography.md). Managed shares move around the 70% / 90% targets (000 §二(四)3).
PREVALENCE = {"htn": 10_000 / 105_000, "dm": 3_000 / 105_000}
PREGNANCIES_PER_RESIDENT_YEAR = 700 / 105_000
MANAGED = {"htn": (0.66, 0.72, 0.05), "dm": (0.64, 0.71, 0.05), "pregnancy": (0.87, 0.92, 0.04),
           "priority_group": (0.86, 0.92, 0.03), **elderly.MANAGED}
PRIORITY_BY_AGE = (1.0, 0.0, 0.05, 0.25, 1.0)  # 0-6 and 65+ always; pregnant women, chronic patients [E]

# Follow-ups: quarterly for htn/dm, six antenatal/postnatal contacts per pregnancy, a yearly check of
# everyone 65+ (national basic public-health service norms), with who is followed up by age band.
PROGRAMME_AGES = {"htn": (0, 0, 0.3, 1.0, 1.5), "dm": (0, 0, 0.3, 1.0, 1.5), "maternal": (0, 0, 1.0, 0, 0),
                  "elderly": (0, 0, 0, 0, 1.0)}
ON_TIME = (0.86, 0.91, 0.03)  # followup_completion, local default 90% (kpi-catalogue)


def priority(w: World) -> np.ndarray:
    """Whether each resident belongs to a priority group (重点人群) for family-doctor contracts."""
    return w.memo("priority", lambda: w.rng("priority").random(w.people.n)
                  < np.asarray(PRIORITY_BY_AGE)[w.people.age])


def registered(w: World) -> dict[str, np.ndarray]:
    """Registered counts per register, unit and month (pregnancy: registered that month, a flow)."""
    def build() -> dict[str, np.ndarray]:
        f = w.fac
        rng = w.rng("registers")
        pop = f.pop[:, None].astype(float)
        grow = 0.97 + 0.06 * w.t  # detection improves
        out = {r: np.round(pop * p * rng.lognormal(0, 0.1, (f.n, 1)) * grow).astype(int)
               for r, p in PREVALENCE.items()}
        expected = pop * PREGNANCIES_PER_RESIDENT_YEAR / 12 * np.ones(MONTHS)
        out["pregnancy"] = np.floor(expected + rng.random(expected.shape)).astype(int)  # unbiased rounding
        members = np.bincount(w.people.home, weights=priority(w), minlength=f.n)
        out["priority_group"] = np.repeat(members[:, None], MONTHS, axis=1).astype(int)
        return out | elderly.registered(w)

    return w.memo("registered", build)


def register_frame(w: World) -> Frame:
    rng = w.rng("registers/managed")
    homes = np.flatnonzero(w.fac.pop > 0)
    parts: list[Frame] = []
    for name, count in registered(w).items():
        rate = w.rate(f"managed/{name}", *MANAGED[name], 0.3, 1.0)
        managed = rng.binomial(count, rate)[homes]
        unit, month = np.meshgrid(homes, np.arange(MONTHS), indexing="ij")
        parts.append({"facility_id": w.fac.id[unit].ravel(), "month": np.array([w.month(i) for i in month.ravel()]),
                      "register": np.full(unit.size, name, dtype=object), "registered": count[homes].ravel(),
                      "managed": managed.ravel()})
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


def expected_follow_ups(w: World) -> dict[str, np.ndarray]:
    """Follow-ups due per programme, unit and month at scale 1."""
    def build() -> dict[str, np.ndarray]:
        reg = registered(w)
        elderly = np.bincount(w.people.home, weights=w.people.age == 4, minlength=w.fac.n)
        return {"htn": reg["htn"] / 3, "dm": reg["dm"] / 3, "maternal": 6.0 * reg["pregnancy"],
                "elderly": np.repeat(elderly[:, None] / 12, MONTHS, axis=1)}

    return w.memo("expected_follow_ups", build)


def follow_up_frame(w: World, rng: np.random.Generator, unit: np.ndarray, programme: np.ndarray,
                    due: np.ndarray, month: int) -> Frame:
    """Follow-ups due on ``due`` (datetime64[D]); most done on time, some late, a few never."""
    n = len(unit)
    person = np.zeros(n, dtype=np.int64)
    for name, ages in PROGRAMME_AGES.items():
        sel = programme == name
        person[sel] = w.draw_persons(rng, unit[sel], ages, female_only=name == "maternal")
    on_time = rng.random(n) < w.rate("follow_up", *ON_TIME, 0.6, 0.99)[unit, month]
    late = rng.random(n) < 0.8
    offset = np.where(on_time, -rng.integers(0, 6, n), np.where(late, rng.integers(1, 26, n), 10_000))
    done = due + offset.astype("timedelta64[D]")
    done[~(done <= w.today)] = np.datetime64("NaT")
    return {"facility_id": w.fac.id[unit], "programme": programme.astype(object), "due_date": due,
            "done_date": done, **w.person_columns(person)}
