"""Generate ``docs/support.md`` (provider x resource x operation) from the classes themselves.

``python -m chatmodels.docgen`` rewrites the file; ``--check`` fails when it is stale, so the
table cannot drift from the code (``make test`` runs the check).
"""

from __future__ import annotations

import argparse
import inspect
import sys
from pathlib import Path

from . import registry
from .resource import OPERATIONS, Resource

TARGET = Path(__file__).resolve().parent.parent / "docs" / "support.md"


def _providers() -> list[tuple[str, dict[str, type]]]:
    """(name, resource classes) of every provider in the registry, in registry order."""
    return [(entry.name, dict(entry.resource_classes())) for entry in registry.entries()]


def _extra_methods(cls: type) -> list[str]:
    names = []
    for name, member in inspect.getmembers(cls):
        if name.startswith("_") or name in OPERATIONS or name in ("load", "reload", "to_dict",
                                                                   "changes", "field_names",
                                                                   "ref", "supported_operations",
                                                                   "from_wire", "count"):
            continue
        if not (callable(member) or isinstance(member, property)) or isinstance(member, type):
            continue
        defined = next((k for k in cls.__mro__ if name in k.__dict__), None)
        if defined is None or defined.__module__.startswith(("chatmodels.model",
                                                             "chatmodels.resource",
                                                             "chatmodels.canonical")):
            continue
        names.append(name)
    return sorted(names)


def render() -> str:
    lines = [
        "# Support table",
        "",
        "Generated from the resource classes by `python -m chatmodels.docgen`; do not edit.",
        "`make test` fails when this file is stale. Standard operations: "
        + ", ".join(f"`{op}`" for op in OPERATIONS) + ". Aliases share one class.",
        "",
    ]
    for provider, resources in _providers():
        lines += [f"## {provider}", "", "| Resource | Canonical class | "
                  + " | ".join(OPERATIONS) + " | Other operations |",
                  "|---|---|" + "---|" * len(OPERATIONS) + "---|"]
        seen: dict[type, str] = {}
        for name, cls in resources.items():
            if not (isinstance(cls, type) and issubclass(cls, Resource)):
                methods = [m for m in dir(cls) if not m.startswith("_")]
                lines.append(f"| {name} | - |" + " |" * len(OPERATIONS)
                             + f" {', '.join(f'`{m}`' for m in sorted(methods))} |")
                continue
            if cls in seen:
                lines.append(f"| {name} | alias of {seen[cls]} |" + " |" * len(OPERATIONS)
                             + " |")
                continue
            seen[cls] = name
            ops = cls.supported_operations()
            root = cls._root().__name__
            cells = " | ".join("yes" if op in ops else "" for op in OPERATIONS)
            extra = ", ".join(f"`{m}`" for m in _extra_methods(cls))
            lines.append(f"| {name} | {root} | {cells} | {extra} |")
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail if docs/support.md is stale")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        current = TARGET.read_text(encoding="utf-8") if TARGET.exists() else ""
        if current != text:
            print(f"{TARGET.name} is stale: run `python -m chatmodels.docgen`", file=sys.stderr)
            return 1
        print(f"{TARGET.name} is up to date")
        return 0
    TARGET.write_text(text, encoding="utf-8")
    print(f"wrote {TARGET}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
