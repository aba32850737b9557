"""Overview (default page): the banner's headline indicators on one screen."""

from ui import placeholder
from ui.frame import enter

frame = enter()  # first: makes sure app.py's frame surrounds this run (see ui/frame.py)
placeholder.page(frame, "overview")
