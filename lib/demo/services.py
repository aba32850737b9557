"""The information centres' events (seed 000 §二(五)2): smart emergency, imaging & ECG reads, central
prescription review, lab, drug delivery.

``expected_*`` give mean monthly counts per unit at scale 1 (the feed reuses them as weights);
``*_frame`` build the rows for given units and times, leaving outcomes after ``World.now`` empty.
"""

from __future__ import annotations

import numpy as np

from lib.demo.clock import Frame, after, lognormal, month_times, until
from lib.demo.world import World, haversine_km
from lib.registry import geo

# --- smart emergency (智慧急救) -----------------------------------------------------------------

EMS_CALLS = 280  # a month at scale 1 [E]: ~32 per 10,000 residents a year
ROAD_FACTOR = 1.3  # [E] road distance over straight-line distance
SPEED_KMH = (60.0, 35.0)  # [E] ambulance speed on roads; on grassland tracks in a sparse herding area


def travel_minutes(w: World, station: np.ndarray, km: np.ndarray) -> np.ndarray:
    """Expected drive from the station (a unit index) to the scene: minutes in town, past an hour in
    the far herding areas (geography.md)."""
    speed = np.where(w.fac.sparse[station], SPEED_KMH[1], SPEED_KMH[0])
    return 4.0 + np.asarray(km) * ROAD_FACTOR / speed * 60.0


def calls(w: World, month: int) -> float:
    """Expected emergency calls in a month at scale 1."""
    return EMS_CALLS * w.size * w.season(month)


def ambulances(w: World) -> np.ndarray:
    """Ambulances in the 120 network per THC and month: most have one, the sub-centres and the border
    port two; a few remote centres get theirs during the window (thc_ambulance_coverage, 004 §十四)."""
    def build() -> np.ndarray:
        f = w.fac
        two = (f.sub_centre | f.border_port)[:, None]  # these always have theirs, and two
        has = np.maximum(w.adoption("ambulance", 0.75, 0.95), two)
        return np.where(f.thc[:, None], has * np.where(two, 2, 1), 0)

    return w.memo("ambulances", build)


def _scene_weights(w: World) -> np.ndarray:
    f = w.fac
    return f.pop * (1 + 3.0 * f.border_port) * np.where(f.sparse, 1.3, 1.0)  # port trauma


SCENE_KM = (4.0, 35.0)  # mean distance of a scene from its unit's seat [E]; herders live far apart
_KM_PER_DEGREE = 111.0


