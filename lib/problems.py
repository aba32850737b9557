"""The one error for input that cannot be used: every problem named, nothing written."""

from __future__ import annotations

from pathlib import Path


class InputError(ValueError):
    """Bad input (a registry, catalogue, targets or weights file...): ``problems`` names, for each one,
    the row and field and why, so a user can fix the file in one pass; the caller has written nothing."""

    def __init__(self, source: str | Path, problems: list[str]) -> None:
        self.source = str(source)
        self.problems = problems
        super().__init__(f"{source}: {len(problems)} problem(s), nothing written:\n  " + "\n  ".join(problems))
