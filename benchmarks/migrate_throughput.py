"""Migration throughput against a rate-limited, slow target.

    python benchmarks/migrate_throughput.py [--contacts 300] [--limit 100] [--window 2]
                                            [--latency 0.02] [--workers 16]

A Crisp simulator (source) and an Intercom simulator (target) run in-process; the target
answers every request after ``--latency`` seconds and allows ``--limit`` requests per
``--window`` seconds (429 with X-RateLimit-* headers beyond). The script migrates everything
and prints the achieved target request rate as a fraction of the ceiling (limit / window).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

from chatmodels import crisp, intercom
from chatmodels.migrate import Migration
from chatmodels.testing import serve


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--contacts", type=int, default=300)
    parser.add_argument("--limit", type=int, default=100)
    parser.add_argument("--window", type=float, default=2.0)
    parser.add_argument("--latency", type=float, default=0.02)
    parser.add_argument("--workers", type=int, default=16)
    args = parser.parse_args()
    with serve("crisp", seed=3, contacts=args.contacts) as source:
        src = crisp.connect(base_url=source.base_url, **source.credentials)
        team = [(op.name, op.email) for op in src.Agent.all()]
        with serve("intercom", seed=3, contacts=0, conversations=0, teammates=team) as target:
            target.latency = args.latency
            target.rate_limit(limit=args.limit, window=args.window)
            dst = intercom.connect(base_url=target.base_url, max_retries=8,
                                   **target.credentials)
            target.clear_requests()
            with tempfile.TemporaryDirectory() as tmp:
                started = time.monotonic()
                report = Migration(src, dst, os.path.join(tmp, "bench.db"),
                                   workers=args.workers, progress=False).run()
                elapsed = time.monotonic() - started
            answered = [r for r in target.requests if r.status is not None]
            throttled = sum(1 for r in answered if r.status == 429)
            served = len(answered) - throttled
    ceiling = args.limit / args.window
    achieved = served / elapsed
    print(report)
    print(f"\ntarget: {args.limit} requests / {args.window:g}s (ceiling {ceiling:.1f} req/s), "
          f"latency {args.latency * 1000:.0f} ms, {args.workers} workers")
    print(f"served {served} requests in {elapsed:.1f}s, {throttled} answered 429")
    print(f"throughput {achieved:.1f} req/s = {achieved / ceiling:.0%} of the ceiling")


if __name__ == "__main__":
    main()
