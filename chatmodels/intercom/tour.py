"""``chatmodels demo --tour``: the object model at work against a local Intercom simulator.

Starts a seeded simulator on loopback, then finds, edits and saves a contact (printing the
exact diff that went over the wire), pages through every contact, lazily loads an embedded
contact of a conversation, replies and closes it, and prints what each step cost in requests.
"""

from __future__ import annotations

import time
from typing import Any


def _step(title: str) -> None:
    print(f"\n== {title}")


def _changed(value: Any) -> str:
    """A plan different from ``value``, whatever it is (the tour must not rely on the seed)."""
    return next(plan for plan in ("pro", "enterprise") if plan != value)


def main(contacts: int = 300, conversations: int | None = None, *, seed: int = 7) -> int:
    from .. import intercom
    from ..testing import serve

    counts: dict[str, Any] = {"contacts": contacts}
    if conversations is not None:
        counts["conversations"] = conversations
    started = time.monotonic()
    with serve("intercom", seed=seed, **counts) as sim:
        api = intercom.connect(base_url=sim.base_url, **sim.credentials)
        print(f"Intercom simulator on {sim.base_url} with {contacts} contacts")

        _step("find a contact by email, change one custom attribute in place, save")
        first = next((c for c in api.Contact.all() if c.email), None)
        if first is None:
            first = api.Contact.create(email="tour@example.com", name="Tour Guide")
            print(f"  (no contact with an email yet: created {first!r})")
        bob = api.Contact.find(email=first.email)
        bob.custom_attributes["plan"] = _changed(bob.custom_attributes.get("plan"))
        print(f"{bob!r}\n  dirty fields: {bob.dirty_fields}")
        sim.clear_requests()
        bob.save()
        for sent in sim.requests:
            print(f"  sent: {sent.method} {sent.path} {sent.json}")

        _step("iterate every contact, 150 a page (one page in memory at a time)")
        sim.clear_requests()
        n = sum(1 for _ in api.Contact.all().page_size(150))
        print(f"  {n} contacts in {len(sim.requests)} requests")

        _step("search")
        domain = bob.email.split("@", 1)[-1]
        hits = api.Contact.search(email__endswith="@" + domain).limit(5).to_list()
        print(f"  first {len(hits)} contacts with an @{domain} address: "
              f"{', '.join(h.email for h in hits)}")

        _step("a conversation, its parts and a lazily loaded contact")
        head = api.Conversation.all().first()
        if head is None:
            head = api.Conversation.create(bob, "Hello, can you help me with my plan?")
            print(f"  (no conversation yet: {bob.email} started one)")
        conv = api.Conversation.find(id=head.id)
        print(f"  {conv!r}: {len(conv.messages)} messages")
        if conv.contacts:
            contact = conv.contacts[0]
            print(f"  embedded: {contact!r}")
            sim.clear_requests()
            contact.load()
            print(f"  after load() ({len(sim.requests)} request): {contact!r}")

        _step("reply as an admin, tag, close")
        admin = api.Admin.me()
        conv.reply(body="Thanks, this is sorted now.", author=admin)
        conv.add_tag(api.Tag.create(name="demo"), admin=admin)
        conv.close(admin)
        print(f"  {conv!r}, last message: {conv.messages[-1]!r}")

        _step("totals")
        print(f"  {api.Count.all()}")
        print(f"  rate limit now: {api.rate_limit}")
    print(f"\ndone in {time.monotonic() - started:.1f}s")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
