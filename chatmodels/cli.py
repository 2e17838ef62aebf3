"""The ``chatmodels`` command (also ``python -m chatmodels``): migrate (and its rollback),
verify, export, demo, sandbox, webhooks.

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
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

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
    def show(cls, obj: Any, secrets: Any) -> None:
        """Print a report (its ``str``), every line with the run's secrets redacted."""
        cls.print("\n".join(clean(line, secrets) for line in str(obj).splitlines()))

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
                    verbose=args.verbose, webhooks=args.webhook, **counts)
    except OSError as exc:
        if isinstance(exc, BrokenPipeError):
            raise
        ctx.error(f"cannot listen on {args.host}:{args.port}: {_os_reason(exc)}")
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


def _recorded_provider(path: str, role: str) -> str:
    """The provider the journal recorded for ``role`` (``source``/``target``)."""
    import json

    from .migrate import Journal
    if not os.path.exists(path):
        raise ConfigurationError(f"journal {path!r} does not exist")
    with _journal_errors(path):
        journal = Journal(path, read_only=True)
        try:
            recorded = journal.get_meta(f"{role}_identity")
        finally:
            journal.close()
    if recorded is None:
        raise ConfigurationError(f"journal {path!r} records no migration")
    return registry.get(str(json.loads(recorded).get("provider"))).name


def _side(args: argparse.Namespace, ctx: _Context, role: str) -> Any:
    """The connected client of one side, its provider from the options or the journal."""
    provider = getattr(args, f"{role}_provider") or _recorded_provider(args.journal, role)
    entry = registry.get(provider)
    options = connect_options(entry, getattr(args, role), getattr(args, f"{role}_file"),
                              flag=f"--{role}", ctx=ctx)
    return entry.connect(**options)


def _verify(args: argparse.Namespace, ctx: _Context, source: Any = None,
            target: Any = None) -> int:
    from .migrate.verify import verify

    if args.source_file == "-" and args.target_file == "-":
        raise ConfigurationError("only one of --source-file and --target-file can be '-' "
                                 "(stdin)")
    source = source if source is not None else _side(args, ctx, "source")
    target = target if target is not None else _side(args, ctx, "target")
    # migrate --verify: through the mapping the run used (recorded in the journal)
    mapping = getattr(args, "mapping", None) if args.command == "verify" else None
    with _journal_errors(args.journal):
        result = verify(source, target, args.journal, mapping=mapping)
    _Output.show(result, ctx.secrets)
    if args.report:
        result.write(args.report)
        _Output.print(f"Report: {args.report}")
    if not result.ok:
        ctx.error(f"{len(result.different)} field(s) unexpectedly different, "
                  f"{len(result.errors)} object(s) unreadable (see above)")
        return EXIT_FAILED
    return EXIT_OK


def _rollback(args: argparse.Namespace, ctx: _Context) -> int:
    from .migrate.rollback import Rollback

    extra = [flag for flag, on in (("--dry-run", args.dry_run), ("--since", args.since),
                                   ("--resources", args.resources), ("--verify", args.verify),
                                   ("--follow", args.follow), ("--plan", args.plan),
                                   ("--mapping", args.mapping), ("--sample", args.sample),
                                   ("--webhook-port", args.webhook_port is not None))
             if on]
    if extra:
        raise ConfigurationError(f"--rollback does not take {', '.join(extra)}")
    target = _side(args, ctx, "target")
    with _journal_errors(args.journal):
        rollback = Rollback(target, args.journal)
    try:
        with _journal_errors(args.journal):
            report = rollback.run()
    except KeyboardInterrupt:
        ctx.error("interrupted; run the same command again to resume", fresh_line=True)
        return EXIT_INTERRUPTED
    finally:
        rollback.close()
    _Output.show(report, ctx.secrets)
    if report.errors:
        ctx.error(f"{len(report.errors)} object(s) could not be deleted (see above); run the "
                  "same command again to retry them")
        return EXIT_FAILED
    return EXIT_OK


