"""The examples of the README, the docs and the issue, run (or parsed) as written."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from chatmodels import cli, crisp, intercom
from chatmodels.http import RetryPolicy
from chatmodels.migrate import Migration
from chatmodels.testing import serve

FAST = RetryPolicy(max_retries=4, backoff_factor=0.01, max_backoff=0.05, max_wait=5)


def test_intercom_example_with_class_level_credentials(default_config, sim):
    bob = intercom.Contact.create(email="bob@example.com", name="Bob")
    bob = intercom.Contact.find(email="bob@example.com")
    bob.custom_attributes["plan"] = "pro"
    assert bob.is_dirty and bob.dirty_fields == ["custom_attributes"]
    bob.save()
    assert sim.requests[-1].json == {"custom_attributes": {"plan": "pro"}}
    assert sum(1 for _ in intercom.Contact.all()) == len(sim.state.contacts)
    assert bob in intercom.Contact.search(email__contains="@example.com").to_list()
    admin = intercom.Admin.me()
    conv = intercom.Conversation.find(id=intercom.Conversation.all().first().id)
    conv.contacts[0].load()
    assert not conv.contacts[0].is_partial
    conv.reply(body="Hi!", author=admin)
    conv.assign(admin)  # (assigning a closed conversation reopens it, as on Intercom)
    conv.close()
    tag = intercom.Tag.create(name="vip")
    conv.add_tag(tag)
    tag.tag(contacts=[bob])
    note = intercom.Note.create(contact=bob, body="called", admin=admin)
    assert note.id and conv.state == "closed" and tag in conv.tags


def test_crisp_example_with_class_level_credentials(monkeypatch):
    with serve("crisp", seed=3, contacts=30) as sim:
        monkeypatch.setattr(crisp.Crisp, "base_url", sim.base_url)
        for key in ("identifier", "key", "website_id"):
            monkeypatch.setattr(crisp.Crisp, key, sim.credentials[key])
        people = list(crisp.Contact.all())
        assert len(people) == 30
        p = crisp.Contact.create(email="ann@example.com", person={"nickname": "Ann"})
        p.segments.append("vip")
        p.save()
        operator = crisp.Operator.all().first()
        conv = crisp.Conversation.create(contact=p)
        conv.reply(body="Hello", author=operator)
        assert [m.body for m in conv.messages][-1] == "Hello"
        conv.resolve()
        assert conv.state == "closed"
        conv.assign(operator)
        p.events.create(text="signed_up", data={"plan": "pro"})
        p.data["plan"] = "pro"
        p.save()
        assert crisp.Contact.find(email="ann@example.com").data["plan"] == "pro"
        assert isinstance(crisp.Conversation.search(query="refund").to_list(), list)


def test_migration_between_two_intercom_workspaces(tmp_path):
    with serve("intercom", seed=4, contacts=25) as a, \
            serve("intercom", seed=5, contacts=0, conversations=0) as b:
        src = intercom.connect(base_url=a.base_url, **a.credentials)
        dst = intercom.connect(base_url=b.base_url, retry=FAST, **b.credentials)
        anonymous = [c for c in src.Contact.all() if not (c.email or c.external_id)]
        assert anonymous, "the seed should hold leads without email or external_id"
        # every contact creation's answer is lost once: each must be found again, not doubled
        b.drop(times=30, method="POST", path="/contacts", after_apply=True)
        journal = str(tmp_path / "j.db")
        report = Migration(src, dst, journal, progress=False).run()
        if not report.ok:
            report = Migration(src, dst, journal, progress=False).run()
        assert report.ok, report.errors
        assert dst.Count.contacts() == src.Count.contacts()
        assert dst.Count.conversations() == src.Count.conversations()
        refs = sorted(c.custom_attributes.get("migrated_from") for c in dst.Contact.all()
                      if not (c.email or c.external_id))
        assert refs == sorted(f"intercom:{c.id}" for c in anonymous)


def _shape(api):
    """Per contact (by email or migrated_from): notes, events, conversations' message bodies."""
    from chatmodels.migrate.targets import plain

    out = {}
    for c in api.Contact.all():
        key = c.email or c.external_id or c.custom_attributes.get("migrated_from") or c.id
        out[key] = (len(c.list_notes().to_list()), len(c.events().to_list()))
    convs = []
    for conv in api.Conversation.all():
        full = api.Conversation.find(id=conv.id)
        convs.append(tuple(plain(m.body) for m in full.messages
                           if m.kind in ("comment", "note") and plain(m.body)))
    return out, sorted(convs)


def test_intercom_to_intercom_under_chaos_loses_and_doubles_nothing(tmp_path):
    with serve("intercom", seed=8, contacts=20) as a:
        src = intercom.connect(base_url=a.base_url, **a.credentials)
        with serve("intercom", seed=9, contacts=0, conversations=0) as clean:
            dst = intercom.connect(base_url=clean.base_url, **clean.credentials)
            assert Migration(src, dst, str(tmp_path / "clean.db"), progress=False).run().ok
            expected = _shape(dst)
        with serve("intercom", seed=9, contacts=0, conversations=0) as b:
            dst = intercom.connect(base_url=b.base_url, retry=FAST, timeout=(2.0, 0.5),
                                   **b.credentials)
            b.drop(times=5, method="POST", path=r"/conversations/\d+/reply", after_apply=True)
            b.drop(times=3, method="POST", path=r"/contacts/\w+/notes", after_apply=True)
            b.drop(times=3, method="POST", path="/events", after_apply=True)
            b.fail(status=500, times=3, method="POST", path="/conversations")
            b.slow(1.0, times=2, method="POST", path="/messages")
            journal = str(tmp_path / "chaos.db")
            for _ in range(3):  # failed objects are retried (and reconciled) by the next run
                report = Migration(src, dst, journal, progress=False).run()
                if report.ok:
                    break
            assert report.ok, report.errors
            assert sum(r.status is None for r in b.requests) >= 8  # the drops did happen
            assert _shape(dst) == expected


def _documented_commands():
    """Every ``chatmodels ...`` line of the README's and docs' shell blocks."""
    root = Path(__file__).resolve().parent.parent
    for doc in [root / "README.md", *sorted((root / "docs").glob("*.md"))]:
        for block in re.findall(r"```sh\n(.*?)```", doc.read_text(encoding="utf-8"), re.S):
            for line in block.replace("\\\n", " ").splitlines():
                words = shlex.split(line, comments=True)
                if words[:1] == ["chatmodels"]:
                    yield f"{doc.name}: {line.strip()}", words[1:]
                elif words[:3] == ["python", "-m", "chatmodels"]:
                    yield f"{doc.name}: {line.strip()}", words[3:]


def test_every_documented_command_line_parses(tmp_path, monkeypatch):
    commands = list(_documented_commands())
    assert len(commands) >= 6
    monkeypatch.chdir(tmp_path)  # relative journals resolve here
    parser = cli.build_parser()
    for where, argv in commands:
        try:
            args = parser.parse_args(argv)
        except SystemExit as exc:  # --help / --version exit 0; a usage error exits 2
            assert exc.code == 0, where
        else:
            assert args.func, where
