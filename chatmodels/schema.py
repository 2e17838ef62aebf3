"""Marshmallow building blocks shared by every provider's wire schemas.

A provider schema declares the fields it knows, named after the canonical attribute and
pointing at the wire key with ``data_key``. Server-set fields are ``load_only`` (read from the
wire, never sent back). Unknown wire keys are kept, not dropped: :func:`load` splits them into
the model's ``extra`` mapping.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from marshmallow import INCLUDE, Schema, fields
from marshmallow import ValidationError as MarshmallowValidationError

from .errors import ValidationError

UTC = dt.timezone.utc


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
        if type(value) is int:
            return dt.datetime.fromtimestamp(value / self.scale, tz=UTC) if value else None
        if value is None or value == "" or value == 0:
            return None
        if isinstance(value, dt.datetime):
            return value if value.tzinfo else value.replace(tzinfo=UTC)
        if isinstance(value, str):
            try:
                return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                pass
        try:
            return dt.datetime.fromtimestamp(float(value) / self.scale, tz=UTC)
        except (TypeError, ValueError, OverflowError) as exc:
            raise MarshmallowValidationError("Not a unix timestamp.") from exc

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


_IDENTITY_FIELDS = (fields.Raw, Raw, fields.Dict, fields.String, fields.Email, fields.Boolean,
                    fields.Integer, fields.List, fields.Url)


_INDEXES: dict[type, FieldIndex] = {}


def index_for(schema_cls: type[Schema]) -> FieldIndex:
    """The :class:`FieldIndex` of a schema class (built once, then shared; read-only)."""
    index = _INDEXES.get(schema_cls)
    if index is None:
        index = _INDEXES.setdefault(schema_cls, FieldIndex(schema_cls()))
    return index


def load(schema_cls: type[Schema], data: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Wire dict -> (attribute values, extra). Unknown keys go to ``extra``; bad values raise.

    Each known field is deserialized by its marshmallow field; plain JSON fields are passed
    through without a call. This is ``Schema.load`` minus the per-call machinery, which matters
    when a page of 150 objects is read (see ``benchmarks/``).
    """
    index = index_for(schema_cls)
    values: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    by_wire = index.by_wire
    passthrough = index.passthrough
    for key, value in data.items():
        hit = by_wire.get(key)
        if hit is None:
            extra[key] = value
            continue
        attr, field = hit
        if key in passthrough or value is None:
            values[attr] = value
            continue
        try:
            # the conversion only: validators guard outgoing data, not the provider's
            values[attr] = field._deserialize(value, key, data)
        except MarshmallowValidationError:
            # a provider sent something off-schema: keep it readable rather than failing
            values[attr] = value
    return values, extra


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
            message = exc.messages if isinstance(exc.messages, str) else "; ".join(
                str(m) for m in (exc.messages if isinstance(exc.messages, list) else [exc.messages]))
            raise ValidationError(f"invalid value for {attr!r}: {message}", provider=provider,
                                  field=attr) from None
    return wire
