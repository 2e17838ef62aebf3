"""Routing table of the Brevo simulator (paths as Brevo API v3, under ``/v3``)."""

from __future__ import annotations

from ..base import Route
from . import contacts as c
from . import conversations as v
from . import crm as m

__all__ = ["PREFIX", "ROUTES"]

PREFIX = "/v3"


def _route(path: str, methods: str, handler: object) -> Route:
    return Route(PREFIX + path, methods.split(), handler)  # type: ignore[arg-type]


ROUTES: list[Route] = [
    # contacts
    _route("/contacts", "GET", c.list_contacts),
    _route("/contacts", "POST", c.create_contact),
    _route("/contacts/batch", "POST", c.batch_update),
    _route("/contacts/attributes", "GET", c.list_attributes),
    _route("/contacts/attributes/<category>/<name>", "POST", c.create_attribute),
    _route("/contacts/attributes/<category>/<name>", "PUT", c.update_attribute),
    _route("/contacts/attributes/<category>/<name>", "DELETE", c.delete_attribute),
    _route("/contacts/folders", "GET", c.list_folders),
    _route("/contacts/folders", "POST", c.create_folder),
    _route("/contacts/folders/<int:folder_id>", "GET", c.get_folder),
    _route("/contacts/folders/<int:folder_id>", "PUT", c.update_folder),
    _route("/contacts/folders/<int:folder_id>", "DELETE", c.delete_folder),
    _route("/contacts/folders/<int:folder_id>/lists", "GET", c.folder_lists),
    _route("/contacts/lists", "GET", c.list_lists),
    _route("/contacts/lists", "POST", c.create_list),
    _route("/contacts/lists/<int:list_id>", "GET", c.get_list),
    _route("/contacts/lists/<int:list_id>", "PUT", c.update_list),
    _route("/contacts/lists/<int:list_id>", "DELETE", c.delete_list),
    _route("/contacts/lists/<int:list_id>/contacts", "GET", c.list_contacts_of_list),
    _route("/contacts/lists/<int:list_id>/contacts/add", "POST", c.add_to_list),
    _route("/contacts/lists/<int:list_id>/contacts/remove", "POST", c.remove_from_list),
    _route("/contacts/segments", "GET", c.list_segments),
    _route("/contacts/<identifier>", "GET", c.get_contact),
    _route("/contacts/<identifier>", "PUT", c.update_contact),
    _route("/contacts/<identifier>", "DELETE", c.delete_contact),
    _route("/contacts/<identifier>/campaignStats", "GET", c.contact_stats),
    # CRM
    _route("/companies", "GET", m.list_companies),
    _route("/companies", "POST", m.create_company),
    _route("/companies/link-unlink/<company_id>", "PATCH", m.link_company),
    _route("/companies/<company_id>", "GET", m.get_company),
    _route("/companies/<company_id>", "PATCH", m.update_company),
    _route("/companies/<company_id>", "DELETE", m.delete_company),
    _route("/crm/notes", "GET", m.list_notes),
    _route("/crm/notes", "POST", m.create_note),
    _route("/crm/notes/<note_id>", "GET", m.get_note),
    _route("/crm/notes/<note_id>", "PATCH", m.update_note),
    _route("/crm/notes/<note_id>", "DELETE", m.delete_note),
    _route("/events", "GET", m.list_events),
    _route("/events", "POST", m.create_event),
    # Conversations
    _route("/conversations/messages", "POST", v.send_message),
    _route("/conversations/messages/<id>", "GET", v.get_message),
    _route("/conversations/messages/<id>", "PUT", v.update_message),
    _route("/conversations/messages/<id>", "DELETE", v.delete_message),
    _route("/conversations/pushedMessages", "POST", v.send_pushed),
    _route("/conversations/pushedMessages/<id>", "GET", v.get_pushed),
    _route("/conversations/pushedMessages/<id>", "PUT", v.update_pushed),
    _route("/conversations/pushedMessages/<id>", "DELETE", v.delete_pushed),
    _route("/conversations/agentOnlinePing", "POST", v.agent_online_ping),
    _route("/conversations/visitorGroup", "PUT", v.set_visitor_group),
]
