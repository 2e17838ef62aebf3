"""Files of the Intercom simulator: a reply's ``attachment_files`` (base64 ``data``, stored and
served by the simulator's file store) and ``attachment_urls``, as the part's ``attachments``
(2.16 ``part_attachment``: type, name, url, content_type, filesize)."""

from __future__ import annotations

import base64
import binascii
import mimetypes
from typing import Any
from urllib.parse import unquote, urlsplit

from ..base import Context
from .params import bad

#: files or URLs per reply (``maxItems``)
MAX_FILES = 10


def part_attachments(ctx: Context, body: dict[str, Any]) -> list[dict[str, Any]]:
    """The attachments of a reply; ``attachment_files`` take precedence over
    ``attachment_urls`` when both are given (as 2.16 documents)."""
    files, urls = body.get("attachment_files"), body.get("attachment_urls")
    if files is not None:
        return [_stored(ctx, f, n) for n, f in enumerate(_items(files, "attachment_files"))]
    if urls is not None:
        return [_linked(u, n) for n, u in enumerate(_items(urls, "attachment_urls"))]
    return []


def _items(value: Any, name: str) -> list[Any]:
    if not isinstance(value, list):
        raise bad(f"{name} must be an array")
    if len(value) > MAX_FILES:
        raise bad(f"{name} can contain up to {MAX_FILES} items")
    return value


def _stored(ctx: Context, item: Any, n: int) -> dict[str, Any]:
    where = f"attachment_files[{n}]"
    if not isinstance(item, dict):
        raise bad(f"{where} must be an object")
    name, content_type, data = item.get("name"), item.get("content_type"), item.get("data")
    for key, value in (("name", name), ("content_type", content_type), ("data", data)):
        if not isinstance(value, str) or not value:
            raise bad(f"{where}.{key} is required")
    try:
        raw = base64.b64decode(str(data), validate=True)
    except (binascii.Error, ValueError):
        raise bad(f"{where}.data is not valid base64") from None
    url = ctx.sim.files.put(raw, str(name), str(content_type))
    return {"type": "upload", "name": name, "url": url, "content_type": content_type,
            "filesize": len(raw)}


def _linked(url: Any, n: int) -> dict[str, Any]:
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise bad(f"attachment_urls[{n}] must be a URL")
    name = unquote(urlsplit(url).path.rpartition("/")[2]) or "file"
    return {"type": "upload", "name": name, "url": url,
            "content_type": mimetypes.guess_type(name)[0] or "application/octet-stream",
            "filesize": None}
