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

import requests
from harness import compare

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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--contacts", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with serve_process("intercom", seed=1, contacts=args.contacts, conversations=0) as sim:
        compare(f"contacts: {args.contacts}, page size 150", plain_loop, chatmodels_loop,
                (sim.base_url, sim.credentials["access_token"]), expected=args.contacts,
                repeat=args.repeat)


if __name__ == "__main__":
    main()
