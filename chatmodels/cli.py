"""The ``chatmodels`` command (also ``python -m chatmodels``): migrate, demo, sandbox.

Rules at this boundary: a usage or configuration error is one line on stderr and exit 2
(never a traceback); Ctrl-C is one line and exit 130; a closed output pipe (``| head``) ends
quietly; and no secret reaches the screen -- secrets come from the environment or a file
rather than argv (``ps`` shows argv), and every message printed is redacted and has its
control characters escaped. Which providers exist comes from :mod:`chatmodels.registry`.

This module runs the commands and is the error boundary; the parser and help text are in
:mod:`chatmodels.cli_args`, the credentials and their redaction in :mod:`chatmodels.cli_credentials`
(their public names are importable from here).
"""

from __future__ import annotations

import argparse
import os
import socket
import sqlite3
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import requests

from . import cli_args, registry
from .cli_args import (
    DEBUG_ENV,
    EXIT_CODES,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    INSIDE_STEPS,
    PROG,
    engine_resources,
)
from .cli_credentials import NUMERIC_SETTINGS, clean, connect_options
from .errors import ChatModelsError, ConfigurationError

__all__ = [
    "DEBUG_ENV", "EXIT_CODES", "EXIT_FAILED", "EXIT_INTERRUPTED", "EXIT_OK", "EXIT_USAGE",
    "INSIDE_STEPS", "NUMERIC_SETTINGS", "PROG", "build_parser", "clean", "connect_options", "main",
]


# -- output --------------------------------------------------------------------------------
class _Output:
    """stdout that goes quiet when its reader goes away (``chatmodels ... | head``)."""

    closed = False

    @classmethod
    def print(cls, text: str = "") -> None:
        if cls.closed:
            return
        try:
            print(text, flush=True)
        except BrokenPipeError:
            cls.silence()

    @classmethod
    def silence(cls) -> None:
        """Point stdout at the null device, so that the interpreter's last flush is quiet."""
        cls.closed = True
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            os.close(devnull)
        except (OSError, ValueError):  # not a real file (captured in tests)
            pass


class _Context:
    """Per-invocation state the error boundary needs: the secrets to keep off the screen."""

    def __init__(self, command: str) -> None:
        self.command = command
        self.secrets: list[str] = []

    def error(self, message: str, *, fresh_line: bool = False) -> None:
        """One line on stderr; ``fresh_line`` first ends a line left open (a progress bar, ^C)."""
        prefix = f"{PROG} {self.command}" if self.command else PROG
        start = "\n" if fresh_line else ""
        try:
            print(f"{start}{prefix}: {clean(message, self.secrets)}", file=sys.stderr,
                  flush=True)
        except BrokenPipeError:
            pass


# -- commands ------------------------------------------------------------------------------
def _check_listen(host: str, port: int) -> None:
    """Raise the OSError a server would get on ``host:port`` (before seeding, in one line)."""
    family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
    with socket.create_server((host, port), family=family):
        pass


def _sandbox(args: argparse.Namespace, ctx: _Context) -> int:
    try:
        from .testing import run_forever
    except ImportError:  # pragma: no cover - werkzeug missing
        ctx.error("the sandbox needs werkzeug: pip install 'chatmodels[sandbox]'")
        return EXIT_USAGE
    counts = {"contacts": args.contacts}
    if args.conversations is not None:
        counts["conversations"] = args.conversations
    try:
        _check_listen(args.host, args.port)
        run_forever(args.provider, host=args.host, port=args.port, seed=args.seed,
                    verbose=args.verbose, **counts)
    except OSError as exc:
        if isinstance(exc, BrokenPipeError):
            raise
        errno = exc.errno or 0
        reason = os.strerror(errno) if errno > 0 else (exc.strerror or str(exc))
        ctx.error(f"cannot listen on {args.host}:{args.port}: {reason}")
        return EXIT_USAGE
    return EXIT_OK


