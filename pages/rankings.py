"""Monthly rankings: member-unit scores across the five assessment systems, by peer group."""

from ui import placeholder
from ui.frame import enter

frame = enter()  # first: makes sure app.py's frame surrounds this run (see ui/frame.py)
placeholder.page(frame, "rankings")
