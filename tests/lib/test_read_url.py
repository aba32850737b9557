"""Where the pages read (lib.store.db.read_url): the read URL when one is set, else the store's own."""

from __future__ import annotations

from pathlib import Path

import pytest

from lib.store import db


@pytest.fixture
def secrets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A secrets file of the test's own, no URL in the environment."""
    monkeypatch.setattr(db, "SECRETS", tmp_path / "secrets.toml")
    monkeypatch.delenv("COCKPIT_DB_URL", raising=False)
    monkeypatch.delenv("COCKPIT_DB_READ_URL", raising=False)
    return db.SECRETS


def test_without_a_read_url_the_pages_read_the_store(secrets: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert db.read_url() == db.resolve_url()
    monkeypatch.setenv("COCKPIT_DB_URL", "postgresql://cockpit@db1/cockpit")
    assert db.read_url() == "postgresql+psycopg://cockpit@db1/cockpit"


def test_the_read_url_from_secrets_then_the_environment(secrets: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secrets.write_text('[connections.cockpit]\nurl = "postgresql://cockpit@db1/cockpit"\n'
                       '[connections.cockpit_read]\nurl = "postgresql://reader@db2/cockpit"\n')
    assert db.read_url() == "postgresql+psycopg://reader@db2/cockpit"
    assert db.resolve_url() == "postgresql+psycopg://cockpit@db1/cockpit"  # writes keep the primary
    monkeypatch.setenv("COCKPIT_DB_READ_URL", "postgresql://reader@db3/cockpit")
    assert db.read_url() == "postgresql+psycopg://reader@db3/cockpit"
