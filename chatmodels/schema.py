"""Marshmallow building blocks shared by every provider's wire schemas.

A provider schema declares the fields it knows, named after the canonical attribute and
pointing at the wire key with ``data_key``. Server-set fields are ``load_only`` (read from the
wire, never sent back). Unknown wire keys are kept, not dropped: :func:`load` splits them into
the model's ``extra`` mapping.

What the provider sends is checked, not trusted (:func:`load`):

* an object that is not a JSON object is a :class:`~chatmodels.errors.ResponseError` naming
  the resource;
* a known field whose value has the wrong JSON type (a list where a string is declared...) or
  that its field cannot convert is a ``ResponseError`` naming the field and the provider:
  never a raw exception, never silently kept as the wrong type. ``null`` is always accepted.

:class:`UnixTime` rule: ``None``, ``""`` and ``0`` mean "not set" and read as ``None``. A value
must otherwise be a finite number (or a numeric or ISO 8601 string) of seconds (milliseconds
with ``unit="ms"``) after 1970-01-01 and before 3000-01-01; anything else (negative, NaN,
infinite, a boolean, a millisecond value in a seconds field, which lands past year 3000) is
invalid and raises, as above.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from marshmallow import INCLUDE, Schema, fields
from marshmallow import ValidationError as MarshmallowValidationError

from .errors import ResponseError, ValidationError

UTC = dt.timezone.utc
#: the latest instant a timestamp may denote (seconds): 3000-01-01
MAX_TIMESTAMP = 32503680000


class WireSchema(Schema):
    """Base schema: unknown keys are included (then moved to ``extra`` by :func:`load`)."""

    class Meta:
        unknown = INCLUDE


class UnixTime(fields.Field):
    """A unix timestamp on the wire (seconds, or milliseconds with ``unit="ms"``) <-> aware datetime."""

    def __init__(self, *, unit: str = "s", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.scale = 1000 if unit == "ms" else 1

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None,
                     **kwargs: Any) -> dt.datetime | None:
        if isinstance(value, bool):
            raise MarshmallowValidationError("Not a unix timestamp (a boolean).")
        if value is None or value == "" or value == 0:
            return None
        if isinstance(value, dt.datetime):
            return value if value.tzinfo else value.replace(tzinfo=UTC)
        if isinstance(value, str):
            try:
                parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                pass
            else:
                return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
        if not isinstance(value, (int, float, str)):
            raise MarshmallowValidationError("Not a unix timestamp.")
        try:
            seconds = float(value) / self.scale
        except (ValueError, OverflowError):
            raise MarshmallowValidationError("Not a unix timestamp.") from None
        if not 0 < seconds < MAX_TIMESTAMP:  # also false for NaN
            raise MarshmallowValidationError(
                "Not a unix timestamp between 1970 and 3000 (negative, infinite, NaN, or "
                "milliseconds where seconds are expected).")
        return dt.datetime.fromtimestamp(seconds, tz=UTC)

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> int | None:
        if value is None:
            return None
        if isinstance(value, (int, float)):
            return int(value)
        if isinstance(value, dt.datetime):
            if value.tzinfo is None:
                value = value.replace(tzinfo=UTC)
            return int(value.timestamp() * self.scale)
        raise MarshmallowValidationError("Not a datetime.")


class Raw(fields.Raw):
    """Any JSON value, passed through unchanged (dicts and lists stay mutable and tracked)."""


class FieldIndex:
    """Precomputed facts about a schema, so that loading a page of objects stays cheap."""

    def __init__(self, schema: Schema) -> None:
        self.schema = schema
        self.by_wire: dict[str, tuple[str, fields.Field]] = {}
        self.attrs: dict[str, fields.Field] = {}
        self.writable: set[str] = set()
        for name, field in schema.fields.items():
            wire = field.data_key or name
            attr = field.attribute or name
            self.attrs[attr] = field
            if not field.dump_only:
                self.by_wire[wire] = (attr, field)
            if not field.load_only:
                self.writable.add(attr)
        # Fields whose JSON value already is the Python value. Values coming *from* the
        # provider are not re-validated (validators guard what we send), so these skip the
        # marshmallow call entirely; only converting fields (timestamps, wrappers) run.
        self.passthrough = {
            wire for wire, (_, f) in self.by_wire.items() if type(f) in _IDENTITY_FIELDS
        }
        #: wire key -> (attribute, field, what its value must be: a JSON type, any, a list
        #: of strings, or converted by the field)
        self.plan: dict[str, tuple[str, fields.Field, Any]] = {}
        for wire, (attr, field) in self.by_wire.items():
            kind: Any = _CONVERT
            if wire in self.passthrough:
                kind = _IDENTITY_FIELDS[type(field)] or _ANY
                if kind is list and isinstance(getattr(field, "inner", None), fields.String):
                    kind = _STRINGS
            self.plan[wire] = (attr, field, kind)
        owner = type(schema)
        self.resource = owner.__name__.removesuffix("Schema") or owner.__name__
        parts = owner.__module__.split(".")
        self.provider = parts[1] if len(parts) > 2 and parts[0] == "chatmodels" else None


_ANY, _STRINGS, _CONVERT = object(), object(), object()

#: fields whose JSON value already is the Python value -> the JSON type required (None: any)
_IDENTITY_FIELDS: dict[type, type | tuple[type, ...] | None] = {
    fields.Raw: None, Raw: None, fields.Dict: dict, fields.String: str, fields.Email: str,
    fields.Boolean: bool, fields.Integer: int, fields.List: list, fields.Url: str,
}


_INDEXES: dict[type, FieldIndex] = {}


def index_for(schema_cls: type[Schema]) -> FieldIndex:
    """The :class:`FieldIndex` of a schema class (built once, then shared; read-only)."""
    index = _INDEXES.get(schema_cls)
    if index is None:
        index = _INDEXES.setdefault(schema_cls, FieldIndex(schema_cls()))
    return index


def load(schema_cls: type[Schema], data: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Wire dict -> (attribute values, extra). Unknown keys go to ``extra``; bad values raise
    :class:`~chatmodels.errors.ResponseError` naming the field (see the module docstring)."""
    values, extras = load_many(schema_cls, (data,))
    return values[0], extras[0] or {}


