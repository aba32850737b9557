"""The data page: send a monthly report file, download templates, see the reports' quality and the audit.

A file is checked whole before anything is written: a refused file lists every problem (and offers
them as a CSV to pass on); a file that passes says what it would change, and is written only on the
clerk's confirmation, all or nothing.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from lib import clock, i18n
from lib.ingest import kinds, quality, templates
from lib.ingest.problems import Refused
from lib.kpi.period import add_months, first_of_month
from ui import access, data, grid
from ui.frame import Frame

STATUS_MARK = {"on_time": "✓", "late": "⏰", "missing": "✗", "pending": "…"}
MONTHS_OFFERED = 12
SENDER_KEY = "intake-by"


def reportable_months(today: dt.date) -> list[dt.date]:
    """The months a clerk may send: the last complete one first, a year back."""
    last = add_months(first_of_month(today), -1)
    return [add_months(last, -i) for i in range(MONTHS_OFFERED)]


def draw(frame: Frame, month: dt.date, facility_ids: list[int] | None) -> None:
    """The page below its filters: the quality of ``month``'s reports first, then the clerk's tabs."""
    if frame.kiosk:
        _quality(frame, data.report_quality(month, facility_ids, clock.now()), month)
        return
    upload, template, quality_tab, audit = st.tabs([frame.t(f"data.tab.{k}") for k in
                                                     ("upload", "templates", "quality", "audit")])
    with upload:
        _upload(frame)
    with template:
        _templates(frame)
    with quality_tab:
        _quality(frame, data.report_quality(month, facility_ids, clock.now()), month)
    with audit:
        _audit(frame)


def _month_label(frame: Frame) -> callable:
    return lambda m: i18n.fmt_month(m, frame.lang)


def _upload(frame: Frame) -> None:
    if not frame.viewer.may_upload:  # the role's right, checked again where the file is read (ui/data.py)
        st.info(frame.t("access.upload.refused", role=frame.t(f"access.role.{frame.viewer.role}")))
        return
    months = reportable_months(clock.today())
    month = st.selectbox(frame.t("data.month"), months, format_func=_month_label(frame), key="intake-month")
    typed = "" if access.signed_in(frame) else \
        st.text_input(frame.t("data.by"), key=SENDER_KEY, placeholder=frame.t("data.by.hint"))
    by = access.author(frame, typed)
    sent = st.file_uploader(frame.t("data.file"), type=["xlsx", "csv"], key="intake-file",
                            help=frame.t("data.file.help"))
    if sent is None:
        st.caption(frame.t("data.upload.how", day=data.county_settings().reporting_day))
        return
    try:
        plan, preview = data.check_upload(sent.name, sent.getvalue(), month, frame.viewer)
    except Refused as refused:
        _refusal(frame, sent.name, refused)
        return
    st.success(frame.t("data.checked", file=sent.name, units=len({v.facility_id for v in plan.values}),
                       values=len(plan.values), inserted=preview.inserted, updated=preview.updated,
                       unchanged=preview.unchanged))
    if preview.published:
        st.info(frame.t("ingest.published_month", month=month.strftime("%Y-%m")))
    if not preview.inserted and not preview.updated:
        st.caption(frame.t("data.nothing_new"))
        return
    if st.button(frame.t("data.write"), type="primary", disabled=not by.strip(), key="intake-write",
                 help=None if by.strip() else frame.t("data.by.needed")):
        outcome = data.write_upload(plan, by.strip())
        st.success(frame.t("ingest.accepted", file=sent.name, month=month.strftime("%Y-%m"),
                           inserted=outcome.inserted, updated=outcome.updated, unchanged=outcome.unchanged))


def _refusal(frame: Frame, name: str, refused: Refused) -> None:
    st.error(frame.t("ingest.refused", file=name, n=len(refused.problems) + refused.more))
    rows = pd.DataFrame([{"where": p.where(frame.lang), "value": p.value or None,
                          "why": p.why(frame.lang)}
                         for p in refused.problems])
    grid.dataframe(rows, hide_index=True, width="stretch", column_config={
        "where": frame.t("data.problem.where"), "value": frame.t("data.problem.value"),
        "why": frame.t("data.problem.why")})
    if refused.more:
        st.caption(frame.t("ingest.problem.more", n=refused.more))
    lines = "\n".join(refused.lines(frame.lang))
    st.download_button(frame.t("data.problem.download"), lines.encode("utf-8-sig"), f"{name}.problems.txt",
                       mime="text/plain", key="intake-problems")


def _templates(frame: Frame) -> None:
    st.caption(frame.t("data.templates.how"))
    month = st.selectbox(frame.t("data.month"), reportable_months(clock.today()), format_func=_month_label(frame),
                         key="template-month")
    for kind in kinds.kinds():
        with st.container(horizontal=True, key=f"template-{kind.code}"):
            st.markdown(f"**{kind.name(frame.lang)}** · "
                        + ", ".join(c.header(frame.lang) for c in kind.columns))
            for fmt in templates.FORMATS:
                st.download_button(fmt.upper(), data.template_file(kind.code, month, frame.lang, fmt, frame.viewer),
                                   templates.file_name(kind, month, fmt, frame.lang), key=f"t-{kind.code}-{fmt}",
                                   icon=":material/download:")


def _quality(frame: Frame, found: quality.Quality, month: dt.date) -> None:
    units = data.units()
    name = units["name_zh" if frame.lang == "zh" else "name_en"]
    counts = found.counts(month)
    st.subheader(frame.t("data.quality.heading", month=i18n.fmt_month(month, frame.lang)))
    with st.container(horizontal=True):
        for status, n in counts.items():
            st.metric(f"{STATUS_MARK[status]} {frame.t(f'score.report.{status}')}", n)
    st.caption(frame.t("data.quality.rule", day=data.county_settings().reporting_day))
    matrix = found.status.map(lambda s: f"{STATUS_MARK[s]} {frame.t(f'score.report.{s}')}")
    matrix.columns = [i18n.fmt_month(m, frame.lang) for m in found.months]
    matrix.insert(0, frame.t("data.unit"), name.reindex(matrix.index).to_numpy())
    grid.dataframe(matrix, hide_index=True, width="stretch", height=min(38 + 35 * len(matrix), 420))
    if found.missing.empty:
        st.caption(frame.t("data.missing.none"))
    else:
        st.markdown(f"**{frame.t('data.missing.heading', n=len(found.missing))}**")
        st.markdown("; ".join(f"{name.get(f, f)} ({i18n.fmt_month(m, frame.lang)})"
                              for f, m in zip(found.missing["facility_id"], found.missing["month"], strict=True)))
    st.markdown(f"**{frame.t('data.outliers.heading')}**")
    st.caption(frame.t("data.outliers.rule", months=quality.HISTORY_MONTHS, limit=quality.Z_LIMIT,
                       least=quality.MIN_HISTORY))
    if found.outliers.empty:
        st.caption(frame.t("data.outliers.none"))
        return
    shown = found.outliers.assign(unit=name.reindex(found.outliers["facility_id"]).to_numpy(),
                                  metric=[_metric_name(m, frame.lang) for m in found.outliers["metric"]])
    grid.dataframe(shown[["unit", "metric", "value", "median", "z"]], hide_index=True, width="stretch",
                   column_config={"unit": frame.t("data.unit"), "metric": frame.t("data.metric"),
                                  "value": frame.t("data.value"), "median": frame.t("data.median"),
                                  "z": st.column_config.NumberColumn("z", format="%.1f")})


def _metric_name(metric: str, lang: str) -> str:
    for kind in kinds.kinds():
        for column in kind.columns:
            if column.metric == metric:
                return column.header(lang)
    return metric


def _audit(frame: Frame) -> None:
    log = data.audit_log(frame.viewer)
    if log.empty:
        st.caption(frame.t("data.audit.none"))
        return
    grid.dataframe(log, hide_index=True, width="stretch", column_config={
        c: frame.t(f"data.audit.{c}") for c in log.columns})
