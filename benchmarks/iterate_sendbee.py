"""Iterate N simulated Sendbee contacts with chatmodels and with a plain requests+json loop.

    python benchmarks/iterate_sendbee.py [--contacts 10000] [--repeat 5]

Both clients talk to the same local Sendbee simulator over loopback (served from its own
process, rate limit off), 100 contacts a page (Sendbee's maximum), sign every request with a
fresh ``X-Auth-Token``, and read every contact's phone (kept in a list, as a script would). The
two loops alternate; the script prints the best and median wall time of each, their ratios, and
the peak Python memory (tracemalloc) of each loop, measured in separate runs so tracing does not
skew timing.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import statistics
import time
import tracemalloc

import requests

from chatmodels import sendbee
from chatmodels.testing import serve_process


def token(secret: str) -> str:
    ts = str(int(time.time()))
    digest = hmac.new(secret.encode(), ts.encode(), hashlib.sha256).hexdigest()
    return base64.b64encode(f"{ts}.{digest}".encode()).decode()


def plain_loop(base_url: str, key: str, secret: str) -> int:
    session = requests.Session()
    session.headers.update({"X-Api-Key": key, "Accept": "application/json"})
    page, n = 1, 0
    phones = []
    while True:
        body = session.get(f"{base_url}/contacts", params={"page": page, "limit": 100},
                           headers={"X-Auth-Token": token(secret)}, timeout=30).json()
        for contact in body["data"]:
            phones.append(contact["phone"])
            n += 1
        meta = body["meta"]
        if meta["current_page"] >= meta["last_page"]:
            break
        page += 1
    session.close()
    return n


def chatmodels_loop(base_url: str, key: str, secret: str) -> int:
    api = sendbee.connect(api_key=key, api_secret=secret, base_url=base_url)
    n = 0
    phones = []
    for contact in api.Contact.all().page_size(100):
        phones.append(contact.phone)
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
    with serve_process("sendbee", seed=1, contacts=args.contacts, conversations=0,
                       requests_per_minute=0) as sim:
        creds = (sim.base_url, sim.credentials["api_key"], sim.credentials["api_secret"])
        plain_loop(*creds)  # warm up both paths
        chatmodels_loop(*creds)
        plain_times, cm_times = [], []
        for _ in range(args.repeat):
            t, n1 = timed(plain_loop, *creds)
            plain_times.append(t)
            t, n2 = timed(chatmodels_loop, *creds)
            cm_times.append(t)
        assert n1 == n2 == args.contacts, (n1, n2)
        plain_peak = peak(plain_loop, *creds)
        cm_peak = peak(chatmodels_loop, *creds)
    best_plain, best_cm = min(plain_times), min(cm_times)
    med_plain, med_cm = statistics.median(plain_times), statistics.median(cm_times)
    print(f"sendbee contacts: {args.contacts}, page size 100, {args.repeat} runs each")
    print(f"plain requests+json : best {best_plain:6.3f} s  median {med_plain:6.3f} s  "
          f"peak {plain_peak / 1e6:6.2f} MB")
    print(f"chatmodels          : best {best_cm:6.3f} s  median {med_cm:6.3f} s  "
          f"peak {cm_peak / 1e6:6.2f} MB")
    print(f"ratio chatmodels/plain: best {best_cm / best_plain:.2f}x, "
          f"median {med_cm / med_plain:.2f}x (target <= 1.5x)")


if __name__ == "__main__":
    main()
