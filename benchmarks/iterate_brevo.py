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

import requests
from harness import compare

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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--contacts", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with serve_process("brevo", seed=1, contacts=args.contacts, companies=0, notes=0,
                       events=0, conversations=0) as sim:
        compare(f"brevo contacts: {args.contacts}, page size {PAGE}", plain_loop,
                chatmodels_loop, (sim.base_url, sim.credentials["api_key"]),
                expected=args.contacts, repeat=args.repeat)


if __name__ == "__main__":
    main()
