"""Meeting mode: the month's assessment as full-screen slides (opening summary, then one peer group each)."""

import datetime as dt

from ui import meeting
from ui.frame import enter

frame = enter()  # first: makes sure app.py's frame surrounds this run (see ui/frame.py)
meeting.page(frame, dt.date.today())
