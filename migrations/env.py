"""Alembic environment: one engine from lib.store.db, the metadata from lib.store.models."""

from alembic import context

from lib.store import db
from lib.store.models import Base

config = context.config
url = config.attributes.get("url") or db.resolve_url()


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    with db.engine(url).connect() as conn:
        context.configure(connection=conn, target_metadata=Base.metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()


run()
