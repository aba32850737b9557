"""Users: added with a role and a scope, signed in with an argon2-hashed password, locked after failures.

Every change is audited in the same transaction (lib.access.audit). A wrong name costs as much time as a
wrong password (a dummy hash is checked), so sign-in does not tell which names exist.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from typing import Literal

import pandas as pd
import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.engine import Connection

from lib import i18n
from lib.access import audit
from lib.access.settings import Settings
from lib.access.viewer import AccessError, Viewer
from lib.kpi import measures
from lib.store import counties, db
from lib.store.counties import CountyRef
from lib.store.models import AccessRole, AccessUser, County

HASHER = PasswordHasher()
MIN_PASSWORD = 8


@functools.cache  # made when first needed: an argon2 hash costs ~0.1 s, which every import would pay
def _dummy() -> str:
    """A hash to check a password against when the user does not exist, so both take the same time."""
    return HASHER.hash("not a password of anyone")


class AccountError(ValueError):
    """A user or token that cannot be added or changed as asked: a catalogue key and its fields, so the
    admin page says why in the reader's language (the CLI in English)."""

    def __init__(self, key: str, **fields: object) -> None:
        self.key, self.fields = key, fields
        super().__init__(i18n.t(key, "en", **fields))

    def text(self, lang: str) -> str:
        return i18n.t(self.key, lang, **self.fields)


@dataclass(frozen=True)
class Role:
    code: str
    name_zh: str
    name_en: str
    reach: str  # county | area | unit | scoped
    may_publish: bool
    may_upload: bool
    may_admin: bool
    interactive: bool


def roles(conn: Connection) -> dict[str, Role]:
    """The store's roles by code."""
    rows = conn.execute(sa.select(*(getattr(AccessRole, f) for f in Role.__dataclass_fields__))).all()
    return {r.code: Role(*r) for r in rows}


def _unit_codes(conn: Connection, county_id: int | None, area: str | None, unit: str | None) -> frozenset[str]:
    units = measures.facilities(conn, county_id)
    if unit is not None:
        return frozenset(units.loc[units["code"] == unit, "code"])
    return frozenset(units.loc[units["area"] == area, "code"])


def viewer_for(conn: Connection, role: Role, name: str, area: str | None, unit: str | None,
               county_id: int | None, *, kiosk: bool = False) -> Viewer:
    """The viewer of a role and scope: the units it sees read from the registry now, so a unit moved to
    another area moves with it; confined to the county ``county_id`` (None: every county)."""
    county = None if county_id is None else counties.of_id(conn, county_id).code
    units = None if role.reach == "county" and not (area or unit) else _unit_codes(conn, county_id, area, unit)
    return Viewer(name=name, role=role.code, units=units, county=county, may_publish=role.may_publish,
                  may_upload=role.may_upload, may_admin=role.may_admin, kiosk=kiosk)


def confined_to(conn: Connection, county: str | None, area: str | None, unit: str | None) -> CountyRef | None:
    """The county a user or screen is confined to: the one named, or, for an area or unit scope, the store's
    only county (codes are unique per county only: with several, the county must be named); None: every
    county."""
    if county is not None:
        try:
            return counties.resolve(conn, county)
        except counties.UnknownCountyError as unknown:
            raise AccountError("access.error.no_county", county=county, loaded=", ".join(unknown.known)) from None
    if not (area or unit):
        return None
    loaded = counties.listed(conn)
    if len(loaded) > 1:
        raise AccountError("access.error.needs_county", loaded=", ".join(c.code for c in loaded))
    return loaded[0] if loaded else None


def check_area(conn: Connection, county: CountyRef | None, area: str | None, unit: str | None = None) -> None:
    """Refuse an area or unit that the county (None: the store) does not have."""
    units = measures.facilities(conn, None if county is None else county.id)
    if area and area not in set(units["area"]):
        raise AccountError("access.error.no_area", area=area)
    if unit and unit not in set(units["code"]):
        raise AccountError("access.error.no_unit", unit=unit)


