"""The C allocator's policy for a long-running server process (glibc; elsewhere it is left alone)."""

from __future__ import annotations

import ctypes

#: Buffers of this size and more get pages of their own, returned to the system when freed.
#: glibc's default threshold starts at 128 KiB and rises to the largest buffer freed (up
#: to 32 MiB): after a build's riser (seconds of noise, FFTs of millions of samples) the
#: next such temporaries came from the heap, and the heap never shrank below the sounds
#: cached on top of them. A soak's server RSS stepped up by 50-65 MB within its first
#: half hour and stayed there (``benchmarks/soak.py``). A render's per-block temporaries
#: (tens of KiB) stay below this, in the heap: a fixed threshold of 128 KiB, which also
#: mapped those, doubled the engine's CPU time.
LARGE_BUFFER_BYTES = 2 * 1024 * 1024

_M_MMAP_THRESHOLD = -3  # mallopt's parameter number in glibc's malloc.h


def map_large_buffers(threshold: int = LARGE_BUFFER_BYTES) -> bool:
    """Give allocations of ``threshold`` bytes and more their own pages from now on, in this process.

    Returns whether the allocator took the setting (False where the C library has no
    ``mallopt``, as on macOS).
    """
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    return bool(mallopt(_M_MMAP_THRESHOLD, threshold))
