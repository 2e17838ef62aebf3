"""The ``chatmodels`` command (also ``python -m chatmodels``): migrate, demo, sandbox.

Rules at this boundary: a usage or configuration error is one line on stderr and exit 2
(never a traceback); Ctrl-C is one line and exit 130; a closed output pipe (``| head``) ends
quietly; and no secret reaches the screen -- secrets come from the environment or a file
rather than argv (``ps`` shows argv), and every message printed is redacted and has its
control characters escaped. Which providers exist comes from :mod:`chatmodels.registry`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import socket
import sqlite3
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

import requests

from . import __version__, registry
from .errors import ChatModelsError, ConfigurationError

PROG = "chatmodels"
EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
#: settings common to every provider that are numbers, not strings
NUMERIC_SETTINGS: dict[str, type] = {"timeout": float, "max_retries": int}
#: migration steps that run inside another step when the engine does not list them itself
INSIDE_STEPS = {"notes": "contacts", "events": "contacts", "messages": "conversations"}
DEBUG_ENV = "CHATMODELS_DEBUG"

EXIT_CODES = f"""\
exit codes:
  {EXIT_OK:<4} everything went well
  {EXIT_FAILED:<4} some objects failed (they are listed; run the same command again to retry
       them), or an unexpected error (set {DEBUG_ENV}=1 for its traceback)
  {EXIT_USAGE:<4} usage or configuration error: bad option, credentials, journal
  {EXIT_INTERRUPTED:<4} interrupted (Ctrl-C); run the same command again to resume"""


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


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _secret_forms(secret: str) -> set[str]:
    """The ways a secret can show up in a message: raw, escaped, or a line of it."""
    forms = {secret, repr(secret)[1:-1], json.dumps(secret)[1:-1],
             secret.encode("unicode_escape").decode("ascii")}
    forms.update(part for part in _CONTROL.split(secret) if len(part) >= 6)
    return {form for form in forms if len(form) >= 4}


def clean(text: str, secrets: Sequence[str] = ()) -> str:
    """``text`` as one safe line: secrets replaced by ``***``, control characters escaped."""
    forms = sorted({f for s in secrets if s for f in _secret_forms(str(s))}, key=len,
                   reverse=True)

    def redact(value: str) -> str:
        for form in forms:
            value = value.replace(form, "***")
        return value

    text = redact(text)
    text = _CONTROL.sub(lambda m: repr(m.group())[1:-1], text)
    return redact(text)


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


# -- argument types (argparse turns ArgumentTypeError into "argument --x: ..." and exit 2) --
class _Parser(argparse.ArgumentParser):
    """Usage errors as one line (plus where to look), exit 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {clean(message)} "
                              f"(see '{self.prog} --help')\n")

    def parse_args(self, args: Sequence[str] | None = None,  # type: ignore[override]
                   namespace: argparse.Namespace | None = None) -> argparse.Namespace:
        parsed, extras = self.parse_known_args(args, namespace)
        if extras:  # shown without values: a stray argument may well be a secret
            shown = [a.partition("=")[0] + ("=..." if "=" in a else "")
                     if a.startswith("-") else "..." for a in extras]
            self.error(f"unrecognized arguments: {' '.join(shown)}")
        return parsed


