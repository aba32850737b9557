"""Drawing the monthly rankings: league tables per peer group, a unit's score explained, exports, publishing.

Shared with the meeting page: ``league_table`` (the same frame the Excel sheet holds) and ``downloads``.
The explained unit lives in the URL (``?unit=CODE``), so a link opens it.
"""

from __future__ import annotations

import datetime as dt
import functools
import html

import altair as alt
import pandas as pd
import streamlit as st

from lib import i18n
from lib.kiosk import pages
from lib.kpi.filters import Filters
from lib.kpi.period import first_of_month
from lib.scoring import exports, snapshot, tables
from lib.scoring.score import MonthScores, Scores, rank_change
from lib.scoring.weights import DIMENSIONS, describe
from ui import access, data, grid, kiosk, palette
from ui.frame import Frame

UNIT_PARAM = "unit"
VIEW_KEY = "rankings-view"
WATERFALL_COLOURS = {"total": palette.SCORE_HEX, "up": palette.BETTER_HEX, "down": palette.WORSE_HEX}
BOARD_ROWS = 12  # a wall's league board: rows per section at 5 m type on a 1080-line screen


def column_config(frame: Frame) -> dict[str, object]:
    names = tables.headers(frame.lang)
    points = {d: st.column_config.NumberColumn(names[d], format="%.2f") for d in DIMENSIONS}
    return {
        "rank": st.column_config.NumberColumn(names["rank"], format="%d", width="small"),
        "interval": st.column_config.TextColumn(names["interval"], width="small"),
        "change": st.column_config.TextColumn(names["change"], width="small"),
        "unit": st.column_config.TextColumn(names["unit"], width="medium"),
        "total": st.column_config.ProgressColumn(names["total"], format="%.2f", min_value=0, max_value=100,
                                                 color=palette.SCORE_HEX),
        **points,
        "coverage": st.column_config.NumberColumn(names["coverage"], format="percent"),
        "report": st.column_config.TextColumn(names["report"]),
        "flags": st.column_config.TextColumn(names["flags"]),
        "trend": st.column_config.LineChartColumn(names["trend"], y_min=0, y_max=100),
        "code": st.column_config.TextColumn(names["code"], width="small"),
    }


def league_table(scores: Scores, group: str, lang: str, chosen: Filters | None = None) -> pd.DataFrame:
    """The league as drawn: lib.scoring.tables.league plus the 12-month sparkline, rows the filters keep."""
    frame = tables.league(scores, group, lang)
    frame.insert(len(frame.columns) - 1, "trend", tables.trends(scores, group))
    if chosen is None or not (chosen.area or chosen.community):
        return frame
    keep = chosen.keeps(scores.group(group).reset_index(drop=True), by_tier=False)  # the group is the tier
    return frame[keep.to_numpy()].reset_index(drop=True)


def _pick(key: str, codes: list[str]) -> None:
    rows = st.session_state[key].selection.rows
    if rows:
        st.query_params[UNIT_PARAM] = codes[rows[0]]


def leagues(frame: Frame, scores: Scores, chosen: Filters) -> None:
    groups = [chosen.tier] if chosen.tier in scores.groups else scores.groups
    shown = 0
    for group in groups:
        table = league_table(scores, group, frame.lang, chosen)
        if table.empty:
            continue
        shown += 1
        st.subheader(frame.t(f"peer.{group}"))
        key = f"league-{group}"
        grid.dataframe(table, hide_index=True, column_config=column_config(frame), key=key, height="content",
                     on_select=functools.partial(_pick, key, table["code"].tolist()), selection_mode="single-row")
    if not shown:
        st.info(frame.t("rankings.empty"))


def _close_explanation() -> None:
    st.query_params.pop(UNIT_PARAM, None)


def explain_dialog(frame: Frame, scores: Scores, code: str) -> None:
    """The explanation over the page, where the click was made (not thousands of pixels below it);
    closing it takes ``?unit=`` out of the URL."""
    name = tables.unit_name(scores.units.set_index("facility_code").loc[[code]], frame.lang).iloc[0]
    st.dialog(frame.t("rankings.explain", unit=name), width="large", on_dismiss=_close_explanation)(
        lambda: explain(frame, scores, code))()


