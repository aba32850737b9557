"""The meeting's opening slide in plain sentences (zh/en), generated from a month's Scores.

Movers: in each peer group, the ranked unit whose place rose (fell) most among the significant moves
(last month's rank outside this month's 95% rank interval, lib.scoring.uncertainty; methods.md §2b:
never infer improvement from rank alone), ties broken by the larger change in points, then facility
code, so the same scores always give the same sentences. Moves that are not significant are counted,
never named. Targets missed counts scored
indicators whose value missed its target (lib.kpi.targets status "missed"). Missing data names the units
whose monthly report is overdue or late (seed 003 §四(二): due by the 16th) and those not ranked.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from lib import i18n
from lib.scoring.score import Scores, rank_change
from lib.scoring.tables import unit_name

NAMES = 6  # units named in a list before "and n more"
TOP_MISSED = 3  # indicators named as most often missed


def _names(names: list[str], lang: str) -> str:
    shown = i18n.t("score.nar.join", lang).join(names[:NAMES])
    return shown if len(names) <= NAMES else shown + i18n.t("score.nar.more", lang, n=len(names) - NAMES)


def _significant(units: pd.DataFrame) -> np.ndarray:
    return units["change_significant"].astype("boolean").fillna(False).to_numpy(dtype=bool)


def _movers(scores: Scores, lang: str, up: bool) -> str | None:
    """The biggest move in each peer group (groups differ in size, so one list would only name clinics)."""
    u = scores.units.assign(move=rank_change(scores.units).astype("Float64"), name=unit_name(scores.units, lang),
                            gain=scores.units["total"] - scores.units["previous_total"])
    u = u[(u["move"] > 0 if up else u["move"] < 0) & _significant(u)]
    if u.empty:
        return None
    u = u.assign(size=u["move"].abs(), g=u["gain"].abs()).sort_values(["size", "g", "facility_code"],
                                                                       ascending=[False, False, True])
    first = [u[u["peer_group"] == group].iloc[0] for group in scores.groups if (u["peer_group"] == group).any()]
    items = [i18n.t("score.nar.mover", lang, unit=r["name"], group=i18n.t(f"peer.{r['peer_group']}", lang),
                    rank=int(r["rank"]), arrow="▲" if up else "▼", places=int(r["size"]), delta=f"{r['gain']:+.1f}")
             for r in first]
    return i18n.t("score.nar.up" if up else "score.nar.down", lang, items=i18n.t("score.nar.join", lang).join(items))


def _missed(scores: Scores, lang: str) -> str:
    missed = scores.items[(scores.items["state"] == "scored") & (scores.items["status"] == "missed")]
    if missed.empty:
        return i18n.t("score.nar.none_missed", lang)
    counts = missed.groupby("indicator_code")["facility_code"].nunique()
    counts = counts.reset_index().sort_values(["facility_code", "indicator_code"], ascending=[False, True])
    name_col = "name_en" if lang == "en" else "name_zh"
    items = [i18n.t("score.nar.missed_item", lang, indicator=scores.indicators.at[r.indicator_code, name_col],
                    k=r.facility_code) for r in counts.head(TOP_MISSED).itertuples()]
    return i18n.t("score.nar.missed", lang, units=missed["facility_code"].nunique(), n=len(missed),
                  items=i18n.t("score.nar.join", lang).join(items))


def _reports(scores: Scores, lang: str) -> list[str]:
    u = scores.units.assign(name=unit_name(scores.units, lang))
    out = []
    for status in ("missing", "late"):
        names = u.loc[u["report_status"] == status, "name"].tolist()
        if names:
            out.append(i18n.t(f"score.nar.reports_{status}", lang, n=len(names), names=_names(names, lang)))
    if not out:
        pending = (u["report_status"] == "pending").any()
        out.append(i18n.t("score.nar.reports_pending" if pending else "score.nar.reports_ok", lang))
    unranked = u.loc[u["rank"].isna(), "name"].tolist()
    if unranked:
        out.append(i18n.t("score.nar.unranked", lang, n=len(unranked), names=_names(unranked, lang)))
    small = int((u["small_count"] > 0).sum())
    if small:
        out.append(i18n.t("score.nar.small", lang, n=small))
    return out


def opening(scores: Scores, lang: str) -> list[str]:
    """The opening slide's sentences: who took part, movers up and down, targets missed, missing data."""
    ranked = scores.units["rank"].notna()
    lines = [i18n.t("score.nar.lead", lang, month=i18n.fmt_month(scores.month, lang), n=len(scores.units),
                    ranked=int(ranked.sum()), groups=len(scores.groups))]
    movers = [m for m in (_movers(scores, lang, True), _movers(scores, lang, False)) if m]
    moved = rank_change(scores.units).fillna(0).ne(0).to_numpy(dtype=bool)
    quiet = int((moved & ~_significant(scores.units)).sum())
    if movers:
        lines += movers + ([i18n.t("score.nar.ns", lang, n=quiet)] if quiet else [])
    else:
        lines.append(i18n.t("score.nar.no_significant" if quiet else "score.nar.no_movers", lang))
    lines.append(_missed(scores, lang))
    return lines + _reports(scores, lang)

