"""Keep a long-running server's memory from creeping: fewer malloc arenas, freed pages given back.

A wall server runs every script in a fresh thread, and glibc gives threads their own malloc arenas (up
to eight per core), each keeping the pages its frames, Arrow buffers and protobufs once used: a server
with walls rotating grew by ~50 MB in ten minutes and kept it while idle (issue #14), five arenas
holding 240 MB after twenty minutes while Python's traced objects were far fewer. :func:`settle` caps
the arenas at ``ARENAS``, fixes the size from which a block gets its own mapping (``MMAP_BYTES``: glibc
otherwise raises it to 32 MB as large blocks are freed, so pandas' and numpy's arrays land in the arenas
and leave holes there), routes Arrow's buffers through malloc (its own mimalloc pool keeps what it frees)
and, every ``TRIM_SECONDS``, returns free pages to the system (``malloc_trim``). Not glibc: nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import threading
import time

ARENAS = 2
MMAP_BYTES = 128 * 1024  # glibc's starting threshold, kept: a larger block is mapped alone and unmapped when freed
TRIM_SECONDS = 60.0
_M_MMAP_THRESHOLD, _M_ARENA_MAX = -3, -8  # mallopt's parameter numbers in glibc's malloc.h
_started = threading.Lock()
_libc: ctypes.CDLL | None = None


def _glibc() -> ctypes.CDLL | None:
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return libc if hasattr(libc, "malloc_trim") and hasattr(libc, "mallopt") else None
    except OSError:
        return None


def trim() -> bool:
    """Give free heap pages back to the system now; whether glibc was there to ask."""
    if _libc is None:
        return False
    _libc.malloc_trim(0)
    return True


def _trim_forever() -> None:
    while True:
        time.sleep(TRIM_SECONDS)
        trim()


def settle() -> bool:
    """Once per process: cap the arenas, send Arrow's buffers to malloc, and trim every ``TRIM_SECONDS`` in
    a daemon thread (an idle server gives back too). Whether this call did it (False: done before)."""
    global _libc
    if not _started.acquire(blocking=False):
        return False
    _libc = _glibc()
    if _libc is not None:
        _libc.mallopt(_M_ARENA_MAX, ARENAS)
        _libc.mallopt(_M_MMAP_THRESHOLD, MMAP_BYTES)
        threading.Thread(target=_trim_forever, name="malloc-trim", daemon=True).start()
    try:
        import pyarrow as pa

        pa.set_memory_pool(pa.system_memory_pool())
    except ImportError:  # pragma: no cover - Streamlit depends on pyarrow
        pass
    return True
