"""What is wrong with a file, said where it is (file, sheet, row, column, value) and why, in either language.

Validation collects every problem it finds (up to ``CAP``) instead of stopping at the first, so a clerk
fixes a file once; a problem is data (a reason key and its parameters), rendered only when shown.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lib import i18n

CAP = 200  # problems reported per file; more are counted, not listed


@dataclass(frozen=True)
class Problem:
    """One reason to refuse a file; ``reason`` is an i18n key under ``ingest.problem.``."""

    file: str
    reason: str
    sheet: str = ""
    row: int | None = None  # the row as the spreadsheet numbers it (the header is row 1 in a template)
    column: str = ""  # the header as written in the file
    value: str = ""
    params: dict[str, object] = field(default_factory=dict)

    def where(self, lang: str) -> str:
        parts = [self.file]
        if self.sheet:
            parts.append(i18n.t("ingest.where.sheet", lang, sheet=self.sheet))
        if self.row is not None:
            parts.append(i18n.t("ingest.where.row", lang, row=self.row))
        if self.column:
            parts.append(i18n.t("ingest.where.column", lang, column=self.column))
        return i18n.t("ingest.where.sep", lang).join(parts)

    def why(self, lang: str) -> str:
        """The reason alone; a parameter given in both languages ({"zh": ..., "en": ...}) reads in ``lang``."""
        params = {k: v[lang] if isinstance(v, dict) else v for k, v in self.params.items()}
        return i18n.t(f"ingest.problem.{self.reason}", lang, **params)

    def message(self, lang: str) -> str:
        """The whole sentence: where, the value if any, and why."""
        why = self.why(lang)
        if self.value:
            return i18n.t("ingest.message.value", lang, where=self.where(lang), value=self.value, why=why)
        return i18n.t("ingest.message", lang, where=self.where(lang), why=why)


class Refused(Exception):  # noqa: N818 - a refusal is an outcome of checking, not a programming error
    """The file is refused; nothing was written. ``problems`` lists why, ``more`` counts those not listed."""

    def __init__(self, problems: list[Problem], more: int = 0) -> None:
        super().__init__(f"{len(problems) + more} problem(s)")
        self.problems = problems
        self.more = more

    def lines(self, lang: str) -> list[str]:
        lines = [p.message(lang) for p in self.problems]
        if self.more:
            lines.append(i18n.t("ingest.problem.more", lang, n=self.more))
        return lines


class Collector:
    """Problems of one file, capped at ``CAP``; ``refuse_if_any`` raises them together."""

    def __init__(self, file: str, sheet: str = "") -> None:
        self.file, self.sheet = file, sheet
        self.problems: list[Problem] = []
        self.more = 0

    def add(self, reason: str, *, row: int | None = None, column: str = "", value: object = "",
            **params: object) -> None:
        if len(self.problems) >= CAP:
            self.more += 1
            return
        shown = "" if value is None else str(value)
        self.problems.append(Problem(self.file, reason, self.sheet, row, column, shown[:60], params))

    def refuse_if_any(self) -> None:
        if self.problems:
            raise Refused(self.problems, self.more)


def refuse(file: str, reason: str, **params: object) -> Refused:
    """A refusal of the whole file for one reason (empty, binary, too large ...)."""
    return Refused([Problem(file, reason, params=params)])
