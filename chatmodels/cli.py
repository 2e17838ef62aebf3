"""The ``chatmodels`` command: ``sandbox`` (run a simulator by hand) and ``demo``."""

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
    from .demo import main as demo_main
    return demo_main(contacts=args.contacts, conversations=args.conversations)


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

    demo = sub.add_parser("demo", help="run the demo against local simulators")
    demo.add_argument("--contacts", type=int, default=300)
    demo.add_argument("--conversations", type=int, default=None)
    demo.set_defaults(func=_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
