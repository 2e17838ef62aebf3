"""Field documentation generated from the schemas, for ``help()`` and IDEs.

Every model class gets a "Fields" section appended to its docstring when it is defined: each
field with its Python type (from the marshmallow field), its wire key when that differs, and
whether it is read-only (set by the server). Canonical fields the provider lacks are listed as
such; derived fields (``Derived``) say whether they can be assigned. The section is built from
the schema class's declared fields, without instantiating the schema (imports stay cheap).
A reference (``_refs``) shows the class of its objects (``list[Tag]``).

:func:`create_signature` gives ``create()`` a readable signature (keyword-only writable
fields), which :class:`~chatmodels.resource.Creatable` sets on each class that uses the generic
``create``.
"""

from __future__ import annotations

import inspect
from typing import Any

from marshmallow import fields

#: marshmallow field class name -> the Python type a value has
TYPES = {
    "String": "str", "Email": "str", "Url": "str", "URL": "str", "Integer": "int",
    "Float": "float", "Number": "float", "Decimal": "Decimal", "Boolean": "bool",
    "Dict": "dict", "Mapping": "dict", "List": "list", "Raw": "any JSON value",
    "DateTime": "datetime", "Date": "date",
}
MARKER = "\n\nFields\n------\n"


def type_name(field: fields.Field) -> str:
    """The Python type of a field's values, as a short name (``datetime``, ``list[str]``)."""
    for klass in type(field).__mro__:
        if klass.__name__ == "UnixTime" or issubclass(klass, fields.DateTime):
            return "datetime (UTC)"
        name = TYPES.get(klass.__name__)
        if name is not None:
            if name == "list" and isinstance(getattr(field, "inner", None), fields.Field):
                return f"list[{type_name(field.inner)}]"  # type: ignore[attr-defined]
            return name
    return "any JSON value"


def declared(schema: Any) -> dict[str, tuple[fields.Field, str]]:
    """Attribute name -> (field, wire key) of a schema class, without instantiating it."""
    out: dict[str, tuple[fields.Field, str]] = {}
    for name, field in getattr(schema, "_declared_fields", {}).items():
        out[field.attribute or name] = (field, field.data_key or name)
    return out


def field_lines(cls: type) -> list[str]:
    """One line per field of ``cls``: ``name (type, read-only) - wire key ...``."""
    from .model import Derived

    schema_fields = declared(getattr(cls, "_schema", None))
    extra_writable: frozenset[str] = getattr(cls, "_extra_writable", frozenset())
    derived = {}
    for klass in reversed(cls.__mro__):
        for name, value in vars(klass).items():
            if isinstance(value, Derived):
                derived[name] = value
    aliases = {v: k for k, v in getattr(cls, "aliases", {}).items()}
    names = list(getattr(cls, "canonical_fields", ()))
    names += [n for n in schema_fields if n not in names]
    names += [n for n in derived if n not in names]
    lines = []
    for name in names:
        notes = []
        if name in derived:
            kind = "derived"
            notes.append("read-only" if derived[name].fset is None else "writable")
            doc = (derived[name].__doc__ or "").strip().splitlines()
            if doc:
                notes.append(doc[0])
        elif name in getattr(cls, "_loaders", {}) and name not in schema_fields:
            kind = "loaded on first read, one request"
            notes.append("writable" if name in extra_writable else "read-only")
        elif name in schema_fields:
            field, wire = schema_fields[name]
            kind = type_name(field)
            ref = getattr(cls, "_refs", {}).get(name)
            if ref is not None:
                kind = f"list[{ref[0]}]" if ref[1] else ref[0]
            notes.append("read-only" if field.load_only and name not in extra_writable
                         else "writable")
            if wire != name:
                notes.append(f"wire key {wire!r}")
        elif getattr(cls, "_schema", None) is None:
            kind, notes = "canonical", []
        else:
            kind, notes = "not on this provider", ["reads as None"]
        if name in aliases:
            notes.append(f"alias {aliases[name]!r}")
        detail = ", ".join([kind, *notes[:1]]) + ("; " + "; ".join(notes[1:]) if notes[1:]
                                                  else "")
        lines.append(f"- ``{name}`` ({detail})")
    return lines


def document(cls: type) -> None:
    """Append (or replace) the "Fields" section of ``cls.__doc__``."""
    own = cls.__dict__.get("__doc__") or ""
    own = own.split(MARKER, 1)[0]
    lines = field_lines(cls)
    if not lines:
        return
    cls.__doc__ = inspect.cleandoc(own) + MARKER + "\n".join(lines) + "\n"


def create_signature(cls: type) -> inspect.Signature:
    """``create(*, field=None, ...)`` with the fields a new object of ``cls`` may be given."""
    from .model import Derived

    names: list[str] = []
    for name, (field, _) in declared(getattr(cls, "_schema", None)).items():
        if not field.load_only or name in getattr(cls, "_extra_writable", frozenset()):
            names.append(name)
    names += [n for n in getattr(cls, "_extra_writable", ()) if n not in names]
    for klass in cls.__mro__:
        for name, value in vars(klass).items():
            if isinstance(value, Derived) and value.fset is not None and name not in names:
                names.append(name)
    names += [alias for alias, target in getattr(cls, "aliases", {}).items()
              if target in names and alias not in names]
    params = [inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY, default=None)
              for n in names if n.isidentifier()]
    return inspect.Signature(params, return_annotation=cls.__name__)


__all__ = ["create_signature", "document", "field_lines", "type_name"]