def explain(frame: Frame, scores: Scores, code: str) -> None:
    """Every indicator's value, target, rule, weight, points and change, and the waterfall of the total
    (the dialog's body: its title names the unit)."""
    units = scores.units.set_index("facility_code")
    unit = units.loc[code]
    lang = frame.lang
    change = rank_change(units.loc[[code]]).iloc[0]
    with st.container(horizontal=True, key="explain-metrics"):
        delta = None if pd.isna(unit["previous_total"]) or pd.isna(unit["total"]) else \
            round(float(unit["total"] - unit["previous_total"]), tables.DIGITS)
        st.metric(frame.t("rankings.metric.total"), i18n.fmt_number(unit["total"], lang, tables.DIGITS), delta,
                  border=True)
        st.metric(frame.t("rankings.metric.rank"), frame.t("rankings.unranked") if pd.isna(unit["rank"])
                  else f"{int(unit['rank'])}", None if pd.isna(change) else int(change), border=True)
        st.metric(frame.t("rankings.metric.report"), tables.league(scores, unit["peer_group"], lang)
                  .set_index("code").at[code, "report"], border=True)
        st.metric(frame.t("rankings.metric.coverage"), i18n.fmt_pct(unit["coverage"], lang, 0), border=True)
    if not pd.isna(unit["rank_low"]):
        st.caption(frame.t("rankings.interval", low=int(unit["rank_low"]), high=int(unit["rank_high"])))
    for reason in tables.unranked(unit["unranked"], unit, scores, lang):
        st.caption(reason)
    detail = tables.detail(scores, lang, code=code).drop(columns=["code", "unit"])
    names = tables.headers(lang)
    grid.dataframe(detail, hide_index=True, key="explain-detail", height="content",
                 column_config={c: st.column_config.Column(names[c]) for c in detail.columns})
    steps = tables.waterfall(scores, code, lang)
    st.markdown(f"**{frame.t('rankings.waterfall')}**")
    if len(steps) == 2:
        st.caption(frame.t("rankings.waterfall.none"))
    kinds = {k: frame.t(f"score.wf.{k}") for k in WATERFALL_COLOURS}
    # Bars across, one labelled row per step: every indicator named, the largest drop included.
    chart = alt.Chart(steps.assign(kind=steps["kind"].map(kinds), delta=steps["delta"].round(tables.DIGITS))).mark_bar(
    ).encode(
        y=alt.Y("label:N", sort=None, title=None, axis=alt.Axis(labelLimit=360, labelOverlap=False)),
        x=alt.X("start:Q", title=frame.t("score.wf.axis"), scale=alt.Scale(zero=True)), x2="end:Q",
        color=alt.Color("kind:N", title=None, scale=alt.Scale(domain=list(kinds.values()),
                                                               range=list(WATERFALL_COLOURS.values()))),
        tooltip=[alt.Tooltip("label:N", title=names["indicator"]), alt.Tooltip("delta:Q", title=names["delta"])],
    )
    with st.container(key="explain-waterfall"):
        st.altair_chart(chart.properties(height=max(160, 26 * len(steps))), width="stretch")