def _scenes(w: World, rng: np.random.Generator, home: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Scene points scattered around the home units' seats, pulled in until inside the county, to 0.01°."""
    f = w.fac
    n = len(home)
    km = rng.exponential(np.where(f.sparse[home], SCENE_KM[1], SCENE_KM[0]))
    angle = rng.uniform(0, 2 * np.pi, n)
    dlat = km * np.sin(angle) / _KM_PER_DEGREE
    dlon = km * np.cos(angle) / (_KM_PER_DEGREE * np.cos(np.radians(f.lat[home])))
    lat, lon = np.round(f.lat[home], 2), np.round(f.lon[home], 2)
    todo = np.arange(n)
    for _ in range(5):  # halve the offset of points that fall outside the boundary
        la, lo = np.round(f.lat[home[todo]] + dlat[todo], 2), np.round(f.lon[home[todo]] + dlon[todo], 2)
        inside = np.array([geo.contains(w.boundary, a, b) for a, b in zip(la.tolist(), lo.tolist(), strict=True)],
                          dtype=bool)
        lat[todo[inside]], lon[todo[inside]] = la[inside], lo[inside]
        todo = todo[~inside]
        dlat, dlon = dlat / 2, dlon / 2
    return lat, lon


def dispatch_frame(w: World, rng: np.random.Generator, ts: np.ndarray, month: int) -> Frame:
    """Calls from scenes around the home units (the border port's more often); the nearest ambulance goes."""
    f = w.fac
    n = len(ts)
    weights = _scene_weights(w)
    lat, lon = _scenes(w, rng, rng.choice(f.n, n, p=weights / weights.sum()))
    stations = np.flatnonzero(f.hospital | (ambulances(w)[:, month] > 0))
    km = haversine_km(lat[:, None], lon[:, None], f.lat[stations][None, :], f.lon[stations][None, :])
    nearest = km.argmin(axis=1)
    station = stations[nearest]
    dispatched = after(ts, 1.0 + rng.gamma(2.0, 0.8, n))
    arrived = after(dispatched, travel_minutes(w, station, km[np.arange(n), nearest]) * rng.lognormal(0, 0.2, n))
    completed = after(arrived, 20.0 + rng.gamma(2.0, 20.0, n))
    return {
        "facility_id": f.id[station], "call_at": ts, "dispatched_at": until(dispatched, w.now),
        "arrived_at": until(arrived, w.now), "completed_at": until(completed, w.now),
        "latitude": lat, "longitude": lon,
    }


# --- per-visit services: remote reads, prescription review, lab ---------------------------------

def expected_reads(w: World) -> dict[str, np.ndarray]:
    """Remote reads requested per unit and month, by modality [E]: THC imaging and ECG, and ECG from
    village clinics once networked (village_ecg_coverage, 000 §二(六)2); use grows 30% over the window."""
    def build() -> dict[str, np.ndarray]:
        f = w.fac
        ecg_link = village_service(w, "ecg_networked")
        grow = 1.0 + 0.3 * w.t
        return {
            "imaging": np.where(f.thc[:, None], 0.020, 0.0) * w.visits * grow,
            "ecg": np.where(f.thc[:, None], 0.015, 0.02 * ecg_link) * w.visits * grow,
        }

    return w.memo("expected_reads", build)


def village_service(w: World, name: str) -> np.ndarray:
    """0/1 per unit and month for a village-clinic capability that spreads over the window."""
    shares = {"ecg_networked": (0.70, 0.95), "tcm_service": (0.65, 0.85)}  # targets 100% / 80% (kpi-catalogue)
    return w.memo(f"village/{name}", lambda: np.where(w.fac.village[:, None], w.adoption(name, *shares[name]), 0))


def read_frame(w: World, rng: np.random.Generator, unit: np.ndarray, modality: np.ndarray, ts: np.ndarray,
               month: int) -> Frame:
    """Reads go to the sender's lead hospital, imaging partly to the general hospital; faster over time."""
    f = w.fac
    n = len(unit)
    general = int(np.flatnonzero(f.tier == "county_hospital")[0]) if (f.tier == "county_hospital").any() else 0
    imaging = modality == "imaging"
    reader = np.where(imaging & (rng.random(n) < 0.3), general, f.lead_of()[unit])
    speed = 1.0 - 0.33 * w.t[month]
    hour = (ts.astype("datetime64[h]").astype(np.int64)) % 24
    night = np.where((hour < 8) | (hour >= 18), 1.6, 1.0)
    minutes = lognormal(rng, np.where(imaging, 45.0, 12.0) * speed * night, 0.5, n)
    return {"facility_id": f.id[unit], "reader_facility_id": f.id[reader], "modality": modality.astype(object),
            "requested_at": ts, "reported_at": until(after(ts, minutes), w.now)}


def expected_rx(w: World) -> np.ndarray:
    """Prescriptions sent to central review [E]: 15% of visits, 8% at village clinics."""
    return np.where(w.fac.village, 0.08, 0.15)[:, None] * w.visits


def rx_frame(w: World, rng: np.random.Generator, unit: np.ndarray, ts: np.ndarray, month: int) -> Frame:
    n = len(unit)
    hour = (ts.astype("datetime64[h]").astype(np.int64)) % 24
    reviewed = until(after(ts, lognormal(rng, np.where((hour < 8) | (hour >= 18), 8.0, 4.0), 0.6, n)), w.now)
    passed = rng.random(n) < w.rate("rx_pass", 0.94, 0.965, 0.012, 0.88, 0.995)[unit, month]
    return {"facility_id": w.fac.id[unit], "submitted_at": ts, "reviewed_at": reviewed,
            "passed": np.where(np.isnat(reviewed), None, passed).astype(object)}


def expected_labs(w: World) -> np.ndarray:
    """Lab tests [E]: 22% of hospital visits, 6% at THCs, 2% at village clinics."""
    f = w.fac
    return np.select([f.hospital, f.thc, f.village], [0.22, 0.06, 0.02], 0.1)[:, None] * w.visits


def lab_frame(w: World, rng: np.random.Generator, unit: np.ndarray, ts: np.ndarray) -> Frame:
    """Hospitals test in house; other units send samples to the general hospital's lab centre."""
    f = w.fac
    n = len(unit)
    general = int(np.flatnonzero(f.hospital)[0])
    own = f.hospital[unit]
    lab = np.where(own, unit, general)
    median = np.where(own, 80.0, 300.0 + 120.0 * f.sparse[unit])
    return {"facility_id": f.id[unit], "lab_facility_id": f.id[lab], "collected_at": ts,
            "reported_at": until(after(ts, lognormal(rng, median, 0.5, n)), w.now)}


# --- drug delivery (药物配送) ----------------------------------------------------------------------

DELIVERIES = {"township": 4.3, "village": 2.2}  # a month: weekly to THCs, fortnightly to villages [E]


def delivery_frame(w: World, rng: np.random.Generator, month: int, scale: float) -> Frame:
    f = w.fac
    per_month = np.select([f.thc, f.village], [DELIVERIES["township"], DELIVERIES["village"]], 0.0)
    unit = rng.permutation(np.repeat(np.arange(f.n), rng.poisson(per_month * scale)))
    n = len(unit)
    promised = month_times(rng, n, w.month(month), np.array([0] * 9 + [1, 1, 1] + [0] * 12, dtype=float),
                           weekend=0.0)
    far = f.sparse[unit]
    delay = rng.normal(-110.0 + 50.0 * far + 30.0 * (1 - w.t[month]), 80.0)
    return {"facility_id": f.id[unit], "promised_at": promised,
            "delivered_at": until(after(promised, delay), w.now),
            "stockout": rng.random(n) < np.where(far, 0.04, 0.02)}

