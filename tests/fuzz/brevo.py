"""Brevo's fuzz table (REST under ``/v3``; conversations have messages but no listing)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chatmodels import brevo

from .table import Probe, Provider, Route, unsendable


def _ref(cls: Any, value: Any) -> Any:
    """``cls.ref(value)``: Brevo's numeric ids make ``ref("x")`` a local ``ValidationError``
    (nothing is sent)."""
    return cls.ref(value)


def _not_a_number(value: Any) -> bool:
    return unsendable(value) or not str(value).lstrip("-").isdigit()


def _agent(api: Any) -> Any:
    return api.Agent(email="fuzz@example.com", name="Fuzz", received_from="fuzz")


def _discover(api: Any) -> Mapping[str, Any]:
    contact = api.Contact.all().first()
    message = api.Message.create(visitor_id="v-fuzz", text="seed", agent=_agent(api))
    return {"contact": contact.id, "email": contact.email, "agent": message.agent_id,
            "tag": api.Tag.all().first().id, "message": message.id,
            "company": getattr(api.Company.all().first(), "id", "1")}


PROVIDER = Provider(
    name="brevo",
    module=brevo,
    base_path="/v3",
    credentials={"api_key": "fuzz-key"},
    discover=_discover,
    ops={
        "contact_list": lambda api, ids: api.Contact.all().limit(3).to_list(),
        "contact_find": lambda api, ids: api.Contact.find(id=ids.get("contact", 1)),
        "contact_find_email": lambda api, ids: api.Contact.find(
            email=ids.get("email", "fuzz@example.com")),
        "contact_create": lambda api, ids: api.Contact.create(email="fuzz@example.com"),
        "attribute_list": lambda api, ids: api.ContactField.all().to_list(),
        "tag_list": lambda api, ids: api.Tag.all().limit(3).to_list(),
        "tag_find": lambda api, ids: api.Tag.find(id=ids.get("tag", 1)),
        "tag_create": lambda api, ids: api.Tag.create(name="vip", folder_id=1),
        "tag_contacts": lambda api, ids: api.Tag.ref(ids.get("tag", 1)).contacts().limit(
            3).to_list(),
        "folder_list": lambda api, ids: api.Folder.all().limit(3).to_list(),
        "segment_list": lambda api, ids: api.Segment.all().limit(3).to_list(),
        "company_list": lambda api, ids: api.Company.all().limit(3).to_list(),
        "company_find": lambda api, ids: api.Company.find(id=ids.get("company", "1")),
        "company_create": lambda api, ids: api.Company.create(name="Acme"),
        "note_list": lambda api, ids: api.Note.all().limit(3).to_list(),
        "note_create": lambda api, ids: api.Note.create(contact=ids.get("contact", 1),
                                                        body="fuzz"),
        "event_list": lambda api, ids: api.Event.all().limit(3).to_list(),
        "message_find": lambda api, ids: api.Message.find(id=ids.get("message", "m1")),
        "message_create": lambda api, ids: api.Message.create(visitor_id="v1", text="hi",
                                                              agent=_agent(api)),
        "pushed_message_create": lambda api, ids: api.PushedMessage.create(
            visitor_id="v1", text="hi", agent=ids.get("agent", "agent-1")),
    },
    probes=(
        Probe("contact_load", lambda api, v: api.Contact.find(id=v),
              Route("/v3/contacts/{}", method="GET")),
        Probe("contact_find_email", lambda api, v: api.Contact.find(email=v),
              Route("/v3/contacts/{}", method="GET")),
        Probe("contact_delete", lambda api, v: _ref(api.Contact, v).delete(),
              Route("/v3/contacts/{}", method="DELETE"), refuses=_not_a_number),
        Probe("tag_find", lambda api, v: api.Tag.find(id=v), Route("/v3/contacts/lists/{}")),
        Probe("tag_contacts", lambda api, v: _ref(api.Tag, v).contacts().first(),
              Route("/v3/contacts/lists/{}/contacts"), refuses=_not_a_number),
        Probe("folder_lists", lambda api, v: _ref(api.Folder, v).lists().first(),
              Route("/v3/contacts/folders/{}/lists"), refuses=_not_a_number),
        Probe("attribute_delete",
              lambda api, v: api.ContactField(name=v, category="normal").delete(),
              Route("/v3/contacts/attributes/normal/{}", method="DELETE")),
        Probe("company_delete", lambda api, v: api.Company.ref(v).delete(),
              Route("/v3/companies/{}", method="DELETE")),
        Probe("note_find", lambda api, v: api.Note.find(id=v), Route("/v3/crm/notes/{}")),
        Probe("message_find", lambda api, v: api.Message.find(id=v),
              Route("/v3/conversations/messages/{}")),
        Probe("pushed_message_delete", lambda api, v: api.PushedMessage.ref(v).delete(),
              Route("/v3/conversations/pushedMessages/{}", method="DELETE")),
    ),
)
