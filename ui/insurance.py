"""Drawing the insurance fund page: envelope and execution; ledger and projection; where the fund goes.

Execution is shown three ways, each named (issue #13): incurred claims (the KPI engine's
fund_execution, the overview's headline), settled, and settled plus the year's prepayment, all against
序时进度. On a wall the three parts are shown in turn (ui.kiosk.sections).
"""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from lib import i18n
from lib.ops import insurance
from lib.ops.insurance import Insurance
from ui import grid, kiosk, mapview, overview, palette
from ui.frame import Frame

RATES = ("claims_rate", "settled_rate", "paid_rate", "elapsed")  # the execution chart's lines, in legend order
RATE_COLOURS = ("#5b7db1", "#2ecc71", "#f1c40f", "#e8eaf0")


def draw(frame: Frame, view: Insurance) -> None:
    """The page's body in three parts (one at a time on a wall)."""
    if view.scope.kind != "county":
        st.caption(frame.t("ins.county_wide"))
    kiosk.sections(frame, [lambda: envelope_and_execution(frame, view), lambda: ledger_and_projection(frame, view),
                           lambda: spending(frame, view)])


def _money(frame: Frame, x: float | None) -> str:
    return i18n.fmt_money(x, frame.lang)


def envelope_and_execution(frame: Frame, view: Insurance) -> None:
    """How the envelope is built and split; claims, settled and paid against 序时进度, month by month."""
    t, env, ex = frame.t, view.envelope, view.execution
    st.subheader(t("ins.envelope", year=view.period.last_month.year))
    if env is None or ex is None:
        st.info(t("ins.no_budget"))
        return
    with st.container(horizontal=True, key="ins-envelope"):
        st.metric(t("ins.revenue"), _money(frame, env.revenue_budget), border=True)
        st.metric(t("ins.reserve", rate=i18n.fmt_pct(env.reserve_rate, frame.lang, 0)),
                  "−" + _money(frame, env.reserve), border=True)
        st.metric(t("ins.premium"), "−" + _money(frame, env.commercial_premium), border=True)
        st.metric(t("ins.amount"), _money(frame, env.amount), border=True)
        for lead in env.leads.itertuples():
            st.metric(t("ins.lead", name=getattr(lead, f"name_{frame.lang}"),
                        share=i18n.fmt_pct(lead.share, frame.lang, 0)), _money(frame, lead.amount), border=True)
    st.markdown(f"**{t('ins.execution', date=i18n.fmt_datetime(ex.as_of, frame.lang))}**")
    claims = ex.claims
    with st.container(horizontal=True, key="ins-execution"):
        st.metric(t("ins.rate.claims_rate"), i18n.fmt_pct(claims.value, frame.lang), border=True,
                  help=t("ins.rate.claims_rate.help", spent=_money(frame, claims.numerator)))
        st.metric(t("ins.rate.settled_rate"), i18n.fmt_pct(ex.settled_rate, frame.lang), border=True,
                  help=t("ins.rate.settled_rate.help", paid=_money(frame, ex.settled)))
        st.metric(t("ins.rate.paid_rate"), i18n.fmt_pct(ex.paid_rate, frame.lang), border=True,
                  help=t("ins.rate.paid_rate.help", prepaid=_money(frame, ex.prepaid)))
        st.metric(t("ins.rate.elapsed"), i18n.fmt_pct(ex.elapsed, frame.lang), border=True, help=t("ins.elapsed.help"))
    st.caption(t("ins.execution.note", status=t(f"status.{claims.status or 'none'}")))
    execution_chart(frame, view.monthly)


def execution_chart(frame: Frame, monthly: pd.DataFrame) -> None:
    """Cumulative claims, settled and paid as shares of the envelope, with 序时进度 dashed."""
    names = {r: frame.t(f"ins.rate.{r}") for r in RATES}
    long = monthly.melt(id_vars="month", value_vars=list(RATES), var_name="rate", value_name="share").dropna()
    long = long.assign(line=long["rate"].map(names))
    chart = alt.Chart(long).mark_line(point=True).encode(
        x=mapview.MONTH_AXIS,
        y=alt.Y("share:Q", title=frame.t("ins.chart.axis"), axis=alt.Axis(format=".0%")),
        color=alt.Color("line:N", title=None, sort=list(names.values()),
                        scale=alt.Scale(domain=list(names.values()), range=list(RATE_COLOURS)),
                        legend=alt.Legend(orient="bottom")),
        strokeDash=alt.condition(alt.datum.rate == "elapsed", alt.value([6, 4]), alt.value([1, 0])),
        tooltip=[alt.Tooltip("line:N", title=frame.t("ins.chart.line")),
                 alt.Tooltip("month:T", format="%Y-%m", title=frame.t("map.col.month")),
                 alt.Tooltip("share:Q", format=".1%", title=frame.t("map.col.value"))],
    )
    st.altair_chart(chart.properties(height=kiosk.px(frame, 340)), width="stretch")


