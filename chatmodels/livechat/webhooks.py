"""LiveChat webhooks (v3.6) -> models.

LiveChat posts a JSON body ``{"webhook_id", "secret_key", "action", "organization_id",
"payload", "additional_data"}``; the ``secret_key`` is the one given to ``register_webhook``.
:func:`parse` checks it (constant-time) and turns the body into a :class:`WebhookEvent`:
LiveChat's ``action``, a canonical ``topic`` and ``object``, a model built from the payload
(partial where the payload is: a ``chat_deactivated`` carries only ids).

Errors: a missing or wrong ``secret_key`` is an ``InvalidSignature`` (an
``AuthenticationError``, ``code="bad_webhook_secret"``, as Brevo's webhook token); a body that
is not a JSON object, has no ``action``/``payload`` or a payload of the wrong shape is a
``ValidationError``. An action this module does not know still parses (``topic`` ``None``,
``object`` ``None``).

:func:`parse_event` is the same check and parse behind ``chatmodels.webhooks.parse``: it gives
the common :class:`~chatmodels.webhooks.Event` (canonical topic from :data:`CANONICAL`; LiveChat
sends no delivery id -- ``webhook_id`` names the registration -- so ``Event.id`` is a hash of
the body without its secret).
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..collection import Collection, Page
from ..errors import ChatModelsError, ResponseError, ValidationError
from ..operations import declare
from ..webhooks import event as common
from . import schemas
from .api import configuration
from .chats import LiveChatResource, answer_object, invalid

#: LiveChat action -> canonical topic
TOPICS = {
    "incoming_chat": "conversation.created",
    "chat_deactivated": "conversation.closed",
    "chat_transferred": "conversation.assigned",
    "chat_access_updated": "conversation.updated",
    "chat_properties_updated": "conversation.updated",
    "chat_properties_deleted": "conversation.updated",
    "thread_properties_updated": "conversation.updated",
    "thread_properties_deleted": "conversation.updated",
    "thread_summary_set": "conversation.updated",
    "user_added_to_chat": "conversation.participant_added",
    "user_removed_from_chat": "conversation.participant_removed",
    "thread_tagged": "conversation.tagged",
    "thread_untagged": "conversation.untagged",
    "events_marked_as_seen": "conversation.read",
    "incoming_event": "message.created",
    "event_updated": "message.updated",
    "event_deleted": "message.deleted",
    "event_properties_updated": "message.updated",
    "event_properties_deleted": "message.updated",
    "incoming_rich_message_postback": "message.postback",
    "customer_session_fields_updated": "contact.updated",
    "routing_status_set": "agent.status_changed",
    "agent_created": "agent.created",
    "agent_approved": "agent.updated",
    "agent_updated": "agent.updated",
    "agent_suspended": "agent.updated",
    "agent_unsuspended": "agent.updated",
    "agent_deleted": "agent.deleted",
    "bot_created": "bot.created",
    "bot_updated": "bot.updated",
    "bot_deleted": "bot.deleted",
    "group_created": "team.created",
    "group_updated": "team.updated",
    "group_deleted": "team.deleted",
    "tag_created": "tag.created",
    "tag_updated": "tag.updated",
    "tag_deleted": "tag.deleted",
}


def _invalid(message: str, field_name: str | None = None) -> ValidationError:
    return ValidationError(f"livechat webhook: {message}", provider="livechat", field=field_name)


@dataclass(frozen=True)
class WebhookEvent:
    """One verified webhook: ``action`` (LiveChat's), ``topic`` (canonical, ``None`` for an
    action not mapped), ``object`` (a model or ``None``), ``id`` (``webhook_id``),
    ``license_id``/``organization_id`` (whichever the body carries) and ``raw`` (the body
    without its ``secret_key``)."""

    action: str
    topic: str | None
    object: Any
    id: str | None
    license_id: int | str | None = None
    organization_id: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False)


def _load(body: Any) -> Mapping[str, Any]:
    if isinstance(body, (bytes, bytearray, memoryview)):
        try:
            body = bytes(body).decode("utf-8")
        except UnicodeDecodeError:
            raise _invalid("the body is not UTF-8") from None
    if isinstance(body, str):
        try:
            body = json.loads(body)
        except (ValueError, RecursionError):
            raise _invalid("the body is not JSON") from None
    if not isinstance(body, Mapping):
        raise _invalid("the body is not a JSON object")
    return body


def verify(data: Mapping[str, Any], secret: str) -> None:
    """Check the body's ``secret_key`` against ``secret``; ``AuthenticationError`` if missing
    or wrong. The secret never appears in the error."""
    if not isinstance(secret, str) or not secret:
        raise ValueError("verify() needs the secret_key given to register_webhook")
    given = data.get("secret_key")
    if not isinstance(given, str) or not given:
        raise common.InvalidSignature("livechat", "missing", "secret_key",
                                      code="bad_webhook_secret")
    if not hmac.compare_digest(given.encode("utf-8", "replace"), secret.encode("utf-8")):
        raise common.InvalidSignature("livechat", "bad_signature", "secret_key",
                                      code="bad_webhook_secret")


def _str(payload: Mapping[str, Any], key: str, required: bool = True) -> str | None:
    value = payload.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value:
        raise _invalid(f"payload.{key} must be a non-empty string", f"payload.{key}")
    return value


def _obj(payload: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = payload.get(key)
    if not isinstance(value, Mapping):
        raise _invalid(f"payload.{key} must be an object", f"payload.{key}")
    return value


def _build(action: str, p: Mapping[str, Any], cls: Any) -> Any:
    chat = cls["Conversation"]
    if action == "incoming_chat":
        data = _obj(p, "chat")
        _str(data, "id")
        return chat.from_wire(data, partial=True)
    if action in ("incoming_event", "event_updated"):
        event = _obj(p, "event")
        return cls["Message"].from_event(event, chat_id=_str(p, "chat_id"),
                                         thread_id=_str(p, "thread_id", False))
    if action in ("event_deleted", "event_properties_updated", "event_properties_deleted"):
        return cls["Message"].from_wire(
            {"id": _str(p, "event_id"), "_chat_id": _str(p, "chat_id"),
             "_thread_id": _str(p, "thread_id", False)}, partial=True)
    if action == "chat_deactivated":
        return chat.from_wire({"id": _str(p, "chat_id"),
                               "thread": {"id": _str(p, "thread_id", False), "active": False}},
                              partial=True)
    if action in ("thread_tagged", "thread_untagged"):
        tag = _str(p, "tag")
        thread: dict[str, Any] = {"id": _str(p, "thread_id", False)}
        if action == "thread_tagged":
            thread["tags"] = [tag]
        obj = chat.from_wire({"id": _str(p, "chat_id"), "thread": thread}, partial=True)
        obj._values.pop("state", None)  # the payload does not say whether the thread is open
        return obj
    if action == "chat_access_updated":
        return chat.from_wire({"id": _str(p, "id"), "access": _obj(p, "access")}, partial=True)
    if action.startswith(("chat_", "thread_", "user_", "events_")):
        obj = chat.from_wire({"id": _str(p, "chat_id")}, partial=True)
        obj._values.pop("state", None)
        return obj
    if action == "customer_session_fields_updated":
        fields = p.get("session_fields")
        if not isinstance(fields, list) or not all(isinstance(f, Mapping) for f in fields):
            raise _invalid("payload.session_fields must be a list of objects",
                           "payload.session_fields")
        return cls["Contact"].from_wire({"id": _str(p, "id"), "session_fields": fields},
                                        partial=True)
    if action.startswith("agent_"):
        _str(p, "id")
        return cls["Agent"].from_wire(p, partial=True)
    if action.startswith("group_"):
        if type(p.get("id")) is not int:
            raise _invalid("payload.id must be a number", "payload.id")
        return cls["Team"].from_wire(p, partial=True)
    if action.startswith("tag_"):
        _str(p, "name")
        return cls["Tag"].from_wire(p, partial=True)
    return None


def parse(body: bytes | str | Mapping[str, Any], *, secret: str, api: Any = None) -> WebhookEvent:
    """One webhook body (bytes, str or dict) -> a verified :class:`WebhookEvent`. ``api``: a
    ``livechat.connect()`` namespace whose classes the models use (default: the module's)."""
    data = _load(body)
    verify(data, secret)
    action = data.get("action")
    if not isinstance(action, str) or not action:
        raise _invalid("no action", "action")
    payload = data.get("payload")
    if not isinstance(payload, Mapping):
        raise _invalid("payload must be an object", "payload")
    webhook_id = data.get("webhook_id")
    if webhook_id is not None and not isinstance(webhook_id, str):
        raise _invalid("webhook_id must be a string", "webhook_id")
    from . import resources
    classes = {name: getattr(api, name, None) or resources.RESOURCES[name]
               for name in ("Conversation", "Message", "Contact", "Agent", "Team", "Tag")}
    try:
        obj = _build(action, payload, classes)
    except ValidationError:
        raise
    except (ChatModelsError, TypeError, ValueError, KeyError, AttributeError) as exc:
        raise _invalid(f"the {action} payload has the wrong shape ({type(exc).__name__})",
                       "payload") from None
    license_id = data.get("license_id")
    org = data.get("organization_id")
    return WebhookEvent(
        action=action, topic=TOPICS.get(action), object=obj, id=webhook_id,
        license_id=license_id if isinstance(license_id, (int, str)) else None,
        organization_id=org if isinstance(org, str) else None,
        raw={k: v for k, v in data.items() if k != "secret_key"})


#: LiveChat action -> canonical topic of ``chatmodels.webhooks`` (others: "other")
CANONICAL = {
    "incoming_chat": "conversation.created",
    "chat_deactivated": "conversation.closed",
    "chat_transferred": "conversation.assigned",
    "thread_tagged": "conversation.tagged",
    "thread_untagged": "tag.removed",
    "incoming_event": "message.created",
    "customer_session_fields_updated": "contact.updated",
}


def parse_event(headers: Mapping[str, str], body: bytes, *, secret: str,
                max_age: float | None = 300, now: Any = None, api: Any = None) -> common.Event:
    """:func:`parse` as a :class:`~chatmodels.webhooks.Event` (``headers``, ``max_age`` and
    ``now`` are unused: LiveChat signs nothing with a time; the secret is in the body)."""
    common.require_secret("livechat", secret)
    data = common.load_json("livechat", common.as_bytes("livechat", body))
    hook = parse(data, secret=secret, api=api)
    obj = hook.object
    kind = common.kind_of(obj)
    conversation = None
    if kind == "conversation":
        conversation = common.id_of(obj)
    elif kind == "message":
        value = obj.peek("conversation_id")
        conversation = None if value is None else str(value)
    return common.Event(
        provider="livechat", topic=common.canonical(CANONICAL.get(hook.action)),
        provider_topic=hook.action, id=common.body_id(hook.raw), created_at=None, object=obj,
        kind=kind, object_id=common.id_of(obj),
        conversation_id=conversation, raw=hook.raw)


# -- management (Configuration API) ----------------------------------------------------------
class Webhook(LiveChatResource):
    """A registered webhook: ``Webhook.create(...)`` is ``register_webhook``,
    ``Webhook.all(owner_client_id=...)`` ``list_webhooks``, ``webhook.delete()``
    ``unregister_webhook``. Webhooks belong to a Client Id (``owner_client_id``)."""

    _schema = schemas.WebhookSchema
    _repr_fields = ("action", "url")
    operations = declare(
        all=configuration("list_webhooks", safe=True),
        create=configuration("register_webhook", safe=False),
        delete=configuration("unregister_webhook", "id", "owner_client_id", safe=True),
    )

    @classmethod
    def create(cls, *, url: str, action: str, secret_key: str, owner_client_id: str,
               type: str = "license", description: str | None = None,
               filters: Mapping[str, Any] | None = None,
               additional_data: list[str] | None = None) -> Webhook:
        """``register_webhook``; the secret is sent, never kept on the object."""
        for key, value in (("url", url), ("action", action), ("secret_key", secret_key),
                           ("owner_client_id", owner_client_id), ("type", type)):
            if not isinstance(value, str) or not value:
                raise invalid(f"a webhook needs a non-empty {key}", key)
        body: dict[str, Any] = {"url": url, "action": action, "owner_client_id": owner_client_id,
                                "type": type}
        if description is not None:
            body["description"] = description
        if filters is not None:
            body["filters"] = dict(filters)
        if additional_data is not None:
            body["additional_data"] = list(additional_data)
        answer = answer_object(cls._call("create", json={**body, "secret_key": secret_key}),
                               "Webhook.create")
        webhook_id = answer.get("id")
        if not isinstance(webhook_id, str) or not webhook_id:
            raise ResponseError("livechat: the register_webhook answer has no id",
                                provider="livechat", code="bad_answer", field="id")
        return cls.from_wire({**body, "id": webhook_id})  # type: ignore[return-value]

    @classmethod
    def all(cls, *, owner_client_id: str) -> Collection[Any]:  # type: ignore[override]
        """``list_webhooks`` of one Client Id (one page)."""
        if not isinstance(owner_client_id, str) or not owner_client_id:
            raise invalid("list_webhooks needs an owner_client_id", "owner_client_id")

        def fetch(params: Mapping[str, Any], cursor: Any, size: int | None) -> Page[Any]:
            answer = cls._call("all", json={"owner_client_id": owner_client_id})
            if not isinstance(answer, list) or not all(isinstance(a, Mapping) for a in answer):
                raise ResponseError("livechat: list_webhooks must answer a list of objects",
                                    provider="livechat", code="bad_answer")
            items = [cls.from_wire(a) for a in answer]
            return Page(items, None, len(items))
        return Collection(fetch, description=f"{cls.__name__}.all()")

    def delete(self) -> None:
        """``unregister_webhook``."""
        self._call("delete", owner_client_id=self.owner_client_id)
        object.__setattr__(self, "_deleted", True)


__all__ = ["CANONICAL", "TOPICS", "Webhook", "WebhookEvent", "parse", "parse_event", "verify"]
