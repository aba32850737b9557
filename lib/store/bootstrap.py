"""First start: fill the default SQLite store with the reference county and demo data, exactly once.

``pip install -r requirements.txt && streamlit run app.py`` must show a working cockpit, so the frame
calls this before navigation. Only the default file (``lib.store.db.DEFAULT_SQLITE``) is ever built: a
store named by COCKPIT_DB_URL or secrets belongs to someone else and is never touched.

The store is built in a side file and renamed into place, so a crash or a closed tab never leaves a
half-filled store that later runs would take for finished, and no session reads one. A lock file
makes concurrent first sessions wait for one builder instead of racing it.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from lib.events import rollup
from lib.kpi import catalogue
from lib.store import db, schema
from lib.store.models import County

Progress = Callable[[float, str], None]

# Share of the progress bar each step gets; the demo generator reports its own fraction inside its span.
_DEMO_START, _DEMO_END = 0.05, 0.95


def _sqlite_path(url: str) -> Path | None:
    parsed = sa.engine.make_url(url)
    if not parsed.drivername.startswith("sqlite") or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database).resolve()


def _has_county(url: str) -> bool:
    with db.engine(url).connect() as conn:
        if not sa.inspect(conn).has_table(County.__tablename__):
            return False
        return conn.execute(sa.select(sa.func.count()).select_from(County)).scalar_one() > 0


def needs_demo(url: str) -> bool:
    """True when ``url`` is the default SQLite file and that file is missing or holds no county."""
    path = _sqlite_path(url)
    if path is None or path != db.DEFAULT_SQLITE.resolve():
        return False
    return not path.exists() or not _has_county(url)


@contextlib.contextmanager
def _exclusive(lock: Path, progress: Progress) -> Iterator[None]:
    # flock locks belong to the open file, so they also exclude other sessions' threads in this
    # server process, and the kernel drops them if the process dies: no stale lock to clean up.
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            progress(0.0, "bootstrap.waiting")
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _sidecars(path: Path) -> list[Path]:
    return [path.with_name(path.name + suffix) for suffix in ("-wal", "-shm", "-journal")]


def load_reference(url: str) -> None:
    """Migrate the store at ``url`` and load the reference county's registry (no events yet)."""
    from lib import registry  # lazily, like lib.demo below: only first starts and fixtures need it

    schema.upgrade(url)
    with db.engine(url).begin() as conn:
        registry.load(conn, registry.DEFAULT_REGISTRY)


def build_demo_store(url: str, progress: Progress) -> None:
    """Build the SQLite store at ``url``: schema, reference registry, one scale-1 demo history.

    ``progress(fraction, message)`` receives fractions from 0 to 1; a message is an i18n key for the
    steps of this module, and free text passed through from the demo generator.
    """
    from lib import demo  # lazily: heavy, and only the first start needs it

    path = _sqlite_path(url)
    if path is None:
        raise ValueError(f"Only a SQLite file store can be built in place, not {url!r}")
    path.parent.mkdir(parents=True, exist_ok=True)
    with _exclusive(path.with_name(path.name + ".lock"), progress):
        if path.exists() and _has_county(url):
            return  # another session finished it while this one waited
        partial = path.with_name(path.name + ".partial")
        for stale in [partial, *_sidecars(partial)]:
            stale.unlink(missing_ok=True)
        partial_url = f"sqlite:///{partial}"
        progress(0.0, "bootstrap.registry")
        load_reference(partial_url)
        demo.generate(
            db.engine(partial_url),
            scale=1.0,
            progress=lambda f, msg: progress(_DEMO_START + (_DEMO_END - _DEMO_START) * f, msg),
        )
        progress(_DEMO_END, "bootstrap.finishing")
        with db.engine(partial_url).connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")  # everything into the main file
        db.engine(partial_url).dispose()
        # Pooled connections to the old (empty) file would keep reading it after the rename.
        db.engine(url).dispose()
        for stale in [*_sidecars(partial), *_sidecars(path)]:
            stale.unlink(missing_ok=True)
        partial.replace(path)
        progress(1.0, "bootstrap.done")


@dataclass
class Build:
    """A build running in a background thread, watched by any number of sessions.

    Not in the script run itself: Streamlit stops a running script at its next element call when the
    user clicks anything, which would cut a build of tens of seconds short and start it over.
    """

    url: str
    fraction: float = 0.0
    message: str = "bootstrap.registry"
    error: BaseException | None = None
    done: threading.Event = field(default_factory=threading.Event)

    def _report(self, fraction: float, message: str) -> None:
        self.fraction, self.message = fraction, message

    def _run(self) -> None:
        try:
            build_demo_store(self.url, self._report)
        except BaseException as exc:  # handed to whoever watches the build
            self.error = exc
        finally:
            self.done.set()


def start_build(url: str) -> Build:
    """Start :func:`build_demo_store` for ``url`` in a daemon thread and return its live status."""
    build = Build(url)
    threading.Thread(target=build._run, name="cockpit-demo-build", daemon=True).start()
    return build


def bring_current(url: str, progress: Progress | None = None) -> None:
    """An existing store after an upgrade of the app: migrations to head, the indicator catalogue, and the
    rollups rebuilt if the store holds events and they were built by other rollup declarations (or none
    recorded: a store from before migration 0004).

    All idempotent, each step its own transaction. Targets and weights are a county's own settings and
    are never overwritten here. ``progress(fraction, message)`` hears only of the slow steps, a migration
    (``bootstrap.schema``) and a rollup rebuild (``bootstrap.rollups``, 0 to 1), so a caller can show them;
    it is not called at all when the store was already current.
    """
    def say(fraction: float, message: str) -> None:
        if progress is not None:
            progress(fraction, message)

    if not schema.is_current(url):
        say(0.0, "bootstrap.schema")
        schema.upgrade(url)
    with db.engine(url).begin() as conn:
        if conn.execute(sa.select(sa.func.count()).select_from(County)).scalar_one():
            catalogue.sync_catalogue(conn)
    with db.engine(url).begin() as conn:
        if rollup.stored_fingerprint(conn) != rollup.fingerprint() and rollup.has_events(conn):
            say(0.0, "bootstrap.rollups")
            rollup.rebuild(conn, lambda fraction: say(fraction, "bootstrap.rollups"))