def _check_scope(conn: Connection, role: Role, area: str | None, unit: str | None, county: CountyRef | None) -> None:
    needs = {"county": (), "area": ("area",), "unit": ("unit",), "scoped": ("area", "unit")}[role.reach]
    given = [k for k, v in (("area", area), ("unit", unit)) if v]
    if role.reach == "county" and given:
        raise AccountError("access.error.county_role", role=role.code)
    if role.reach != "county" and (len(given) != 1 or given[0] not in needs):
        raise AccountError("access.error.needs_scope", role=role.code, needs=" / ".join(f"--{k}" for k in needs))
    check_area(conn, county, area, unit)


RIGHTS = ("may_publish", "may_upload", "may_admin")


def grantable(role: Role, grantor: Viewer | None) -> bool:
    """Whether ``grantor`` may give (or change a holder of) ``role``: not a right it lacks itself, so a leader
    cannot make an operations-centre account to publish through. None: the server's command line, which may."""
    return grantor is None or all(getattr(grantor, right) or not getattr(role, right) for right in RIGHTS)


def _valid_role(conn: Connection, role: str, area: str | None, unit: str | None, county: str | None,
                grantor: Viewer | None) -> int | None:
    """Refuse a role or scope that cannot be given; returns the id of the county it is confined to."""
    known = roles(conn)
    if role not in known or not known[role].interactive:
        raise AccountError("access.error.role", role=role,
                           roles=", ".join(c for c, r in known.items() if r.interactive))
    if not grantable(known[role], grantor):
        raise AccountError("access.error.grant", role=role)
    if grantor is not None and grantor.county is not None and county != grantor.county:
        raise AccountError("access.error.grant_county", county=grantor.county)
    confined = confined_to(conn, county, area, unit)
    _check_scope(conn, known[role], area, unit, confined)
    return None if confined is None else confined.id


def add(conn: Connection, name: str, role: str, password: str | None, *, area: str | None = None,
        unit: str | None = None, county: str | None = None, by: str, now: dt.datetime,
        grantor: Viewer | None = None) -> None:
    """Add a user; ``password`` None makes an account that signs in through the identity provider only.
    ``grantor``: the admin page's user, who may give only roles within its own rights."""
    name = name.strip()
    if not name or len(name) > 64:
        raise AccountError("access.error.name")
    if conn.execute(sa.select(AccessUser.id).where(AccessUser.name == name)).first():
        raise AccountError("access.error.exists", name=name)
    county_id = _valid_role(conn, role, area, unit, county, grantor)
    conn.execute(sa.insert(AccessUser).values(
        name=name, role=role, county_id=county_id, area_code=area, unit_code=unit, password_hash=_hash(password),
        active=True, failures=0, created_at=now))
    audit.record(conn, by=by, action="user.add", target=name,
                 detail=f"role={role} county={county or ''} area={area or ''} unit={unit or ''}", now=now)


def _hash(password: str | None) -> str | None:
    if password is None:
        return None
    if len(password) < MIN_PASSWORD:
        raise AccountError("access.error.password", n=MIN_PASSWORD)
    return HASHER.hash(password)


def _user(conn: Connection, name: str) -> sa.Row | None:
    return conn.execute(sa.select(AccessUser.__table__).where(AccessUser.name == name.strip())).first()


def _existing(conn: Connection, name: str) -> sa.Row:
    row = _user(conn, name)
    if row is None:
        raise AccountError("access.error.no_user", name=name)
    return row


