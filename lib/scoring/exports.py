"""A month's assessment as files: an Excel workbook and a printable HTML report, with localised names.

Both are built from lib.scoring.tables, the same frames the rankings page draws, so the numbers in a
file are the numbers on the screen. The workbook has an "about" sheet (county, month, version, who
published, data as of, weights version, the opening sentences), one sheet per peer group and a detail
sheet with every indicator's value, target, weight and points; every number stays a number, shown in
its unit by a number format, and every sheet prints on A4 landscape, one page wide, its header on each
page. The report is plain HTML with print CSS (A4 landscape) and no outside resources, so browsers
print it to PDF offline: the summary and the league tables (a page per peer group), then per unit only
the indicators that lost points or were not scored (the full detail is the workbook's), then the rules.
"""

from __future__ import annotations

import functools
import html
import io
import unicodedata
from collections.abc import Callable
from typing import TypeVar

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.worksheet import Worksheet

from lib import i18n
from lib.access import watermark
from lib.registry import settings as registry_settings
from lib.scoring import narrative, tables
from lib.scoring.score import Scores
from lib.scoring.weights import DIMENSIONS

T = TypeVar("T")
EXCEL_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HTML_MIME = "text/html"
POINT_COLUMNS = ("total", *DIMENSIONS, "weight", "effective_weight", "points", "previous_points", "delta")
POINTS = "0." + "0" * tables.DIGITS
VALUE_COLUMNS = ("value", "target", "previous_value")  # the detail's values, each in its own indicator's unit
MAX_WIDTH = 60  # characters: a wider column wraps its text instead


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


def _signed(fmt: str) -> str:
    """A change's format: "+1.20", "-0.50", "0.00"."""
    return f"+{fmt};-{fmt};{fmt}"


# The numbers of the league and detail tables by column (the detail's values by row: _detail_formats).
COLUMN_FORMATS = {"rank": "0", "coverage": "0%", **dict.fromkeys(POINT_COLUMNS, POINTS), "delta": _signed(POINTS)}


def _value_format(unit: str, *, signed: bool = False) -> str:
    """The number format of an indicator value in its unit, as the page writes it (i18n.fmt_value): 61.3% ·
    ¥10,316 · 3.4 · 1,234. ``signed`` for a change; a share's change then reads +1.2% (percentage points)."""
    if unit == "pct":
        body = "0.0%"
    elif unit == "money":
        body = '"¥"#,##0'
    else:
        digits = i18n.value_digits(unit)
        body = "#,##0." + "0" * digits if digits else "#,##0"
    return _signed(body) if signed else body


def _detail_formats(scores: Scores) -> dict[str, list[str]]:
    """The detail's value columns change unit row by row (a rate, then a sum of money), so their formats do."""
    kinds = tables.value_units(scores, scores.items)
    return {**{c: [_value_format(k) for k in kinds] for c in VALUE_COLUMNS},
            "value_change": [_value_format(k, signed=True) for k in kinds]}


def _width(value: object) -> int:
    """Characters a cell needs on screen: a CJK character counts two; a number as formatted (about two
    decimals and a sign, % or ¥)."""
    if value is None:
        return 0
    if isinstance(value, int | float):
        return len(f"{value:,.2f}") + 2
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in str(value))


def _fit_columns(ws: Worksheet) -> None:
    """Each column as wide as its widest cell (the header's filter button included), up to MAX_WIDTH;
    the text of a column at the limit wraps."""
    for column in ws.iter_cols():
        needed = max(_width(column[0].value) + 3, *(_width(c.value) + 2 for c in column[1:]))
        ws.column_dimensions[column[0].column_letter].width = min(needed, MAX_WIDTH)
        if needed > MAX_WIDTH:
            for cell in column[1:]:
                cell.alignment = Alignment(wrap_text=True, vertical="top")


def _print_setup(ws: Worksheet, mark: str) -> None:
    """Printable as it is: A4 landscape, one page wide (as many down as needed), the header on every page;
    the watermark (who exported it and when) in the page header and footer."""
    if mark:
        for part in (ws.oddHeader.right, ws.oddFooter.left, ws.evenHeader.right, ws.evenFooter.left):
            part.text, part.color = mark, "A0A0A0"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # no limit down
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = "1:1"
    ws.print_area = ws.dimensions


def _sheet(wb: Workbook, title: str, frame: pd.DataFrame, headers: dict[str, str],
           formats: dict[str, list[str]] | None = None, mark: str = "") -> None:
    """One table on a sheet of its own: a bold, frozen header with filters, numbers formatted by column
    (COLUMN_FORMATS) or, in ``formats``, cell by cell; columns fitted, ready to print."""
    ws = wb.create_sheet(title[:31])
    ws.append([headers.get(c, c) for c in frame.columns])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in frame.astype(object).where(frame.notna(), None).itertuples(index=False):
        ws.append(list(row))
    for column, cells in zip(frame.columns, ws.iter_cols(min_row=2), strict=True):
        shown = (formats or {}).get(column) or [COLUMN_FORMATS.get(column)] * len(cells)
        for cell, fmt in zip(cells, shown, strict=True):
            if fmt is not None:
                cell.number_format = fmt
    _fit_columns(ws)
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = ws.dimensions
    _print_setup(ws, mark)