def funnel(frame: Frame, scores: Scores, chosen: Filters) -> None:
    """A funnel plot of one rate indicator in one peer group (lib.scoring.tables.funnel draws nothing itself)."""
    groups = [g for g in ([chosen.tier] if chosen.tier in scores.groups else scores.groups)
              if tables.funnel_indicators(scores, g)]
    st.markdown(f"**{frame.t('rankings.funnel')}**")
    if not groups:
        st.caption(frame.t("rankings.funnel.none"))
        return
    names = scores.indicators["name_en" if frame.lang == "en" else "name_zh"]
    with st.container(horizontal=True, key="rankings-funnel-pick"):
        group = st.selectbox(frame.t("rankings.funnel.group"), groups, key="rankings-funnel-group",
                             format_func=lambda g: frame.t(f"peer.{g}"))
        codes = tables.funnel_indicators(scores, group)
        code = st.selectbox(frame.t("rankings.funnel.indicator"), codes, key="rankings-funnel-indicator",
                            format_func=lambda c: names.get(c, c))
    if code not in codes:  # the group changed under a chosen indicator
        code = codes[0]
    shown = tables.funnel(scores, group, code, frame.lang)
    st.caption(frame.t("rankings.funnel.help"))
    n_axis = alt.X("n:Q", title=frame.t("score.funnel.n"), scale=alt.Scale(type="log"))
    rate_axis = alt.Y("rate:Q", title=frame.t("score.funnel.rate"), axis=alt.Axis(format="%"),
                      scale=alt.Scale(domain=[0, 1]))
    lines = alt.Chart(shown.lines).mark_line(color="#888").encode(
        x=n_axis, y=rate_axis, detail="part:N",
        strokeDash=alt.StrokeDash("line:N", title=frame.t("score.funnel.line")))
    where = {frame.t(f"score.funnel.{k}"): c for k, c in palette.FUNNEL_HEX.items()}
    points = alt.Chart(shown.points).mark_circle(size=90, opacity=0.9).encode(
        x=n_axis, y=rate_axis,
        color=alt.Color("position:N", title=frame.t("score.funnel.position"),
                        scale=alt.Scale(domain=list(where), range=list(where.values()))),
        tooltip=[alt.Tooltip("unit:N", title=frame.t("score.col.unit")),
                 alt.Tooltip("n:Q", title=frame.t("score.funnel.n")),
                 alt.Tooltip("rate:Q", title=frame.t("score.funnel.rate"), format=".1%"),
                 alt.Tooltip("position:N", title=frame.t("score.funnel.position"))])
    st.altair_chart(alt.layer(lines, points).resolve_scale(color="independent"), width="stretch",
                    key="rankings-funnel")


def downloads(frame: Frame, scores: Scores, key: str) -> None:
    """Excel (a sheet per peer group + detail) and the printable report, named in the reader's language."""
    lang, mark = frame.lang, access.mark(frame)
    with st.container(horizontal=True, key=f"{key}-downloads"):
        st.download_button(frame.t("score.export.excel"), data=data.export_file(scores, "xlsx", lang, mark),
                           file_name=exports.file_name(scores, "xlsx", lang), mime=exports.EXCEL_MIME,
                           on_click="ignore", key=f"{key}-excel", icon=":material/table_view:")
        st.download_button(frame.t("score.export.html"), data=data.export_file(scores, "html", lang, mark),
                           file_name=exports.file_name(scores, "html", lang), mime=exports.HTML_MIME,
                           on_click="ignore", key=f"{key}-html", icon=":material/print:")


def rules(frame: Frame, scores: Scores) -> None:
    with st.expander(frame.t("rankings.rules")):
        st.markdown(frame.t("rankings.rules.text"))
        st.caption(frame.t("rankings.rules.file"))  # where to change them: for the screen's users, not in the files
        w = scores.weights
        st.caption(frame.t("rankings.weights_table") + (" · " + frame.t("rankings.weights_file") if w.version is None
                   else " · " + frame.t("rankings.weights_meta", v=w.version, by=w.created_by,
                                        at=i18n.fmt_datetime(w.created_at, frame.lang))))
        names = scores.indicators["name_en" if frame.lang == "en" else "name_zh"]
        rows = [{frame.t("filter.tier"): frame.t(f"peer.{r.peer_group}"),
                 frame.t("score.col.dimension"): frame.t(f"score.dim.{r.dimension}"),
                 frame.t("score.col.indicator"): names.get(r.indicator, r.indicator),
                 frame.t("score.col.weight"): r.weight,
                 frame.t("score.col.rule"): describe(r, scores.indicators.at[r.indicator, "direction"])}
                for r in scores.weights.rules]
        grid.dataframe(pd.DataFrame(rows), hide_index=True, key="rankings-rules")


PUBLISH_BY, PUBLISH_NOTE, PUBLISH_MESSAGE = "rankings-publish-by", "rankings-publish-note", "rankings-publish-msg"


def _publish(frame: Frame, month: dt.date) -> None:
    """The form's callback: a callback, not the button's return value, so a rerun cannot lose the click."""
    by = access.author(frame, st.session_state.get(PUBLISH_BY, ""))
    if not by:
        st.session_state[PUBLISH_MESSAGE] = ("error", frame.t("rankings.publish.need_by"))
        return
    outcome = data.publish_scores(month, by, st.session_state[PUBLISH_NOTE].strip(), frame.viewer)
    key = "rankings.publish.done" if outcome.created else "rankings.publish.same"
    st.session_state[PUBLISH_MESSAGE] = ("success", frame.t(key, v=outcome.version))


