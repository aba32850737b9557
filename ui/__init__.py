"""Streamlit-aware helpers for the pages: the frame, cached data access and shared widgets.

lib/ stays free of Streamlit so it can be tested and scripted on its own; everything that needs a
script run context lives here.
"""
