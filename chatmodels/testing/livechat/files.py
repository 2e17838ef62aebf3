"""Files of the LiveChat simulator: ``upload_file`` keeps the bytes in the simulator's file
store (served at the URL it answers) and a ``file`` event takes its name, content type and
size from there."""

from __future__ import annotations

from typing import Any


def store_upload(files: Any, data: bytes, name: str, content_type: str | None) -> str:
    """Keep an uploaded file; its URL."""
    return str(files.put(data, name, content_type or "application/octet-stream"))


def describe_file(files: Any, record: dict[str, Any]) -> None:
    """Fill a ``file`` event's name, content type and size from the stored file it names."""
    stored = files.get(record["url"]) if files is not None else None
    if stored is not None:
        record.setdefault("name", stored.name)
        record.setdefault("content_type", stored.content_type)
        record.setdefault("size", len(stored.data))