def _migrate(args: argparse.Namespace, ctx: _Context) -> int:
    from .migrate.mapping import load as load_mapping

    if args.rollback:
        return _rollback(args, ctx)
    missing = [flag for flag, value in (("--from", args.source_provider),
                                        ("--to", args.target_provider)) if value is None]
    if missing:
        raise ConfigurationError(f"{' and '.join(missing)} required (except with --rollback)")
    if args.report and not args.verify:
        raise ConfigurationError("--report goes with --verify")
    if args.follow and _dry_run(args):
        raise ConfigurationError("--follow cannot be combined with --dry-run or --plan "
                                 "(following writes every change)")
    if not args.follow and (args.idle_timeout is not None or args.poll_interval is not None):
        raise ConfigurationError("--poll-interval and --idle-timeout go with --follow")
    if not args.follow and args.webhook_port is not None:
        raise ConfigurationError("--webhook-port goes with --follow")
    source_entry, target_entry = registry.get(args.source_provider), registry.get(
        args.target_provider)
    stdin = [flag for flag, value in (("--source-file", args.source_file),
                                      ("--target-file", args.target_file),
                                      ("--webhook-secret-file", args.webhook_secret_file))
             if value == "-"]
    if len(stdin) > 1:
        raise ConfigurationError(f"only one of {' and '.join(stdin)} can be '-' (stdin)")
    source_options = connect_options(source_entry, args.source, args.source_file,
                                     flag="--source", ctx=ctx)
    target_options = connect_options(target_entry, args.target, args.target_file,
                                     flag="--target", ctx=ctx)
    mapping = load_mapping(args.mapping) if args.mapping else None
    hooks = _receiver(args, ctx, source_entry) if args.webhook_port is not None else None
    try:
        return _migrate_and_follow(args, ctx, source_entry, target_entry, source_options,
                                   target_options, mapping, hooks)
    finally:
        if hooks is not None:
            hooks.close()


def _dry_run(args: argparse.Namespace) -> bool:
    """Whether the run writes nothing: ``--dry-run``, or ``--plan`` (written from a dry run)."""
    return bool(args.dry_run or args.plan)


def _receiver(args: argparse.Namespace, ctx: _Context, entry: Any) -> Any:
    """``--webhook-port``: the source's webhook receiver, serving from now on (the run's
    changes are queued for the follow)."""
    from .cli_webhooks import secret_from
    from .migrate import WebhookReceiver

    if entry.webhook_parser_ref is None:
        raise ConfigurationError(f"--webhook-port: {entry.display_name} sends no webhooks "
                                 "chatmodels can verify; follow it by polling")
    secret = secret_from(args.webhook_secret_file, args.webhook_secret_env,
                         file_flag="--webhook-secret-file")
    ctx.secrets.append(secret)
    try:
        hooks = WebhookReceiver(entry.name, secret=secret, host=args.webhook_host,
                                port=args.webhook_port)
    except OSError as exc:
        raise ConfigurationError(f"--webhook-port: cannot listen on {args.webhook_host}:"
                                 f"{args.webhook_port}: {_os_reason(exc)}") from None
    hooks.start()
    _Output.print(f"receiving {entry.display_name} webhooks on {hooks.url} (point the "
                  "source's webhook subscription at it)")
    sys.stdout.flush()
    return hooks


def _migrate_and_follow(args: argparse.Namespace, ctx: _Context, source_entry: Any,
                        target_entry: Any, source_options: Any, target_options: Any,
                        mapping: Any, hooks: Any) -> int:
    from .migrate import Migration, MigrationAborted
    from .migrate.plan import write_plan

    source = source_entry.connect(**source_options)
    target = target_entry.connect(**target_options)
    with _journal_errors(args.journal):
        migration = Migration(source, target, args.journal,
                              workers=args.workers, dry_run=_dry_run(args),
                              since=args.since, fail_fast=args.fail_fast,
                              progress=not args.no_progress,
                              default_agent_email=args.default_agent, mapping=mapping,
                              sample=args.sample,
                              allow_mapping_change=args.allow_mapping_change,
                              attachment_max_bytes=args.attachment_max_bytes)
    migration.settle = bool(args.follow)  # the run before following journals as a follow does
    following = False
    try:
        with _journal_errors(args.journal):
            report = migration.run(resources=args.resources or engine_resources())
        following = args.follow  # _follow closes the journal
    except MigrationAborted as exc:
        ctx.error(f"stopped on the first failure (--fail-fast): {exc}")
        return EXIT_FAILED
    except KeyboardInterrupt:
        ctx.error("interrupted; run the same command again to resume", fresh_line=True)
        return EXIT_INTERRUPTED
    finally:
        try:
            if not following:
                migration.close()
        except sqlite3.Error:  # pragma: no cover - closing a broken journal
            pass
    _Output.show(report, ctx.secrets)
    if args.plan:
        write_plan(args.plan, migration.mapper, source_entry.display_name,
                   target_entry.display_name)
        _Output.print(f"\nPlan written to {args.plan}: edit it, then pass --mapping "
                      f"{args.plan}")
    if following:
        return _follow(args, ctx, migration, hooks)
    if report.errors:
        ctx.error(f"{len(report.errors)} object(s) failed (see above and the journal "
                  f"{args.journal}); run the same command again to retry them")
        return EXIT_FAILED
    if args.verify and not _dry_run(args):
        return _verify(args, ctx, source, target)
    return EXIT_OK