def publish_form(frame: Frame, month: dt.date) -> None:
    """Freeze the month (always one that is over: the filter bar here offers no running month)."""
    with st.expander(frame.t("rankings.publish")):
        st.caption(frame.t("rankings.publish.help"))
        with st.form("rankings-publish"):
            if not access.signed_in(frame):  # signed in, the publisher is the user
                st.text_input(frame.t("rankings.publish.by"), max_chars=64, key=PUBLISH_BY)
            st.text_input(frame.t("rankings.publish.note"), key=PUBLISH_NOTE)
            st.form_submit_button(frame.t("rankings.publish.go"), type="primary", key="rankings-publish-go",
                                  on_click=_publish, args=(frame, month))
        if PUBLISH_MESSAGE in st.session_state:
            kind, text = st.session_state.pop(PUBLISH_MESSAGE)
            (st.success if kind == "success" else st.error)(text)


def _moved(frame: Frame, moved: pd.DataFrame, units: pd.DataFrame, key: str) -> None:
    """Units whose total or rank differs between two scorings, and the indicators whose points moved."""
    names = tables.unit_name(units.set_index("facility_code"), frame.lang)
    shown = moved.assign(unit=moved["facility_code"].map(names)).drop(columns=["peer_group"])
    labels = {c: frame.t(f"rankings.col.{c}") for c in ("old_total", "new_total", "old_rank", "new_rank", "indicators")}
    grid.dataframe(shown, hide_index=True, key=key,
                 column_config={**{c: st.column_config.Column(t) for c, t in labels.items()},
                                "unit": frame.t("score.col.unit"), "facility_code": frame.t("score.col.code")})


def changes(frame: Frame, published: Scores, draft: Scores) -> None:
    """The visible difference between the published version and the live draft (late or corrected data)."""
    moved = snapshot.diff(published, draft)
    v = published.published.version  # type: ignore[union-attr]
    if moved.empty:
        st.caption(frame.t("rankings.draft_same", v=v))
        return
    st.warning(frame.t("rankings.draft_differs", v=v, n=len(moved), next=v + 1), icon=":material/sync_problem:")
    with st.expander(frame.t("rankings.changes")):
        _moved(frame, moved, draft.units, "rankings-changes")


def history(frame: Frame, view: MonthScores) -> None:
    """Every published version of the month, and what the latest changed against the one before."""
    versions = view.versions
    items = [frame.t("rankings.version_item", v=p.version, by=p.published_by,
                     at=i18n.fmt_datetime(p.published_at, frame.lang)) for p in versions]
    st.caption(frame.t("rankings.versions", list=i18n.t("score.nar.join", frame.lang).join(items)))
    if view.previous is None or view.published is None:
        return
    moved = snapshot.diff(view.previous, view.published)
    with st.expander(frame.t("rankings.supersedes", v=versions[-1].version, old=versions[-2].version, n=len(moved))):
        _moved(frame, moved, view.published.units, "rankings-versions")


def last_complete_day(today: dt.date) -> dt.date:
    """The filter bar's "today" on this page: scores are for months that are over, the last one by default."""
    return first_of_month(today) - dt.timedelta(days=1)


BOARD_CSS = """
<style>
table.league-board { width: 100%; border-collapse: collapse; font-size: 1.6rem; }
.league-board td { padding: 0.28rem 0.8rem; border-bottom: 1px solid #2c3340; white-space: nowrap; }
.league-board td.rank { width: 5.5rem; text-align: right; font-weight: 700; }
.league-board td.total { width: 9rem; text-align: right; font-weight: 700; font-size: 1.9rem; }
.league-board td.bar { width: 28%; } .league-board td.bar div { height: 0.9rem; border-radius: 0.2rem; }
.league-board td.move { width: 9rem; } .league-board td.report { width: 10rem; font-size: 1.2rem; opacity: 0.85; }
""" + "".join(f".league-board .{kind} {{ color: {colour}; }}\n" for kind, colour in
              (("up", palette.BETTER_HEX), ("down", palette.WORSE_HEX), ("ns", palette.NEUTRAL_HEX))) + "</style>"


def _board_rank(rank: object, ranks: pd.Series, unranked: str) -> str:
    """"3" or, shared with another unit, "3=" (a tie is a tie); the unranked say so."""
    if rank is None or pd.isna(rank):
        return unranked
    return f"{int(rank)}=" if int((ranks == rank).sum()) > 1 else f"{int(rank)}"


