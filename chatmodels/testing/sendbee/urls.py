"""Routing table of the Sendbee simulator (paths exactly as Sendbee API v2)."""

from __future__ import annotations

from ..base import Route
from . import responses as r

__all__ = ["ROUTES"]


def _route(path: str, methods: str, handler: object) -> Route:
    return Route(path, methods.split(), handler)  # type: ignore[arg-type]


ROUTES: list[Route] = [
    _route("/contacts", "GET", r.list_contacts),
    _route("/contacts", "PUT", r.update_contact),
    _route("/contacts/subscribe", "POST", r.subscribe_contact),
    _route("/contacts/tags", "GET", r.list_tags),
    _route("/contacts/tags", "POST", r.create_tag),
    _route("/contacts/tags", "PUT", r.update_tag),
    _route("/contacts/tags", "DELETE", r.delete_tag),
    _route("/contacts/fields", "GET", r.list_fields),
    _route("/contacts/fields", "POST", r.create_field),
    _route("/contacts/fields", "PUT", r.update_field),
    _route("/contacts/fields", "DELETE", r.delete_field),
    _route("/conversations", "GET", r.list_conversations),
    _route("/conversation", "GET", r.get_conversation),
    _route("/conversation", "POST", r.update_conversation),
    _route("/conversations/messages", "GET", r.list_messages),
    _route("/conversations/messages/send", "POST", r.send_message),
    _route("/conversations/messages/templates", "GET", r.list_templates),
    _route("/conversations/messages/templates/send", "POST", r.send_template),
    _route("/teams/teams", "GET", r.list_teams),
    _route("/teams/members", "GET", r.list_members),
    _route("/automation/chatbot/activity", "PUT", r.set_chatbot),
    _route("/automation/chatbot/activity/status", "GET", r.chatbot_status),
    _route("/rate-limit/request-test", "GET", r.rate_limit_request_test),
]
