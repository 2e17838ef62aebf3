"""Rich displays for notebooks: HTML tables (``_repr_html_``) and IPython pretty printing.

An object shows the values it holds, never loading a missing one (no request): a partial
reference shows what its payload had. A collection shows its first :data:`PREVIEW` objects and
the provider's total when it reports one: one small request, never the whole query. Every
value is HTML-escaped and shortened; nothing secret is held by a model, so nothing is masked.
"""

from __future__ import annotations

import datetime as dt
import html
from typing import TYPE_CHECKING, Any

from .errors import ChatModelsError
from .model import Model, derived_names

if TYPE_CHECKING:
    from .collection import Collection

#: longest text shown in one cell
CELL = 80


def _short(value: Any) -> str:
    if isinstance(value, dt.datetime):
        text = value.isoformat(sep=" ", timespec="seconds")
    elif isinstance(value, Model):
        text = _ref_text(value)
    elif isinstance(value, list) and value and all(isinstance(v, Model) for v in value):
        text = ", ".join(_ref_text(v) for v in value)
    else:
        text = repr(value) if not isinstance(value, str) else value
    return text if len(text) <= CELL else text[:CELL - 1] + "…"


def _ref_text(obj: Model) -> str:
    name = obj.peek("name")
    return f"{name} ({obj.id})" if name is not None else str(obj.id)


def shown_fields(obj: Model) -> list[tuple[str, Any]]:
    """The (field, value) pairs an object holds now, canonical fields first (no request)."""
    cls = type(obj)
    names = [n for n in cls.canonical_fields if n != "messages"]
    names += [n for n in obj._values if n not in names and n != "messages"]
    names += [n for n in derived_names(cls) if n not in names]
    out = []
    for name in names:
        value = obj.peek(name)
        if value is not None and value != [] and value != {}:
            out.append((name, value))
    return out


def model_html(obj: Model) -> str:
    cls = type(obj)
    title = f"{cls._provider_name()}.{cls.__name__}"
    if obj.is_partial:
        title += " (partial)"
    rows = "".join(f"<tr><th style='text-align:left'>{html.escape(name)}</th>"
                   f"<td style='text-align:left'>{html.escape(_short(value))}</td></tr>"
                   for name, value in shown_fields(obj))
    return (f"<table><caption style='text-align:left'><b>{html.escape(title)}</b></caption>"
            f"{rows}</table>")


def model_pretty(obj: Model, printer: Any, cycle: bool) -> None:
    cls = type(obj)
    if cycle:
        printer.text(f"<{cls.__name__} ...>")
        return
    with printer.group(2, f"<{cls._provider_name()}.{cls.__name__}", ">"):
        for name, value in shown_fields(obj):
            printer.breakable()
            printer.text(f"{name}={_short(value)}")


def _columns(items: list[Model]) -> list[str]:
    cls = type(items[0])
    names = ["id"] + [n for n in cls._repr_fields if n != "id"]
    for name in cls.canonical_fields:
        if len(names) >= 6:
            break
        if name in names or name in ("messages", "custom_attributes"):
            continue
        if any(not isinstance(v, (dict, list)) and v is not None
               for v in (i.peek(name) for i in items)):
            names.append(name)
    return names


def collection_html(collection: Collection[Any]) -> str:
    base = html.escape(collection._base_repr())
    try:
        items, total, more = collection.preview()
    except (ChatModelsError, TypeError, ValueError) as exc:
        return f"<p>{base}: preview failed ({html.escape(type(exc).__name__)})</p>"
    if not items:
        return f"<p>{base}: empty</p>"
    models = [i for i in items if isinstance(i, Model)]
    if len(models) != len(items):
        body = "".join(f"<li>{html.escape(_short(i))}</li>" for i in items)
        return f"<p>{base}</p><ul>{body}</ul>"
    names = _columns(models)
    head = "".join(f"<th>{html.escape(n)}</th>" for n in names)
    rows = "".join("<tr>" + "".join(
        f"<td style='text-align:left'>{html.escape(_short(m.peek(n, '')))}</td>"
        for n in names) + "</tr>" for m in models)
    if total is not None:
        note = f"first {len(items)} of {total}"
    else:
        note = f"first {len(items)}, more not counted" if more else f"all {len(items)}"
    return (f"<table><caption style='text-align:left'><b>{base}</b> ({html.escape(note)})"
            f"</caption><tr>{head}</tr>{rows}</table>")


__all__ = ["collection_html", "model_html", "model_pretty", "shown_fields"]
