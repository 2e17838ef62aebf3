"""List N simulated LiveChat chats with chatmodels and with a plain requests+json loop.

    python benchmarks/iterate_livechat.py [--chats 10000] [--repeat 5]

Both clients page through ``list_chats`` (100 chat summaries a page, ``page_id`` paging) on the
same local simulator, served from its own process, and keep each chat's id and state (open when
its last thread is active), as a script would. The loops alternate; the script prints the best
and median wall time of each, their ratios, and each loop's peak Python memory (tracemalloc,
measured in separate runs).
"""

from __future__ import annotations

import argparse

import requests
from harness import compare

from chatmodels import livechat
from chatmodels.testing import serve_process


def plain_loop(base_url: str, account_id: str, token: str) -> int:
    session = requests.Session()
    session.auth = (account_id, token)
    url = f"{base_url}/v3.6/agent/action/list_chats"
    body: dict[str, object] = {"limit": 100}
    seen = []
    while True:
        answer = session.post(url, json=body, timeout=30).json()
        for chat in answer["chats_summary"]:
            active = (chat.get("last_thread_summary") or {}).get("active")
            seen.append((chat["id"], "open" if active else "closed"))
        if not answer.get("next_page_id"):
            break
        body = {"page_id": answer["next_page_id"]}
    session.close()
    return len(seen)


def chatmodels_loop(base_url: str, account_id: str, token: str) -> int:
    api = livechat.connect(account_id=account_id, token=token, base_url=base_url)
    seen = [(chat.id, chat.state) for chat in api.Conversation.all().page_size(100)]
    api.close()
    return len(seen)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--chats", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with serve_process("livechat", seed=1, chats=args.chats, customers=2_000) as sim:
        creds = (sim.base_url, sim.credentials["account_id"], sim.credentials["token"])
        compare(f"chats: {args.chats}, page size 100", plain_loop, chatmodels_loop, creds,
                expected=args.chats, repeat=args.repeat)


if __name__ == "__main__":
    main()
