"""Insurance fund: global-budget execution and where the fund is spent."""

from ui import data, placeholder
from ui.frame import enter

frame = enter()  # first: makes sure app.py's frame surrounds this run (see ui/frame.py)
placeholder.draw(frame, "insurance", data.facility_counts(frame.lang))
