"""Every ```python block of docs/*.md runs, in page order, against the simulators.

The convention (docs/testing.md, "Code blocks in the docs"): an HTML comment right before a
block, ``<!-- snippet ... -->``, holds one directive a line (or one on a single line):

- ``sim: NAME [count=N ...]`` starts NAME's simulator for the page (kept for its later blocks),
  points the provider's class-level settings and environment variables at it, and binds
  ``sim`` and ``api`` (a ``connect()`` client), also as ``sim_NAME`` and ``api_NAME``;
- ``setup: PYTHON`` runs a statement first (not shown to readers): it binds what the block
  names without defining (``bob``, ``admin``);
- ``replace: TEXT => PYTHON`` runs the block with every ``TEXT`` replaced (a placeholder such as
  ``"<printed token>"`` or ``"..."`` for a secret);
- ``skip: REASON`` does not run the block (counted: at most :data:`MAX_SKIPS` in all).

The blocks of one page share one namespace, in which ``tmp`` is a fresh directory (also the
working directory).
"""

from __future__ import annotations

import re
import socket
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from chatmodels import registry
from chatmodels.testing import serve

from .conftest import FAST_RETRY

DOCS = Path(__file__).resolve().parent.parent / "docs"
MAX_SKIPS = 2
_FENCE = re.compile(r"^```python\s*$")


@dataclass
class Block:
    page: str
    line: int  # of the first code line
    code: str
    sims: list[tuple[str, dict[str, int]]] = field(default_factory=list)
    setup: list[str] = field(default_factory=list)
    replace: list[tuple[str, str]] = field(default_factory=list)
    skip: str | None = None

    def source(self) -> str:
        code = self.code
        for old, new in self.replace:
            assert old in code, f"{self.page}:{self.line}: replace: {old!r} is not in the block"
            code = code.replace(old, new)
        return code


def _directives(lines: list[str], fence: int) -> list[str]:
    """The lines of the ``<!-- snippet ... -->`` comment right before line ``fence``."""
    end = fence - 1
    while end >= 0 and not lines[end].strip():
        end -= 1
    if end < 0 or not lines[end].rstrip().endswith("-->"):
        return []
    start = end
    while start >= 0 and "<!--" not in lines[start]:
        start -= 1
    text = "\n".join(lines[start:end + 1]).strip()
    body = text[len("<!--"):-len("-->")].strip()
    if not body.startswith("snippet"):
        return []
    return [part.strip() for part in body[len("snippet"):].splitlines() if part.strip()]


def blocks(page: Path) -> list[Block]:
    lines = page.read_text(encoding="utf-8").splitlines()
    out = []
    index = 0
    while index < len(lines):
        if _FENCE.match(lines[index]):
            end = index + 1
            while not lines[end].startswith("```"):
                end += 1
            block = Block(page.name, index + 2, "\n".join(lines[index + 1:end]) + "\n")
            for directive in _directives(lines, index):
                key, sep, value = directive.partition(":")
                key, value = key.strip(), value.strip()
                assert sep and value, f"{page.name}:{index + 1}: bad directive {directive!r}"
                if key == "sim":
                    name, *counts = value.split()
                    block.sims.append((registry.get(name).name, {
                        k: int(v) for k, v in (c.split("=") for c in counts)}))
                elif key == "setup":
                    block.setup.append(value)
                elif key == "replace":
                    old, arrow, new = value.partition("=>")
                    assert arrow, f"{page.name}:{index + 1}: replace: TEXT => PYTHON"
                    block.replace.append((old.strip(), new.strip()))
                elif key == "skip":
                    block.skip = value
                else:
                    raise AssertionError(f"{page.name}:{index + 1}: unknown directive {key!r}")
            out.append(block)
            index = end
        index += 1
    return out


PAGES = sorted(p for p in DOCS.glob("*.md") if blocks(p))


#: where a provider's class-level settings point until a ``sim:`` directive: nothing listens
NOWHERE = "http://127.0.0.1:9"
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


@pytest.fixture(autouse=True)
def _offline(monkeypatch):
    """No provider environment, class-level URLs on loopback, and no name lookup but loopback's:
    a block that would reach a real host fails instead."""
    for entry in registry.entries():
        for var in entry.env.values():
            monkeypatch.delenv(var, raising=False)
        monkeypatch.setattr(entry.config(), "base_url", NOWHERE)
    lookup = socket.getaddrinfo

    def loopback_only(host, *args, **kwargs):
        if str(host) not in _LOOPBACK:
            raise OSError(f"a docs block tried to reach {host!r}; only loopback is allowed")
        return lookup(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", loopback_only)


def _start(name: str, counts: dict[str, int], stack: ExitStack, ns: dict, monkeypatch) -> None:
    counts = {"contacts": 20, **counts}
    sim = stack.enter_context(serve(name, seed=7, **counts))
    entry = registry.get(name)
    settings = {"base_url": sim.base_url, **sim.credentials}
    config = entry.config()
    for key, value in settings.items():
        monkeypatch.setattr(config, key, value)
        if key in entry.env:
            monkeypatch.setenv(entry.env[key], str(value))
    api = stack.enter_context(entry.connect(retry=FAST_RETRY, **settings))
    ns.update({"sim": sim, "api": api, f"sim_{name}": sim, f"api_{name}": api})


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_the_code_blocks_of_a_page_run(page, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    ns: dict = {"__name__": "__docs__", "tmp": tmp_path}
    started: set[str] = set()
    with ExitStack() as stack:
        for block in blocks(page):
            if block.skip:
                continue
            for name, counts in block.sims:
                if name not in started:
                    started.add(name)
                    _start(name, counts, stack, ns, monkeypatch)
                else:
                    sim, api = ns[f"sim_{name}"], ns[f"api_{name}"]
                    ns.update({"sim": sim, "api": api})
            where = f"{page.name}:{block.line}"
            for statement in block.setup:
                exec(compile(statement, f"{where} (setup)", "exec"), ns)  # noqa: S102
            padded = "\n" * (block.line - 1) + block.source()
            exec(compile(padded, str(page), "exec"), ns)  # noqa: S102


def test_few_blocks_are_skipped_and_each_says_why():
    skipped = [(b.page, b.line, b.skip) for p in PAGES for b in blocks(p) if b.skip]
    assert len(skipped) <= MAX_SKIPS, skipped
    assert all(len(reason) >= 10 for _, _, reason in skipped), skipped


def test_the_convention_is_parsed(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("text\n\n<!-- snippet\nsim: crisp contacts=3\nsetup: x = 1\n"
                    "replace: \"...\" => str(x)\n-->\n```python\nprint(\"...\")\n```\n\n"
                    "<!-- snippet skip: needs a web framework -->\n```python\nimport flask\n```\n"
                    "<!-- a comment -->\n```python\npass\n```\n")
    first, second, third = blocks(page)
    assert (first.line, first.sims, first.setup) == (9, [("crisp", {"contacts": 3})], ["x = 1"])
    assert first.source() == "print(str(x))\n"
    assert second.skip == "needs a web framework" and second.line == 14
    assert (third.sims, third.skip, third.code) == ([], None, "pass\n")
