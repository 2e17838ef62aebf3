"""The one webhook ``Event`` type, the two signature errors, and the small helpers every
provider's ``parse_event`` shares (header lookup, bounded JSON decode, age check, body id).

Nothing here names a provider: the provider modules (``chatmodels.<p>.webhooks``) import it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import inflection

from ..errors import AuthenticationError, ChatModelsError, ConfigurationError, ValidationError

#: canonical topics (``Event.topic``); anything else a provider sends is ``"other"``
TOPICS = (
    "conversation.created", "conversation.replied", "conversation.closed",
    "conversation.assigned", "conversation.tagged", "message.created", "contact.created",
    "contact.updated", "contact.deleted", "tag.added", "tag.removed", "other",
)
#: the largest body a parser accepts, in bytes
MAX_BODY = 1024 * 1024
#: how far in the future a signed timestamp may be (clock skew between hosts), in seconds
CLOCK_SKEW = 60.0
#: header under which a secret carried in the webhook URL (``?token=...``) reaches a parser
URL_TOKEN_HEADER = "X-Chatmodels-Url-Token"
_REASONS = {"missing": "missing", "malformed": "malformed", "bad_signature": "bad",
            "stale": "stale"}


class InvalidSignature(AuthenticationError):
    """A webhook's signature (or token, or secret) is missing, malformed or wrong; ``reason``
    is ``missing``, ``malformed``, ``bad_signature`` or ``stale``. Never quotes the value."""

    def __init__(self, provider: str, reason: str, what: str = "signature", *,
                 code: str | None = None, detail: str | None = None) -> None:
        words = _REASONS.get(reason, reason.replace("_", " "))
        text = f"{provider} webhook: {words} {what}" + (f" ({detail})" if detail else "")
        super().__init__(text, provider=provider, code=code or reason)
        self.reason = reason


class StaleEvent(InvalidSignature):
    """The signed timestamp is older than ``max_age`` or too far in the future (a replay, or
    a clock far off). ``age`` is in seconds (negative: from the future)."""

    def __init__(self, provider: str, what: str = "timestamp", *, age: float | None = None,
                 code: str | None = None) -> None:
        detail = None if age is None else (f"{age:.0f} s old" if age >= 0
                                           else f"{-age:.0f} s in the future")
        super().__init__(provider, "stale", what, code=code, detail=detail)
        self.age = age


@dataclass(frozen=True)
class Event:
    """One verified webhook delivery, whatever the provider (see docs/webhooks.md).

    ``object`` is a model of the provider's package (partial where the payload is: ``load()``
    completes it), ``kind`` its canonical kind (``None`` when there is no object), ``id`` the
    delivery id when the provider sends one, else a stable hash of the payload (a re-delivery
    has the same id), ``raw`` the decoded payload without any secret."""

    provider: str
    topic: str
    provider_topic: str
    id: str
    created_at: dt.datetime | None
    object: Any
    kind: str | None
    object_id: str | None
    conversation_id: str | None
    raw: Mapping[str, Any] = field(repr=False)

    def __post_init__(self) -> None:
        if self.topic not in TOPICS:
            raise ValueError(f"not a canonical topic: {self.topic!r}")


# -- helpers for the provider parsers -----------------------------------------------------------
def invalid(provider: str, message: str, field_name: str | None = None) -> ValidationError:
    """The ``ValidationError`` of a malformed webhook body."""
    return ValidationError(f"{provider} webhook: {message}", provider=provider, field=field_name)


def require_secret(provider: str, secret: Any) -> str:
    """The secret as given; an empty or non-string one is a ``ConfigurationError``."""
    if not isinstance(secret, str) or not secret:
        raise ConfigurationError(f"{provider} webhook: a non-empty secret is required to verify "
                                 "deliveries")
    return secret


def header(headers: Any, name: str) -> str | None:
    """The value of header ``name`` (case-insensitive) as text, else ``None``. Headers may be a
    mapping or a list of pairs; bytes values are decoded as Latin-1 (as HTTP does)."""
    items = headers.items() if isinstance(headers, Mapping) else headers
    wanted = name.lower()
    try:
        for key, value in items:
            if isinstance(key, bytes):
                key = key.decode("latin-1")
            if isinstance(key, str) and key.lower() == wanted:
                if isinstance(value, bytes):
                    value = value.decode("latin-1")
                return value if isinstance(value, str) else None
    except (TypeError, ValueError):
        return None
    return None


def as_bytes(provider: str, body: Any) -> bytes:
    """The body as bytes (``str`` is UTF-8 encoded); anything else, or too large, is invalid."""
    if isinstance(body, str):
        body = body.encode("utf-8", "surrogatepass")
    if not isinstance(body, (bytes, bytearray, memoryview)):
        raise invalid(provider, f"the body is a {type(body).__name__}, not bytes")
    data = bytes(body)
    if len(data) > MAX_BODY:
        raise invalid(provider, f"the body is larger than {MAX_BODY} bytes")
    return data


def load_json(provider: str, body: bytes) -> dict[str, Any]:
    """The body decoded as one JSON object (UTF-8); ``ValidationError`` otherwise."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise invalid(provider, "the body is not UTF-8") from None
    try:
        data = json.loads(text, parse_constant=_no_constant)
    except (ValueError, RecursionError):
        raise invalid(provider, "the body is not JSON") from None
    if not isinstance(data, dict):
        raise invalid(provider, "the body is not a JSON object")
    return data


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def now_seconds(now: dt.datetime | float | None) -> float:
    """``now`` (a datetime, a unix time or ``None`` for the clock) as unix seconds."""
    if now is None:
        return dt.datetime.now(dt.timezone.utc).timestamp()
    if isinstance(now, dt.datetime):
        return (now if now.tzinfo else now.replace(tzinfo=dt.timezone.utc)).timestamp()
    return float(now)


