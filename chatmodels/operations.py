"""Declared operations: what a resource can do on its provider, as data.

A provider resource lists its operations once::

    class Contact(IntercomResource, Retrievable, Creatable, Updatable, Deletable, Listable, ...):
        operations = declare(
            find=Operation("GET", "/contacts/{id}"),
            create=Operation("POST", "/contacts"),
            update=Operation("PUT", "/contacts/{id}"),
            delete=Operation("DELETE", "/contacts/{id}"),
            all=Operation("GET", "/contacts", paging="cursor"),
            search=Operation("POST", "/contacts/search", paging="search"),
            merge=Operation("POST", "/contacts/merge", safe=False),
        )

and the core turns a declaration into a request (:meth:`Resource._call
<chatmodels.resource.Resource._call>`): it fills the route's ids (from the arguments, the object,
or the account's options such as Crisp's ``website_id``), lets the provider shape the request
(:meth:`ProviderConfig.prepare <chatmodels.client.ProviderConfig.prepare>`: a REST route, or an RPC
action such as LiveChat's ``POST /v3.6/agent/action/get_chat``), and sends it with the retry safety
the declaration states. Both REST paths and RPC actions are first-class.

Retry safety comes from the declaration, never from the HTTP verb: the standard reads
(``find``, ``all``, ``search``, ``count``) and the idempotent writes (``update``, ``replace``,
``delete``) are safe by default; every other operation says ``safe=True`` or ``safe=False``
itself (a search sent as a POST is a read and is declared safe).
"""

from __future__ import annotations

import dataclasses
import string
from collections.abc import Mapping
from typing import Any

#: operations that only read, safe to resend
READS = frozenset({"find", "all", "search", "count"})
#: writes that leave the same state when sent twice
IDEMPOTENT = frozenset({"update", "replace", "delete"})


@dataclasses.dataclass(frozen=True)
class Operation:
    """One operation of a resource on its provider.

    ``method``/``path``: the REST verb and route template (``{name}`` placeholders, each one
    path segment, URL-encoded). ``action``: the RPC action name, for providers whose calls are
    actions (the provider's ``prepare`` builds the URL and puts the ids in the body).
    ``ids``: the ids the operation needs, when they are not in ``path`` (RPC).
    ``safe``: whether a failed attempt may be resent (see the module docstring for defaults).
    ``answer``: the key of the answer that holds the object or list (``None``: the whole body).
    ``paging``: the paging style of a list operation, as the provider's ``page()`` names it.
    ``query``: query parameters sent with every call (``{"display_as": "plaintext"}``); the
    caller's ``params`` win on a clash.
    """

    method: str = "GET"
    path: str | None = None
    action: str | None = None
    ids: tuple[str, ...] | None = None
    safe: bool | None = None
    answer: str | None = None
    paging: str | None = None
    query: Mapping[str, Any] | None = dataclasses.field(default=None, hash=False)
    name: str = ""

    def __post_init__(self) -> None:
        if (self.path is None) == (self.action is None):
            raise TypeError("an Operation needs exactly one of path= or action=")

    @property
    def placeholders(self) -> tuple[str, ...]:
        """The ids this operation needs, in order."""
        if self.ids is not None:
            return self.ids
        if self.path is None:
            return ()
        return tuple(dict.fromkeys(
            name for _, name, _, _ in string.Formatter().parse(self.path) if name))

    @property
    def is_safe(self) -> bool:
        """May a failed attempt be resent?"""
        if self.safe is not None:
            return self.safe
        return self.name in READS or self.name in IDEMPOTENT

    def describe(self) -> str:
        """``GET /contacts/{id}`` or ``action get_chat``, for docs and errors."""
        return f"{self.method} {self.path}" if self.path is not None else f"action {self.action}"


def declare(**operations: Operation) -> Mapping[str, Operation]:
    """Name each operation after its keyword: ``declare(find=Operation(...), ...)``."""
    return {name: dataclasses.replace(op, name=name) for name, op in operations.items()}


def merged(base: Mapping[str, Operation], **more: Operation) -> Mapping[str, Operation]:
    """``base`` plus (or overridden by) ``more``: a subclass extends its parent's operations."""
    return {**base, **declare(**more)}


__all__ = ["IDEMPOTENT", "READS", "Operation", "declare", "merged"]
