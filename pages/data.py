"""Data & quality: sources, freshness, quality checks and the registry import."""

from ui import data, placeholder
from ui.frame import enter

frame = enter()  # first: makes sure app.py's frame surrounds this run (see ui/frame.py)
placeholder.draw(frame, "data", data.facility_counts(frame.lang))
