"""Run a simulator on a local threaded werkzeug server."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from .base import BaseSimulator

__all__ = ["RemoteSimulator", "create", "run_forever", "serve", "serve_process", "start", "stop"]


class _QuietHandler(WSGIRequestHandler):
    """Request handler without per-request access logging and without Nagle delays.

    The handlers speak HTTP/1.1, but werkzeug's server answers every request with
    ``Connection: close`` (it cannot drain unread request bodies safely), so each request opens
    a new loopback connection; benchmarks compare chatmodels with a plain loop over the same
    server, which pays the same cost.
    """

    disable_nagle_algorithm = True
    protocol_version = "HTTP/1.1"

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class _VerboseHandler(WSGIRequestHandler):
    disable_nagle_algorithm = True
    protocol_version = "HTTP/1.1"


def create(provider: str | type[BaseSimulator], *, seed: int = 0,
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


def start(provider: str | type[BaseSimulator], *, seed: int = 0,
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
    sim.stop_webhooks()
    if server is None:
        return
    server.shutdown()
    server.server_close()
    if thread is not None:
        thread.join(timeout=5)
    sim._server = None  # type: ignore[attr-defined]
    sim._thread = None  # type: ignore[attr-defined]


@contextmanager
def serve(provider: str | type[BaseSimulator], *, seed: int = 0,
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


def run_forever(provider: str, host: str = "127.0.0.1", port: int = 8000,
                seed: int = 0, *, verbose: bool = False, webhooks: Sequence[str] = (),
                **counts: int) -> None:
    """Serve a simulator in the foreground until Ctrl-C (used by ``chatmodels sandbox``);
    ``webhooks``: URLs subscribed to every event (``sim.subscribe(url)``)."""
    sim = create(provider, seed=seed, **counts)
    for url in webhooks:
        sim.subscribe(url)
    server = _bind(sim, host, port, quiet=not verbose)
    print(f"chatmodels {sim.name} sandbox listening on {sim.base_url}", flush=True)
    print(f"base_url: {sim.base_url}", flush=True)
    for key, value in sim.credentials.items():
        print(f"{key}: {value}", flush=True)
    print(f"webhook_secret: {sim.credentials['webhook_secret']}", flush=True)
    for url in webhooks:
        print(f"webhook: {url}", flush=True)
    print("Press Ctrl-C to stop.", flush=True)
    try:
        server.serve_forever()  # werkzeug swallows KeyboardInterrupt and closes the socket
    except KeyboardInterrupt:
        pass
    finally:
        sim.stop_webhooks()
        server.server_close()


class RemoteSimulator:
    """A simulator served by a child process (see :func:`serve_process`).

    Only the connection facts cross the process boundary: ``base_url``, ``credentials`` and
    ``name``. Tests that inspect ``state`` or ``requests`` use the in-process :func:`serve`.
    """

    def __init__(self, name: str, base_url: str, credentials: dict[str, Any],
                 process: Any) -> None:
        self.name = name
        self.base_url = base_url
        self.credentials = credentials
        self.process = process

    def __repr__(self) -> str:
        return f"<RemoteSimulator {self.name} {self.base_url} pid={self.process.pid}>"


def _child(provider: str, seed: int, counts: dict[str, int], conn: Any) -> None:
    # Ctrl-C reaches the whole process group: the parent stops this process, not the keyboard
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    sim = create(provider, seed=seed, **counts)
    server = _bind(sim, "127.0.0.1", 0)
    conn.send((sim.name, sim.base_url, dict(sim.credentials)))
    conn.close()
    server.serve_forever(poll_interval=0.2)


@contextmanager
def serve_process(provider: str, *, seed: int = 0,
                  **counts: int) -> Iterator[RemoteSimulator]:
    """Serve a simulator from its own process, so that it does not share the client's GIL.

    Used by ``chatmodels demo`` and the benchmarks, where client and servers would otherwise
    compete for one interpreter.
    """
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe(duplex=False)
    process = ctx.Process(target=_child, args=(provider, seed, counts, child), daemon=True)
    # the child starts with SIGINT blocked (the mask survives exec) until _child ignores it;
    # the resource tracker unblocks SIGINT when it starts, so it is started first
    mask = getattr(signal, "pthread_sigmask", None)  # POSIX only
    if mask:
        from multiprocessing import resource_tracker
        resource_tracker.ensure_running()
    old = mask(signal.SIG_BLOCK, {signal.SIGINT}) if mask else None
    try:
        process.start()
    finally:
        if mask and old is not None:
            mask(signal.SIG_SETMASK, old)
    child.close()
    try:
        if not parent.poll(120):
            raise RuntimeError(f"the {provider} simulator process did not start")
        name, base_url, credentials = parent.recv()
        yield RemoteSimulator(name, base_url, credentials, process)
    finally:
        process.terminate()
        process.join(timeout=5)