def _board_page(frame: Frame, scores: Scores, group: str, table: pd.DataFrame, page: tuple[int, int]) -> None:
    """One section of the league board: a group's rows, large, with a neutral bar for the total."""
    title = frame.t(f"peer.{group}") + (frame.t("part.of", i=page[0], n=page[1]) if page[1] > 1 else "")
    st.subheader(title)
    ranks = scores.group(group)["rank"]
    moves = {"▲": "up", "▼": "down"}
    rows = []
    for row in table.itertuples(index=False):
        total = "—" if pd.isna(row.total) else i18n.fmt_number(row.total, frame.lang, tables.DIGITS)
        width = 0 if pd.isna(row.total) else max(0.0, min(100.0, float(row.total)))
        kind = "ns" if row.change and not row.change.startswith(("▲", "▼")) else moves.get(row.change[:1], "")
        rows.append(
            f"<tr><td class='rank'>{html.escape(_board_rank(row.rank, ranks, frame.t('rankings.unranked')))}</td>"
            f"<td>{html.escape(row.unit)}</td><td class='total'>{total}</td>"
            f"<td class='bar'><div style='width:{width:.1f}%;background:{palette.SCORE_HEX}'></div></td>"
            f"<td class='move {kind}'>{html.escape(row.change or '')}</td>"
            f"<td class='report'>{html.escape(row.report)}</td></tr>")
    st.html(BOARD_CSS + f"<table class='league-board'>{''.join(rows)}</table>")


def board(frame: Frame, view: MonthScores, chosen: Filters) -> None:
    """The rankings on a wall: a league board readable at 5 m (rank with ties shown as ties, unit, total,
    move, report), each group in balanced sections of at most BOARD_ROWS rows that the wall pages through."""
    scores = view.published or view.draft
    if scores is None:
        st.error(view.problem)
        return
    if not scores.has_data:
        st.warning(frame.t("score.no_data", month=i18n.fmt_month(view.month, frame.lang)))
        return
    st.caption(tables.status(scores, frame.lang))
    parts = []
    for group in [chosen.tier] if chosen.tier in scores.groups else scores.groups:
        table = league_table(scores, group, frame.lang, chosen)
        if table.empty:
            continue
        screens = pages(len(table), BOARD_ROWS)
        parts += [functools.partial(_board_page, frame, scores, group, table.iloc[rows], (i + 1, len(screens)))
                  for i, rows in enumerate(screens)]
    if not parts:
        st.info(frame.t("rankings.empty"))
        return
    kiosk.sections(frame, parts)


def draw(frame: Frame, view: MonthScores, chosen: Filters) -> None:
    """The rankings page's body: versions, leagues, the opened unit's explanation, exports, rules, publishing."""
    month = view.month
    if chosen.period.kind != "month":
        st.caption(frame.t("rankings.span_note"))
    if view.draft is None:
        st.error(view.problem)
        return
    if not view.draft.has_data:
        st.warning(frame.t("score.no_data", month=i18n.fmt_month(month, frame.lang)))
        return
    draft, published = view.draft, view.published
    scores = draft
    if published is None:
        st.caption(frame.t("rankings.not_published"))
    else:
        history(frame, view)
        views = {"published": frame.t("rankings.view.published"), "draft": frame.t("rankings.view.draft")}
        view = st.segmented_control(frame.t("rankings.view"), list(views), format_func=views.__getitem__,
                                    default="published", required=True, key=VIEW_KEY)
        scores = published if view == "published" else draft
        changes(frame, published, draft)
    (st.success if scores.published else st.warning)(tables.status(scores, frame.lang))
    if chosen.area or chosen.community:
        st.caption(frame.t("rankings.filtered"))
    st.caption(frame.t("rankings.pick"))
    leagues(frame, scores, chosen)
    code = st.query_params.get(UNIT_PARAM)
    if code in set(scores.units["facility_code"]):
        explain_dialog(frame, scores, code)
    funnel(frame, scores, chosen)
    downloads(frame, scores, "rankings")
    rules(frame, scores)
    if not frame.kiosk and frame.viewer.may_publish:  # only the operations centre, once sign-in is on
        publish_form(frame, month)
