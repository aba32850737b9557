"""A file as a table of cells: xlsx (first sheet) or CSV in UTF-8 (with or without BOM), GBK/GB18030 or UTF-16.

Everything that makes a file unreadable is refused here, before any value is looked at: too large (said
before it is read), empty, binary, an old .xls, a workbook that will not open, merged cells, formulas
without a saved value, no header row, a header row with no data under it. The header is the first row
naming a known column, so a title or notes above it (often merged across the sheet) are left alone.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

import openpyxl
from openpyxl.utils.exceptions import InvalidFileException

from lib.ingest.kinds import header_index, normalise_header
from lib.ingest.problems import Collector, Problem, Refused, refuse

MAX_BYTES = 20 * 1024 * 1024  # a county's monthly report is a few hundred kB; a file far larger is not one
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # Excel 97-2003 (.xls) and WPS (.et) workbooks
TEXT_ENCODINGS = ("utf-8-sig", "gb18030")  # GB18030 reads GBK and GB2312 too
EMPTY = ("", "—", "-", "/", "n/a", "na")  # what a clerk writes for "not reported"


@dataclass(frozen=True)
class Table:
    """The header and data rows of one sheet, each row with the number the spreadsheet shows for it."""

    file: str
    sheet: str  # '' for CSV
    header: tuple[str, ...]
    header_row: int
    rows: tuple[tuple[int, tuple[object, ...]], ...]


def is_empty(cell: object) -> bool:
    return cell is None or (isinstance(cell, str) and cell.strip().casefold() in EMPTY)


def check_size(file: str, size: int, limit: int = MAX_BYTES) -> None:
    """Refuse a file by its size alone, before reading it."""
    if size > limit:
        raise refuse(file, "too_large", size_mb=round(size / 1024 / 1024, 1), limit_mb=limit // (1024 * 1024))
    if size == 0:
        raise refuse(file, "empty_file")


def read_path(path: Path, limit: int = MAX_BYTES) -> Table:
    check_size(path.name, path.stat().st_size, limit)
    return read(path.name, path.read_bytes())


def read(file: str, content: bytes) -> Table:
    """The table in ``content`` (named ``file`` in messages), or Refused."""
    check_size(file, len(content))
    if content.startswith(OLE_MAGIC):
        raise refuse(file, "old_excel")
    if content.startswith(ZIP_MAGIC):
        return _table(file, _workbook(file, content))
    return _table(file, _Sheet("", _text_rows(file, content), [], []))


def decode(file: str, content: bytes) -> str:
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode text" export
        return content.decode("utf-16")
    if b"\x00" in content[:8192]:
        raise refuse(file, "binary")
    for encoding in TEXT_ENCODINGS:
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise refuse(file, "encoding")


def _text_rows(file: str, content: bytes) -> list[tuple[int, tuple[object, ...]]]:
    text = decode(file, content)
    first = text.lstrip("\ufeff").split("\n", 1)[0]
    delimiter = max(",\t;", key=first.count) if any(d in first for d in ",\t;") else ","
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""), delimiter=delimiter)
    rows = []
    try:
        for cells in reader:
            rows.append((reader.line_num, tuple(cells)))
    except csv.Error as err:
        raise refuse(file, "bad_csv", line=reader.line_num, detail=str(err)) from None
    return rows


@dataclass(frozen=True)
class _Sheet:
    """A worksheet read: its rows, its merged ranges (first row, coordinates) and formulas with no value."""

    title: str
    rows: list[tuple[int, tuple[object, ...]]]
    merged: list[tuple[int, int, str]]  # (first row, last row, "A1:D1")
    formulas: list[tuple[int, str, str]]  # (row, cell, formula)


def _workbook(file: str, content: bytes) -> _Sheet:
    try:
        values = openpyxl.load_workbook(io.BytesIO(content), data_only=True)
        formulas = openpyxl.load_workbook(io.BytesIO(content), data_only=False)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError):
        raise refuse(file, "not_workbook") from None
    sheet, formula_sheet = values.worksheets[0], formulas.worksheets[0]
    merged = [(r.min_row, r.max_row, r.coord) for r in sheet.merged_cells.ranges]
    rows, missing = [], []
    for cells, written in zip(sheet.iter_rows(), formula_sheet.iter_rows(), strict=True):
        missing += [(c.row, c.coordinate, str(w.value)) for c, w in zip(cells, written, strict=True)
                    if w.data_type == "f" and c.value is None]
        rows.append((cells[0].row, tuple(c.value for c in cells)))
    return _Sheet(sheet.title, rows, merged, missing)


def _header_at(filled: list[tuple[int, tuple[object, ...]]]) -> int:
    """Where the header is: the first row naming a known column (a title or notes above it are skipped)."""
    known = header_index()
    for i, (_, cells) in enumerate(filled):
        if any(normalise_header(c) in known for c in cells if not is_empty(c)):
            return i
    return 0


def _table(file: str, sheet: _Sheet) -> Table:
    filled = [(n, cells) for n, cells in sheet.rows if not all(is_empty(c) for c in cells)]
    if not filled:
        raise refuse(file, "no_rows")
    at = _header_at(filled)
    header_row, header = filled[at]
    found = Collector(file, sheet.title)
    for first, last, coord in sheet.merged:
        if last >= header_row:  # a merged title above the header is how many reports look: kept
            found.add("merged", row=first, column=coord)
    for row, cell, formula in sheet.formulas:
        if row >= header_row:
            found.add("formula_no_value", row=row, column=cell, value=formula)
    found.refuse_if_any()
    names = tuple("" if c is None else str(c).strip() for c in header)
    body = tuple((n, cells) for n, cells in filled[at + 1:])
    if not body:
        raise Refused([Problem(file, "header_only", sheet.title, header_row)])
    return Table(file, sheet.title, names, header_row, body)
