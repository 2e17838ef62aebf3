"""Routing table of the Crisp simulator (paths exactly as Crisp REST API v1, under ``/v1``).

werkzeug adds ``HEAD`` to every ``GET`` rule, which gives Crisp's "Check If ... Exists" routes
(``HEAD .../people/profile/{people_id}``, ``HEAD .../conversation/{session_id}``) for free:
200 without a body when found, the error status otherwise.
"""

from __future__ import annotations

from ..base import Route
from . import responses as r

__all__ = ["ROUTES", "PREFIX"]

PREFIX = "/v1"
_W = PREFIX + "/website/<website_id>"
_C = _W + "/conversation/<session_id>"


def _route(path: str, methods: str, handler: object) -> Route:
    return Route(path, methods.split(), handler)  # type: ignore[arg-type]


ROUTES: list[Route] = [
    # website / operators
    _route(_W, "GET", r.get_website),
    _route(_W + "/operators/list", "GET", r.list_operators),
    _route(_W + "/operators/active", "GET", r.list_active_operators),
    _route(_W + "/operator/<user_id>", "GET", r.get_operator),
    # suggestions, segments, stats
    _route(_W + "/people/suggest/segments/<int:page>", "GET", r.list_people_segments),
    _route(_W + "/people/segments/<int:page>", "GET", r.list_people_segments),  # legacy path
    _route(_W + "/people/suggest/segment", "DELETE", r.delete_people_segment),
    _route(_W + "/people/suggest/data/<int:page>", "GET", r.list_people_data_keys),
    _route(_W + "/conversations/suggest/segments/<int:page>", "GET",
           r.list_conversation_segments),
    _route(_W + "/people/stats", "GET", r.get_people_stats),
    # people profiles
    _route(_W + "/people/profiles/<int:page>", "GET", r.list_people_profiles),
    _route(_W + "/people/profile", "POST", r.add_people_profile),
    _route(_W + "/people/profile/<people_id>", "GET", r.get_people_profile),
    _route(_W + "/people/profile/<people_id>", "PUT", r.save_people_profile),
    _route(_W + "/people/profile/<people_id>", "PATCH", r.update_people_profile),
    _route(_W + "/people/profile/<people_id>", "DELETE", r.remove_people_profile),
    _route(_W + "/people/conversations/<people_id>/list/<int:page>", "GET",
           r.list_people_conversations),
    _route(_W + "/people/events/<people_id>", "POST", r.add_people_event),
    _route(_W + "/people/events/<people_id>/list/<int:page>", "GET", r.list_people_events),
    _route(_W + "/people/data/<people_id>", "GET", r.get_people_data),
    _route(_W + "/people/data/<people_id>", "PUT", r.save_people_data),
    _route(_W + "/people/data/<people_id>", "PATCH", r.update_people_data),
    _route(_W + "/people/subscription/<people_id>", "GET", r.get_people_subscription),
    _route(_W + "/people/subscription/<people_id>", "PATCH", r.update_people_subscription),
    # conversations
    _route(_W + "/conversations/<int:page>", "GET", r.list_conversations),
    _route(_W + "/conversation", "POST", r.create_conversation),
    _route(_C, "GET", r.get_conversation),
    _route(_C, "DELETE", r.remove_conversation),
    _route(_C + "/state", "GET", r.get_conversation_state),
    _route(_C + "/state", "PATCH", r.change_conversation_state),
    _route(_C + "/routing", "GET", r.get_conversation_routing),
    _route(_C + "/routing", "PATCH", r.assign_conversation_routing),
    _route(_C + "/meta", "GET", r.get_conversation_meta),
    _route(_C + "/meta", "PATCH", r.update_conversation_meta),
    _route(_C + "/block", "GET", r.get_conversation_block),
    _route(_C + "/block", "PATCH", r.block_conversation),
    # messages
    _route(_C + "/messages", "GET", r.list_messages),
    _route(_C + "/message", "POST", r.send_message),
    _route(_C + "/message/<int:fingerprint>", "GET", r.get_message),
    _route(_C + "/message/<int:fingerprint>", "PATCH", r.update_message),
    _route(_C + "/message/<int:fingerprint>", "DELETE", r.remove_message),
    _route(_C + "/read", "PATCH", r.mark_messages_read),
    _route(_C + "/delivered", "PATCH", r.mark_messages_delivered),
    _route(_C + "/unread", "PATCH", r.mark_conversation_unread),
    # visitors
    _route(_W + "/visitors/list/<int:page>", "GET", r.list_visitors),
    _route(_W + "/visitors/count", "GET", r.count_visitors),
]
