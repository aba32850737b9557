"""Resource sinking: doctors' days at the grassroots, stationed physicians, village ECG."""

from ui import placeholder
from ui.frame import enter

frame = enter()  # first: makes sure app.py's frame surrounds this run (see ui/frame.py)
placeholder.page(frame, "sinking")
