"""Handlers of the Brevo simulator: Conversations (messages, pushed messages, pings, groups)."""

from __future__ import annotations

from typing import Any

from ..base import Context, SimError
from .common import bad, missing, no_content, not_found, string_field
from .models import BrevoState

ONLINE_SECONDS = 150  # "online for 2-3 minutes"


def _state(ctx: Context) -> BrevoState:
    return ctx.state  # type: ignore[no-any-return]


def _agent(state: BrevoState, body: dict[str, Any], *, required: bool = True
           ) -> dict[str, Any] | None:
    agent_id = string_field(body, "agentId")
    if agent_id:
        agent = state.agents.get(agent_id)
        if agent is None:
            raise not_found("Agent not found")
        return agent
    email = string_field(body, "agentEmail")
    name = string_field(body, "agentName")
    source = string_field(body, "receivedFrom")
    if email or name:
        if not (email and name and source):
            raise bad("agentEmail, agentName and receivedFrom are required together")
        return state.agent_by_email(email, name)
    if required:
        raise missing("agentId")
    return None


def send_message(ctx: Context) -> Any:
    state = _state(ctx)
    body = ctx.body
    visitor = string_field(body, "visitorId", required=True)
    text = string_field(body, "text", required=True)
    agent = _agent(state, body)
    assert visitor is not None and text is not None
    return state.add_message(visitor, text, agent=agent,
                             received_from=string_field(body, "receivedFrom"))


def _message(ctx: Context, message_id: str, pushed: bool) -> dict[str, Any]:
    message = _state(ctx).messages.get(message_id)
    if message is None or bool(message.get("isPushed")) != pushed:
        raise not_found("Message not found")
    return message


def get_message(ctx: Context, id: str) -> Any:  # noqa: A002
    return _message(ctx, id, pushed=False)


def _edit(ctx: Context, message: dict[str, Any]) -> Any:
    if message["type"] != "agent":
        raise SimError(400, "invalid_parameter", "Only agents’ messages can be edited")
    text = string_field(ctx.body, "text", required=True)
    message["text"] = message["html"] = text
    return message


def _delete(ctx: Context, message: dict[str, Any]) -> Any:
    if message["type"] != "agent":
        raise SimError(400, "invalid_parameter", "Only agents’ messages can be deleted")
    del _state(ctx).messages[message["id"]]
    return no_content()


def update_message(ctx: Context, id: str) -> Any:  # noqa: A002
    return _edit(ctx, _message(ctx, id, pushed=False))


def delete_message(ctx: Context, id: str) -> Any:  # noqa: A002
    return _delete(ctx, _message(ctx, id, pushed=False))


def send_pushed(ctx: Context) -> Any:
    state = _state(ctx)
    body = ctx.body
    visitor = string_field(body, "visitorId", required=True)
    text = string_field(body, "text", required=True)
    group_id = string_field(body, "groupId")
    agent = _agent(state, body, required=False)
    if agent is None:
        if not group_id:
            raise missing("agentId or groupId")
        group = state.groups.get(group_id)
        if group is None:
            raise not_found("Group not found")
        members = [state.agents[a] for a in group["agentIds"] if a in state.agents]
        if not members:
            raise bad("The group has no agents")
        agent = members[0]
    assert visitor is not None and text is not None
    return state.add_message(visitor, text, agent=agent, pushed=True)


def get_pushed(ctx: Context, id: str) -> Any:  # noqa: A002
    return _message(ctx, id, pushed=True)


def update_pushed(ctx: Context, id: str) -> Any:  # noqa: A002
    return _edit(ctx, _message(ctx, id, pushed=True))


def delete_pushed(ctx: Context, id: str) -> Any:  # noqa: A002
    return _delete(ctx, _message(ctx, id, pushed=True))


def agent_online_ping(ctx: Context) -> Any:
    state = _state(ctx)
    agent = _agent(state, ctx.body)
    assert agent is not None
    state.online_until[agent["id"]] = state.now() + ONLINE_SECONDS
    return no_content(201)


def set_visitor_group(ctx: Context) -> Any:
    state = _state(ctx)
    body = ctx.body
    visitor = string_field(body, "visitorId", required=True)
    group_id = string_field(body, "groupId", required=True)
    assert visitor is not None and group_id is not None
    if group_id not in state.groups:
        raise not_found("Group not found")
    state.visitor(visitor)["groupId"] = group_id
    return {"groupId": group_id, "visitorId": visitor}