def ledger_and_projection(frame: Frame, view: Insurance) -> None:
    """The year's payments as a ledger (left); the year-end projection, its method and seasonality (right)."""
    left, right = st.columns([3, 2])
    with left:
        ledger(frame, view)
    with right:
        projection(frame, view.projection)


def ledger(frame: Frame, view: Insurance) -> None:
    t = frame.t
    st.subheader(t("ins.ledger"))
    book = view.ledger
    if book.empty or view.envelope is None:
        st.info(t("ins.ledger.none"))
        return
    leads = {lead.code: getattr(lead, f"name_{frame.lang}") for lead in view.envelope.leads.itertuples()}
    shown = book.assign(kind=[t(f"ins.kind.{k}") for k in book["kind"]],
                        paid_on=[i18n.fmt_datetime(d, frame.lang) for d in book["paid_on"]])
    money = {c: st.column_config.NumberColumn(leads.get(c, t(f"ins.col.{c}")), format="%,.0f")
             for c in [*leads, "total", "cumulative"] if c in shown.columns}
    grid.dataframe(shown, hide_index=True, height=kiosk.px(frame, min(560, 40 + 35 * len(shown))),
                   column_config={"kind": t("ins.col.kind"), "month": st.column_config.NumberColumn(t("ins.col.month")),
                                  "paid_on": t("ins.col.paid_on"), **money})
    st.caption(t("ins.ledger.note"))


def projection(frame: Frame, p: insurance.Projection | None) -> None:
    """Projected year-end claims against the envelope: surplus kept or overspend shared; how it was worked out."""
    t = frame.t
    st.subheader(t("ins.projection"))
    if p is None:
        st.info(t("ins.projection.none"))
        return
    with st.container(horizontal=True, key="ins-projection"):
        st.metric(t("ins.projected"), _money(frame, p.projected), border=True)
        st.metric(t("ins.projected_rate"), i18n.fmt_pct(p.projected / p.envelope, frame.lang), border=True)
        if p.balance >= 0:
            st.metric(t("ins.surplus"), _money(frame, p.balance), border=True)
        else:
            st.metric(t("ins.overspend"), _money(frame, -p.balance), border=True,
                      help=t("ins.overspend.help", share=i18n.fmt_pct(insurance.OVERSPEND_SHARE, frame.lang, 0)))
            st.metric(t("ins.community_part"), _money(frame, p.community_part), border=True)
    years = "、".join(str(y) for y in p.years) if frame.lang == "zh" else ", ".join(str(y) for y in p.years)
    st.caption(t(f"ins.method.{p.method}", claims=_money(frame, p.claims), years=years,
                 share=i18n.fmt_pct(p.share_by_now, frame.lang), projected=_money(frame, p.projected)))
    st.caption(t("ins.surplus.rule", share=i18n.fmt_pct(insurance.OVERSPEND_SHARE, frame.lang, 0)))
    if p.seasonality.empty:
        return
    bars = alt.Chart(p.seasonality).mark_bar(color=palette.SCORE_HEX).encode(
        x=alt.X("month:O", title=t("ins.col.month"), axis=alt.Axis(labelAngle=0)),
        y=alt.Y("share:Q", title=t("ins.season.axis"), axis=alt.Axis(format=".0%")),
        tooltip=[alt.Tooltip("month:O", title=t("ins.col.month")),
                 alt.Tooltip("share:Q", format=".1%", title=t("ins.season.axis"))],
    )
    st.markdown(f"**{t('ins.season')}**")
    st.altair_chart(bars.properties(height=kiosk.px(frame, 220)), width="stretch")


def spending(frame: Frame, view: Insurance) -> None:
    """In-county against out-of-county spending, the primary-care share, and costs with their growth."""
    t = frame.t
    st.subheader(t("ins.spending"))
    overview.tiles(frame, view.indicators, "ins")
    values = {tile.value.code: tile.value for tile in view.indicators}
    in_county = values.get("fund_in_county_share")
    with st.container(horizontal=True, key="ins-split"):
        if in_county is not None and in_county.value is not None:
            st.metric(t("ins.in_county"), _money(frame, in_county.numerator), border=True)
            st.metric(t("ins.out_county"), _money(frame, in_county.denominator - in_county.numerator), border=True)
        for code in ("cost_per_admission", "cost_per_visit"):
            v = values.get(code)
            if v is None:
                continue
            change = insurance.growth(v)
            st.metric(t(f"ins.yoy.{code}"), i18n.MISSING if change is None else f"{change * 100:+.1f}%", border=True,
                      help=t("ins.yoy.help", last=i18n.fmt_value(v.last_year, v.unit, frame.lang)))
    st.caption(t("ins.spending.note"))