def load_many(schema_cls: type[Schema], items: Iterable[Any]
              ) -> tuple[list[dict[str, Any]], list[dict[str, Any] | None]]:
    """:func:`load` for each wire dict of a page, in one pass: the values of each item, and
    the extra of each (``None`` when the item has no unknown key, as most have none).

    Each known field is deserialized by its marshmallow field; plain JSON fields are passed
    through after a type check. This is ``Schema.load`` minus the per-call machinery, which
    matters when a page of 1,000 objects is read (see ``benchmarks/``).
    """
    index = index_for(schema_cls)
    step_of = index.plan.get
    all_values: list[dict[str, Any]] = []
    all_extra: list[dict[str, Any] | None] = []
    for data in items:
        if type(data) is not dict and not isinstance(data, Mapping):  # (an ABC check is slow)
            raise ResponseError(f"{index.provider or 'provider'}: a {index.resource} answer "
                                f"is not a JSON object (got {type(data).__name__})",
                                provider=index.provider, code="bad_answer")
        values: dict[str, Any] = {}
        extra: dict[str, Any] | None = None
        for key, value in data.items():
            step = step_of(key)
            if step is None:
                if extra is None:
                    extra = {}
                extra[key] = value
                continue
            attr, field, kind = step
            if type(value) is kind or value is None or kind is _ANY:
                values[attr] = value
            else:
                values[attr] = _checked(index, key, field, kind, value, data)
        all_values.append(values)
        all_extra.append(extra)
    return all_values, all_extra


def _checked(index: FieldIndex, key: str, field: fields.Field, kind: Any, value: Any,
             data: Mapping[str, Any]) -> Any:
    """A value that is not plainly of its field's JSON type: checked, converted or refused."""
    if kind is _STRINGS:
        if type(value) is not list or not all(type(v) is str for v in value):
            raise _bad_field(index, key, "expected a list of strings")
        return value
    if kind is not _CONVERT:
        return _convert_scalar(index, key, field, kind, value)
    try:
        # the conversion only: validators guard outgoing data, not the provider's
        return field._deserialize(value, key, data)
    except MarshmallowValidationError as exc:
        raise _bad_field(index, key, _messages(exc)) from None
    except (TypeError, ValueError, AttributeError, KeyError, IndexError, OverflowError,
            OSError) as exc:
        raise _bad_field(index, key, f"cannot convert {_json_name(type(value))} "
                         f"({type(exc).__name__})") from None


def _convert_scalar(index: FieldIndex, key: str, field: fields.Field,
                    kind: type | tuple[type, ...], value: Any) -> Any:
    """A scalar of another JSON type than declared, converted when the conversion is exact
    (``"12"`` for an integer, ``12`` for a string, ``"true"`` for a boolean); else raises."""
    if kind is str and isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    if kind in (int, bool) and isinstance(value, (str, int, float)):
        try:
            return field._deserialize(value, key, None)
        except (MarshmallowValidationError, TypeError, ValueError, OverflowError):
            pass
    raise _bad_field(index, key, f"expected {_json_name(kind)}, got {_json_name(type(value))}")


def _bad_field(index: FieldIndex, key: str, problem: str) -> ResponseError:
    provider = index.provider or "provider"
    return ResponseError(f"{provider}: {index.resource}.{key} in the answer is invalid: "
                         f"{problem}", provider=index.provider, field=key)


def _json_name(kind: type | tuple[type, ...]) -> str:
    names = {dict: "an object", list: "a list", str: "a string", int: "an integer",
             float: "a number", bool: "a boolean", type(None): "null"}
    if isinstance(kind, tuple):
        return " or ".join(names.get(k, k.__name__) for k in kind)
    return names.get(kind, kind.__name__)


def _messages(exc: MarshmallowValidationError) -> str:
    messages = exc.messages
    if isinstance(messages, str):
        return messages
    if isinstance(messages, list):
        return "; ".join(str(m) for m in messages)
    return str(messages)


def dump(schema_cls: type[Schema], values: Mapping[str, Any], *, provider: str) -> dict[str, Any]:
    """Attribute values -> wire dict, validated locally. Raises :class:`ValidationError`."""
    index = index_for(schema_cls)
    unknown = [k for k in values if k not in index.attrs]
    if unknown:
        raise ValidationError(f"unknown field(s) for this resource: {', '.join(sorted(unknown))}",
                              provider=provider, field=unknown[0])
    read_only = [k for k in values if k not in index.writable]
    if read_only:
        raise ValidationError(f"read-only field(s) cannot be sent: {', '.join(sorted(read_only))}",
                              provider=provider, field=read_only[0])
    wire: dict[str, Any] = {}
    for attr, value in values.items():
        field = index.attrs[attr]
        key = field.data_key or attr
        if value is None:
            wire[key] = None
            continue
        try:
            # validate as the field would on input, then serialize
            field.deserialize(field._serialize(value, attr, values) if isinstance(field, UnixTime)
                              else value, key, {})
            wire[key] = field._serialize(value, attr, values)
        except MarshmallowValidationError as exc:
            raise ValidationError(f"invalid value for {attr!r}: {_messages(exc)}",
                                  provider=provider, field=attr) from None
    return wire