def change(conn: Connection, name: str, *, by: str, now: dt.datetime, role: str | None = None,
           area: str | None = None, unit: str | None = None, county: str | None = None,
           active: bool | None = None, password: str | None = None, grantor: Viewer | None = None) -> None:
    """Change a user's role and scope (given together), active flag or password; audited. A ``grantor``
    changes only users whose role, before and after, is within its own rights."""
    user = _existing(conn, name)
    if not grantable(roles(conn)[user.role], grantor):
        raise AccountError("access.error.grant", role=user.role)
    if not _within(conn, user.county_id, grantor):
        raise AccountError("access.error.grant_county", county=grantor.county)
    values: dict[str, object] = {}
    if role is not None:
        county_id = _valid_role(conn, role, area, unit, county, grantor)
        values.update(role=role, county_id=county_id, area_code=area, unit_code=unit)
    if active is not None:
        values.update(active=active, failures=0, failed_since=None, locked_until=None)
    if password is not None:
        values.update(password_hash=_hash(password), failures=0, failed_since=None, locked_until=None)
    if not values:
        return
    conn.execute(sa.update(AccessUser).where(AccessUser.id == user.id).values(**values))
    shown = {k: v for k, v in values.items() if k in ("role", "county_id", "area_code", "unit_code", "active")}
    detail = " ".join(f"{k}={'' if v is None else v}" for k, v in shown.items())
    audit.record(conn, by=by, action="user.change", target=name,
                 detail=detail + (" password" if password is not None else ""), now=now)


def _within(conn: Connection, county_id: int | None, grantor: Viewer | None) -> bool:
    """Whether a user of the county ``county_id`` (None: every county) is within ``grantor``'s county."""
    if grantor is None or grantor.county is None:
        return True
    return county_id is not None and counties.of_id(conn, county_id).code == grantor.county


def listed(conn: Connection) -> pd.DataFrame:
    """Every user with role, county, scope, whether active and whether locked now (no hashes)."""
    u = AccessUser
    stmt = (sa.select(u.name, u.role, County.code.label("county"), u.area_code, u.unit_code, u.active,
                      u.locked_until, u.created_at).outerjoin(County, County.id == u.county_id).order_by(u.name))
    return db.read_frame(conn, stmt)


Failure = Literal["unknown", "locked", "disabled"]


@dataclass(frozen=True)
class SignIn:
    """What a sign-in attempt came to: a viewer, or why not (``failure``)."""

    viewer: Viewer | None
    failure: Failure | None = None


def authenticate(conn: Connection, name: str, password: str, settings: Settings, now: dt.datetime) -> SignIn:
    """Check a local password; count failures and lock the account after ``settings.max_failures`` within
    ``settings.failure_window``. Wrong name and wrong password fail alike ("unknown")."""
    user = _user(conn, name)
    if user is None or user.password_hash is None:
        _verify(_dummy(), password)
        return SignIn(None, "unknown")
    if user.locked_until is not None and user.locked_until > now:
        audit.record(conn, by=user.name, action="signin.locked", target=user.name, now=now)
        return SignIn(None, "locked")
    if not _verify(user.password_hash, password):
        return SignIn(None, "locked" if _failed(conn, user, settings, now) else "unknown")
    if not user.active:
        return SignIn(None, "disabled")
    conn.execute(sa.update(AccessUser).where(AccessUser.id == user.id)
                 .values(failures=0, failed_since=None, locked_until=None))
    audit.record(conn, by=user.name, action="signin", target=user.name, now=now)
    return SignIn(viewer(conn, user.name))


def _verify(hashed: str, password: str) -> bool:
    try:
        return HASHER.verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return False


def _failed(conn: Connection, user: sa.Row, settings: Settings, now: dt.datetime) -> bool:
    """Count a wrong password; True if it locked the account."""
    fresh = user.failed_since is None or now - user.failed_since > settings.failure_window
    failures = 1 if fresh else user.failures + 1
    locks = failures >= settings.max_failures
    conn.execute(sa.update(AccessUser).where(AccessUser.id == user.id).values(
        failures=0 if locks else failures, failed_since=None if locks else (now if fresh else user.failed_since),
        locked_until=now + settings.lockout if locks else user.locked_until))
    if locks:
        audit.record(conn, by=user.name, action="signin.lockout", target=user.name,
                     detail=f"{failures} failures", now=now)
    return locks


def viewer(conn: Connection, name: str) -> Viewer:
    """The viewer of an active user by name (the CLIs' ``--as``, an OIDC e-mail, a session's next run);
    raises AccessError for an unknown or disabled one."""
    user = _user(conn, name)
    if user is None or not user.active:
        raise AccessError(f"no active user {name!r}")
    return viewer_for(conn, roles(conn)[user.role], user.name, user.area_code, user.unit_code, user.county_id)
