"""Entry point: ``streamlit run app.py``. Everything lives in the frame, shared with the pages.

The file is read twice, for two reasons. ``streamlit run`` finds the ``st.App`` below and imports this
file as the module ``app`` to serve it (Streamlit's documented ASGI entry); its lifespan starts building
the demo store as the server starts, before any browser connects. Each session's run then executes this
file as ``__main__`` (so do AppTest and a run of ``streamlit run`` on an older Streamlit), which draws
the page.
"""

import streamlit as st

from ui.first_start import lifespan
from ui.frame import route

if __name__ == "__main__":
    route()
else:
    app = st.App(__file__, lifespan=lifespan)
