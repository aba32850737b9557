"""Kiosk tokens: a wall screen opens its configured view with ``?kiosk=1&token=...``, no one signing in.

A token is 256 random bits (``secrets``), shown once when made; the store keeps only its SHA-256 (a
slow hash buys nothing against 256 bits), and a presented token is compared with every live one in
constant time (``hmac.compare_digest``). Revoking sets ``revoked_at``: the screen's next refresh finds no
live token and its session ends.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from lib.access import audit
from lib.access.accounts import AccountError, check_area, confined_to, roles, viewer_for
from lib.access.viewer import Viewer
from lib.store import counties, db
from lib.store.models import AccessKioskToken, County

TOKEN_BYTES = 32
NOT_ON_WALLS = frozenset({"admin"})  # a kiosk's viewer has no admin rights: its page is not there for it


@dataclass(frozen=True)
class Kiosk:
    """A live token's screen: its label, the view it opens (page and query) and the units it shows."""

    label: str
    page: str
    params: tuple[tuple[str, str], ...]
    viewer: Viewer


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def add(conn: Connection, label: str, view: str, *, area: str | None = None, county: str | None = None, by: str,
        now: dt.datetime, pages: tuple[str, ...]) -> str:
    """Make a token for the screen ``label`` opening ``view`` (``page`` or ``page?query``, page one of
    ``pages``), confined to ``county`` if named (or to the only county, for an area); returns the token,
    which is not kept and cannot be shown again."""
    label = label.strip()
    if not label or len(label) > 64:
        raise AccountError("access.error.label")
    if conn.execute(sa.select(AccessKioskToken.id).where(AccessKioskToken.label == label)).first():
        raise AccountError("access.error.label_exists", label=label)
    page = urlsplit(view).path.strip("/")
    if page not in pages or page in NOT_ON_WALLS:
        raise AccountError("access.error.page", page=page, pages=", ".join(pages))
    confined = confined_to(conn, county, area, None)
    check_area(conn, confined, area)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    conn.execute(sa.insert(AccessKioskToken).values(
        label=label, token_hash=_digest(token), view=view.strip("/"), county_id=confined and confined.id,
        area_code=area, created_at=now, created_by=by))
    audit.record(conn, by=by, action="token.add", target=label,
                 detail=f"view={view} county={county or ''} area={area or ''}", now=now)
    return token


def revoke(conn: Connection, label: str, *, by: str, now: dt.datetime) -> None:
    """End a token: its screen's next refresh is refused."""
    done = conn.execute(sa.update(AccessKioskToken).where(AccessKioskToken.label == label,
                                                          AccessKioskToken.revoked_at.is_(None))
                        .values(revoked_at=now))
    if done.rowcount == 0:
        raise AccountError("access.error.no_token", label=label)
    audit.record(conn, by=by, action="token.revoke", target=label, now=now)


def resolve(conn: Connection, token: str | None) -> Kiosk | None:
    """The screen of a live token, or None. Every live token is compared, in constant time each, so the
    answer's timing does not depend on how much of a guess was right."""
    if not token:
        return None
    presented = _digest(token)
    found = None
    for row in conn.execute(sa.select(AccessKioskToken.__table__).where(AccessKioskToken.revoked_at.is_(None))):
        if hmac.compare_digest(row.token_hash, presented):
            found = row
    if found is None:
        return None
    parts = urlsplit(found.view)
    viewer = viewer_for(conn, roles(conn)["kiosk"], found.label, found.area_code, None, found.county_id, kiosk=True)
    params = [(k, v) for k, v in parse_qsl(parts.query) if k != counties.PARAM or viewer.county is None]
    if viewer.county is not None:  # the screen's county, whatever its view or the URL says
        params.append((counties.PARAM, viewer.county))
    return Kiosk(found.label, parts.path, tuple(params), viewer)


def listed(conn: Connection) -> pd.DataFrame:
    """Every token's label, view, area, who made it and when, and when it was revoked (never the token)."""
    t = AccessKioskToken
    return db.read_frame(conn, sa.select(t.label, t.view, County.code.label("county"), t.area_code, t.created_by,
                                         t.created_at, t.revoked_at).outerjoin(County, County.id == t.county_id)
                         .order_by(t.created_at.desc()))