def _in_county_words(build: Callable[..., T]) -> Callable[..., T]:
    """A file made outside a page run (a CLI, a test) speaks as the county its name tells (旗 / 县 / 市)."""
    @functools.wraps(build)
    def wrapped(scores: Scores, *args: str, **options: str) -> T:
        with i18n.speaking_for(registry_settings.named(scores.county_zh).all_words(), unless_set=True):
            return build(scores, *args, **options)
    return wrapped


@_in_county_words
def excel(scores: Scores, lang: str = "zh", mark: str = "") -> bytes:
    """The workbook: about, a sheet per peer group (the league table as shown), the detail. ``mark`` (a
    watermark, lib.access.watermark.label) goes on the about sheet and every page's header and footer."""
    wb = Workbook()
    wb.remove(wb.active)
    headers = tables.headers(lang) | {"field": i18n.t("score.export.field", lang),
                                      "about": i18n.t("score.export.value", lang)}
    rows = about(scores, lang) + ([(i18n.t("access.watermark.field", lang), mark)] if mark else [])
    _sheet(wb, i18n.t("score.export.about", lang), pd.DataFrame(rows, columns=["field", "about"]), headers, mark=mark)
    for group in scores.groups:
        _sheet(wb, i18n.t(f"peer.{group}", lang), tables.league(scores, group, lang), headers, mark=mark)
    _sheet(wb, i18n.t("score.export.detail", lang), tables.detail(scores, lang, formatted=False), headers,
           _detail_formats(scores), mark=mark)
    if mark:
        wb.properties.description = mark
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


_CSS = """
@page { size: A4 landscape; margin: 12mm; }
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", sans-serif;
       font-size: 10.5pt; color: #111; }
h1 { font-size: 18pt; margin: 0 0 4pt; } h2 { font-size: 14pt; margin: 14pt 0 6pt; }
h3 { font-size: 11pt; margin: 10pt 0 4pt; } h2, h3 { break-after: avoid; }
.meta { color: #444; margin-bottom: 8pt; } ul.summary li { margin: 2pt 0; }
table { border-collapse: collapse; width: 100%; margin-bottom: 8pt; }
thead { display: table-header-group; } tr { break-inside: avoid; }
th, td { border: 1px solid #999; padding: 2pt 4pt; text-align: right; vertical-align: top; }
th { background: #eee; } td.text, th.text { text-align: left; } td.num { white-space: nowrap; }
section.group { break-before: page; font-size: 9pt; } .c-unit { width: 16%; } .c-flags { width: 30%; }
.c-lost { width: 58%; } .c-unscored { width: 26%; }
section.detail { break-before: page; font-size: 8pt; } section.detail td { padding: 1pt 3pt; }
section.rules { font-size: 8pt; }
"""


def _classes(column: str) -> str:
    """A cell's CSS classes: number (the columns the workbook formats) or text, and its column (widths in _CSS)."""
    return f'{"num" if column in COLUMN_FORMATS else "text"} c-{column}'


def _table(frame: pd.DataFrame, headers: dict[str, str], lang: str) -> str:
    head = "".join(f'<th class="{_classes(c)}">{html.escape(headers.get(c, c))}</th>' for c in frame.columns)
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
            cells.append(f'<td class="{_classes(column)}">{html.escape(text)}</td>')
        body.append(f"<tr>{''.join(cells)}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _section(kind: str, heading: str, body: str, level: int = 2) -> str:
    return f'<section class="{kind}"><h{level}>{html.escape(heading)}</h{level}>{body}</section>'


@_in_county_words
def report_html(scores: Scores, lang: str = "zh", mark: str = "") -> str:
    """The printable report (Chinese by default): title, version, summary, a page per group, then where each
    unit lost points (compact: 65 units print to a few pages) and the rules. No file paths: it is for readers.
    ``mark`` (a watermark) is tiled over every printed page."""
    overlay = f'<div class="cockpit-watermark" title="{html.escape(mark)}"></div>' if mark else ""
    headers = tables.headers(lang)
    title = i18n.t("score.export.title", lang, county=scores.county(lang), month=i18n.fmt_month(scores.month, lang))
    summary = "".join(f"<li>{html.escape(line)}</li>" for line in narrative.opening(scores, lang))
    groups = "".join(_section("group", i18n.t(f"peer.{g}", lang),
                              _table(tables.league(scores, g, lang).drop(columns="code"), headers, lang))
                     for g in scores.groups)
    note = i18n.t("score.export.full_detail", lang, sheet=i18n.t("score.export.detail", lang))
    shortfalls = "".join(_section("shortfalls", i18n.t(f"peer.{g}", lang),
                                  _table(tables.shortfalls(scores, g, lang), headers, lang), level=3)
                         for g in scores.groups)
    rules = html.escape(i18n.t("rankings.rules.text", lang))
    return (f'<!DOCTYPE html><html lang="{"en" if lang == "en" else "zh-CN"}"><head><meta charset="utf-8">'
            f"<title>{html.escape(title)}</title><style>{_CSS}{watermark.css(mark) if mark else ''}</style></head>"
            f"<body>{overlay}"
            f"<h1>{html.escape(title)}</h1><p class=\"meta\">{html.escape(tables.status(scores, lang))}</p>"
            f"<h2>{html.escape(i18n.t('score.export.summary', lang))}</h2><ul class=\"summary\">{summary}</ul>{groups}"
            f"{_section('detail', i18n.t('score.export.shortfalls', lang), f'<p>{html.escape(note)}</p>{shortfalls}')}"
            f"{_section('rules', i18n.t('rankings.rules', lang), f'<p>{rules}</p>')}</body></html>")
