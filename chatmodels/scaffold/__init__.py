"""The template for a new provider (moto's scaffold): ``python -m chatmodels.scaffold NAME``.

It writes the four parts a provider is (see docs/adding-a-provider.md), each a small working
example built on the provider seam — declared operations, the ``page()`` hook, an error parser,
a moto-shaped simulator — so the new provider runs, and its generated tests pass, before any
real endpoint is written:

* ``chatmodels/NAME/``: ``__init__.py``, ``api.py`` (settings, errors, rate limit, paging),
  ``schemas.py``, ``resources.py`` (Contact and Tag, operations declared as data);
* ``chatmodels/testing/NAME/``: ``__init__.py`` (the simulator), ``models.py`` (state and
  rules), ``urls.py`` (routing), ``responses.py`` (thin handlers), ``seed.py``;
* ``docs/NAME.md`` and ``tests/test_NAME_client.py``.

It does not edit the registry (a reviewed one-line change): it prints the entry to add, and the
conformance-kit profile to write (``tests/conformance/profiles/``).
"""

from __future__ import annotations

import argparse
import keyword
import re
import string
import sys
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

__all__ = ["ScaffoldError", "files_for", "main", "scaffold"]

_NAME = re.compile(r"^[a-z][a-z0-9]{1,30}$")

#: template -> destination (relative to the repository root), ``{name}`` filled in
LAYOUT: dict[str, str] = {
    "client-__init__.py.tmpl": "chatmodels/{name}/__init__.py",
    "client-api.py.tmpl": "chatmodels/{name}/api.py",
    "client-schemas.py.tmpl": "chatmodels/{name}/schemas.py",
    "client-resources.py.tmpl": "chatmodels/{name}/resources.py",
    "testing-__init__.py.tmpl": "chatmodels/testing/{name}/__init__.py",
    "testing-models.py.tmpl": "chatmodels/testing/{name}/models.py",
    "testing-urls.py.tmpl": "chatmodels/testing/{name}/urls.py",
    "testing-responses.py.tmpl": "chatmodels/testing/{name}/responses.py",
    "testing-seed.py.tmpl": "chatmodels/testing/{name}/seed.py",
    "docs-provider.md.tmpl": "docs/{name}.md",
    "tests-test_provider_client.py.tmpl": "tests/test_{name}_client.py",
}


class ScaffoldError(ValueError):
    """The name is unusable or the files exist already."""


def _check(name: str) -> None:
    if not _NAME.match(name) or keyword.iskeyword(name):
        raise ScaffoldError(f"{name!r}: a provider name is 2-31 lowercase letters and digits, "
                            "starting with a letter")
    from .. import registry

    if name in registry.names():
        raise ScaffoldError(f"{name!r} is a provider already")


def files_for(name: str, title: str | None = None) -> dict[str, str]:
    """Destination path -> file text for provider ``name`` (``title``: its class name)."""
    _check(name)
    values = {"name": name, "Title": title or name.capitalize(), "ENV": name.upper()}
    if not values["Title"].isidentifier():
        raise ScaffoldError(f"{values['Title']!r} is not a class name")
    root = resources.files(__name__).joinpath("template-files")
    out = {}
    for template, dest in LAYOUT.items():
        text = root.joinpath(template).read_text(encoding="utf-8")
        out[dest.format(name=name)] = string.Template(text).substitute(values)
    return out


def scaffold(name: str, root: Path | str = ".", *, title: str | None = None,
             force: bool = False) -> list[Path]:
    """Write the new provider's files under ``root`` (the repository); returns them."""
    files = files_for(name, title)
    base = Path(root)
    existing = [p for p in files if (base / p).exists()]
    if existing and not force:
        raise ScaffoldError(f"would overwrite {', '.join(existing)} (pass --force)")
    written = []
    for rel, text in files.items():
        path = base / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def next_steps(name: str, title: str | None = None) -> str:
    """What to do after scaffolding (the registry entry, the kit profile, the checks)."""
    title = title or name.capitalize()
    return f"""next steps:
1. add the registry entry (chatmodels/registry.py, _ENTRIES):
    Provider(
        name="{name}",
        display_name="{title}",
        config_ref="chatmodels.{name}:{title}",
        simulator_ref="chatmodels.testing.{name}:Simulator",
    ),
2. add a conformance profile (tests/conformance/profiles/{name}.py) and list it in PROFILES
3. replace the TODO guesses with the provider's documented wire format; keep docs/{name}.md true
4. make test  (the generated tests, the conformance kit and docs/support.md check)"""


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m chatmodels.scaffold",
        description="Write the skeleton of a new provider: client package, simulator package, "
                    "doc page and tests, built on declared operations.")
    parser.add_argument("name", help="the provider name, lowercase (e.g. helpscout)")
    parser.add_argument("--title", help="its class name (default: the name capitalised)")
    parser.add_argument("--root", default=".", help="the repository root (default: .)")
    parser.add_argument("--force", action="store_true", help="overwrite existing files")
    args = parser.parse_args(argv)
    try:
        written = scaffold(args.name, args.root, title=args.title, force=args.force)
    except ScaffoldError as exc:
        print(f"chatmodels scaffold: {exc}", file=sys.stderr)
        return 2
    for path in written:
        print(f"wrote {path}")
    print(next_steps(args.name, args.title))
    return 0
