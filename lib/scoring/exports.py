"""A month's assessment as files: an Excel workbook and a printable HTML report, with localised names.

Both are built from lib.scoring.tables, the same frames the rankings page draws, so the numbers in a
file are the numbers on the screen. The workbook has an "about" sheet (county, month, version, who
published, data as of, weights version, the opening sentences), one sheet per peer group and a detail
sheet with every indicator's value, target, weight and points. The report is plain HTML with print
CSS (A4 landscape, a page per peer group) and no outside resources: browsers print it to PDF offline.
"""

from __future__ import annotations

import html
import io

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from lib import i18n
from lib.scoring import narrative, tables
from lib.scoring.score import Scores
from lib.scoring.weights import DIMENSIONS

EXCEL_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HTML_MIME = "text/html"
POINT_COLUMNS = ("total", *DIMENSIONS, "weight", "effective_weight", "points", "previous_points", "delta")


def file_name(scores: Scores, extension: str, lang: str) -> str:
    """Localised: "乌拉特中旗2026年10月成员单位考核（第2版）.xlsx", "… member-unit assessment Oct 2026 (v2).xlsx"."""
    p = scores.published
    version = i18n.t("score.export.draft", lang) if p is None else i18n.t("score.export.v", lang, v=p.version)
    name = i18n.t("score.export.name", lang, county=scores.county(lang), month=i18n.fmt_month(scores.month, lang),
                  version=version)
    return f"{name}.{extension}"


def about(scores: Scores, lang: str) -> list[tuple[str, str]]:
    """The facts a reader of a file needs first: what, which month, which version, then the summary."""
    rows = [(i18n.t("score.export.title", lang, county=scores.county(lang),
                    month=i18n.fmt_month(scores.month, lang)), ""),
            (i18n.t("score.export.month", lang), i18n.fmt_month(scores.month, lang)),
            (i18n.t("score.export.status", lang), tables.status(scores, lang))]
    return rows + [(i18n.t("score.export.summary", lang) if i == 0 else "", line)
                   for i, line in enumerate(narrative.opening(scores, lang))]


def _sheet(wb: Workbook, title: str, frame: pd.DataFrame, headers: dict[str, str]) -> None:
    ws = wb.create_sheet(title[:31])
    ws.append([headers.get(c, c) for c in frame.columns])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in frame.astype(object).where(frame.notna(), None).itertuples(index=False):
        ws.append(list(row))
    for i, column in enumerate(frame.columns, start=1):
        letter = get_column_letter(i)
        fmt = "0.00" if column in POINT_COLUMNS else "0%" if column == "coverage" else None
        if fmt:
            for cell in ws[letter][1:]:
                cell.number_format = fmt
        ws.column_dimensions[letter].width = 30 if column in ("unit", "indicator", "report", "state") else 12
    ws.freeze_panes = "A2"


def excel(scores: Scores, lang: str = "zh") -> bytes:
    """The workbook: about, a sheet per peer group (the league table as shown), the detail."""
    wb = Workbook()
    info = wb.active
    info.title = i18n.t("score.export.about", lang)
    info.append([i18n.t("score.export.field", lang), i18n.t("score.export.value", lang)])
    for row in about(scores, lang):
        info.append(list(row))
    info.column_dimensions["A"].width = 24
    info.column_dimensions["B"].width = 120
    for row in info.iter_rows(min_row=2):
        row[1].alignment = Alignment(wrap_text=True, vertical="top")
    headers = tables.headers(lang)
    for group in scores.groups:
        _sheet(wb, i18n.t(f"peer.{group}", lang), tables.league(scores, group, lang), headers)
    _sheet(wb, i18n.t("score.export.detail", lang), tables.detail(scores, lang, formatted=False), headers)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


_CSS = """
@page { size: A4 landscape; margin: 12mm; }
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", sans-serif;
       font-size: 10.5pt; color: #111; }
h1 { font-size: 18pt; margin: 0 0 4pt; } h2 { font-size: 14pt; margin: 14pt 0 6pt; }
.meta { color: #444; margin-bottom: 8pt; } ul.summary li { margin: 2pt 0; }
table { border-collapse: collapse; width: 100%; margin-bottom: 8pt; }
th, td { border: 1px solid #999; padding: 2pt 4pt; text-align: right; }
th { background: #eee; } td.text, th.text { text-align: left; }
section.group { break-before: page; } section.detail { break-before: page; font-size: 8.5pt; }
"""
_TEXT_COLUMNS = ("interval", "change", "unit", "report", "flags", "code", "dimension", "indicator", "value", "target",
                 "rule", "previous_value", "value_change", "state")


def _table(frame: pd.DataFrame, headers: dict[str, str], lang: str) -> str:
    head = "".join(f'<th class="{"text" if c in _TEXT_COLUMNS else "num"}">{html.escape(headers.get(c, c))}</th>'
                   for c in frame.columns)
    body = []
    for row in frame.itertuples(index=False):
        cells = []
        for column, value in zip(frame.columns, row, strict=True):
            if column == "coverage":
                text = i18n.fmt_pct(value, lang, 0)
            elif column in POINT_COLUMNS:
                text = i18n.fmt_number(value, lang, tables.DIGITS)
            else:
                text = i18n.MISSING if value is None or pd.isna(value) else str(value)
            cells.append(f'<td class="{"text" if column in _TEXT_COLUMNS else "num"}">{html.escape(text)}</td>')
        body.append(f"<tr>{''.join(cells)}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def report_html(scores: Scores, lang: str = "zh") -> str:
    """The printable report (Chinese by default): title, version, summary, a page per group, the detail."""
    headers = tables.headers(lang)
    title = i18n.t("score.export.title", lang, county=scores.county(lang), month=i18n.fmt_month(scores.month, lang))
    summary = "".join(f"<li>{html.escape(line)}</li>" for line in narrative.opening(scores, lang))
    groups = "".join(
        f'<section class="group"><h2>{html.escape(i18n.t(f"peer.{g}", lang))}</h2>'
        f"{_table(tables.league(scores, g, lang), headers, lang)}</section>" for g in scores.groups)
    detail = tables.detail(scores, lang).drop(columns=["code"])
    return (f'<!DOCTYPE html><html lang="{"en" if lang == "en" else "zh-CN"}"><head><meta charset="utf-8">'
            f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>"
            f"<h1>{html.escape(title)}</h1><p class=\"meta\">{html.escape(tables.status(scores, lang))}</p>"
            f"<h2>{html.escape(i18n.t('score.export.summary', lang))}</h2><ul class=\"summary\">{summary}</ul>"
            f"<p>{html.escape(i18n.t('rankings.rules.text', lang))}</p>{groups}"
            f'<section class="detail"><h2>{html.escape(i18n.t("score.export.detail", lang))}</h2>'
            f"{_table(detail, headers, lang)}</section></body></html>")
