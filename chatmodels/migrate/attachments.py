"""Attachments and inline images moved with their messages: downloaded from the source,
size-capped, checksummed and journaled one by one.

A target declares how files reach it (``Target.attachments``):

* ``"upload"``: the bytes are sent to the target (Intercom ``attachment_files``, LiveChat
  ``upload_file``);
* ``"url"``: the target gets a file message pointing at the source's URL (Crisp);
* ``"link"``: the file is appended to the message text as a link.

For ``upload`` and ``url`` targets every file is streamed from the source through the source
client's guarded GET (:meth:`chatmodels.http.HttpClient.download`: timeouts, deadline, retries;
credentials only to the source's own origin) into a spooled temporary file, at most
``max_bytes`` of it: a larger file is carried as a link and reported. Its sha256 and size are
recorded in the journal (kind ``attachment``, source id ``<conversation>/<message>/<n>``,
``<...>/img<n>`` for an ``<img>`` of an HTML body) before the target is written, and the row is
``done`` once the target holds it, so a resumed run writes each attachment once. A file whose
length differs from what the source declared, or that breaks off, is downloaded again (three
tries) and then raises :class:`AttachmentMismatch`/``ResponseReadError``: the message fails and
the next run retries it; nothing is dropped silently. A file the source refuses (4xx) is kept as
a link, reported -- unless an earlier run journaled it for upload: then it stays one (the error
is raised), so that a message written with it is still found by its text.
"""

from __future__ import annotations

import hashlib
import html
import logging
import mimetypes
import re
import tempfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import IO, Any
from urllib.parse import unquote, urlsplit

from ..errors import APIError, ChatModelsError, ContentTooLarge, ResponseError, ServerError
from .journal import Journal

logger = logging.getLogger("chatmodels.migrate")

