"""Run a simulator on a local threaded werkzeug server."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from .base import BaseSimulator

__all__ = ["create", "run_forever", "serve", "start", "stop"]


class _QuietHandler(WSGIRequestHandler):
    """Request handler without per-request access logging and without Nagle delays."""

    disable_nagle_algorithm = True

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class _VerboseHandler(WSGIRequestHandler):
    disable_nagle_algorithm = True


def create(provider: str | type[BaseSimulator] = "intercom", *, seed: int = 0,
           **counts: int) -> BaseSimulator:
    """Build a simulator (not serving) for ``provider`` (a registered name or a class)."""
    if isinstance(provider, str):
        from . import get_simulator_class

        cls = get_simulator_class(provider)
    else:
        cls = provider
    return cls(seed=seed, **counts)


def _bind(sim: BaseSimulator, host: str, port: int, quiet: bool = True) -> BaseWSGIServer:
    server = make_server(host, port, sim, threaded=True,
                         request_handler=_QuietHandler if quiet else _VerboseHandler)
    server.daemon_threads = True  # type: ignore[attr-defined]
    sim.host = host
    sim.port = server.port
    sim.base_url = f"http://{host}:{server.port}"
    return server


def start(provider: str | type[BaseSimulator] = "intercom", *, seed: int = 0,
          host: str = "127.0.0.1", port: int = 0, **counts: int) -> BaseSimulator:
    """Start a simulator in a daemon thread and return it; call :func:`stop` (or ``sim.stop()``)."""
    sim = create(provider, seed=seed, **counts)
    server = _bind(sim, host, port)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              name=f"chatmodels-sim-{sim.name}-{sim.port}", daemon=True)
    thread.start()
    sim._server = server  # type: ignore[attr-defined]
    sim._thread = thread  # type: ignore[attr-defined]
    return sim


def stop(sim: BaseSimulator) -> None:
    """Stop a simulator started with :func:`start`."""
    server = getattr(sim, "_server", None)
    thread = getattr(sim, "_thread", None)
    if server is None:
        return
    server.shutdown()
    server.server_close()
    if thread is not None:
        thread.join(timeout=5)
    sim._server = None  # type: ignore[attr-defined]
    sim._thread = None  # type: ignore[attr-defined]


@contextmanager
def serve(provider: str | type[BaseSimulator] = "intercom", *, seed: int = 0,
          host: str = "127.0.0.1", port: int = 0, **counts: Any) -> Iterator[BaseSimulator]:
    """Serve a simulator for the duration of the ``with`` block.

    >>> with serve("intercom", seed=42, contacts=250) as sim:
    ...     sim.base_url, sim.credentials
    """
    sim = start(provider, seed=seed, host=host, port=port, **counts)
    try:
        yield sim
    finally:
        stop(sim)


def run_forever(provider: str = "intercom", host: str = "127.0.0.1", port: int = 8000,
                seed: int = 0, *, verbose: bool = False, **counts: int) -> None:
    """Serve a simulator in the foreground until Ctrl-C (used by ``chatmodels sandbox``)."""
    sim = create(provider, seed=seed, **counts)
    server = _bind(sim, host, port, quiet=not verbose)
    print(f"chatmodels {sim.name} sandbox listening on {sim.base_url}", flush=True)
    print(f"base_url: {sim.base_url}", flush=True)
    for key, value in sim.credentials.items():
        print(f"{key}: {value}", flush=True)
    print("Press Ctrl-C to stop.", flush=True)
    try:
        server.serve_forever()  # werkzeug swallows KeyboardInterrupt and closes the socket
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
