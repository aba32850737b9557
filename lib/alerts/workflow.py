"""Alerts as people work them: a subject (a signal, a rule breach) moves through its states, each step a
row kept with who, when and a note, the subject keeping its latest state; closing one says why.

Signals (lib.alerts.signals, CIDARS's response) and breaches (lib.alerts.breaches) are two workflows of
this one shape: their own tables and states, the same rules for a step.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from lib.store import db


class StepRefused(ValueError):  # noqa: N818 - a refused step is an answer to the user, not a bug
    """A step the workflow does not allow (``reason`` is an i18n key under ``alerts.refused.``); for a step
    not open from the subject's state, ``state`` and the steps that are (``allowed``)."""

    def __init__(self, reason: str, state: str = "", allowed: tuple[str, ...] = ()) -> None:
        super().__init__(reason)
        self.reason, self.state, self.allowed = reason, state, allowed


@dataclass(frozen=True)
class Workflow:
    """``subject``: a model with id, state, state_at, state_by, note; ``steps``: a model with the subject's
    id in column ``key``, and state, at, by, note; ``next``: state → the steps open from it; ``closing``:
    the steps that need a note."""

    subject: Any
    steps: Any
    key: str
    next: Mapping[str, tuple[str, ...]]
    closing: tuple[str, ...]

    @property
    def open(self) -> tuple[str, ...]:
        """The states someone still has to act on."""
        return tuple(state for state, steps in self.next.items() if steps)

    def respond(self, conn: Connection, subject_id: int, state: str, *, by: str, note: str,
                now: dt.datetime) -> None:
        """Move the subject to ``state``, recording the step; StepRefused if the workflow does not allow it."""
        by, note = by.strip(), note.strip()
        if not by:
            raise StepRefused("no_name")
        s = self.subject
        current = conn.execute(sa.select(s.state).where(s.id == subject_id)).scalar()
        if current is None:
            raise StepRefused("not_found")
        if state not in self.next[current]:
            raise StepRefused("not_allowed", current, self.next[current])
        if state in self.closing and not note:
            raise StepRefused("no_note")  # closing says why
        conn.execute(sa.insert(self.steps), {self.key: subject_id, "state": state, "at": now, "by": by, "note": note})
        conn.execute(sa.update(s).where(s.id == subject_id).values(state=state, state_at=now, state_by=by, note=note))

    def history(self, conn: Connection, subject_id: int) -> pd.DataFrame:
        """Every step taken on the subject, oldest first: state, at, by, note."""
        r = self.steps
        return db.read_frame(conn, sa.select(r.state, r.at, r.by, r.note)
                             .where(getattr(r, self.key) == subject_id).order_by(r.id))
