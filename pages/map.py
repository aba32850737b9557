"""Map: facilities inside the banner boundary and the referral flows between them."""

from ui import placeholder
from ui.frame import enter

frame = enter()  # first: makes sure app.py's frame surrounds this run (see ui/frame.py)
placeholder.page(frame, "map")
