"""Entry point: ``streamlit run app.py``. Everything lives in the frame, shared with the pages."""

from ui.frame import route

route()