def _demo(args: argparse.Namespace, ctx: _Context) -> int:
    if args.tour:
        from .registry import DEMO_TOUR, resolve
        tour = resolve(DEMO_TOUR)
        return int(tour(contacts=300 if args.contacts is None else args.contacts,
                        conversations=args.conversations))
    from .migrate.demo import main as demo_main
    return demo_main(contacts=1500 if args.contacts is None else args.contacts,
                     conversations=args.conversations, workers=args.workers)


@contextmanager
def _journal_errors(path: str) -> Iterator[None]:
    """sqlite3 and file errors of the journal as a ConfigurationError naming the file."""
    try:
        yield
    except (sqlite3.Error, OSError) as exc:
        if isinstance(exc, (BrokenPipeError, requests.RequestException)):
            raise  # not about the journal (requests' errors are OSErrors too)
        raise ConfigurationError(f"journal {path!r}: {exc}") from None


def _migrate(args: argparse.Namespace, ctx: _Context) -> int:
    from .migrate import Migration, MigrationAborted

    source_entry, target_entry = registry.get(args.source_provider), registry.get(
        args.target_provider)
    if args.source_file == "-" and args.target_file == "-":
        raise ConfigurationError("only one of --source-file and --target-file can be '-' "
                                 "(stdin)")
    source_options = connect_options(source_entry, args.source, args.source_file,
                                     flag="--source", ctx=ctx)
    target_options = connect_options(target_entry, args.target, args.target_file,
                                     flag="--target", ctx=ctx)
    source = source_entry.connect(**source_options)
    target = target_entry.connect(**target_options)
    with _journal_errors(args.journal):
        migration = Migration(source, target, args.journal,
                              workers=args.workers, dry_run=args.dry_run, since=args.since,
                              fail_fast=args.fail_fast, progress=not args.no_progress,
                              default_agent_email=args.default_agent,
                              attachment_max_bytes=args.attachment_max_bytes)
    try:
        with _journal_errors(args.journal):
            report = migration.run(resources=args.resources or engine_resources())
    except MigrationAborted as exc:
        ctx.error(f"stopped on the first failure (--fail-fast): {exc}")
        return EXIT_FAILED
    except KeyboardInterrupt:
        ctx.error("interrupted; run the same command again to resume", fresh_line=True)
        return EXIT_INTERRUPTED
    finally:
        try:
            migration.close()
        except sqlite3.Error:  # pragma: no cover - closing a broken journal
            pass
    _Output.print("\n".join(clean(line, ctx.secrets) for line in str(report).splitlines()))
    if report.errors:
        ctx.error(f"{len(report.errors)} object(s) failed (see above and the journal "
                  f"{args.journal}); run the same command again to retry them")
        return EXIT_FAILED
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    """The ``chatmodels`` parser, each command's ``func`` set."""
    return cli_args.build_parser({"sandbox": _sandbox, "demo": _demo, "migrate": _migrate})


def _describe(exc: BaseException) -> str:
    if isinstance(exc, ChatModelsError):
        return str(exc)
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _dispatch(argv: Sequence[str] | None, ctx: _Context) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # --help, --version and usage errors (already printed)
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    ctx.command = args.command
    return int(args.func(args, ctx) or 0)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; returns the exit code (see ``chatmodels --help``)."""
    _Output.closed = False
    ctx = _Context("")
    try:
        code = _dispatch(argv, ctx)
        sys.stdout.flush()
        return code
    except KeyboardInterrupt:
        ctx.error("interrupted", fresh_line=True)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # the reader went away mid-command: stop quietly (as Python's docs do)
        _Output.silence()
        return EXIT_FAILED
    except (ChatModelsError, ValueError, OSError, sqlite3.Error) as exc:
        ctx.error(_describe(exc))
        return EXIT_USAGE
    except Exception as exc:
        if os.environ.get(DEBUG_ENV):
            raise
        ctx.error(f"unexpected {_describe(exc)} (set {DEBUG_ENV}=1 for the traceback)")
        return EXIT_FAILED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
