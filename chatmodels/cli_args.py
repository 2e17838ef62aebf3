"""The ``chatmodels`` command's argument parser: options, their types, help text and exit codes.

:func:`build_parser` takes the command functions (``sandbox``, ``demo``, ``migrate``, and
``webhooks`` when given) and sets each as its sub-command's ``func``; a usage error is one line
and exit 2 (:class:`_Parser`), with argument values left out (a stray argument may be a secret).
"""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, NoReturn

from . import __version__, registry
from .cli_credentials import clean
from .migrate.attachments import DEFAULT_MAX_BYTES

PROG = "chatmodels"
EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
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


def _webhook_provider(value: str) -> str:
    name = _provider(value)
    if registry.get(name).webhook_parser_ref is None:
        raise argparse.ArgumentTypeError(f"{registry.get(name).display_name} has no webhook "
                                         "parser")
    return name


def _max_age(value: str) -> float | None:
    if value.strip().lower() == "none":
        return None
    try:
        number = float(value)
    except ValueError:
        number = -1.0
    if not number > 0 or number == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a number of seconds > 0 (or 'none'), "
                                         f"got {value!r}")
    return number


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


def _seconds(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        number = -1.0
    if not number >= 0 or number == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a number of seconds >= 0, got {value!r}")
    return number


def _port(value: str) -> int:
    number = _count(value)
    if number > 65535:
        raise argparse.ArgumentTypeError(f"expected a port number 0..65535, got {value!r}")
    return number


def _webhook_url(value: str) -> str:
    if not value.startswith(("http://", "https://")):
        raise argparse.ArgumentTypeError(f"expected an http(s) URL, got {value!r}")
    return value


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


def engine_resources() -> tuple[str, ...]:
    from .migrate import RESOURCES
    return tuple(RESOURCES)


def inside_steps() -> dict[str, str]:
    known = engine_resources()
    return {k: v for k, v in INSIDE_STEPS.items() if k not in known}


def _resources(value: str) -> list[str]:
    known = engine_resources()
    wanted = [part.strip() for part in value.split(",") if part.strip()]
    if not wanted:
        raise argparse.ArgumentTypeError(f"expected a comma-separated list of: "
                                         f"{','.join(known)}")
    inside = inside_steps()
    for name in wanted:
        if name in known:
            continue
        if name in inside:
            raise argparse.ArgumentTypeError(f"{name} migrate as part of {inside[name]}; "
                                             f"pass {inside[name]}")
        raise argparse.ArgumentTypeError(f"unknown resource {name!r}; choose from "
                                         f"{','.join(known)}")
    return wanted


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
  chatmodels migrate --from {source} --to {target} --journal {journal} --plan mapping.toml
  chatmodels migrate --from {source} --to {target} --journal {journal} --mapping mapping.toml \\
      --dry-run
  chatmodels migrate --from {source} --to {target} --journal {journal} --mapping mapping.toml \\
      --sample 20
  chatmodels migrate --from {source} --to {target} --journal {journal} --mapping mapping.toml
  chatmodels migrate --from {target} --to {source} --journal back.db \\
      --source-file {target}.env --target-file {source}.json --since 2026-01-01
  chatmodels migrate --from {source} --to {target} --journal {journal} --follow
  chatmodels migrate --from {source} --to {target} --journal {journal} --follow \\
      --webhook-port 8080 --webhook-secret-file hook-secret.txt
  chatmodels migrate --from {source} --to {target} --journal {journal} --follow \\
      --poll-interval 0 --idle-timeout 0
  chatmodels migrate --from {source} --to {target} --journal {journal} --verify --report v.html
  chatmodels migrate --rollback --journal {journal}

{EXIT_CODES}"""


def _resources_help() -> str:
    text = "comma-separated subset of: " + ",".join(engine_resources())
    inside: dict[str, list[str]] = {}
    for step, parent in inside_steps().items():
        inside.setdefault(parent, []).append(step)
    if inside:
        text += " (" + "; ".join(f"{' and '.join(v)} migrate as part of {k}"
                                 for k, v in inside.items()) + ")"
    return text + "; agents and tags always run, later steps need them (default: all)"


def build_parser(commands: Mapping[str, Callable[..., Any]]) -> argparse.ArgumentParser:
    """The parser; ``commands`` maps each command name to the function that runs it."""
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
    sandbox.add_argument("--webhook", type=_webhook_url, action="append", default=[],
                         metavar="URL", help="POST the provider's signed webhooks for every "
                                             "change to URL (repeatable)")
    sandbox.add_argument("--verbose", action="store_true", help="log every request")
    sandbox.set_defaults(func=commands["sandbox"])

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
    demo.set_defaults(func=commands["demo"])

    mig = sub.add_parser(
        "migrate", help="migrate a workspace from one provider to another",
        formatter_class=_Formatter, epilog=_migrate_epilog(),
        description="Copy a workspace from one provider to another: resumable (the journal "
                    "records every write)\nand exactly once (interrupted writes are looked up "
                    "before being retried). See docs/migration.md.")
    mig.add_argument("--from", dest="source_provider", type=_provider,
                     metavar="PROVIDER", help=f"the source: {_names()} (required, except with "
                                             "--rollback)")
    mig.add_argument("--to", dest="target_provider", type=_target_provider,
                     metavar="PROVIDER", help=f"the target: {_names()} (required; with "
                                             "--rollback, read from the journal if omitted)")
    mig.add_argument("--journal", required=True, type=_journal, metavar="FILE",
                     help="SQLite file that makes runs resumable (created if missing; keep it)")
    mig.add_argument("--dry-run", action="store_true", help="read everything, write nothing")
    mig.add_argument("--mapping", metavar="FILE",
                     help="mapping file (TOML): renames, type and value maps, defaults, agent "
                          "matches, filters and exclusions (see docs/migration.md)")
    mig.add_argument("--plan", metavar="FILE",
                     help="dry run that writes the mapping it would use to FILE (every source "
                          "field, where it lands or why not), to edit and pass to --mapping")
    mig.add_argument("--allow-mapping-change", action="store_true",
                     help="accept a mapping file other than the one the journal's earlier runs "
                          "used (by default such a run stops, exit 2: the target would hold "
                          "objects mapped two ways)")
    mig.add_argument("--sample", type=_positive, metavar="N",
                     help="migrate only N contacts with their conversations, notes, tags and "
                          "events (journaled: the full run afterwards skips them)")
    mig.add_argument("--since", type=_since, metavar="DATE",
                     help="only objects updated after this ISO 8601 date or date-time "
                          "(2026-01-01, 2026-01-01T09:30:00Z; UTC unless an offset is given)")
    mig.add_argument("--resources", type=_resources, metavar="LIST", help=_resources_help())
    mig.add_argument("--workers", type=_positive, default=8, metavar="N", help="concurrent writes")
    mig.add_argument("--fail-fast", action="store_true", help="stop at the first failure")
    mig.add_argument("--no-progress", action="store_true", help="no progress bars")
    mig.add_argument("--default-agent", metavar="EMAIL",
                     help="target agent for authors without a match (default: the token's own)")
    mig.add_argument("--verify", action="store_true",
                     help="after the run, verify every migrated object field by field (see "
                          "'chatmodels verify')")
    mig.add_argument("--report", type=_report, metavar="FILE",
                     help="with --verify: write the verification report (.csv or .html)")
    mig.add_argument("--rollback", action="store_true",
                     help="delete from the target what the journal created (nothing else), "
                          "then stop; resumable: run it again after an interruption")
    _sides(mig)
    mig.add_argument("--follow", action="store_true",
                     help="after the run, keep the target current: a delta round every "
                          "--poll-interval seconds (or the source's webhooks, with "
                          "--webhook-port) until Ctrl-C or --idle-timeout")
    mig.add_argument("--poll-interval", type=_seconds, default=None, metavar="SECONDS",
                     help="with --follow: seconds between two delta rounds (default 30; with "
                          "--webhook-port a safety net, default 300)")
    mig.add_argument("--idle-timeout", type=_seconds, default=None, metavar="SECONDS",
                     help="with --follow: stop once nothing was written for this long "
                          "(0: after the first round with nothing to do)")
    mig.add_argument("--attachment-max-bytes", type=_count, default=DEFAULT_MAX_BYTES,
                     metavar="N", help="largest attachment copied to the target; larger ones "
                                       f"become links, reported (default {DEFAULT_MAX_BYTES})")
    from .cli_webhooks import SECRET_ENV
    mig.add_argument("--webhook-port", type=_port, default=None, metavar="N",
                     help="with --follow: receive the source's webhooks on this port (0: any "
                          "free port) from the start of the run, and apply them as they come")
    mig.add_argument("--webhook-host", default="127.0.0.1", metavar="HOST",
                     help="with --webhook-port: interface to listen on (default 127.0.0.1)")
    secret = mig.add_mutually_exclusive_group()
    secret.add_argument("--webhook-secret-env", default=SECRET_ENV, metavar="VAR",
                        help=f"with --webhook-port: environment variable holding the source's "
                             f"webhook secret (default {SECRET_ENV})")
    secret.add_argument("--webhook-secret-file", metavar="PATH",
                        help="with --webhook-port: file holding the source's webhook secret "
                             "('-': stdin)")
    mig.set_defaults(func=commands["migrate"])

    ver = sub.add_parser(
        "verify", help="compare migrated objects with their source, field by field",
        formatter_class=_Formatter, epilog=_verify_epilog(),
        description="Read back every object a journal migrated and compare its canonical "
                    "fields with the source:\nequal, transformed or lost as the target "
                    "declares, or unexpectedly different (exit 1).\nThe providers come from "
                    "the journal unless --from/--to are given. See docs/migration.md.")
    ver.add_argument("--journal", required=True, type=_journal, metavar="FILE",
                     help="the journal of the migration to verify (read only)")
    ver.add_argument("--from", dest="source_provider", type=_provider, metavar="PROVIDER",
                     help="the source (default: the journal's)")
    ver.add_argument("--to", dest="target_provider", type=_target_provider,
                     metavar="PROVIDER", help="the target (default: the journal's)")
    ver.add_argument("--report", type=_report, metavar="FILE",
                     help="also write the report to FILE (.csv or .html)")
    ver.add_argument("--mapping", metavar="FILE",
                     help="compare through this mapping file instead of the one the journal "
                          "recorded")
    _sides(ver)
    ver.set_defaults(func=commands["verify"])
    if "webhooks" in commands:
        _add_webhooks(sub, commands["webhooks"])
    if "export" in commands:  # its options: chatmodels/cli_export.py
        from .cli_export import add_parser as add_export
        add_export(sub, commands["export"], _Formatter)
    return parser


def _add_webhooks(sub: Any, func: Callable[..., Any]) -> None:
    """``chatmodels webhooks listen PROVIDER``."""
    from .cli_webhooks import SECRET_ENV
    hooks = sub.add_parser("webhooks", help="receive provider webhooks (development)",
                           formatter_class=_Formatter,
                           description="Webhook tools. See docs/webhooks.md.")
    actions = hooks.add_subparsers(dest="webhooks_command", required=True, metavar="ACTION",
                                   title="actions")
    names = [e.name for e in registry.entries() if e.webhook_parser_ref is not None]
    first = names[0] if names else "PROVIDER"
    listen = actions.add_parser(
        "listen", help="print verified webhook events as they arrive",
        formatter_class=_Formatter,
        description="Serve a webhook endpoint (any path) on HOST:PORT that verifies each "
                    "delivery with the provider's scheme and prints every verified event on "
                    "one line; rejected deliveries are printed on stderr. For development: "
                    "the server is single-threaded. The secret is read from an environment "
                    "variable or a file, never from the command line.",
        epilog=f"""examples:
  export {SECRET_ENV}=...
  chatmodels webhooks listen {first} --port 8080
  chatmodels webhooks listen {first} --port 0 --secret-file hook-secret.txt

{EXIT_CODES}""")
    listen.add_argument("provider", type=_webhook_provider, help=f"one of: {', '.join(names)}")
    listen.add_argument("--host", default="127.0.0.1", help="interface to listen on")
    listen.add_argument("--port", type=_port, default=8080, metavar="N",
                        help="port (0: any free port)")
    source = listen.add_mutually_exclusive_group()
    source.add_argument("--secret-env", default=SECRET_ENV, metavar="VAR",
                        help="environment variable holding the webhook secret")
    source.add_argument("--secret-file", metavar="PATH",
                        help="file holding the webhook secret ('-': stdin)")
    listen.add_argument("--max-age", type=_max_age, default=300.0, metavar="SECONDS",
                        help="oldest signed timestamp accepted ('none': no limit)")
    listen.set_defaults(func=func)


def _sides(parser: argparse.ArgumentParser) -> None:
    """The options giving each side's connect() settings."""
    parser.add_argument("--source", action="append", default=[], metavar="KEY=VALUE",
                        help="a connect() setting of the source (see below; not for secrets)")
    parser.add_argument("--target", action="append", default=[], metavar="KEY=VALUE",
                        help="a connect() setting of the target (see below; not for secrets)")
    parser.add_argument("--source-file", metavar="PATH",
                        help="settings of the source: KEY=VALUE lines or JSON ('-': stdin)")
    parser.add_argument("--target-file", metavar="PATH",
                        help="settings of the target: KEY=VALUE lines or JSON ('-': stdin)")


def _report(value: str) -> str:
    if Path(value).suffix.lower() not in (".csv", ".html", ".htm"):
        raise argparse.ArgumentTypeError(f"expected a .csv or .html file name, got {value!r}")
    return _journal(value)


def _verify_epilog() -> str:
    return f"""\
{_credentials_help()}

examples (credentials in the environment variables above):
  chatmodels verify --journal run.db
  chatmodels verify --journal run.db --report verification.html
  chatmodels verify --journal run.db --mapping edited.toml   (not the mapping the run recorded)

exit codes:
  {EXIT_OK:<4} every field is equal, or differs as the mapping file or the target declares
  {EXIT_FAILED:<4} some fields are unexpectedly different, or objects could not be read
  {EXIT_USAGE:<4} usage or configuration error: bad option, credentials, journal"""
