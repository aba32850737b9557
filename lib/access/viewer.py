"""The viewer: who is looking and which units they see at unit level. Every scoped query takes one.

County totals are everyone's; a unit's own figures, its place in a league and its dot on a map are shown
only to viewers whose ``units`` hold its code (``None``: every unit). A scope naming units outside them
(an area, a community, a hand-edited URL) is refused, never silently widened. In a store of several
counties a viewer may be confined to one (``county``): every page shows that county, whatever the URL.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from lib.kpi.engine import Scope


class AccessError(Exception):
    """The viewer may not see or do this; the message says what, in the viewer's terms."""


@dataclass(frozen=True)
class Viewer:
    """Hashable, so it can be part of a cache key: two viewers with the same units share cached reads."""

    name: str = ""
    role: str = "open"  # "open": sign-in is off (the demo), everything is shown
    units: frozenset[str] | None = None  # unit codes (of ``county``) seen at unit level; None: all of them
    county: str | None = None  # the county code it is confined to; None: any county of the store
    may_publish: bool = True
    may_upload: bool = True
    may_admin: bool = True
    kiosk: bool = False

    @property
    def sees_all(self) -> bool:
        return self.units is None

    def sees_county(self, code: str | None) -> bool:
        """Whether the county ``code`` may be shown at all."""
        return self.county is None or code == self.county

    def allows(self, code: str | None) -> bool:
        """Whether the unit ``code`` may be shown at unit level."""
        return self.units is None or code in self.units

    def ids(self, units: pd.DataFrame) -> list[int] | None:
        """The facility ids this viewer sees among ``units`` (lib.kpi.measures.facilities); None: all."""
        if self.units is None:
            return None
        return [int(i) for i in units.index[units["code"].isin(self.units)]]

    def narrow_ids(self, ids: Iterable[int] | None, units: pd.DataFrame) -> list[int] | None:
        """``ids`` (None: the county) cut to the units this viewer sees."""
        mine = self.ids(units)
        if mine is None:
            return None if ids is None else list(ids)
        seen = set(mine)
        return mine if ids is None else [i for i in ids if i in seen]

    def permits(self, scope: Scope, units: pd.DataFrame) -> bool:
        """A county total always; any other scope only if every unit in it is the viewer's."""
        if self.units is None or scope.kind == "county":
            return True
        members = units.loc[scope.members(units), "code"]
        return len(members) > 0 and bool(members.isin(self.units).all())

    def keep(self, frame: pd.DataFrame, column: str = "code") -> pd.DataFrame:
        """The rows of a unit-level table whose ``column`` names a unit this viewer sees."""
        return frame if self.units is None else frame[frame[column].isin(self.units)]


OPEN = Viewer()  # sign-in off: the demo as it always was
