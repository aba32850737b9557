"""Referrals: up, down and out-of-county referrals and their closure."""

from ui import placeholder
from ui.frame import enter

frame = enter()  # first: makes sure app.py's frame surrounds this run (see ui/frame.py)
placeholder.page(frame, "referrals")
