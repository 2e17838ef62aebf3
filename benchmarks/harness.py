"""The measuring shared by the iteration benchmarks: a plain requests+json loop against the
chatmodels loop over the same simulator (in its own process), alternated, best and median wall
time, and the peak Python memory of each (tracemalloc, in separate runs so tracing does not skew
timing)."""

from __future__ import annotations

import statistics
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

Loop = Callable[..., int]


def timed(fn: Loop, *args: Any) -> tuple[float, int]:
    start = time.perf_counter()
    n = fn(*args)
    return time.perf_counter() - start, n


def peak(fn: Loop, *args: Any) -> int:
    tracemalloc.start()
    fn(*args)
    _, top = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return top


def compare(title: str, plain: Loop, chatmodels: Loop, args: tuple[Any, ...], *,
            expected: int, repeat: int) -> None:
    """Warm both loops up, alternate them ``repeat`` times, then print the figures."""
    plain(*args)
    chatmodels(*args)
    plain_times, cm_times = [], []
    for _ in range(repeat):
        t, n1 = timed(plain, *args)
        plain_times.append(t)
        t, n2 = timed(chatmodels, *args)
        cm_times.append(t)
    assert n1 == n2 == expected, (n1, n2)
    plain_peak, cm_peak = peak(plain, *args), peak(chatmodels, *args)
    best_plain, best_cm = min(plain_times), min(cm_times)
    med_plain, med_cm = statistics.median(plain_times), statistics.median(cm_times)
    print(f"{title}, {repeat} runs each")
    print(f"plain requests+json : best {best_plain:6.3f} s  median {med_plain:6.3f} s  "
          f"peak {plain_peak / 1e6:6.2f} MB")
    print(f"chatmodels          : best {best_cm:6.3f} s  median {med_cm:6.3f} s  "
          f"peak {cm_peak / 1e6:6.2f} MB")
    print(f"ratio chatmodels/plain: best {best_cm / best_plain:.2f}x, "
          f"median {med_cm / med_plain:.2f}x (target <= 1.5x)")
