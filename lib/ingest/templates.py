"""Templates clerks fill in: one per report kind, xlsx or CSV, headers in Chinese or English, the county's
units that report the kind already listed with their codes and names, and the month filled in.

The xlsx has the data on its first sheet (the one an upload reads), cells limited to each column's
valid range, and a second sheet explaining the columns; the CSV is UTF-8 with a BOM (Excel opens it
correctly) or GBK for older systems.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from lib import i18n
from lib.ingest import values
from lib.ingest.kinds import FIXED_HEADERS, MONTH, UNIT_CODE, UNIT_NAME, Kind
from lib.scoring.completeness import DUE_DAY

FORMATS = ("xlsx", "csv")
CSV_ENCODINGS = {"utf-8": "utf-8-sig", "gbk": "gb18030"}
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")


def headers(kind: Kind, lang: str) -> list[str]:
    fixed = [FIXED_HEADERS[key][0 if lang == "zh" else 1] for key in (UNIT_CODE, UNIT_NAME, MONTH)]
    return fixed + [c.header(lang) for c in kind.columns]


def rows(kind: Kind, units: pd.DataFrame, month: dt.date, lang: str) -> list[list[object]]:
    """The prefilled rows: each unit of the county whose tier level reports ``kind``, values blank."""
    mine = units[units["level"].isin(kind.levels)]
    name = "name_zh" if lang == "zh" else "name_en"
    return [[code, unit_name, month.strftime("%Y-%m"), *([None] * len(kind.columns))]
            for code, unit_name in zip(mine["code"], mine[name], strict=True)]


def file_name(kind: Kind, month: dt.date, fmt: str, lang: str) -> str:
    return f"{kind.name(lang) if lang == 'zh' else kind.code}-{month:%Y-%m}.{fmt}"


def build(kind: Kind, units: pd.DataFrame, month: dt.date, lang: str, fmt: str = "xlsx",
          encoding: str = "utf-8", due_day: int = DUE_DAY) -> bytes:
    """The template's bytes; its notes say the reports are due by ``due_day`` (the county's reporting day)."""
    if fmt == "csv":
        out = io.StringIO(newline="")
        writer = csv.writer(out)
        writer.writerow(headers(kind, lang))
        writer.writerows(rows(kind, units, month, lang))
        return out.getvalue().encode(CSV_ENCODINGS[encoding])
    return _workbook(kind, units, month, lang, due_day)


def _workbook(kind: Kind, units: pd.DataFrame, month: dt.date, lang: str, due_day: int) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = kind.name(lang)[:31]
    sheet.append(headers(kind, lang))
    for row in rows(kind, units, month, lang):
        sheet.append(row)
    last = sheet.max_row
    for cell in sheet[1]:
        cell.font, cell.fill = Font(bold=True), HEADER_FILL
    for position, width in enumerate([14, 28, 10] + [max(12, len(c.header(lang)) * 2) for c in kind.columns], 1):
        sheet.column_dimensions[get_column_letter(position)].width = width
    sheet.freeze_panes = "D2"
    for position, column in enumerate(kind.columns, 4):
        cells = f"{get_column_letter(position)}2:{get_column_letter(position)}{max(last, 2)}"
        if column.type == "flag":
            rule = DataValidation(type="list", formula1='"1,0"', allow_blank=True)
        else:
            rule = DataValidation(type="whole" if column.type == "integer" else "decimal", operator="between",
                                  formula1=str(column.min), formula2=str(column.max), allow_blank=True)
        rule.error = i18n.t("ingest.template.range", lang, low=column.min, high=column.max)
        rule.showErrorMessage = True
        sheet.add_data_validation(rule)
        rule.add(cells)
    notes = book.create_sheet(i18n.t("ingest.template.notes", lang))
    notes.append([i18n.t("ingest.template.intro", lang, kind=kind.name(lang), month=month.strftime("%Y-%m"),
                         day=due_day)])
    notes.append([i18n.t("ingest.template.column", lang), i18n.t("ingest.template.accepts", lang)])
    for column in kind.columns:
        notes.append([column.header(lang), i18n.t(f"ingest.template.type.{column.type}", lang,
                                                  low=values.plain(column.min), high=values.plain(column.max))])
    notes.append([i18n.t("ingest.template.blank", lang)])
    notes.column_dimensions["A"].width, notes.column_dimensions["B"].width = 36, 60
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