#: seconds between two safety-net delta rounds of ``--follow --webhook-port`` by default
WEBHOOK_POLL_INTERVAL = 300.0


def _webhooks(args: argparse.Namespace, ctx: _Context) -> int:
    from .cli_webhooks import listen
    try:
        return listen(args, ctx, _Output.print)
    except OSError as exc:
        if isinstance(exc, BrokenPipeError):
            raise
        ctx.error(f"cannot listen on {args.host}:{args.port}: {_os_reason(exc)}")
        return EXIT_USAGE


def _os_reason(exc: OSError) -> str:
    """Why a socket could not be opened: the system's text for a positive errno (a failed
    name lookup has a negative one, which ``os.strerror`` calls "Unknown error")."""
    errno = exc.errno or 0
    return os.strerror(errno) if errno > 0 else (exc.strerror or str(exc))


def _followed(report: Any, written: int) -> None:
    when = time.strftime("%H:%M:%S")
    where = f"round {report.rounds + 1}" if report.mode == "polling" else \
        f"event {report.events}"
    _Output.print(f"{when} {where}: {written} object(s) written")


def _follow(args: argparse.Namespace, ctx: _Context, migration: Any, hooks: Any) -> int:
    """``--follow``: delta rounds (or the webhook receiver's events, with a safety-net round)
    until Ctrl-C or ``--idle-timeout`` (failed objects of the run are retried by the rounds;
    the exit code says whether any is left)."""
    default = 30.0 if hooks is None else WEBHOOK_POLL_INTERVAL
    interval = default if args.poll_interval is None else args.poll_interval
    until = "Ctrl-C" if args.idle_timeout is None else \
        f"nothing to do for {args.idle_timeout:g}s (or Ctrl-C)"
    how = (f"a delta round every {interval:g}s" if hooks is None else
           f"webhook events as they come, a safety-net delta round every {interval:g}s")
    _Output.print(f"\nfollowing the source: {how} until {until}")
    try:
        with _journal_errors(args.journal):
            result = migration.follow(None if hooks is None else hooks.queue,
                                      poll_interval=interval,
                                      idle_timeout=args.idle_timeout,
                                      resources=args.resources or engine_resources(),
                                      on_write=_followed)
    except KeyboardInterrupt:
        ctx.error("stopped following; run the same command again to catch up and follow "
                  "again", fresh_line=True)
        return EXIT_INTERRUPTED
    finally:
        try:
            migration.close()
        except sqlite3.Error:  # pragma: no cover - closing a broken journal
            pass
    _Output.show(result, ctx.secrets)
    if not result.ok:
        ctx.error(f"{result.failed_rows} object(s) failed (see above and the journal "
                  f"{args.journal}); run the same command again to retry them")
        return EXIT_FAILED
    return EXIT_OK


def _export(args: argparse.Namespace, ctx: _Context) -> int:
    from .cli_export import command
    return command(args, ctx)


def build_parser() -> argparse.ArgumentParser:
    """The ``chatmodels`` parser, each command's ``func`` set."""
    return cli_args.build_parser({"sandbox": _sandbox, "demo": _demo, "migrate": _migrate,
                                  "webhooks": _webhooks, "verify": _verify,
                                  "export": _export})


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
