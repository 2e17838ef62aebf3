"""Iterate N simulated Brevo contacts with chatmodels and with a plain requests+json loop.

    python benchmarks/iterate_brevo.py [--contacts 10000] [--repeat 5]

Both clients talk to the same local Brevo simulator over loopback (served from its own
process), 1,000 contacts a page (Brevo's maximum for ``GET /contacts``, limit/offset paging),
and read every contact's email. The two loops alternate; the script prints the best and median
wall time of each, their ratios, and the peak Python memory (tracemalloc) of each loop, measured
in separate runs so tracing does not skew timing.
"""

from __future__ import annotations

import argparse
import statistics
import time
import tracemalloc

import requests

from chatmodels import brevo
from chatmodels.testing import serve_process

PAGE = 1000


def plain_loop(base_url: str, key: str) -> int:
    session = requests.Session()
    session.headers.update({"api-key": key, "Accept": "application/json"})
    offset, n = 0, 0
    emails = []
    while True:
        body = session.get(f"{base_url}/contacts", params={"limit": PAGE, "offset": offset},
                           timeout=30).json()
        for contact in body["contacts"]:
            emails.append(contact["email"])
            n += 1
        offset += len(body["contacts"])
        if len(body["contacts"]) < PAGE or offset >= body["count"]:
            break
    session.close()
    return n


def chatmodels_loop(base_url: str, key: str) -> int:
    api = brevo.connect(api_key=key, base_url=base_url)
    n = 0
    emails = []
    for contact in api.Contact.all().page_size(PAGE):
        emails.append(contact.email)
        n += 1
    api.close()
    return n


def timed(fn, *args) -> tuple[float, int]:
    start = time.perf_counter()
    n = fn(*args)
    return time.perf_counter() - start, n


def peak(fn, *args) -> int:
    tracemalloc.start()
    fn(*args)
    _, top = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return top


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--contacts", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with serve_process("brevo", seed=1, contacts=args.contacts, companies=0, notes=0,
                       events=0, conversations=0) as sim:
        key = sim.credentials["api_key"]
        plain_loop(sim.base_url, key)  # warm up both paths
        chatmodels_loop(sim.base_url, key)
        plain_times, cm_times = [], []
        for _ in range(args.repeat):
            t, n1 = timed(plain_loop, sim.base_url, key)
            plain_times.append(t)
            t, n2 = timed(chatmodels_loop, sim.base_url, key)
            cm_times.append(t)
        assert n1 == n2 == args.contacts, (n1, n2)
        plain_peak = peak(plain_loop, sim.base_url, key)
        cm_peak = peak(chatmodels_loop, sim.base_url, key)
    best_plain, best_cm = min(plain_times), min(cm_times)
    med_plain, med_cm = statistics.median(plain_times), statistics.median(cm_times)
    print(f"brevo contacts: {args.contacts}, page size {PAGE}, {args.repeat} runs each")
    print(f"plain requests+json : best {best_plain:6.3f} s  median {med_plain:6.3f} s  "
          f"peak {plain_peak / 1e6:6.2f} MB")
    print(f"chatmodels          : best {best_cm:6.3f} s  median {med_cm:6.3f} s  "
          f"peak {cm_peak / 1e6:6.2f} MB")
    print(f"ratio chatmodels/plain: best {best_cm / best_plain:.2f}x, "
          f"median {med_cm / med_plain:.2f}x (target <= 1.5x)")


if __name__ == "__main__":
    main()
