"""A stand-in for ``lib.demo`` where a test is about the first-start machinery, not the demo data.

A real scale-1 demo build takes tens of seconds (lib.demo's own tests cover it, marked slow).
"""

from __future__ import annotations

import sys
import types
from collections.abc import Callable

import pytest
import sqlalchemy as sa

import lib

Generate = Callable[..., dict[str, int]]
HALF_WAY = "demo: half way"


def install(monkeypatch: pytest.MonkeyPatch, generate: Generate) -> None:
    """Make ``from lib import demo`` return a module whose generate() is ``generate``."""
    stub = types.SimpleNamespace(generate=generate)
    monkeypatch.setitem(sys.modules, "lib.demo", stub)
    monkeypatch.setattr(lib, "demo", stub, raising=False)


def recording(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Install a generate() that reports half way and records the URL of each store it was given."""
    calls: list[str] = []

    def generate(engine: sa.Engine, *, scale: float, progress: Callable[[float, str], None]) -> dict[str, int]:
        calls.append(str(engine.url))
        progress(0.5, HALF_WAY)
        return {}

    install(monkeypatch, generate)
    return calls