#: how a target takes files (``Target.attachments``)
MODES = ("upload", "url", "link")
#: default size cap of one attachment (bytes); larger files are carried as links
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
#: journal kind of the attachment rows
KIND = "attachment"
_TRIES = 3
_SPOOL = 1024 * 1024  # bytes kept in memory before a download spills to a temporary file
_IMG = re.compile(r"""<img\b[^>]*?\bsrc\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.I)


class AttachmentMismatch(ResponseError):
    """A downloaded file's length differs from the size the source declared for it."""


@dataclass
class File:
    """One attachment of a source message, as prepared for the target."""

    key: str  #: journal source id
    url: str
    name: str
    content_type: str
    #: what the target gets: ``upload``, ``url`` or ``link``
    mode: str
    #: why a file is a link on an upload/url target (``None`` otherwise)
    reason: str | None = None
    sha256: str | None = None
    size: int | None = None
    inline: bool = False
    done: bool = False  #: the journal says the target holds it already
    _spool: IO[bytes] | None = field(default=None, repr=False)

    def data(self) -> bytes:
        """The downloaded bytes (``upload`` files)."""
        if self._spool is None:
            raise ChatModelsError(f"attachment {self.key} was not downloaded")
        self._spool.seek(0)
        return self._spool.read()

    def open(self) -> IO[bytes]:
        """The downloaded bytes as a file rewound to its start (for multipart uploads)."""
        if self._spool is None:
            raise ChatModelsError(f"attachment {self.key} was not downloaded")
        self._spool.seek(0)
        return self._spool

    def payload(self) -> dict[str, Any]:
        return {"url": self.url, "name": self.name, "content_type": self.content_type,
                "mode": self.mode, "reason": self.reason, "sha256": self.sha256,
                "size": self.size, "inline": self.inline}

    def close(self) -> None:
        if self._spool is not None:
            self._spool.close()
            self._spool = None


def link_line(f: File) -> str:
    """A file carried as a link, as appended to a message's text."""
    return f"[{f.name}]({f.url})" if f.url else f"[{f.name}]"


def source_files(msg: Any) -> list[tuple[str, dict[str, Any]]]:
    """``(suffix, attachment)`` for each attachment of a message (``attachments`` items with a
    ``url``) and each ``<img src>`` of its HTML body (``inline``), in order."""
    out: list[tuple[str, dict[str, Any]]] = []
    for n, att in enumerate(msg.attachments or []):
        if isinstance(att, Mapping):
            out.append((str(n), dict(att)))
    body = msg.body if isinstance(msg.body, str) else ""
    for n, match in enumerate(_IMG.finditer(body)):
        src = html.unescape(match.group(1) or match.group(2) or "").strip()
        if src.startswith(("http://", "https://")):
            out.append((f"img{n}", {"url": src, "inline": True}))
    return out


_LINKED = re.compile(r"\[([^\]\n]*)\]\(\s*https?://[^)\s]*\s*\)")


def comparable(msg: Any) -> str:
    """A message's text and attachment names, URLs left out: the same for a source message
    and for what any target made of it (files uploaded, sent by URL or appended as links).
    For tests and verification."""
    from .targets import plain
    names = [_name(att, str(att.get("url") or "")) for _, att in source_files(msg)
             if not att.get("inline")]
    text = _LINKED.sub(lambda m: f"[{m.group(1)}]", plain(msg.body))
    if names and text == ", ".join(names):
        text = ""  # a file alone: the target's text is its name
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    lines += [f"[{n}]" for n in names if f"[{n}]" not in lines]
    return "\n".join(lines)


def _message_key(msg: Any) -> str:
    """The message's id, or its time and a digest of its text when it has none."""
    if msg.id is not None:
        return str(msg.id)
    when = msg.created_at.timestamp() if hasattr(msg.created_at, "timestamp") else ""
    digest = hashlib.sha256(str(msg.body or "").encode()).hexdigest()[:16]
    return f"{when}-{digest}"


def _name(att: Mapping[str, Any], url: str) -> str:
    name = att.get("name") or att.get("filename")
    if isinstance(name, str) and name.strip():
        return name.strip()
    tail = unquote(urlsplit(url).path.rstrip("/").rpartition("/")[2])
    return tail or "file"


def _declared_size(att: Mapping[str, Any]) -> int | None:
    for key in ("filesize", "size"):
        value = att.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return value
    return None


class Batch:
    """The files of one message; a context manager that frees their downloads."""

    def __init__(self, owner: Attachments, files: list[File]) -> None:
        self.owner = owner
        self.files = files

    def __enter__(self) -> Batch:
        return self

    def __exit__(self, *exc: object) -> None:
        for f in self.files:
            f.close()

    def __iter__(self) -> Iterator[File]:
        return iter(self.files)

    @property
    def sent(self) -> list[File]:
        """The files the target receives as files (``upload`` or ``url``), inline ones too."""
        return [f for f in self.files if f.mode != "link"]

    @property
    def links(self) -> list[File]:
        """The attachments carried as links (inline images that stay links are in the HTML)."""
        return [f for f in self.files if f.mode == "link" and not f.inline]

    def text(self, body: Any) -> str:
        """``body`` with the link-only attachments appended, one per line."""
        text = str(body or "")
        for f in self.links:
            text += "\n" + link_line(f)
        return text.strip()

    def done(self, f: File, target_ref: str | None = None, *, reconciled: bool = False) -> None:
        """Record that the target holds ``f`` (once: a file already done is not counted)."""
        self.owner.done(f, target_ref, reconciled=reconciled)

    def all_done(self, target_ref: str | None = None, *, reconciled: bool = False) -> None:
        for f in self.files:
            self.done(f, target_ref, reconciled=reconciled)


class Attachments:
    """Prepares the files of source messages for one target (see the module docstring).

    ``count(what, n)`` and ``skip(reason, n)`` receive the ``attachments`` report counters.
    Without a ``source``/``journal`` (a target used on its own) every file is a link.
    """

    def __init__(self, source: Any = None, journal: Journal | None = None, *,
                 mode: str = "link", max_bytes: int = DEFAULT_MAX_BYTES,
                 dry_run: bool = False, target_name: str = "the target",
                 count: Callable[[str, int], None] | None = None,
                 skip: Callable[[str, int], None] | None = None) -> None:
        if mode not in MODES:
            raise ValueError(f"attachments mode {mode!r}: one of {', '.join(MODES)}")
        if max_bytes < 0:
            raise ValueError("max_bytes cannot be negative")
        self.source = source
        self.journal = journal
        self.mode = mode if source is not None and journal is not None else "link"
        self.max_bytes = max_bytes
        self.dry_run = dry_run
        self.target_name = target_name
        self._count = count or (lambda what, n: None)
        self._skip = skip or (lambda reason, n: None)

    # -- preparing ------------------------------------------------------------------------
    def prepare(self, msg: Any, *, link_reason: str | None = None) -> Batch:
        """The files of ``msg``: downloaded (``upload``/``url`` targets) or links. A row
        already in the journal keeps the outcome it records (a resumed run decides the same).
        ``link_reason``: carry every file of this message as a link, for that reason (a
        request of the target that takes no files)."""
        files = []
        base = f"{msg.conversation_id}/{_message_key(msg)}"
        try:
            for suffix, att in source_files(msg):
                files.append(self._prepare(f"{base}/{suffix}", att, link_reason))
        except BaseException:
            for f in files:
                f.close()
            raise
        return Batch(self, files)

    def _prepare(self, key: str, att: Mapping[str, Any], link_reason: str | None) -> File:
        url = str(att.get("url") or "")
        name = _name(att, url)
        content_type = str(att.get("content_type") or att.get("type") or "") \
            or mimetypes.guess_type(name)[0] or "application/octet-stream"
        f = File(key, url, name, content_type, "link", inline=bool(att.get("inline")))
        entry = self.journal.get(KIND, key) if self.journal is not None else None
        known = entry.payload if entry is not None and isinstance(entry.payload, dict) else None
        if known:
            f.mode = str(known.get("mode") or "link")
            f.reason = known.get("reason")
            f.sha256, f.size = known.get("sha256"), known.get("size")
            f.done = entry is not None and entry.state == "done"
        if self.mode == "link" or not url:
            f.reason = None if self.mode == "link" else "no URL on the source"
            return f
        if link_reason is not None:
            f.reason = link_reason
            return f
        if known and (f.done or f.mode != "upload"):
            return f  # decided by an earlier run; only a pending upload needs the bytes again
        declared = _declared_size(att)
        if declared is not None and declared > self.max_bytes:
            return self._too_large(f)
        if self.dry_run:
            f.mode = self.mode
            return f
        try:
            self._download(f, declared)
        except APIError as exc:
            if known:
                # an upload an earlier run decided (a lookup may match its text): it stays
                # one, or fails, reported, rather than turn into a link now
                raise
            if isinstance(exc, ContentTooLarge):
                return self._too_large(f)
            if isinstance(exc, (ServerError, AttachmentMismatch)) or exc.status in (408, 429):
                raise  # transient: the message fails and the next run tries again
            f.reason = (f"the source refused it ({exc.status}): carried as a link" if exc.status
                        else "its URL cannot be fetched: carried as a link")
            self._record(f)
            return f
        f.mode = self.mode
        self._record(f)
        return f

    def _too_large(self, f: File) -> File:
        f.reason = f"larger than the {self.max_bytes}-byte cap: carried as a link"
        f.mode = "link"
        self._record(f)
        return f

    def _download(self, f: File, declared: int | None) -> None:
        http = self.source.http
        for attempt in range(_TRIES):
            spool = tempfile.SpooledTemporaryFile(max_size=_SPOOL)  # noqa: SIM115
            try:
                served = http.download(f.url, spool, max_bytes=self.max_bytes)
                size = spool.tell()
                if declared is not None and size != declared:
                    raise AttachmentMismatch(
                        f"{http.provider}: attachment {f.name!r} is {size} bytes, the source "
                        f"declares {declared}", provider=http.provider)
            except AttachmentMismatch:
                spool.close()
                if attempt == _TRIES - 1:
                    raise
                logger.warning("attachment %s: wrong length, downloading it again", f.key)
                continue
            except BaseException:
                spool.close()
                raise
            spool.seek(0)
            digest = hashlib.sha256()
            while chunk := spool.read(64 * 1024):
                digest.update(chunk)
            f.sha256, f.size, f._spool = digest.hexdigest(), size, spool
            if served and f.content_type == "application/octet-stream":
                f.content_type = served.split(";")[0].strip() or f.content_type
            return

    def _record(self, f: File) -> None:
        """The outcome, before the target is written (state ``pending``: not held yet)."""
        if self.journal is not None and not self.dry_run and not f.done:
            self.journal.pending(KIND, f.key, None, f.payload())

    # -- outcome ---------------------------------------------------------------------------
    def done(self, f: File, target_ref: str | None = None, *, reconciled: bool = False) -> None:
        if f.done:
            return
        f.done = True
        if self.journal is not None and not self.dry_run:
            self.journal.done(KIND, f.key, target_ref, None, f.payload())
        if f.mode == "link":
            self._skip(f.reason or f"{self.target_name} takes no files: carried as a link", 1)
        else:
            self._count("reconciled" if reconciled else "created", 1)
