"""``Contact.all().to_pandas()`` against ``pd.json_normalize`` over the same pages fetched with
plain requests, on N simulated Intercom contacts.

    python benchmarks/to_pandas.py [--contacts 100000] [--repeat 3]

Both talk to the same simulator, served from its own process, 150 contacts a page. The plain
loop keeps every page's ``data`` list and normalizes them at the end, as a script would. The
two alternate; the script prints the best and median wall time of each and their ratio
(target <= 2x), then, in separate traced runs (tracemalloc), the peak Python memory of
``to_pandas()`` against the deep memory size of the DataFrame it returns (target <= 2x) and
the same for the plain loop.
"""

from __future__ import annotations

import argparse
import statistics
import tracemalloc
from typing import Any

import pandas as pd
import requests
from harness import timed

from chatmodels import intercom
from chatmodels.testing import serve_process

PAGE = 150


def plain_frame(base_url: str, token: str) -> pd.DataFrame:
    session = requests.Session()
    session.headers.update({"Authorization": f"Bearer {token}", "Intercom-Version": "2.16",
                            "Accept": "application/json"})
    params: dict[str, object] = {"per_page": PAGE}
    records: list[dict[str, Any]] = []
    while True:
        body = session.get(f"{base_url}/contacts", params=params, timeout=30).json()
        records.extend(body["data"])
        nxt = body.get("pages", {}).get("next")
        if not nxt:
            break
        params = {"per_page": PAGE, "starting_after": nxt["starting_after"]}
    session.close()
    return pd.json_normalize(records)


def chatmodels_frame(base_url: str, token: str) -> pd.DataFrame:
    with intercom.connect(access_token=token, base_url=base_url) as api:
        return api.Contact.all().page_size(PAGE).to_pandas(progress=False)


def rows(fn: Any, *args: Any) -> int:
    return len(fn(*args))


def traced(fn: Any, *args: Any) -> tuple[int, int]:
    """(peak traced bytes while building, deep size of the frame built)."""
    tracemalloc.start()
    df = fn(*args)
    _, top = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return top, int(df.memory_usage(deep=True).sum())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with serve_process("intercom", seed=1, contacts=args.contacts, conversations=0) as sim:
        cred = (sim.base_url, sim.credentials["access_token"])
        plain_times, cm_times = [], []
        for _ in range(args.repeat):
            t, n1 = timed(rows, plain_frame, *cred)
            plain_times.append(t)
            t, n2 = timed(rows, chatmodels_frame, *cred)
            cm_times.append(t)
            assert n1 == n2 == args.contacts, (n1, n2)
        cm_peak, cm_size = traced(chatmodels_frame, *cred)
        plain_peak, plain_size = traced(plain_frame, *cred)
    best_p, best_c = min(plain_times), min(cm_times)
    print(f"contacts: {args.contacts}, page size {PAGE}, {args.repeat} runs each")
    print(f"plain requests + json_normalize : best {best_p:6.2f} s  median "
          f"{statistics.median(plain_times):6.2f} s  peak {plain_peak / 1e6:7.1f} MB  "
          f"frame {plain_size / 1e6:6.1f} MB ({plain_peak / plain_size:.2f}x)")
    print(f"chatmodels to_pandas()          : best {best_c:6.2f} s  median "
          f"{statistics.median(cm_times):6.2f} s  peak {cm_peak / 1e6:7.1f} MB  "
          f"frame {cm_size / 1e6:6.1f} MB ({cm_peak / cm_size:.2f}x, target <= 2x)")
    print(f"time ratio to_pandas/plain: best {best_c / best_p:.2f}x, median "
          f"{statistics.median(cm_times) / statistics.median(plain_times):.2f}x "
          f"(target <= 2x)")


if __name__ == "__main__":
    main()
