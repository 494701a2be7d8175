"""The C allocator's policy for a long-running server process (glibc; elsewhere it is left alone)."""

from __future__ import annotations

import ctypes

#: Buffers of this size and more get pages of their own, returned to the system when freed.
#: glibc's threshold slides up to the largest buffer freed (up to 32 MiB): after a build's
#: first riser (seconds of noise, FFTs of a million samples) the next such temporaries came
#: from the heap, and the heap kept its high-water mark under the sounds cached above them:
#: a soak's server RSS stepped up by about 60 MB within minutes and stayed there
#: (``benchmarks/soak.py``). Below 4 MiB the engine allocates some buffers every block:
#: at 2 MiB it took 5x the page faults (1128 against 217 per second of audio), and a
#: fixed 128 KiB threshold doubled the engine's CPU time.
LARGE_BUFFER_BYTES = 4 * 1024 * 1024
#: Free memory kept at the heap's top rather than returned at once (a fixed mmap threshold
#: also fixes this one, at 128 KiB: the heap's top was given back and faulted in again
#: every block).
HEAP_TOP_BYTES = 32 * 1024 * 1024

_M_TRIM_THRESHOLD = -1  # mallopt's parameter numbers in glibc's malloc.h
_M_MMAP_THRESHOLD = -3


def map_large_buffers(threshold: int = LARGE_BUFFER_BYTES, top: int = HEAP_TOP_BYTES) -> bool:
    """Give allocations of ``threshold`` bytes and more their own pages from now on, in this process,
    and keep up to ``top`` bytes free at the top of the heap.

    Returns whether the allocator took the settings (False where the C library has no
    ``mallopt``, as on macOS).
    """
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    return bool(mallopt(_M_MMAP_THRESHOLD, threshold)) and bool(mallopt(_M_TRIM_THRESHOLD, top))
