"""Shared AppTest helpers for page tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from lib import db


@pytest.fixture
def open_page(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Open pages/<name>.py on a store with URL parameters; fresh caches, no exception allowed."""

    def _open(url: str, name: str | None, **params: str) -> AppTest:
        monkeypatch.setenv("COCKPIT_DB_URL", url)
        st.cache_data.clear()
        at = AppTest.from_file(str(db.ROOT / "app.py"), default_timeout=60)
        for key, value in params.items():
            at.query_params[key] = value
        at.run()
        if name is not None:  # None: stay on the default page (the overview)
            at.switch_page(f"pages/{name}.py").run()
        assert not at.exception, [e.value for e in at.exception]
        return at

    yield _open
    st.cache_data.clear()
