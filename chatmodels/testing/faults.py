"""Fault injection for the simulators: the injected-failure queue, seeded chaos, and the two ways
of breaking a connection (dropped before any answer, reset mid-body).

:class:`FaultInjection` is mixed into :class:`~chatmodels.testing.base.BaseSimulator`: it gives
every simulator ``fail``, ``drop``, ``reset_mid_body``, ``slow``, ``throttle``, ``chaos`` and
``clear_faults``, and hands the WSGI request path the fault a request meets (``_take_fault``).
What each kind does to the answer (an error body, a 429, a wait, a drop or a reset) is decided in
that one request path, ``BaseSimulator.wsgi_app``; :func:`drop_connection` and
:func:`reset_mid_answer` do the breaking.
"""

from __future__ import annotations

import random
import re
import socket
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from werkzeug.wrappers import Response

__all__ = ["CHAOS_KINDS", "Drop", "Fault", "FaultInjection", "drop_connection", "reset_mid_answer"]

#: what :meth:`FaultInjection.chaos` draws from
CHAOS_KINDS = ("fail", "drop", "drop_after", "reset", "slow", "throttle")


@dataclass
class Fault:
    """An injected failure waiting for ``times`` matching requests."""

    kind: str  # "fail" | "drop" | "throttle" | "slow" | "reset"
    times: int = 1
    status: int = 500
    method: str | None = None
    path: str | None = None
    after_apply: bool = False
    retry_after: float | None = None
    delay: float = 0.0
    code: str | None = None
    message: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    _regex: re.Pattern[str] | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.method:
            self.method = self.method.upper()
        if self.path:
            try:
                self._regex = re.compile(self.path)
            except re.error:
                self._regex = None

    def matches(self, method: str, path: str) -> bool:
        if self.method and self.method != method:
            return False
        if self.path:
            if path.startswith(self.path):
                return True
            return bool(self._regex is not None and self._regex.fullmatch(path))
        return True


class Drop(Exception):
    """Internal: close the connection without answering."""


class FaultInjection:
    """The injected failures of one simulator (its ``faults`` list and ``chaos`` setting)."""

    faults: list[Fault]
    _chaos: tuple[float, random.Random, tuple[str, ...], str | None, float] | None
    _meta_lock: threading.Lock  # guards the request log, faults and rate windows

    #: what :meth:`chaos` draws from
    CHAOS_KINDS = CHAOS_KINDS

    def fail(self, status: int = 500, times: int = 1, method: str | None = None,
             path: str | None = None, *, code: str | None = None, message: str | None = None,
             retry_after: float | None = None, headers: dict[str, str] | None = None) -> None:
        """The next ``times`` matching requests get ``status`` with the provider's error body."""
        self._add_fault(Fault("fail", times=times, status=status, method=method, path=path,
                              code=code, message=message, retry_after=retry_after,
                              headers=dict(headers or {})))

    def drop(self, times: int = 1, method: str | None = None, path: str | None = None,
             after_apply: bool = False) -> None:
        """Close the connection of the next ``times`` matching requests without answering.

        With ``after_apply=True`` the request is processed (state changed) before the drop.
        """
        self._add_fault(Fault("drop", times=times, method=method, path=path,
                              after_apply=after_apply))

    def reset_mid_body(self, times: int = 1, method: str | None = None,
                       path: str | None = None) -> None:
        """Apply the next ``times`` matching requests, send the status line, the headers and
        part of the body, then close the connection (a reset mid-body)."""
        self._add_fault(Fault("reset", times=times, method=method, path=path,
                              after_apply=True))

    def slow(self, delay: float, times: int = 1, method: str | None = None,
             path: str | None = None) -> None:
        """Apply the next ``times`` matching requests, then wait ``delay`` seconds before
        answering (a slow response: a client with a shorter timeout gives up on a request
        that *was* applied)."""
        self._add_fault(Fault("slow", times=times, method=method, path=path, delay=delay))

    def throttle(self, times: int = 1, retry_after: float = 1, method: str | None = None,
                 path: str | None = None) -> None:
        """The next ``times`` matching requests get 429 with the provider's rate-limit headers."""
        self._add_fault(Fault("throttle", times=times, status=429, method=method, path=path,
                              retry_after=retry_after))

    def chaos(self, rate: float = 0.1, seed: int = 0, kinds: Iterable[str] = CHAOS_KINDS,
              method: str | None = None, delay: float = 1.0) -> None:
        """From now on, each matching request fails with probability ``rate``, with a kind drawn
        from ``kinds``: ``fail`` (500 or 503), ``drop`` (before applying), ``drop_after``
        (applied, then dropped), ``reset`` (applied, reset mid-body), ``slow`` (applied, answered
        after ``delay`` s: a client timeout) or ``throttle`` (429). Deterministic for a given
        ``seed`` and request order. ``rate=0`` stops it (``clear_faults`` too)."""
        with self._meta_lock:
            self._chaos = None if rate <= 0 else (
                float(rate), random.Random(seed), tuple(kinds),
                method.upper() if method else None, float(delay))

    def clear_faults(self) -> None:
        with self._meta_lock:
            self.faults.clear()
            self._chaos = None

    def _add_fault(self, fault: Fault) -> None:
        if fault.times <= 0:
            return
        with self._meta_lock:
            self.faults.append(fault)

    def _take_fault(self, method: str, path: str) -> Fault | None:
        if not self.faults and self._chaos is None:
            return None
        with self._meta_lock:
            for fault in self.faults:
                if fault.matches(method, path):
                    fault.times -= 1
                    if fault.times <= 0:
                        self.faults.remove(fault)
                    return fault
            if self._chaos is not None:
                return self._chaos_fault(method)
        return None

    def _chaos_fault(self, method: str) -> Fault | None:
        assert self._chaos is not None
        rate, rng, kinds, only, delay = self._chaos
        if (only and only != method) or rng.random() >= rate:
            return None
        kind = rng.choice(kinds)
        if kind == "fail":
            return Fault("fail", status=rng.choice((500, 503)))
        if kind in ("drop", "drop_after"):
            return Fault("drop", after_apply=kind == "drop_after")
        if kind == "slow":
            return Fault("slow", delay=delay)
        if kind == "throttle":
            return Fault("throttle", status=429, retry_after=0)
        return Fault(kind, after_apply=True)


def drop_connection(environ: dict[str, Any], start_response: Callable[..., Any],
                    ) -> Iterable[bytes]:
    """Close the connection without answering."""
    sock = environ.get("werkzeug.socket")
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
    # Writing the status line to the shut-down socket fails with EPIPE, which the werkzeug
    # dev server treats as a dropped connection: the client gets no HTTP response at all.
    start_response("500 Connection Dropped", [("Content-Length", "0")])
    return []


def reset_mid_answer(environ: dict[str, Any], start_response: Callable[..., Any],
                     response: Response) -> Iterable[bytes]:
    """Send the status line, the headers and half of ``response``'s body, then close."""
    body = response.get_data()
    part = body[:len(body) // 2]
    headers = [(k, v) for k, v in response.headers.items() if k.lower() != "content-length"]
    # announce more than is sent, even for an empty body
    headers.append(("Content-Length", str(max(len(body), len(part) + 16))))
    start_response(response.status, headers)
    sock = environ.get("werkzeug.socket")

    def chunks() -> Iterable[bytes]:
        yield part
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    return chunks()
