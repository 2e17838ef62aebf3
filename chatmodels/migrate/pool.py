"""Bounded parallel work for the migration steps: at most ``2 x workers`` items in flight (so
memory stays flat on any number of objects), one progress bar per step."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any


class NoBar:
    """A progress bar that shows nothing."""

    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


def progress_bar(step: str, total: int | None, enabled: bool) -> Any:
    """A ``tqdm.auto`` bar for a step (``NoBar`` when disabled or tqdm is missing)."""
    if not enabled:
        return NoBar()
    try:
        from tqdm.auto import tqdm
    except ImportError:  # pragma: no cover - tqdm is in the migrate extra
        return NoBar()
    return tqdm(total=total, desc=step, unit="obj", leave=True, dynamic_ncols=True)


def run_bounded(pool: ThreadPoolExecutor | None, workers: int, items: Iterable[Any],
                work: Callable[[Any], None], bar: Any, abort: threading.Event) -> None:
    """Run ``work`` on every item, at most ``2 * workers`` in flight (one at a time without a
    pool); stops taking items once ``abort`` is set. The bar is closed at the end."""
    try:
        if pool is None:
            for item in items:
                work(item)
                bar.update(1)
            return
        inflight: set[Future[None]] = set()
        for item in items:
            if abort.is_set():
                break
            inflight.add(pool.submit(work, item))
            if len(inflight) >= workers * 2:
                finished, inflight = wait(inflight, return_when=FIRST_COMPLETED)
                for f in finished:
                    f.result()
                    bar.update(1)
        for f in inflight:
            f.result()
            bar.update(1)
    finally:
        bar.close()
