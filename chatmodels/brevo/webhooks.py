"""Brevo conversation webhooks -> models.

Brevo posts ``conversationStarted`` (the first message, in ``message``),
``conversationFragment`` (new ``messages`` of an ongoing conversation) and
``conversationTranscript`` (every message, once the conversation is over), each with
``conversationId``, ``visitor`` and ``agents``. :func:`parse` turns one payload into a
:class:`WebhookEvent`; :func:`assemble` merges any number of them into conversations
(messages deduplicated by id, in time order); :func:`read_directory` does the same for a
directory of saved bodies.

Verification: Brevo signs nothing and sends no secret header for conversation webhooks, so the
only check is one you put in the webhook URL yourself: register
``https://example.com/hooks/brevo?token=<secret>`` and call :func:`verify` with the token from
the request (constant-time comparison).

:func:`parse_event` is the check and parse behind ``chatmodels.webhooks.parse``: the token comes
in the ``X-Chatmodels-Url-Token`` header (``webhooks.wsgi_app`` puts the URL's ``?token=``
there), and the event is the common :class:`~chatmodels.webhooks.Event` whose object is the
conversation assembled from this one payload (Brevo sends no delivery id: ``Event.id`` is a
hash of the payload).
"""

from __future__ import annotations

import hmac
import json
import os
import pathlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from ..errors import ChatModelsError, ValidationError
from ..webhooks import event as common

EVENTS = ("conversationStarted", "conversationFragment", "conversationTranscript")


def _invalid(message: str, field_name: str | None = None) -> ValidationError:
    return ValidationError(f"brevo webhook: {message}", provider="brevo", field=field_name)


@dataclass
class WebhookEvent:
    """One parsed payload: its name, conversation id, messages (models), visitor and agents."""

    name: str
    conversation_id: str
    messages: list[Any]
    visitor: dict[str, Any] = field(default_factory=dict)
    agents: list[dict[str, Any]] = field(default_factory=list)
    start_page: dict[str, Any] | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False)

    @property
    def visitor_id(self) -> str | None:
        vid = self.visitor.get("id")
        return str(vid) if vid is not None else None


def verify(token: str | None, secret: str) -> None:
    """Check the shared secret carried by the webhook URL (``?token=...``, or a full URL).
    Raises :class:`~chatmodels.webhooks.InvalidSignature` (an ``AuthenticationError``) when it
    is missing or wrong."""
    if not secret:
        raise ValueError("verify() needs the shared secret you put in the webhook URL")
    given = token or ""
    if given.startswith(("http://", "https://", "/")):
        given = (parse_qs(urlsplit(given).query).get("token") or [""])[0]
    if not given:
        raise common.InvalidSignature("brevo", "missing", "token", code="bad_webhook_token")
    if not hmac.compare_digest(given.encode("utf-8", "replace"), secret.encode("utf-8")):
        raise common.InvalidSignature("brevo", "bad_signature", "token",
                                      code="bad_webhook_token")


def _load(payload: Any) -> Mapping[str, Any]:
    if isinstance(payload, (bytes, bytearray)):
        try:
            payload = payload.decode("utf-8")
        except UnicodeDecodeError:
            raise _invalid("the body is not UTF-8") from None
    if isinstance(payload, str):
        try:
            payload = json.loads(payload)
        except ValueError:
            raise _invalid("the body is not JSON") from None
    if not isinstance(payload, Mapping):
        raise _invalid("the body is not a JSON object")
    return payload


def _message(model: Any, data: Any, visitor_id: str | None, account: Any) -> Any:
    if not isinstance(data, Mapping) or not isinstance(data.get("id"), str):
        raise _invalid("a message without an id", "messages")
    wire = dict(data)
    if visitor_id is not None:
        wire.setdefault("visitorId", visitor_id)
    return model.from_wire(wire, account=account)


def parse(payload: Any, *, api: Any = None) -> WebhookEvent:
    """One webhook body (bytes, str or dict) -> :class:`WebhookEvent`. ``api``: a
    ``brevo.connect()`` account whose classes the models use (default: the module's)."""
    data = _load(payload)
    name = data.get("eventName")
    if name not in EVENTS:
        raise _invalid(f"unknown eventName {name!r} (expected one of {', '.join(EVENTS)})",
                       "eventName")
    conv_id = data.get("conversationId")
    if not isinstance(conv_id, str) or not conv_id:
        raise _invalid("no conversationId", "conversationId")
    visitor: Mapping[str, Any] = data["visitor"] if isinstance(data.get("visitor"),
                                                                Mapping) else {}
    agents = [a for a in data.get("agents") or [] if isinstance(a, Mapping)]
    raw_messages: Any
    if name == "conversationStarted":
        raw_messages = [data["message"]] if data.get("message") is not None else []
    else:
        raw_messages = data.get("messages")
        if not isinstance(raw_messages, list):
            raise _invalid(f"{name} without a messages list", "messages")
    model, account = _classes(api, "Message")
    vid = visitor.get("id") if visitor else None
    messages = [_message(model, m, None if vid is None else str(vid), account)
                for m in raw_messages]
    page = data.get("conversationStartPage")
    return WebhookEvent(name=str(name), conversation_id=conv_id, messages=messages,
                        visitor=dict(visitor), agents=[dict(a) for a in agents],
                        start_page=dict(page) if isinstance(page, Mapping) else None, raw=data)


