"""Intercom's fuzz table."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chatmodels import intercom

from .table import Probe, Provider, Route


def _discover(api: Any) -> Mapping[str, Any]:
    return {"contact": api.Contact.all().first().id,
            "conversation": api.Conversation.all().first().id}


PROVIDER = Provider(
    name="intercom",
    module=intercom,
    credentials={"access_token": "fuzz-token"},
    discover=_discover,
    ops={
        "contact_list": lambda api, ids: api.Contact.all().limit(3).to_list(),
        "contact_find": lambda api, ids: api.Contact.find(id=ids.get("contact", "1")),
        "contact_create": lambda api, ids: api.Contact.create(email="fuzz@example.com"),
        "conversation_list": lambda api, ids: api.Conversation.all().limit(2).to_list(),
        "conversation_find": lambda api, ids: api.Conversation.find(
            id=ids.get("conversation", "1")),
        "tag_list": lambda api, ids: api.Tag.all().to_list(),
        "tag_create": lambda api, ids: api.Tag.create(name="vip"),
        "company_list": lambda api, ids: api.Company.all().limit(2).to_list(),
        "company_create": lambda api, ids: api.Company.create(company_id="c-1", name="Acme"),
        "admin_list": lambda api, ids: api.Admin.all().to_list(),
        "admin_me": lambda api, ids: api.Admin.me(),
        "segment_list": lambda api, ids: api.Segment.all().to_list(),
    },
    probes=(
        Probe("contact_load", lambda api, v: api.Contact.ref(v).load(), Route("/contacts/{}")),
        Probe("contact_find", lambda api, v: api.Contact.find(id=v), Route("/contacts/{}")),
        Probe("remove_tag", lambda api, v: api.Contact.ref("c1").remove_tag(api.Tag.ref(v)),
              Route("/contacts/c1/tags/{}", method="DELETE")),
        Probe("conversation_find", lambda api, v: api.Conversation.find(id=v),
              Route("/conversations/{}")),
        Probe("company_delete", lambda api, v: api.Company.ref(v).delete(),
              Route("/companies/{}", method="DELETE")),
    ),
)
