"""Public health: chronic-disease management, maternal care, family-doctor contracts."""

from ui import placeholder
from ui.frame import enter

frame = enter()  # first: makes sure app.py's frame surrounds this run (see ui/frame.py)
placeholder.page(frame, "public_health")
