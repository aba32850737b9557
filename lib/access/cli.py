"""``--as NAME`` for the command-line tools: the same viewer, and the same refusals, as the app's.

A command run with ``--as`` acts for that user: ``python -m lib.kpi show`` is refused (exit 3) for a scope
holding units the user does not see, ``python -m lib.scoring publish`` unless the user's role publishes.
Without ``--as`` the tools act as the store's owner, as before (they run on the server, not in a browser).
"""

from __future__ import annotations

import sys

from lib.access import accounts
from lib.access.viewer import AccessError, Viewer
from lib.kpi import measures
from lib.kpi.engine import Scope
from lib.store import counties, db

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


def unless_sees(url: str | None, name: str, scope: Scope, county: str | None) -> int | None:
    """None if the user ``name`` sees the county (None: the store's first) and every unit of ``scope`` in it (a
    county total always), else the refusal's status."""
    try:
        viewer = viewer_as(url, name)
    except AccessError as exc:
        return refuse(str(exc))
    with db.engine(db.resolve_url(url)).connect() as conn:
        place = counties.resolve(conn, county)
        units = measures.facilities(conn, place.id)
    if not viewer.sees_county(place.code):
        return _refuse_county(viewer, place.code)
    return None if viewer.permits(scope, units) else refuse(f"{viewer.name} ({viewer.role}) does not see {scope.label}")


def unless_county(url: str | None, viewer: Viewer, county: str | None) -> int | None:
    """None if ``viewer`` may see the county ``county`` (None: the store's first), else the refusal's status."""
    if viewer.county is None:
        return None
    with db.engine(db.resolve_url(url)).connect() as conn:
        code = counties.resolve(conn, county).code
    return None if viewer.sees_county(code) else _refuse_county(viewer, code)


def _refuse_county(viewer: Viewer, code: str) -> int:
    return refuse(f"{viewer.name} ({viewer.role}) does not see county {code}")