def check_age(provider: str, signed_at: float, *, max_age: float | None,
              now: dt.datetime | float | None, what: str = "timestamp") -> None:
    """``StaleEvent`` unless ``signed_at`` (unix seconds) is at most ``max_age`` seconds old
    (``None``: any age) and at most :data:`CLOCK_SKEW` seconds ahead."""
    age = now_seconds(now) - signed_at
    limit = math.inf if max_age is None else max_age
    if not math.isfinite(age) or age > limit or age < -CLOCK_SKEW:
        raise StaleEvent(provider, what, age=age if math.isfinite(age) else None)


def unix_time(value: Any, *, ms: bool | None = None) -> dt.datetime | None:
    """A unix timestamp (seconds, or milliseconds when ``ms`` or when it is too large to be
    seconds) as an aware datetime; ``None`` for anything that is not a plausible one."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    seconds = float(value)
    if ms or (ms is None and seconds > 1e11):
        seconds /= 1000.0
    if not math.isfinite(seconds) or not 0 <= seconds < 32503680000:  # 1970..3000
        return None
    return dt.datetime.fromtimestamp(seconds, dt.timezone.utc)


def body_id(raw: Mapping[str, Any]) -> str:
    """A stable id for a payload that carries none: SHA-256 of its canonical JSON (so the
    same event re-delivered, even re-serialized, has the same id)."""
    text = json.dumps(raw, sort_keys=True, separators=(",", ":"), ensure_ascii=True,
                      default=str)
    return "sha256:" + hashlib.sha256(text.encode("ascii")).hexdigest()[:32]


def id_of(obj: Any) -> str | None:
    """The id of a model as ``str`` (``None`` without one); never a lazy load."""
    if obj is None:
        return None
    value = obj.peek("id") if hasattr(obj, "peek") else getattr(obj, "id", None)
    return None if value is None else str(value)


def from_wire(provider: str, cls: Any, data: Mapping[str, Any], where: str,
              account: Any = None) -> Any:
    """A partial model of ``cls`` built from a payload part; a value its schema refuses is a
    ``ValidationError`` whose ``field`` is the path in the payload (``data.item.created_at``)."""
    try:
        return cls.from_wire(data, partial=True, account=account)
    except ChatModelsError as exc:
        inner = getattr(exc, "field", None)
        reason = getattr(exc, "message", None) or str(exc)
        raise invalid(provider, f"{where}: {reason}",
                      f"{where}.{inner}" if inner else where) from None


def kind_of(obj: Any) -> str | None:
    """The canonical kind of a model (``"contact"``, ``"conversation"``, ``"message"``...):
    the snake-case name of its canonical class; ``None`` for no object."""
    if obj is None:
        return None
    from .. import canonical as classes
    for cls in type(obj).__mro__:
        if cls.__module__ == classes.__name__ and cls is not classes.Canonical:
            return inflection.underscore(cls.__name__)
    return None


def canonical(topic: str | None) -> str:
    """``topic`` if it is canonical, else ``"other"``."""
    return topic if topic in TOPICS else "other"


__all__ = ["CLOCK_SKEW", "MAX_BODY", "TOPICS", "URL_TOKEN_HEADER", "Event", "InvalidSignature",
           "StaleEvent", "as_bytes", "body_id", "canonical", "check_age", "from_wire", "header", "id_of",
           "invalid", "kind_of", "load_json", "now_seconds", "require_secret", "unix_time"]
