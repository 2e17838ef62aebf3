"""Crisp's fuzz table (the website id is a hostile value too: see ``website_id``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chatmodels import crisp

from .table import Probe, Provider, Route


def _discover(api: Any) -> Mapping[str, Any]:
    return {"contact": api.Contact.all().first().id,
            "conversation": api.Conversation.all().first().id}


PROVIDER = Provider(
    name="crisp",
    module=crisp,
    base_path="/v1",
    credentials={"identifier": "fuzz-id", "key": "fuzz-key", "website_id": "w1"},
    discover=_discover,
    ops={
        "contact_list": lambda api, ids: api.Contact.all().limit(3).to_list(),
        "contact_find": lambda api, ids: api.Contact.find(id=ids.get("contact", "p1")),
        "contact_create": lambda api, ids: api.Contact.create(email="fuzz@example.com",
                                                              name="Fuzz"),
        "conversation_list": lambda api, ids: api.Conversation.all().limit(2).to_list(),
        "conversation_find": lambda api, ids: api.Conversation.find(
            id=ids.get("conversation", "session_1")),
        "operator_list": lambda api, ids: api.Operator.all().to_list(),
        "tag_list": lambda api, ids: api.Tag.all().to_list(),
    },
    probes=(
        Probe("contact_load", lambda api, v: api.Contact.ref(v).load(),
              Route("/v1/website/w1/people/profile/{}")),
        Probe("conversation_find", lambda api, v: api.Conversation.find(id=v),
              Route("/v1/website/w1/conversation/{}")),
        Probe("operator_find", lambda api, v: api.Operator.find(id=v),
              Route("/v1/website/w1/operator/{}")),
    ),
)
