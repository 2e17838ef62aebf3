"""The ``chatmodels`` command: ``migrate``, ``demo`` and ``sandbox`` (a simulator by hand)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def _sandbox(args: argparse.Namespace) -> int:
    try:
        from .testing import run_forever
    except ImportError:  # pragma: no cover - werkzeug missing
        print("the sandbox needs werkzeug: pip install 'chatmodels[sandbox]'", file=sys.stderr)
        return 2
    counts = {"contacts": args.contacts}
    if args.conversations is not None:
        counts["conversations"] = args.conversations
    run_forever(args.provider, host=args.host, port=args.port, seed=args.seed,
                verbose=args.verbose, **counts)
    return 0


def _demo(args: argparse.Namespace) -> int:
    if args.tour:
        from .demo import main as tour
        return tour(contacts=args.contacts, conversations=args.conversations)
    from .migrate.demo import main as demo_main
    return demo_main(contacts=args.contacts, conversations=args.conversations,
                     workers=args.workers)


def _options(pairs: Sequence[str]) -> dict[str, object]:
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise SystemExit(f"chatmodels: expected KEY=VALUE, got {pair!r}")
        out[key.replace("-", "_")] = _number(value)
    return out


def _number(value: str) -> object:
    for kind in (int, float):
        try:
            return kind(value)
        except ValueError:
            pass
    return value


def _connect(provider: str, options: dict[str, object]) -> object:
    import importlib

    try:
        module = importlib.import_module(f"chatmodels.{provider}")
    except ImportError:
        raise SystemExit(f"chatmodels: unknown provider {provider!r} (intercom, crisp)") from None
    return module.connect(**options)


def _migrate(args: argparse.Namespace) -> int:
    from .errors import ChatModelsError
    from .migrate import RESOURCES, Migration, MigrationAborted

    resources = args.resources.split(",") if args.resources else list(RESOURCES)
    try:
        source = _connect(args.source_provider, _options(args.source))
        target = _connect(args.target_provider, _options(args.target))
        migration = Migration(source, target, args.journal,  # type: ignore[arg-type]
                              workers=args.workers, dry_run=args.dry_run, since=args.since,
                              fail_fast=args.fail_fast, progress=not args.no_progress,
                              default_agent_email=args.default_agent)
        report = migration.run(resources=resources)
    except MigrationAborted as exc:
        print(f"chatmodels migrate: stopped on the first failure (--fail-fast): {exc}",
              file=sys.stderr)
        return 1
    except (ChatModelsError, ValueError) as exc:
        print(f"chatmodels migrate: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("chatmodels migrate: interrupted; run the same command again to resume",
              file=sys.stderr)
        return 130
    print(report)
    if report.errors:
        print(f"\nchatmodels migrate: {len(report.errors)} object(s) failed (see above and the "
              f"journal {args.journal}); re-run to retry them", file=sys.stderr)
        return 1
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="chatmodels", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    sandbox = sub.add_parser("sandbox", help="serve a provider simulator on loopback")
    sandbox.add_argument("provider", help="intercom or crisp")
    sandbox.add_argument("--host", default="127.0.0.1")
    sandbox.add_argument("--port", type=int, default=8000)
    sandbox.add_argument("--seed", type=int, default=0)
    sandbox.add_argument("--contacts", type=int, default=250)
    sandbox.add_argument("--conversations", type=int, default=None)
    sandbox.add_argument("--verbose", action="store_true", help="log every request")
    sandbox.set_defaults(func=_sandbox)

    demo = sub.add_parser("demo", help="migrate between two local simulators and verify")
    demo.add_argument("--contacts", type=int, default=1500)
    demo.add_argument("--conversations", type=int, default=None)
    demo.add_argument("--workers", type=int, default=16)
    demo.add_argument("--tour", action="store_true",
                      help="instead: a short tour of the object model on the Intercom simulator")
    demo.set_defaults(func=_demo)

    mig = sub.add_parser("migrate", help="migrate a workspace from one provider to another")
    mig.add_argument("--from", dest="source_provider", required=True, help="intercom or crisp")
    mig.add_argument("--to", dest="target_provider", required=True, help="intercom or crisp")
    mig.add_argument("--journal", required=True, help="SQLite file that makes runs resumable")
    mig.add_argument("--dry-run", action="store_true", help="read everything, write nothing")
    mig.add_argument("--since", help="only objects updated after this ISO date/time")
    mig.add_argument("--resources", help="comma-separated subset of: agents,tags,"
                     "contact_fields,contacts,conversations")
    mig.add_argument("--workers", type=int, default=8, help="concurrent writes (default 8)")
    mig.add_argument("--fail-fast", action="store_true", help="stop at the first failure")
    mig.add_argument("--no-progress", action="store_true", help="no progress bars")
    mig.add_argument("--default-agent", help="target agent email for unmatched authors")
    mig.add_argument("--source", action="append", default=[], metavar="KEY=VALUE",
                     help="connect() option of the source (else its environment variables)")
    mig.add_argument("--target", action="append", default=[], metavar="KEY=VALUE",
                     help="connect() option of the target (else its environment variables)")
    mig.set_defaults(func=_migrate)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
