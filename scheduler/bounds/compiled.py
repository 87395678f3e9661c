"""Compiling the hot loops of the bounds' pricing with numba, in one place."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numba


def compiled(function: Callable[..., Any]) -> Callable[..., Any]:
    """``function`` compiled, releasing the GIL; cached on disk where some cache folder is
    writable (a kernel's first compilation takes ~1-2 s), else compiled afresh in each
    process."""
    try:
        return numba.njit(cache=True, nogil=True)(function)
    except RuntimeError:  # no writable cache folder (a read-only install without a home)
        return numba.njit(nogil=True)(function)
