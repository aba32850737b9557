"""A drop folder for the nightly exports of health intranets (前置机): each new file is taken once it has
stopped growing, loaded (monthly report or events) and moved to done/ or rejected/ with a report beside it.

A file still being written is never taken: it must keep the same size and modification time across two
looks ``settle`` seconds apart, and names a copier uses for partial files (``*.part``, ``*.tmp``, ``~$*``,
dot files) are skipped.
A monthly report's month comes from its 月份 column or its name (…2026-10…), lib.ingest.monthly.month_of.
"""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from lib import i18n
from lib.ingest.problems import Refused

PARTIAL = re.compile(r"(^\.|^~\$|\.(part|tmp|crdownload)$)", re.IGNORECASE)
TAKEN = (".xlsx", ".csv", ".jsonl", ".json")


@dataclass(frozen=True)
class Result:
    file: str
    accepted: bool
    lines: tuple[str, ...]


class DropFolder:
    """A folder looked at again and again; each look takes the files unchanged since the look before."""

    def __init__(self, folder: Path, load: Callable[[Path], list[str]], lang: str) -> None:
        self.folder, self.load, self.lang = folder, load, lang
        self.seen: dict[Path, tuple[int, float]] = {}
        for name in ("done", "rejected"):
            (folder / name).mkdir(exist_ok=True)

    def look(self) -> list[Result]:
        """Take every file that is ready: ``load`` returns the lines to report or raises Refused."""
        return [self._take(path) for path in self._ready()]

    def _ready(self) -> list[Path]:
        now: dict[Path, tuple[int, float]] = {}
        for path in sorted(self.folder.iterdir()):
            if path.is_file() and path.suffix.lower() in TAKEN and not PARTIAL.search(path.name):
                stat = path.stat()
                now[path] = (stat.st_size, stat.st_mtime)
        stable = [p for p, look in now.items() if self.seen.get(p) == look]
        self.seen = {p: look for p, look in now.items() if p not in stable}
        return stable

    def _take(self, path: Path) -> Result:
        try:
            lines, accepted = self.load(path), True
        except Refused as refused:
            lines, accepted = [i18n.t("ingest.refused", self.lang, file=path.name,
                                      n=len(refused.problems) + refused.more), *refused.lines(self.lang)], False
        target = self.folder / ("done" if accepted else "rejected") / path.name
        if target.exists():
            target = target.with_name(f"{path.stem}-{time.strftime('%Y%m%d%H%M%S')}{path.suffix}")
        shutil.move(path, target)
        target.with_name(target.name + ".report.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
        return Result(path.name, accepted, tuple(lines))
