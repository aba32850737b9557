"""Build or upgrade a store to the newest schema, through Alembic only."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from lib.store import db


def _config(url: str) -> Config:
    cfg = Config(str(db.ROOT / "alembic.ini"))
    cfg.attributes["url"] = url
    return cfg


def upgrade(url: str | None = None) -> None:
    """Migrate the store at ``url`` (default: the configured one) to head."""
    command.upgrade(_config(db.resolve_url(url)), "head")


def is_current(url: str | None = None) -> bool:
    """True when the store exists and sits at the newest revision."""
    resolved = db.resolve_url(url)
    head = ScriptDirectory.from_config(_config(resolved)).get_current_head()
    with db.engine(resolved).connect() as conn:
        return MigrationContext.configure(conn).get_current_revision() == head
