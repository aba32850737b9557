"""Information centres: build-out and activity of the ten information centres."""

from ui import data, placeholder
from ui.frame import enter

frame = enter()  # first: makes sure app.py's frame surrounds this run (see ui/frame.py)
placeholder.draw(frame, "centres", data.facility_counts(frame.lang))
