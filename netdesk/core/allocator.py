"""How many malloc arenas a web process may have.

glibc gives threads that allocate at the same time arenas of their own, up
to eight per core. A web process runs dozens of request threads and granian
starts and retires them as load comes and goes, so memory freed by a
request in one arena is reused only by threads that land on that arena
again: in a ten-minute soak the web workers' private memory kept growing
while Python's own heap stayed level (docs/benchmarks.md, "Memory"). With a
few arenas shared by all threads, freed memory is found again. The
workers are forked from `netdesk serve` after glibc has read its
environment, so MALLOC_ARENA_MAX set there would come too late: the limit
is set here, in each web process, through mallopt()."""

from __future__ import annotations

import ctypes
import ctypes.util

# mallopt's parameter number for the arena limit (<malloc.h>: M_ARENA_MAX).
M_ARENA_MAX = -8


def arenas_limit(count: int) -> bool:
    """Limit this process to `count` malloc arenas (0 leaves glibc's own
    limit). False where the C library is not glibc (mallopt missing) or
    refuses the value; the process then runs with the C library's default."""
    if count <= 0:
        return False
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        mallopt = ctypes.CDLL(name).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return bool(mallopt(M_ARENA_MAX, count))
