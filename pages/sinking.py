"""Resource sinking: doctors' days at the grassroots, stationed physicians, village ECG."""

from ui import data, placeholder
from ui.frame import enter

frame = enter()  # first: makes sure app.py's frame surrounds this run (see ui/frame.py)
placeholder.draw(frame, "sinking", data.facility_counts(frame.lang))
