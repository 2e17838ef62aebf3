"""Attachments move with their messages, over loopback between simulators: uploaded byte for
byte where the target takes files, carried as links where it does not or when over the size
cap (reported), a broken download fails its conversation (typed) and the next run finishes it,
each attachment once."""

from __future__ import annotations

import base64
import hashlib
import io
from typing import Any

import pytest
import requests

from chatmodels import registry
from chatmodels.errors import ContentTooLarge, ResponseError, ResponseReadError
from chatmodels.migrate import Migration
from chatmodels.migrate.attachments import KIND, AttachmentMismatch, comparable
from chatmodels.testing import serve

from .conftest import FAST_RETRY

CAP = 4096


def connect(sim: Any) -> Any:
    return registry.get(sim.name).connect(base_url=sim.base_url, retry=FAST_RETRY,
                                          **sim.credentials)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def blob(n: int, seed: int) -> bytes:
    return bytes((i * 31 + seed) % 251 for i in range(n))


def target_files(api: Any) -> list[tuple[str, str, str]]:
    """(conversation's first text, file name, sha256 of the bytes served) of every attachment
    on an Intercom target, read back over HTTP."""
    out = []
    for listed in api.Conversation.all():
        conv = api.Conversation.find(id=listed.id)
        head = comparable(conv.messages[0]) if conv.messages else ""
        for m in conv.messages:
            for att in m.attachments or []:
                answer = requests.get(att["url"], timeout=5)
                answer.raise_for_status()
                assert att["filesize"] == len(answer.content)
                out.append((head, att["name"], sha(answer.content)))
    return sorted(out)


def crisp_files(sim: Any, api: Any) -> dict[str, tuple[str, str, int]]:
    """Source file messages that are not their conversation's first message:
    url -> (first text, sha256, size)."""
    out = {}
    for conv in api.Conversation.all():
        msgs = [m for m in conv.messages if m.kind in ("comment", "note")
                and (m.body or m.attachments)]
        for m in msgs[1:]:
            for att in m.attachments:
                stored = sim.files.get(att["url"])
                out[att["url"]] = (comparable(msgs[0]), stored.sha256, len(stored.data))
    return out


@pytest.fixture
def crisp_pair():
    with serve("crisp", seed=9, contacts=12) as source:  # three seeded files
        src = connect(source)
        agents = [(a.name, a.email) for a in src.Agent.all()]
        with serve("intercom", seed=4, contacts=0, conversations=0, teammates=agents) as target:
            yield source, src, target, connect(target)


def add_big_file(source: Any, src: Any) -> str:
    """A file over the cap, sent in the first conversation with messages."""
    conv = next(c for c in src.Conversation.all() if len(c.messages) >= 1)
    url = source.files.put(blob(CAP + 1000, 9), "huge.bin", "application/octet-stream")
    conv.send_message("file", {"name": "huge.bin", "url": url, "type": "application/octet-stream"},
                      from_="user")
    return url


def test_crisp_files_are_uploaded_to_intercom_byte_for_byte(tmp_path, crisp_pair):
    source, src, target, dst = crisp_pair
    big = add_big_file(source, src)
    expected = crisp_files(source, src)
    assert len(expected) >= 3  # the seed has some, plus the big one
    journal = str(tmp_path / "j.db")
    with Migration(src, dst, journal, progress=False, workers=4,
                   attachment_max_bytes=CAP) as m:
        report = m.run()
        assert report.ok, report.errors
        rows = {e.source_id: e for e in m.journal.entries(KIND)}
    uploaded = sorted((head, url.rpartition("/")[2], digest)
                      for url, (head, digest, size) in expected.items() if url != big)
    assert target_files(dst) == uploaded
    # the journal holds each one, done, with its checksum; the big one is a link
    by_url = {e.payload["url"]: e for e in rows.values()}
    for url, (_, digest, size) in expected.items():
        entry = by_url[url]
        assert entry.state == "done"
        if url == big:
            assert entry.payload["mode"] == "link"
            assert entry.payload["sha256"] is None
        else:
            assert (entry.payload["mode"], entry.payload["sha256"], entry.payload["size"]) == (
                "upload", digest, size)
    stats = report.steps["attachments"]
    assert stats.created == len(uploaded)
    reason = f"larger than the {CAP}-byte cap: carried as a link"
    assert report.skips[("attachments", reason)] == 1
    assert "attachments: " + reason in str(report)
    # the big file is a link in its message's text
    texts = [m.body for c in dst.Conversation.all()
             for m in dst.Conversation.find(id=c.id).messages if m.body and big in m.body]
    assert len(texts) == 1 and "huge.bin" in texts[0]
    # a second run writes nothing and downloads nothing
    downloads = source.files.downloads
    with Migration(src, dst, journal, progress=False, attachment_max_bytes=CAP) as m:
        again = m.run()
    assert again.ok and "attachments" not in again.steps
    assert source.files.downloads == downloads
    assert target_files(dst) == uploaded