class _Formatter(argparse.RawDescriptionHelpFormatter, argparse.ArgumentDefaultsHelpFormatter):
    """Descriptions and epilogs as written; defaults shown where there is one worth showing."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        default = action.default
        if (default is None or default is False or default == [] or default == argparse.SUPPRESS
                or "%(default)" in text or not action.option_strings):
            return text
        return text + " (default: %(default)s)"


def _provider(value: str) -> str:
    try:
        return registry.get(value).name
    except registry.UnknownProvider as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _target_provider(value: str) -> str:
    name = _provider(value)
    if registry.get(name).target_ref is None:
        raise argparse.ArgumentTypeError(f"{registry.get(name).display_name} cannot be a "
                                         "migration target yet")
    return name


def _count(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = -1
    if number < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got {value!r}")
    return number


def _positive(value: str) -> int:
    number = _count(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {value!r}")
    return number


def _port(value: str) -> int:
    number = _count(value)
    if number > 65535:
        raise argparse.ArgumentTypeError(f"expected a port number 0..65535, got {value!r}")
    return number


def _since(value: str) -> dt.datetime:
    text = value.strip()
    try:
        parsed = dt.datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith(("Z", "z"))
                                           else text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected an ISO 8601 date or date-time such as 2026-01-01 or "
            f"2026-01-01T09:30:00Z (UTC unless an offset is given), got {value!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)


def _journal(value: str) -> str:
    path = Path(value)
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{value!r} is a directory; name a file in it")
    parent = path.parent
    if not parent.is_dir():
        raise argparse.ArgumentTypeError(f"the directory {str(parent)!r} of {value!r} does not "
                                         "exist")
    return value


def _engine_resources() -> tuple[str, ...]:
    from .migrate import RESOURCES
    return tuple(RESOURCES)


def _inside_steps() -> dict[str, str]:
    known = _engine_resources()
    return {k: v for k, v in INSIDE_STEPS.items() if k not in known}


def _resources(value: str) -> list[str]:
    known = _engine_resources()
    wanted = [part.strip() for part in value.split(",") if part.strip()]
    if not wanted:
        raise argparse.ArgumentTypeError(f"expected a comma-separated list of: "
                                         f"{','.join(known)}")
    inside = _inside_steps()
    for name in wanted:
        if name in known:
            continue
        if name in inside:
            raise argparse.ArgumentTypeError(f"{name} migrate as part of {inside[name]}; "
                                             f"pass {inside[name]}")
        raise argparse.ArgumentTypeError(f"unknown resource {name!r}; choose from "
                                         f"{','.join(known)}")
    return wanted


# -- credentials ---------------------------------------------------------------------------
def _read_secret_file(path: str, flag: str) -> dict[str, object]:
    """``KEY=VALUE`` lines (``#`` comments, optional ``export`` and quotes) or a JSON object.

    Errors name the file and line, never the content (it holds secrets).
    """
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not UTF-8 text"
        raise ConfigurationError(f"{flag} {path!r}: cannot read it ({reason})") from None
    where = "stdin" if path == "-" else repr(path)
    if text.lstrip().startswith("{"):
        try:
            data = json.loads(text)
        except ValueError:
            raise ConfigurationError(f"{flag} {where}: not valid JSON") from None
        out: dict[str, object] = {}
        for key, val in data.items():
            if not isinstance(val, (str, int, float)) or isinstance(val, bool):
                raise ConfigurationError(f"{flag} {where}: the value of {key!r} must be a "
                                         "string or a number")
            out[str(key)] = val
        return out
    out = {}
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[len("export "):].lstrip()
        key, sep, val = line.partition("=")
        if not sep or not key.strip():
            raise ConfigurationError(f"{flag} {where}, line {number}: expected KEY=VALUE")
        val = val.strip()
        if len(val) >= 2 and val[0] == val[-1] and val[0] in "'\"":
            val = val[1:-1]
        out[key.strip()] = val
    return out


def _setting_name(entry: registry.Provider, key: str) -> str:
    """A setting name from ``access-token``, ``access_token`` or ``INTERCOM_ACCESS_TOKEN``."""
    by_env = {env: name for name, env in entry.env.items()}
    return by_env.get(key) or key.strip().lower().replace("-", "_")


def _typed(key: str, value: object, flag: str) -> object:
    kind = NUMERIC_SETTINGS.get(key)
    if kind is None or not isinstance(value, str):
        return value
    try:
        return kind(value)
    except ValueError:
        raise ConfigurationError(f"{flag} {key}: expected a number, got {value!r}") from None


def connect_options(entry: registry.Provider, pairs: Sequence[str], file: str | None, *,
                    flag: str, ctx: _Context) -> dict[str, object]:
    """``connect()`` options of one side: the file's, then argv's (which win).

    Unknown keys are a :class:`ConfigurationError` listing the accepted ones; a secret given
    on argv is accepted with a warning (``ps`` shows it). Secret values, wherever they come
    from (argv, file, environment), are added to ``ctx.secrets``.
    """
    given: list[tuple[str, object, str]] = []  # (setting, value, where)
    if file is not None:
        for key, value in _read_secret_file(file, f"{flag}-file").items():
            given.append((_setting_name(entry, key), value, f"{flag}-file"))
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():  # the argument itself is not shown: it may be a secret
            raise ConfigurationError(f"{flag}: expected KEY=VALUE, got an argument "
                                     + ("without '='" if not sep else "with an empty key"))
        given.append((_setting_name(entry, key), value, flag))
    accepted = entry.connect_keys
    options: dict[str, object] = {}
    for key, value, where in given:
        if key not in accepted:
            raise ConfigurationError(f"{where}: " + registry.unknown_option_message(
                entry.name, [key], accepted, what="key"))
        if key in entry.secret_settings:
            ctx.secrets.append(str(value))
        options[key] = _typed(key, value, where)
    for key, _value, where in given:
        if where == flag and key in entry.secret_settings:
            env = entry.env.get(key)
            ctx.error(f"warning: {flag} {key}=... puts a secret on the command line, where "
                      f"`ps` and the shell history show it; use "
                      + (f"${env} or " if env else "") + f"{flag}-file PATH instead")
    defaults = entry.config().settings()  # class-level settings, else the environment
    ctx.secrets.extend(str(defaults[k]) for k in entry.secret_settings if defaults.get(k))
    return options


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
        from .demo import main as tour
        return tour(contacts=300 if args.contacts is None else args.contacts,
                    conversations=args.conversations)
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
                              default_agent_email=args.default_agent)
    try:
        with _journal_errors(args.journal):
            report = migration.run(resources=args.resources or _engine_resources())
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


# -- the parser ----------------------------------------------------------------------------
def _names() -> str:
    return ", ".join(registry.names())


def _description() -> str:
    displays = ", ".join(e.display_name for e in registry.entries())
    return f"""\
chatmodels: one object model over customer-messaging platforms ({displays}),
with local simulators and a resumable, exactly-once migration between providers.
Run 'chatmodels COMMAND --help' for a command's options."""


def _pair() -> tuple[str, str]:
    """A (source, target) pair of registered providers for the examples."""
    names = registry.names()
    return (names[1] if len(names) > 1 else names[0]), names[0]


def _main_epilog() -> str:
    source, target = _pair()
    return f"""\
examples:
  chatmodels sandbox {target} --port 8000
  chatmodels demo --tour
  chatmodels migrate --from {source} --to {target} --journal {source}-to-{target}.db --dry-run
  python -m chatmodels migrate --help

{EXIT_CODES}"""


def _credentials_help() -> str:
    lines = ["credentials, per provider (keys marked * are secrets):"]
    for entry in registry.entries():
        secret = set(entry.secret_settings)
        keys = ", ".join(k + ("*" if k in secret else "") for k in entry.connect_keys)
        env = ", ".join(entry.env.values())
        lines += [f"  {entry.name} ({entry.display_name})",
                  f"    keys:        {keys}",
                  f"    environment: {env}"]
    lines += [
        "  Each side reads, in order of precedence: --source/--target KEY=VALUE, then",
        "  --source-file/--target-file PATH (KEY=VALUE lines, environment-variable names",
        "  accepted, or a JSON object; '-' reads stdin), then the environment. Keep secrets",
        "  out of --source/--target: the command line is visible to other users in `ps`.",
    ]
    return "\n".join(lines)


def _migrate_epilog() -> str:
    source, target = _pair()
    journal = f"{source}-to-{target}.db"
    return f"""\
{_credentials_help()}

examples (credentials in the environment variables above):
  chatmodels migrate --from {source} --to {target} --journal {journal} --dry-run
  chatmodels migrate --from {source} --to {target} --journal {journal}
  chatmodels migrate --from {target} --to {source} --journal back.db \\
      --source-file {target}.env --target-file {source}.json --since 2026-01-01

{EXIT_CODES}"""


def _resources_help() -> str:
    text = "comma-separated subset of: " + ",".join(_engine_resources())
    inside: dict[str, list[str]] = {}
    for step, parent in _inside_steps().items():
        inside.setdefault(parent, []).append(step)
    if inside:
        text += " (" + "; ".join(f"{' and '.join(v)} migrate as part of {k}"
                                 for k, v in inside.items()) + ")"
    return text + "; agents and tags always run, later steps need them (default: all)"


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, description=_description(), epilog=_main_epilog(),
                     formatter_class=_Formatter)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND",
                                title="commands")

    sandbox = sub.add_parser(
        "sandbox", help="serve a provider simulator on loopback", formatter_class=_Formatter,
        description="Serve a seeded provider simulator in the foreground until Ctrl-C; it "
                    "prints its base URL\nand credentials, to pass to connect(...).",
        epilog="examples:\n" + "".join(f"  chatmodels sandbox {name} --port 8000\n"
                                        for name in registry.names())
               + f"  chatmodels sandbox {registry.names()[0]} --port 0 --contacts 50 --verbose")
    sandbox.add_argument("provider", type=_provider, help=f"one of: {_names()}")
    sandbox.add_argument("--host", default="127.0.0.1", help="interface to listen on")
    sandbox.add_argument("--port", type=_port, default=8000, metavar="N", help="port (0: any free port)")
    sandbox.add_argument("--seed", type=int, default=0, metavar="N", help="seed of the generated data")
    sandbox.add_argument("--contacts", type=_count, default=250, metavar="N", help="contacts to generate")
    sandbox.add_argument("--conversations", type=_count, default=None, metavar="N",
                         help="conversations to generate (default: the simulator's own, "
                              "about half the contacts)")
    sandbox.add_argument("--verbose", action="store_true", help="log every request")
    sandbox.set_defaults(func=_sandbox)

    demo = sub.add_parser(
        "demo", help="migrate between two local simulators and verify",
        formatter_class=_Formatter,
        description="Start two local simulators, migrate one into the other with progress "
                    "bars, then compare\nboth sides. With --tour: a short guided tour of the "
                    "object model on one simulator instead.",
        epilog="examples:\n  chatmodels demo\n  chatmodels demo --contacts 300 --workers 4\n"
               "  chatmodels demo --tour")
    demo.add_argument("--contacts", type=_count, default=None, metavar="N",
                      help="contacts to generate (default: 1500, or 300 with --tour)")
    demo.add_argument("--conversations", type=_count, default=None, metavar="N",
                      help="conversations to generate (default: half the contacts)")
    demo.add_argument("--workers", type=_positive, default=16, metavar="N", help="concurrent writes")
    demo.add_argument("--tour", action="store_true",
                      help="instead: a short tour of the object model on a simulator")
    demo.set_defaults(func=_demo)

    mig = sub.add_parser(
        "migrate", help="migrate a workspace from one provider to another",
        formatter_class=_Formatter, epilog=_migrate_epilog(),
        description="Copy a workspace from one provider to another: resumable (the journal "
                    "records every write)\nand exactly once (interrupted writes are looked up "
                    "before being retried). See docs/migration.md.")
    mig.add_argument("--from", dest="source_provider", required=True, type=_provider,
                     metavar="PROVIDER", help=f"the source: {_names()}")
    mig.add_argument("--to", dest="target_provider", required=True, type=_target_provider,
                     metavar="PROVIDER", help=f"the target: {_names()}")
    mig.add_argument("--journal", required=True, type=_journal, metavar="FILE",
                     help="SQLite file that makes runs resumable (created if missing; keep it)")
    mig.add_argument("--dry-run", action="store_true", help="read everything, write nothing")
    mig.add_argument("--since", type=_since, metavar="DATE",
                     help="only objects updated after this ISO 8601 date or date-time "
                          "(2026-01-01, 2026-01-01T09:30:00Z; UTC unless an offset is given)")
    mig.add_argument("--resources", type=_resources, metavar="LIST", help=_resources_help())
    mig.add_argument("--workers", type=_positive, default=8, metavar="N", help="concurrent writes")
    mig.add_argument("--fail-fast", action="store_true", help="stop at the first failure")
    mig.add_argument("--no-progress", action="store_true", help="no progress bars")
    mig.add_argument("--default-agent", metavar="EMAIL",
                     help="target agent for authors without a match (default: the token's own)")
    mig.add_argument("--source", action="append", default=[], metavar="KEY=VALUE",
                     help="a connect() setting of the source (see below; not for secrets)")
    mig.add_argument("--target", action="append", default=[], metavar="KEY=VALUE",
                     help="a connect() setting of the target (see below; not for secrets)")
    mig.add_argument("--source-file", metavar="PATH",
                     help="settings of the source: KEY=VALUE lines or JSON ('-': stdin)")
    mig.add_argument("--target-file", metavar="PATH",
                     help="settings of the target: KEY=VALUE lines or JSON ('-': stdin)")
    mig.set_defaults(func=_migrate)
    return parser


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
