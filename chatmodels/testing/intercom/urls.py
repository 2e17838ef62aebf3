"""Routing table of the Intercom simulator (paths are relative to ``sim.base_url``)."""

from __future__ import annotations

from ..base import Route
from . import responses as r

GET, POST, PUT, DELETE = ["GET"], ["POST"], ["PUT"], ["DELETE"]

routes: list[Route] = [
    # contacts
    Route("/contacts", POST, r.create_contact),
    Route("/contacts", GET, r.list_contacts),
    Route("/contacts/search", POST, r.search_contacts),
    Route("/contacts/merge", POST, r.merge_contacts),
    Route("/contacts/find_by_external_id/<path:external_id>", GET, r.find_contact_by_external_id),
    Route("/contacts/<contact_id>", GET, r.get_contact),
    Route("/contacts/<contact_id>", PUT, r.update_contact),
    Route("/contacts/<contact_id>", DELETE, r.delete_contact),
    Route("/contacts/<contact_id>/archive", POST, r.archive_contact),
    Route("/contacts/<contact_id>/unarchive", POST, r.unarchive_contact),
    Route("/contacts/<contact_id>/tags", GET, r.list_contact_tags),
    Route("/contacts/<contact_id>/tags", POST, r.add_contact_tag),
    Route("/contacts/<contact_id>/tags/<tag_id>", DELETE, r.remove_contact_tag),
    Route("/contacts/<contact_id>/notes", GET, r.list_contact_notes),
    Route("/contacts/<contact_id>/notes", POST, r.create_contact_note),
    Route("/contacts/<contact_id>/companies", GET, r.list_contact_companies),
    Route("/contacts/<contact_id>/companies", POST, r.attach_contact_company),
    Route("/contacts/<contact_id>/companies/<company_id>", DELETE, r.detach_contact_company),
    Route("/contacts/<contact_id>/segments", GET, r.list_contact_segments),
    # conversations
    Route("/conversations", POST, r.create_conversation),
    Route("/conversations", GET, r.list_conversations),
    Route("/conversations/search", POST, r.search_conversations),
    Route("/conversations/attributes", GET, r.list_conversation_attributes),
    Route("/conversations/<conversation_id>", GET, r.get_conversation),
    Route("/conversations/<conversation_id>", PUT, r.update_conversation),
    Route("/conversations/<conversation_id>", DELETE, r.delete_conversation),
    Route("/conversations/<conversation_id>/reply", POST, r.reply_conversation),
    Route("/conversations/<conversation_id>/parts", POST, r.manage_conversation),
    Route("/conversations/<conversation_id>/tags", POST, r.tag_conversation),
    Route("/conversations/<conversation_id>/tags/<tag_id>", DELETE, r.untag_conversation),
    # tags / notes
    Route("/tags", GET, r.list_tags),
    Route("/tags", POST, r.create_or_update_tag),
    Route("/tags/<tag_id>", GET, r.get_tag),
    Route("/tags/<tag_id>", DELETE, r.delete_tag),
    Route("/notes/<note_id>", GET, r.get_note),
    # admins / teams
    Route("/me", GET, r.me),
    Route("/admins", GET, r.list_admins),
    Route("/admins/<admin_id>", GET, r.get_admin),
    Route("/admins/<admin_id>/away", PUT, r.set_admin_away),
    Route("/teams", GET, r.list_teams),
    Route("/teams/<team_id>", GET, r.get_team),
    # companies
    Route("/companies", POST, r.create_or_update_company),
    Route("/companies", GET, r.list_companies),
    Route("/companies/list", POST, r.list_companies_post),
    Route("/companies/scroll", GET, r.scroll_companies),
    Route("/companies/<company_id>", GET, r.get_company),
    Route("/companies/<company_id>", PUT, r.update_company),
    Route("/companies/<company_id>", DELETE, r.delete_company),
    Route("/companies/<company_id>/contacts", GET, r.list_company_contacts),
    # segments
    Route("/segments", GET, r.list_segments),
    Route("/segments/<segment_id>", GET, r.get_segment),
    # data attributes
    Route("/data_attributes", GET, r.list_data_attributes),
    Route("/data_attributes", POST, r.create_data_attribute),
    Route("/data_attributes/<data_attribute_id>", PUT, r.update_data_attribute),
    # events
    Route("/events", POST, r.create_event),
    Route("/events", GET, r.list_events),
    Route("/events/summaries", POST, r.create_event_summaries),
    # messages
    Route("/messages", POST, r.create_message),
]