def test_dry_run_reports_the_declaration_and_downloads_nothing(tmp_path, crisp_pair):
    source, src, target, dst = crisp_pair
    with Migration(src, dst, str(tmp_path / "d.db"), progress=False, dry_run=True) as m:
        report = m.run()
    line = ("message.attachments: uploaded with replies (attachment_files, 10 per reply); a "
            "conversation's first message carries them as links (Intercom starts "
            "conversations without files)")
    with_files = sum(1 for c in src.Conversation.all() for msg in c.messages if msg.attachments)
    assert report.fidelity[line] == with_files > 0
    assert source.files.downloads == 0
    assert len(target.files) == 0


def test_a_truncated_download_fails_its_conversation_and_the_next_run_finishes(tmp_path,
                                                                                crisp_pair):
    source, src, target, dst = crisp_pair
    expected = crisp_files(source, src)
    broken = sorted(expected)[0]
    source.files.damage(broken, "truncate")
    journal = str(tmp_path / "j.db")
    with Migration(src, dst, journal, progress=False, workers=4) as m:
        report = m.run()
    assert [kind for kind, _, _ in report.errors] == ["conversation"]
    assert report.errors[0][2].startswith(ResponseReadError.__name__)
    assert report.steps["attachments"].created == len(expected) - 1
    source.files.damage(broken, None)
    with Migration(src, dst, journal, progress=False, workers=4) as m:
        again = m.run()
    assert again.ok, again.errors
    assert again.steps["attachments"].created == 1
    assert target_files(dst) == sorted((head, url.rpartition("/")[2], digest)
                                       for url, (head, digest, _) in expected.items())


@pytest.fixture
def intercom_pair():
    """An Intercom source with three uploaded attachments (declared sizes) on replies."""
    with serve("intercom", seed=5, contacts=6, conversations=4) as source:
        src = connect(source)
        agents = [(a.name, a.email) for a in src.Admin.all()]
        conv = src.Conversation.find(id=src.Conversation.all().to_list()[0].id)
        files = [{"name": f"part{n}.bin", "content_type": "application/octet-stream",
                  "data": base64.b64encode(blob(700 + n, n)).decode()} for n in range(3)]
        conv.reply("here are the logs", created_at=int(conv.created_at.timestamp()) + 60,
                   attachment_files=files)
        with serve("intercom", seed=6, contacts=0, conversations=0, teammates=agents) as target:
            yield source, src, target, connect(target)


def test_a_wrong_length_is_a_typed_error_then_migrated_once(tmp_path, intercom_pair):
    source, src, target, dst = intercom_pair
    stored = sorted(source.files, key=lambda f: f.id)
    assert len(stored) == 3
    url = source.files.url(stored[1].id)
    source.files.damage(url, "short")  # one byte less than the part's filesize
    journal = str(tmp_path / "j.db")
    with Migration(src, dst, journal, progress=False) as m:
        report = m.run()
    assert len(report.errors) == 1
    kind, _, error = report.errors[0]
    assert kind == "conversation" and error.startswith(AttachmentMismatch.__name__)
    assert "is 700 bytes, the source declares 701" in error
    assert target.files.downloads == 0 and len(target.files) == 0  # nothing half-written
    source.files.damage(url, None)
    with Migration(src, dst, journal, progress=False) as m:
        assert m.run().ok
    got = sorted(sha(f.data) for f in target.files)
    assert got == sorted(f.sha256 for f in stored)  # each once, byte-identical


