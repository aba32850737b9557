"""lib.memory: a server's malloc settings are made once per process, and Arrow's buffers go through malloc."""

import pyarrow as pa

from lib import memory


def test_settle_once_per_process_and_arrow_through_malloc() -> None:
    memory.settle()
    assert memory.settle() is False  # the second call (any later script run) does nothing
    assert pa.default_memory_pool().backend_name == "system"
    assert memory.trim() is True  # this machine's libc is glibc
