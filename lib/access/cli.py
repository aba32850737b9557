"""``--as NAME`` for the command-line tools: the same viewer, and the same refusals, as the app's.

A command run with ``--as`` acts for that user: ``python -m lib.kpi show`` is refused (exit 3) for a scope
holding units the user does not see, ``python -m lib.scoring publish`` unless the user's role publishes.
Without ``--as`` the tools act as the store's owner, as before (they run on the server, not in a browser).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from lib.access import accounts
from lib.access.viewer import AccessError, Viewer
from lib.kpi import measures
from lib.kpi.engine import Scope
from lib.store import db

REFUSED = 3  # exit status of a command refused for the user it runs as


def viewer_as(url: str | None, name: str) -> Viewer:
    """The active user ``name``'s viewer in the store at ``url`` (raises AccessError)."""
    with db.engine(db.resolve_url(url)).connect() as conn:
        return accounts.viewer(conn, name)


def unless_publisher(url: str | None, name: str | None, what: str) -> int | None:
    """None if the command may go on (no ``--as``, or a user whose role publishes), else the refusal's status."""
    if name is None:
        return None
    try:
        viewer = viewer_as(url, name)
    except AccessError as exc:
        return refuse(str(exc))
    return None if viewer.may_publish else refuse(f"{viewer.name} ({viewer.role}) may not {what}")


def refuse(message: str) -> int:
    print(f"refused: {message}", file=sys.stderr)
    return REFUSED


def kpi_show(argv: Sequence[str], run: Callable[[Sequence[str]], int]) -> int:
    """``python -m lib.kpi`` with ``--as NAME``: the scope asked for is checked against the user's before
    ``run`` (lib.kpi.engine.main) is given the rest of the arguments."""
    peek = argparse.ArgumentParser(add_help=False)
    peek.add_argument("--as", dest="as_name")
    peek.add_argument("--db")
    for kind in ("area", "community", "facility"):
        peek.add_argument(f"--{kind}")
    known, _ = peek.parse_known_args(argv)
    if known.as_name is None:
        return run(argv)
    rest = list(argv)
    at = next(i for i, arg in enumerate(rest) if arg == "--as" or arg.startswith("--as="))
    del rest[at:at + (1 if "=" in rest[at] else 2)]
    try:
        viewer = viewer_as(known.db, known.as_name)
    except AccessError as exc:
        return refuse(str(exc))
    scope = next((Scope(k, (getattr(known, k),)) for k in ("area", "community", "facility") if getattr(known, k)),
                 Scope())
    with db.engine(db.resolve_url(known.db)).connect() as conn:
        units = measures.facilities(conn)
    if not viewer.permits(scope, units):
        return refuse(f"{viewer.name} ({viewer.role}) does not see {scope.label}")
    return run(rest)
