"""The cockpit's colours with a meaning, in one place (issue #9 item 7, #10 item 2).

Status against a target: met / near / missed, grey where there is no target or no value. A change is
better or worse by the indicator's direction, neutral when nothing changed or the indicator has no
direction (counts, and the fund's execution, which rises through every year by design). Hex for CSS
and Altair, RGB lists for pydeck, both from the same definition.
"""

from __future__ import annotations

from typing import Literal

from lib import i18n

Status = Literal["met", "near", "missed"] | None

STATUS_HEX: dict[Status, str] = {"met": "#2ecc71", "near": "#f1c40f", "missed": "#e74c3c", None: "#8a94a6"}


def rgb(hex_colour: str) -> list[int]:
    """``"#2ecc71"`` → ``[46, 204, 113]`` (pydeck wants lists)."""
    return [int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)]


STATUS_RGB: dict[Status, list[int]] = {status: rgb(hex_colour) for status, hex_colour in STATUS_HEX.items()}
BETTER_HEX, WORSE_HEX, NEUTRAL_HEX = STATUS_HEX["met"], STATUS_HEX["missed"], STATUS_HEX[None]
# A quantity with no target to be judged against (a league total, a waterfall's start and end): blue,
# never the status colours, so a 99.66 total does not read as "missed".
SCORE_HEX = "#5b7db1"


def delta(direction: str | None, change: float | None, unit: str, lang: str) -> dict[str, str | None]:
    """``st.metric``'s delta arguments: the change as written, green when better and red when worse by the
    indicator's direction, grey when it has none; a change that reads as zero is grey, unsigned, arrowless."""
    if change is None:
        return {"delta": None}
    if i18n.reads_as_zero(change, unit, lang):
        return {"delta": i18n.fmt_change(0.0, unit, lang).lstrip("+"), "delta_color": "off", "delta_arrow": "off"}
    colour = "off" if direction not in ("up", "down") else "normal" if direction == "up" else "inverse"
    return {"delta": i18n.fmt_change(change, unit, lang), "delta_color": colour}


# A funnel plot's positions (lib.scoring.uncertainty): beyond 99.8%, beyond 95% only, inside; better and
# worse in the delta colours, the 95%-only band in their paler tones.
FUNNEL_HEX = {"above": BETTER_HEX, "above95": "#9cc5a1", "inside": SCORE_HEX, "below95": "#e8a29b", "below": WORSE_HEX}