def test_downloads_send_credentials_only_to_the_source_origin(crisp_pair):
    source, src, target, dst = crisp_pair
    url = target.files.put(b"abc", "a.txt", "text/plain")
    sink = io.BytesIO()
    assert src.http.download(url, sink) == "text/plain"
    assert sink.getvalue() == b"abc"
    assert (target.files.downloads, target.files.with_credentials) == (1, 0)
    mine = source.files.put(b"x" * 100, "b.txt", "text/plain")
    assert src.http.download(mine, sink) == "text/plain"
    assert sink.getvalue() == b"x" * 100  # rewound and truncated first
    assert (source.files.downloads, source.files.with_credentials) == (1, 1)
    with pytest.raises(ContentTooLarge) as caught:
        src.http.download(mine, io.BytesIO(), max_bytes=10)
    assert caught.value.limit == 10
    # a redirect from the source's origin to another host goes there without credentials
    source.files.redirect(mine, url)
    assert src.http.download(mine, sink) == "text/plain" and sink.getvalue() == b"abc"
    assert (source.files.with_credentials, target.files.downloads,
            target.files.with_credentials) == (3, 2, 0)


@pytest.mark.parametrize("url", ["no-scheme/a.txt", "ftp://127.0.0.1/a.txt", "http://[::1"])
def test_a_file_url_that_cannot_be_fetched_is_a_response_error(crisp_pair, url):
    """A ResponseError without a status is not retried (a connection error would be)."""
    _, src, _, _ = crisp_pair
    with pytest.raises(ResponseError, match="file URL of GET .* cannot be fetched") as caught:
        src.http.download(url, io.BytesIO())
    assert caught.value.status is None


def test_the_cli_cap_makes_every_file_a_link(tmp_path, crisp_pair, capsys):
    from chatmodels import cli
    source, src, target, dst = crisp_pair
    args = ["migrate", "--from", "crisp", "--to", "intercom", "--no-progress",
            "--journal", str(tmp_path / "j.db"), "--attachment-max-bytes", "10"]
    for flag, sim in (("--source", source), ("--target", target)):
        for key, value in {**sim.credentials, "base_url": sim.base_url}.items():
            args += [flag, f"{key}={value}"]
    assert cli.main(args) == 0
    out = capsys.readouterr().out
    files = len(crisp_files(source, src))
    assert f"{files:>6} attachments: larger than the 10-byte cap: carried as a link" in out
    assert len(target.files) == 0


def test_inline_images_are_uploaded_too(tmp_path, intercom_pair):
    source, src, target, dst = intercom_pair
    png = blob(900, 42)
    url = source.files.put(png, "pic.png", "image/png")
    conv = src.Conversation.find(id=src.Conversation.all().to_list()[1].id)
    conv.reply(f'<p>look: <img src="{url}"></p>',
               created_at=int(conv.created_at.timestamp()) + 90)
    with Migration(src, dst, str(tmp_path / "j.db"), progress=False) as m:
        report = m.run()
        rows = {e.source_id: e.payload for e in m.journal.entries(KIND, "done")}
    assert report.ok, report.errors
    inline = [p for sid, p in rows.items() if sid.endswith("/img0")]
    assert [(p["name"], p["content_type"], p["sha256"], p["inline"]) for p in inline] == [
        ("pic.png", "image/png", sha(png), True)]
    served = {f.sha256: f for f in target.files}
    assert served[sha(png)].name == "pic.png"
    assert report.steps["attachments"].created == 4  # three files and the image


def test_crisp_files_are_uploaded_to_livechat_as_file_events(tmp_path, crisp_pair):
    source, src, _, _ = crisp_pair
    expected = crisp_files(source, src)
    with serve("livechat", seed=7, contacts=0, conversations=0) as target:
        dst = connect(target)
        journal = str(tmp_path / "j.db")
        with Migration(src, dst, journal, progress=False, workers=4) as m:
            report = m.run()
        assert report.ok, report.errors
        assert report.steps["attachments"].created == len(expected)
        # each file uploaded once (upload_file), byte-identical, and one file event per file
        assert sorted(f.sha256 for f in target.files) == sorted(
            digest for _, digest, _ in expected.values())
        events = [e for chat in target.state.chats.values() for tid in chat["thread_ids"]
                  for e in target.state.threads[tid]["events"] if e["type"] == "file"]
        assert sorted((e["name"], target.files.get(e["url"]).sha256) for e in events) == sorted(
            (url.rpartition("/")[2], digest) for url, (_, digest, _) in expected.items())
        assert all(e["custom_id"].rpartition("#")[2].startswith("file") for e in events
                   if "#" in e["custom_id"])
        with Migration(src, dst, journal, progress=False) as m:
            assert m.run().ok
        assert len(target.files) == len(expected)  # nothing uploaded twice


