"""First start: fill the default SQLite store with the reference county and demo data, exactly once.

``pip install -r requirements.txt && streamlit run app.py`` must show a working cockpit. The server starts
the build as it starts (app.py's lifespan calls :func:`at_server_start`), so the store is ready, or well
along, when the first browser connects; a session that arrives meanwhile watches the same build
(:func:`build_for`). Only the default file (``lib.store.db.DEFAULT_SQLITE``) is ever built: a store
named by COCKPIT_DB_URL or secrets belongs to someone else and is never touched.

The store is built in a side file and renamed into place, so a crash or a closed tab never leaves a
half-filled store that later runs would take for finished, and no session reads one. The side file is
written without a journal, its secondary indexes made once the rows are in (one sort each instead of
millions of b-tree inserts). A lock file makes concurrent builders (two server processes) wait for one.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from lib.events import rollup
from lib.i18n import Progress
from lib.kpi import catalogue
from lib.store import db, schema
from lib.store.models import Base, County

# Share of the progress bar each step gets; the demo generator reports its own fraction inside its span,
# the secondary indexes theirs (each a sort of up to 1.4 million rows) inside theirs.
_DEMO_START, _DEMO_END, _INDEXES_END = 0.03, 0.85, 0.98


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
    schema.upgrade(url)
    with db.engine(url).begin() as conn:
        _load_registry(conn)


def _load_registry(conn: sa.Connection) -> None:
    from lib import registry  # lazily, like lib.demo below: only first starts and fixtures need it

    registry.load(conn, registry.DEFAULT_REGISTRY)


def deferred_indexes() -> list[sa.Index]:
    """The indexes a bulk load makes afterwards: every non-unique one. Unique ones stay, as they refuse rows."""
    return sorted((ix for table in Base.metadata.sorted_tables for ix in table.indexes if not ix.unique),
                  key=lambda ix: str(ix.name))


def _fill(path: Path, progress: Progress) -> None:
    """Schema, registry, demo history and indexes into the side file at ``path``."""
    from lib import demo  # lazily: heavy, and only the first start needs it

    url = f"sqlite:///{path}"
    progress(0.0, "bootstrap.registry")
    schema.upgrade(url)
    db.engine(url).dispose()  # the scratch engine below must be the file's only user to drop its journal
    scratch = db.scratch_engine(path)
    try:
        indexes = deferred_indexes()
        with scratch.begin() as conn:
            _load_registry(conn)
            for index in indexes:
                index.drop(conn)
        demo.generate(scratch, scale=1.0,
                      progress=lambda f, key, **fields: progress(_DEMO_START + (_DEMO_END - _DEMO_START) * f, key,
                                                                 **fields))
        with scratch.begin() as conn:
            for i, index in enumerate(indexes):
                progress(_DEMO_END + (_INDEXES_END - _DEMO_END) * i / len(indexes), "bootstrap.indexes",
                         step=i + 1, steps=len(indexes))
                index.create(conn)
    finally:
        scratch.dispose()


def build_demo_store(url: str, progress: Progress) -> None:
    """Build the SQLite store at ``url``: schema, reference registry, one scale-1 demo history.

    ``progress(fraction, key, **fields)`` hears of every step, fractions rising from 0 to 1, keys from the
    i18n catalogue (this module's ``bootstrap.*``, the demo generator's ``demo.*``).
    """
    path = _sqlite_path(url)
    if path is None:
        raise ValueError(f"Only a SQLite file store can be built in place, not {url!r}")
    path.parent.mkdir(parents=True, exist_ok=True)
    with _exclusive(path.with_name(path.name + ".lock"), progress):
        if path.exists() and _has_county(url):
            return  # another builder finished it while this one waited
        partial = path.with_name(path.name + ".partial")
        for stale in [partial, *_sidecars(partial)]:
            stale.unlink(missing_ok=True)
        _fill(partial, progress)
        progress(_INDEXES_END, "bootstrap.finishing")
        _to_disk(partial)  # written without syncs: on disk before it is named as the store
        # Pooled connections to the old (empty) file would keep reading it after the rename.
        db.engine(url).dispose()
        for stale in [*_sidecars(partial), *_sidecars(path)]:
            stale.unlink(missing_ok=True)
        partial.replace(path)
        _to_disk(path.parent)  # and the rename with it
        progress(1.0, "bootstrap.done")


def _to_disk(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@dataclass
class Build:
    """A build running in a background thread, watched by any number of sessions.

    Not in a script run: Streamlit stops a running script at its next element call when the user clicks
    anything, which would cut a build of tens of seconds short and start it over.
    """

    url: str
    # (fraction, i18n key, its fields), replaced whole: a watcher never pairs one step's key with another's fields.
    status: tuple[float, str, dict[str, object]] = (0.0, "bootstrap.registry", {})
    error: BaseException | None = None
    done: threading.Event = field(default_factory=threading.Event)

    @property
    def fraction(self) -> float:
        return self.status[0]

    @property
    def message(self) -> str:
        return self.status[1]

    def _report(self, fraction: float, key: str, /, **fields: object) -> None:
        # Never backwards: a watcher's bar only moves on (the lock wait reports 0 after the first step).
        self.status = (max(self.status[0], fraction), key, fields)

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


_builds: dict[str, Build] = {}  # this process's builds by store URL: the server start's, or a session's
_builds_lock = threading.Lock()


def build_for(url: str) -> Build:
    """The build of ``url`` this process started (at server start, or for an earlier session), or a new
    one when there is none, the last failed, or the store it made has gone since."""
    with _builds_lock:
        build = _builds.get(url)
        if build is None or (build.done.is_set() and (build.error is not None or needs_demo(url))):
            build = _builds[url] = start_build(url)
        return build


def at_server_start(url: str | None = None) -> Build | None:
    """What the server does as it starts: begin building the default store if it needs the demo (the
    build runs on in the background; the first session watches it), else nothing."""
    resolved = db.resolve_url(url)
    return build_for(resolved) if needs_demo(resolved) else None


def bring_current(url: str, progress: Progress | None = None) -> None:
    """An existing store after an upgrade of the app: migrations to head, the indicator catalogue, and the
    rollups rebuilt if the store holds events and they were built by other rollup declarations (or none
    recorded: a store from before migration 0004).

    All idempotent, each step its own transaction. Targets and weights are a county's own settings and
    are never overwritten here. ``progress(fraction, key, **fields)`` hears only of the slow steps, a
    migration (``bootstrap.schema``) and a rollup rebuild (``bootstrap.rollups``, 0 to 1, step by step), so
    a caller can show them; it is not called at all when the store was already current.
    """
    def say(fraction: float, key: str, **fields: object) -> None:
        if progress is not None:
            progress(fraction, key, **fields)

    if not schema.is_current(url):
        say(0.0, "bootstrap.schema")
        schema.upgrade(url)
    with db.engine(url).begin() as conn:
        if conn.execute(sa.select(sa.func.count()).select_from(County)).scalar_one():
            catalogue.sync_catalogue(conn)
    with db.engine(url).begin() as conn:
        if rollup.stored_fingerprint(conn) != rollup.fingerprint() and rollup.has_events(conn):
            rollup.rebuild(conn, lambda fraction, step, steps: say(fraction, "bootstrap.rollups", step=step,
                                                                     steps=steps))
