"""MkDocs hook: the docstrings' Sphinx roles (``:class:`~a.b.C```), which mkdocstrings leaves
as text before a code span, shown as the code span alone (``~`` keeps the last name)."""

from __future__ import annotations

import re
from typing import Any

_ROLE = re.compile(r":(?:class|meth|func|data|attr|mod|exc|obj):<code>(~?)([^<]+)</code>")


def _short(match: re.Match[str]) -> str:
    name = match.group(2)
    return f"<code>{name.rsplit('.', 1)[-1] if match.group(1) else name}</code>"


def on_page_content(html: str, **kwargs: Any) -> str:
    return _ROLE.sub(_short, html)