def test_intercom_files_reach_crisp_as_file_messages_by_url(tmp_path, intercom_pair):
    source, src, _, _ = intercom_pair
    stored = {source.files.url(f.id): f for f in source.files}
    with serve("crisp", seed=8, contacts=0, conversations=0) as target:
        dst = connect(target)
        with Migration(src, dst, str(tmp_path / "j.db"), progress=False) as m:
            report = m.run()
            rows = [e.payload for e in m.journal.entries(KIND, "done")]
        assert report.ok, report.errors
        files = [m.attachments[0] for c in dst.Conversation.all() for m in c.messages
                 if m.attachments]
        assert sorted(f["url"] for f in files) == sorted(stored)  # the source's URLs
        for f in files:
            answer = requests.get(f["url"], timeout=5)
            assert sha(answer.content) == stored[f["url"]].sha256
            assert f["name"] == stored[f["url"]].name
        assert sorted((p["mode"], p["sha256"]) for p in rows) == sorted(
            ("url", s.sha256) for s in stored.values())
        assert len(target.files) == 0  # nothing uploaded: Crisp takes URLs


def test_a_file_the_source_refuses_is_a_reported_link(tmp_path, crisp_pair):
    source, src, target, dst = crisp_pair
    conv = next(c for c in src.Conversation.all() if len(c.messages) >= 1)
    gone = f"{source.root_url}/_files/f999/gone.pdf"
    conv.send_message("file", {"name": "gone.pdf", "url": gone, "type": "application/pdf"},
                      from_="user")
    with Migration(src, dst, str(tmp_path / "j.db"), progress=False) as m:
        report = m.run()
        row = next(e for e in m.journal.entries(KIND) if e.payload["url"] == gone)
    assert report.ok, report.errors
    reason = "the source refused it (404): carried as a link"
    assert report.skips[("attachments", reason)] == 1
    assert (row.state, row.payload["mode"], row.payload["reason"]) == ("done", "link", reason)
    bodies = [m.body for c in dst.Conversation.all()
              for m in dst.Conversation.find(id=c.id).messages if m.body and gone in m.body]
    assert len(bodies) == 1 and "[gone.pdf](" in bodies[0]


def test_a_target_declares_a_known_attachments_mode():
    from chatmodels.intercom.target import IntercomTarget

    class Odd(IntercomTarget):
        attachments = "fax"

    with pytest.raises(TypeError, match=r"Odd.attachments: 'fax' is not one of upload, url, "
                                        r"link"):
        Odd._check_declarations()


def test_an_upload_decided_by_an_earlier_run_stays_an_upload(tmp_path, intercom_pair):
    """A file journaled for upload whose message was not written, and that the source then
    refuses, raises (its conversation fails, reported) instead of becoming a link: a lookup
    by text would no longer find a message written with it, and it would be written twice."""
    from chatmodels.errors import ResourceNotFound
    from chatmodels.migrate.attachments import Attachments
    from chatmodels.migrate.journal import Journal
    source, src, target, dst = intercom_pair
    conv = src.Conversation.find(id=src.Conversation.all().to_list()[0].id)
    msg = next(m for m in conv.messages if m.attachments)
    journal = Journal(str(tmp_path / "j.db"))
    files = Attachments(src, journal, mode="upload")
    with files.prepare(msg) as batch:
        assert [f.mode for f in batch] == ["upload"] * 3
    assert [e.state for e in journal.entries(KIND)] == ["pending"] * 3
    first = batch.files[0].url
    source.files.redirect(first, f"{source.root_url}/_files/none/gone.bin")
    with pytest.raises(ResourceNotFound):
        files.prepare(msg)
    fresh = Attachments(src, Journal(str(tmp_path / "k.db")), mode="upload")
    with fresh.prepare(msg) as batch:  # never decided before: a reported link
        assert [f.mode for f in batch] == ["link", "upload", "upload"]
        assert batch.files[0].reason == "the source refused it (404): carried as a link"
    journal.close()
