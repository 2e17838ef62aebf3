"""Iterate N simulated Intercom contacts with chatmodels and with a plain requests+json loop.

    python benchmarks/iterate_contacts.py [--contacts 10000] [--repeat 3]

Both clients talk to the same local simulator over loopback (served from its own process, so it
does not share an interpreter lock with the loop being measured), 150 contacts a page, and read
every contact's email (kept in a list, as a script would). The two loops alternate; the script
prints the best and median wall time of each, their ratios, and the peak Python memory
(tracemalloc) of each loop, measured in separate runs so tracing does not skew timing.
"""

from __future__ import annotations

import argparse
import statistics
import time
import tracemalloc

import requests

from chatmodels import intercom
from chatmodels.testing import serve_process


def plain_loop(base_url: str, token: str) -> int:
    session = requests.Session()
    session.headers.update({"Authorization": f"Bearer {token}", "Intercom-Version": "2.16",
                            "Accept": "application/json"})
    params: dict[str, object] = {"per_page": 150}
    n = 0
    emails = []
    while True:
        body = session.get(f"{base_url}/contacts", params=params, timeout=30).json()
        for contact in body["data"]:
            emails.append(contact["email"])
            n += 1
        nxt = body.get("pages", {}).get("next")
        if not nxt:
            break
        params = {"per_page": 150, "starting_after": nxt["starting_after"]}
    session.close()
    return n


def chatmodels_loop(base_url: str, token: str) -> int:
    api = intercom.connect(access_token=token, base_url=base_url)
    n = 0
    emails = []
    for contact in api.Contact.all().page_size(150):
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
    with serve_process("intercom", seed=1, contacts=args.contacts, conversations=0) as sim:
        token = sim.credentials["access_token"]
        plain_loop(sim.base_url, token)  # warm up both paths
        chatmodels_loop(sim.base_url, token)
        plain_times, cm_times = [], []
        for _ in range(args.repeat):
            t, n1 = timed(plain_loop, sim.base_url, token)
            plain_times.append(t)
            t, n2 = timed(chatmodels_loop, sim.base_url, token)
            cm_times.append(t)
        assert n1 == n2 == args.contacts, (n1, n2)
        plain_peak = peak(plain_loop, sim.base_url, token)
        cm_peak = peak(chatmodels_loop, sim.base_url, token)
    best_plain, best_cm = min(plain_times), min(cm_times)
    med_plain, med_cm = statistics.median(plain_times), statistics.median(cm_times)
    print(f"contacts: {args.contacts}, page size 150, {args.repeat} runs each")
    print(f"plain requests+json : best {best_plain:6.3f} s  median {med_plain:6.3f} s  "
          f"peak {plain_peak / 1e6:6.2f} MB")
    print(f"chatmodels          : best {best_cm:6.3f} s  median {med_cm:6.3f} s  "
          f"peak {cm_peak / 1e6:6.2f} MB")
    print(f"ratio chatmodels/plain: best {best_cm / best_plain:.2f}x, "
          f"median {med_cm / med_plain:.2f}x (target <= 1.5x)")


if __name__ == "__main__":
    main()
