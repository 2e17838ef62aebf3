"""``chatmodels demo``: a full migration between two local simulators (the registry's
``DEMO_MIGRATION`` pair, Crisp -> Intercom).

Seeds the source simulator with a few thousand contacts and conversations, starts an empty
target simulator with the same team (each in its own process, so they do not share the
client's interpreter), migrates everything with progress bars, then counts and compares both
sides through the canonical model.
"""

from __future__ import annotations

import os
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from .targets import plain


def _verify(src: Any, dst: Any, workers: int) -> list[tuple[str, int, int]]:
    """(what, source count, target count) for contacts, tags, events, conversations, messages.

    Messages are every comment and note, the first of each conversation included (it is the
    one that creates the conversation): the same number as the report's "messages created".
    """
    rows = []
    rows.append(("contacts", src.Contact.count(), dst.Contact.count()))
    source_tags = {t.name.lower() for t in src.Tag.all()}
    target_tags = {t.name.lower() for t in dst.Tag.all()}
    rows.append(("tags", len(source_tags), len(source_tags & target_tags)))

    def source_messages(conv: Any) -> int:
        return sum(1 for m in conv.messages
                   if m.kind in ("comment", "note") and (m.body or m.attachments))

    def target_messages(conv: Any) -> int:
        full = dst.Conversation.find(id=conv.id)
        return sum(1 for m in full.messages if m.kind in ("comment", "note") and plain(m.body))

    def events(contact: Any) -> int:
        return len(list(contact.events()))

    with ThreadPoolExecutor(workers) as pool:
        src_counts = [n for n in pool.map(source_messages, src.Conversation.all()) if n]
        dst_counts = list(pool.map(target_messages, dst.Conversation.all().page_size(150)))
        src_events = sum(pool.map(events, src.Contact.all()))
        dst_events = sum(pool.map(events, dst.Contact.all().page_size(150)))
    rows.append(("events", src_events, dst_events))
    rows.append(("conversations", len(src_counts), len(dst_counts)))
    rows.append(("messages", sum(src_counts), sum(dst_counts)))
    return rows


def main(contacts: int = 1500, conversations: int | None = None, workers: int = 16, *,
         source: str | None = None, target: str | None = None) -> int:
    from .. import registry
    from ..testing import serve_process
    from .engine import Migration

    source = source or registry.DEMO_MIGRATION[0]
    target = target or registry.DEMO_MIGRATION[1]
    src_entry, dst_entry = registry.get(source), registry.get(target)
    conversations = contacts // 2 if conversations is None else conversations
    started = time.monotonic()
    print(f"Starting a {src_entry.display_name} simulator with {contacts} contacts and "
          f"{conversations} conversations, and an empty {dst_entry.display_name} simulator...")
    with serve_process(source, seed=7, contacts=contacts, conversations=conversations) as a:
        src = src_entry.connect(base_url=a.base_url, **a.credentials)
        # the team exists on both sides: agents are matched by email, never created
        team = [(op.name, op.email) for op in src.Agent.all()]
        with serve_process(target, seed=7, contacts=0, conversations=0,
                           teammates=team) as b:  # type: ignore[arg-type]
            dst = dst_entry.connect(base_url=b.base_url, **b.credentials)
            with tempfile.TemporaryDirectory() as tmp:
                journal = os.path.join(tmp, f"{source}-to-{target}.db")
                migration = Migration(src, dst, journal, workers=workers)
                report = migration.run()
                migration.close()
            print()
            print(report)
            print("\nVerification (source vs target):")
            rows = _verify(src, dst, workers)
    print(f"  {'':<15}{source:>10}{target:>10}")
    ok = True
    for what, s, t in rows:
        ok = ok and s == t
        print(f"  {what:<15}{s:>10}{t:>10}  {'ok' if s == t else 'MISMATCH'}")
    elapsed = time.monotonic() - started
    print(f"\n{'Verified' if ok and report.ok else 'FAILED'} in {elapsed:.1f}s "
          f"(migration {report.elapsed:.1f}s)")
    return 0 if ok and report.ok else 1


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
