"""The ``chatmodels export`` command: its options (:func:`add_parser`, called by
:func:`chatmodels.cli_args.build_parser`) and its run (:func:`command`, the error boundary's
part for exports). The export itself is :class:`chatmodels.export.Export`.
"""

from __future__ import annotations

import argparse
import sqlite3
from typing import Any

import requests

from .errors import (
    AuthenticationError,
    ChatModelsError,
    ConfigurationError,
    PermissionDenied,
    ValidationError,
)
from .export import FORMATS, Export


def add_parser(sub: Any, func: Any, formatter: type[argparse.HelpFormatter]) -> None:
    """The ``export`` sub-command (called by :func:`chatmodels.cli_args.build_parser`)."""
    from . import registry
    from .cli_args import EXIT_CODES, _positive, _provider
    names = registry.names()
    first = names[0]
    env = ", ".join(f"${v}" for v in registry.get(first).env.values())
    parser = sub.add_parser(
        "export", help="export one resource to a JSONL, CSV or Parquet file",
        formatter_class=formatter,
        description="Write every object of one resource (its canonical to_dict()) to a file. "
                    "Resumable: an\ninterrupted export carries on where it stopped when run "
                    "again, and writes each object\nonce. See docs/export.md.",
        epilog=f"""\
credentials: as for 'chatmodels migrate' (its --help lists each provider's keys):
the environment ({first}: {env}),
--source-file PATH, or --source KEY=VALUE (not for secrets: `ps` shows them).

examples:
  chatmodels export {first} contacts -o contacts.csv
  chatmodels export {first} conversations --format jsonl -o conversations.jsonl
  chatmodels export {first} contacts -o contacts.parquet --base-url http://127.0.0.1:8000

{EXIT_CODES}""")
    parser.add_argument("provider", type=_provider, help=f"one of: {', '.join(names)}")
    parser.add_argument("resource", help="what to export: contacts, conversations, tags, "
                                         "agents, contact_fields...")
    parser.add_argument("-o", "--output", required=True, metavar="FILE", help="the file to write")
    parser.add_argument("--format", choices=FORMATS, default=None,
                        help="jsonl, csv or parquet (default: from the FILE's suffix)")
    parser.add_argument("--journal", metavar="PATH",
                        help="SQLite file that makes the export resumable (default: FILE.journal)")
    parser.add_argument("--page-size", type=_positive, metavar="N",
                        help="objects per request (default: the provider's)")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace FILE even when this export's journal did not write it")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--base-url", metavar="URL", help="the API's base URL (a simulator's)")
    parser.add_argument("--source", action="append", default=[], metavar="KEY=VALUE",
                        help="a connect() setting (not for secrets)")
    parser.add_argument("--source-file", metavar="PATH",
                        help="settings: KEY=VALUE lines or JSON ('-': stdin)")
    parser.set_defaults(func=func)


def command(args: argparse.Namespace, ctx: Any) -> int:
    """Run ``chatmodels export`` (``ctx``: the CLI's reporter of errors and secrets)."""
    from . import registry
    from .cli_args import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK
    from .cli_credentials import connect_options

    entry = registry.get(args.provider)
    pairs = list(args.source) + ([f"base_url={args.base_url}"] if args.base_url else [])
    options = connect_options(entry, pairs, args.source_file, flag="--source", ctx=ctx)
    client = entry.connect(**options)
    try:
        export = Export(client, args.resource, args.output, fmt=args.format,
                        journal=args.journal, page_size=args.page_size,
                        progress=not args.no_progress, overwrite=args.overwrite)
    except BaseException:  # an unknown resource, no pyarrow...: the client is closed too
        client.close()
        raise
    try:
        result = export.run()
    except KeyboardInterrupt:
        ctx.error("interrupted; run the same command again to resume", fresh_line=True)
        return EXIT_INTERRUPTED
    except (sqlite3.Error, OSError) as exc:
        if isinstance(exc, (BrokenPipeError, requests.RequestException)):
            raise
        raise ConfigurationError(f"{export.output}: {exc}") from None
    except ChatModelsError as exc:
        if isinstance(exc, (ConfigurationError, AuthenticationError, PermissionDenied)) or (
                isinstance(exc, ValidationError) and exc.status is None):
            raise  # exit 2: nothing to resume until the settings or the command change
        ctx.error(f"{exc}; run the same command again to resume")
        return EXIT_FAILED
    finally:
        client.close()
    resumed = f" ({result.written} in this run, resumed)" if result.resumed else ""
    print(f"exported {result.count} {export.resource} to {result.output}{resumed}", flush=True)
    return EXIT_OK