def assemble(payloads: Iterable[Any], *, api: Any = None) -> list[Any]:
    """Merge webhook payloads (or parsed events) into conversations, one per
    ``conversationId``, in order of first appearance; messages deduplicated by id."""
    convs: dict[str, dict[str, Any]] = {}
    for item in payloads:
        event = item if isinstance(item, WebhookEvent) else parse(item, api=api)
        conv = convs.setdefault(event.conversation_id, {
            "messages": {}, "visitor": {}, "agents": {}, "start_page": None, "closed": False})
        for message in event.messages:
            conv["messages"][message.id] = message  # a later copy (transcript) wins
        conv["visitor"].update(event.visitor)
        for agent in event.agents:
            conv["agents"][agent.get("id")] = agent
        conv["start_page"] = conv["start_page"] or event.start_page
        conv["closed"] = conv["closed"] or event.name == "conversationTranscript"
    model, account = _classes(api, "Conversation")
    out = []
    for conv_id, conv in convs.items():
        messages = sorted(conv["messages"].values(), key=_key)
        visitor = conv["visitor"]
        agents = list(conv["agents"].values())
        assignee = agents[0].get("id") if agents else next(
            (m.agent_id for m in reversed(messages) if m.agent_id), None)
        obj = model(id=conv_id, visitor_id=visitor.get("id"), visitor=visitor, agents=agents,
                    start_page=conv["start_page"], messages=messages,
                    state="closed" if conv["closed"] else "open", assignee_id=assignee)
        obj._mark_clean()
        object.__setattr__(obj, "_account", account)
        out.append(obj)
    return out


def read_directory(path: str | os.PathLike[str], *, api: Any = None) -> list[Any]:
    """Conversations from a directory of saved webhook bodies: every ``*.json`` file (in name
    order) holds one payload or a JSON array of payloads. A damaged file raises
    ``ValidationError`` naming it; nothing is half-read."""
    folder = pathlib.Path(path)
    if not folder.is_dir():
        raise _invalid(f"{folder} is not a directory")
    events: list[WebhookEvent] = []
    for file in sorted(folder.glob("*.json")):
        try:
            data = json.loads(file.read_bytes().decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise _invalid(f"{file.name} is not a JSON file") from None
        try:
            events += [parse(item, api=api) for item in (data if isinstance(data, list)
                                                         else [data])]
        except ValidationError as exc:
            reason = exc.message.removeprefix("brevo webhook: ")
            raise _invalid(f"{file.name}: {reason}", exc.field) from None
    return assemble(events, api=api)


#: Brevo event -> canonical topic of ``chatmodels.webhooks``
CANONICAL = {"conversationStarted": "conversation.created",
             "conversationFragment": "conversation.replied",
             "conversationTranscript": "conversation.closed"}


def parse_event(headers: Mapping[str, str], body: bytes, *, secret: str,
                max_age: float | None = 300, now: Any = None, api: Any = None) -> common.Event:
    """Verify the URL token (header ``X-Chatmodels-Url-Token``) and parse one payload into a
    :class:`~chatmodels.webhooks.Event` (``max_age``/``now`` unused: Brevo signs no time)."""
    common.require_secret("brevo", secret)
    verify(common.header(headers, common.URL_TOKEN_HEADER), secret)
    raw = common.load_json("brevo", common.as_bytes("brevo", body))
    try:
        event = parse(raw, api=api)
        (conversation,) = assemble([event], api=api)
    except ValidationError:
        raise
    except ChatModelsError as exc:
        raise _invalid(f"a message has the wrong shape ({getattr(exc, 'message', exc)})",
                       "messages") from None
    times = [m.created_at for m in event.messages if m.created_at is not None]
    return common.Event(
        provider="brevo", topic=CANONICAL[event.name], provider_topic=event.name,
        id=common.body_id(raw), created_at=max(times) if times else None, object=conversation,
        kind="conversation", object_id=event.conversation_id,
        conversation_id=event.conversation_id, raw=raw)


def _key(message: Any) -> tuple[float, str]:
    created = message.created_at
    return (created.timestamp() if created is not None else 0.0, str(message.id))


def _classes(api: Any, name: str) -> tuple[Any, Any]:
    if api is not None:
        return api.model(name), api
    from .resources import RESOURCES
    return RESOURCES[name], None


__all__ = ["CANONICAL", "EVENTS", "WebhookEvent", "assemble", "parse", "parse_event",
           "read_directory", "verify"]
