"""The counties a store holds, and which one a page, command or engine is about.

A store may hold several counties (a region's banners side by side); every reader that is about one county
takes it as a code and resolves it here, once. No code means the store's first county, which is the county
of a store that holds one.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from lib.store.models import County

PARAM = "county"  # the URL parameter naming the county a page shows (?county=CODE), in links and views


@dataclass(frozen=True)
class CountyRef:
    """A loaded county: what readers need to scope their queries and name it."""

    id: int
    code: str
    name_zh: str
    name_en: str
    residents: float

    def name(self, lang: str) -> str:
        return self.name_en if lang == "en" else self.name_zh


class UnknownCountyError(LookupError):
    """A county code that is not loaded in this store: says which are."""

    def __init__(self, code: str, known: list[str]) -> None:
        self.code, self.known = code, known
        super().__init__(f"county {code!r} is not loaded in this store (loaded: {', '.join(known) or 'none'}); "
                         "load its registry first: python -m lib.registry load FILE")


_COLUMNS = (County.id, County.code, County.name_zh, County.name_en, County.resident_population)


def _ref(row: sa.Row) -> CountyRef:
    return CountyRef(row.id, row.code, row.name_zh, row.name_en, float(row.resident_population))


def listed(conn: Connection) -> list[CountyRef]:
    """Every loaded county, in the order they were loaded."""
    return [_ref(r) for r in conn.execute(sa.select(*_COLUMNS).order_by(County.id))]


def of_id(conn: Connection, county_id: int) -> CountyRef:
    """The county stored under ``county_id`` (a foreign key's value: it exists)."""
    return _ref(conn.execute(sa.select(*_COLUMNS).where(County.id == county_id)).one())


def resolve(conn: Connection, county: str | None = None) -> CountyRef:
    """The county with administrative code ``county``, or the store's first one (None). Raises UnknownCountyError
    for a code not loaded, and for an empty store."""
    query = sa.select(*_COLUMNS).order_by(County.id).limit(1)
    if county is not None:
        query = query.where(County.code == county)
    row = conn.execute(query).first()
    if row is None:
        raise UnknownCountyError(county or "", [c.code for c in listed(conn)])
    return _ref(row)

