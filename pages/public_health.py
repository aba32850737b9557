"""Public health: chronic-disease management, maternal care, family-doctor contracts."""

from ui import data, placeholder
from ui.frame import enter

frame = enter()  # first: makes sure app.py's frame surrounds this run (see ui/frame.py)
placeholder.draw(frame, "public_health", data.facility_counts(frame.lang))
