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
import time

import requests
from harness import compare

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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--contacts", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with serve_process("sendbee", seed=1, contacts=args.contacts, conversations=0,
                       requests_per_minute=0) as sim:
        creds = (sim.base_url, sim.credentials["api_key"], sim.credentials["api_secret"])
        compare(f"sendbee contacts: {args.contacts}, page size 100", plain_loop,
                chatmodels_loop, creds, expected=args.contacts, repeat=args.repeat)


if __name__ == "__main__":
    main()
