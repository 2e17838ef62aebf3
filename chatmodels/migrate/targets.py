"""The ``Target`` contract: how the engine writes canonical objects to a provider, and the
generic helpers targets share.

A target lives in its provider's package (``chatmodels/<provider>/target.py``) and is named by
the provider's registry entry (``target_ref``); :func:`target_for` finds it there. It writes
through the provider's object model only (``Contact.create``, ``conv.reply``, ``tag.tag``...),
never raw routes.

What a target can do is *declared*, as data the engine and the fidelity report read:

* :attr:`Target.writes`: the kinds it writes (``contacts`` always; any of ``tags``,
  ``contact_fields``, ``notes``, ``events``, ``conversations``, ``messages``). The engine
  skips the other kinds with a report line. Each kind has its methods (:data:`KIND_METHODS`):
  a class that declares a kind must implement them and a class that implements them must
  declare the kind, or it cannot be instantiated (``TypeError``, like any incomplete ABC).
* :attr:`Target.fidelity`: what happens to each canonical field that the target cannot hold
  exactly, keyed ``"<object>.<field>"``, ``"<object>.<field>=<value>"``... (grammar in
  :mod:`chatmodels.migrate.fidelity`), counted per source object by the engine.
* rollback (:mod:`chatmodels.migrate.rollback`): :attr:`Target.deletes`, the kinds it deletes
  one object at a time (each with its ``delete_*`` method, :data:`DELETE_METHODS`, checked
  like the kind methods); :attr:`Target.removed_with`, the kinds that go with another kind's
  object (``{"messages": "conversations"}``); :attr:`Target.undeletable`, kind -> why it
  cannot be deleted (listed by the rollback). A ``delete_*`` of an object that is already gone
  may raise ``ResourceNotFound`` (the rollback takes it as done).
* verification (:mod:`chatmodels.migrate.verify`): ``read_contact``/``read_conversation`` read
  an object back by its target id; :attr:`Target.unreadable`, kind -> why it cannot be.

Exactly once (see docs/reliability.md): every ``create_*`` is preceded, after a crash or a
lost answer, by its ``find_*``. A ``find_*`` must find what its ``create_*`` wrote, by a
natural key (email, name, body and time, a marker the create left), and return the same target
id the create returned; it returns ``None`` only when the object is not on the target.
"""

from __future__ import annotations

import abc
import datetime as dt
import html
import json
import re
import threading
from collections.abc import Callable, Container, Iterable, Mapping, Sequence
from typing import Any, ClassVar
from urllib.parse import urlsplit, urlunsplit

from .. import registry
from ..client import Client
from ..errors import ChatModelsError, ConfigurationError
from .attachments import MODES, Attachments

_TAGS = re.compile(r"<[^>]+>")

#: the kinds of objects a target may write, in the engine's order
KINDS = ("contacts", "tags", "contact_fields", "notes", "events", "conversations", "messages")
#: the methods each optional kind needs (contacts' are abstract: every target writes them)
KIND_METHODS: Mapping[str, tuple[str, ...]] = {
    "tags": ("find_tag", "create_tag", "tag_contacts"),
    "contact_fields": ("find_field", "create_field"),
    "notes": ("find_note", "create_note"),
    "events": ("find_event", "create_event"),
    "conversations": ("find_conversation", "create_conversation", "finish_conversation"),
    "messages": ("find_message", "add_message"),
}
#: the delete method of each kind a target may declare in ``deletes`` (rollback)
DELETE_METHODS: Mapping[str, str] = {
    "contacts": "delete_contact", "tags": "delete_tag", "contact_fields": "delete_field",
    "notes": "delete_note", "events": "delete_event", "conversations": "delete_conversation",
    "messages": "delete_message",
}


def plain(text: Any) -> str:
    """Body text without HTML tags or surrounding space (Intercom returns HTML bodies)."""
    return html.unescape(_TAGS.sub("", str(text or ""))).strip()


def epoch(value: Any) -> int | None:
    if isinstance(value, dt.datetime):
        return int(value.timestamp())
    return None


def python_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "float"
    return "string"


def coerce(value: Any, data_type: str | None) -> Any:
    """A value converted to the type of the target's attribute definition, when it differs."""
    if value is None or data_type is None:
        return value
    try:
        if data_type == "string" and not isinstance(value, str):
            return str(value).lower() if isinstance(value, bool) else str(value)
        if data_type == "integer" and not isinstance(value, int):
            return int(float(value))
        if data_type == "float" and not isinstance(value, float):
            return float(value)
        if data_type == "boolean" and not isinstance(value, bool):
            return str(value).strip().lower() in ("1", "true", "yes", "y")
        if data_type == "date" and isinstance(value, str):  # an ISO date: unix seconds (UTC)
            when = dt.datetime.fromisoformat(value.strip())
            return int((when if when.tzinfo else when.replace(tzinfo=dt.timezone.utc))
                       .timestamp())
    except (TypeError, ValueError):
        return str(value)
    return value


def with_attachments(msg: Any) -> str:
    """The message body, with attachments appended as links (targets without uploads)."""
    body = str(msg.body or "")
    for att in msg.attachments or []:
        if isinstance(att, dict):
            url = att.get("url") or ""
            name = att.get("name") or url
            body += f"\n[{name}]({url})" if url else f"\n[{name}]"
    return body.strip()


def scalars(values: Any) -> dict[str, Any]:
    """The entries of a dict whose keys are non-empty and whose values are strings, numbers or
    booleans (what flat custom data can hold)."""
    if not isinstance(values, Mapping):
        return {}
    return {str(k): v for k, v in values.items()
            if k and isinstance(v, (str, int, float, bool))}


#: name of the marker each run leaves on the target (see docs/reliability.md):
#: ``{"journal": <journal id>, "generation": <run generation>}``
MARKER_FIELD = "chatmodels_journal"


def event_key(contact_id: str, event: Any) -> str:
    """A written event's target id where the provider gives events none: its contact, name and
    time (the natural key ``find_event`` looks up)."""
    return f"{contact_id}/{event.name}/{epoch(event.created_at)}"


def marker_text(journal_id: str, generation: int) -> str:
    return json.dumps({"journal": journal_id, "generation": generation})


def parse_marker(text: Any) -> dict[str, Any] | None:
    try:
        value = json.loads(str(text or ""))
    except ValueError:
        return None
    return value if isinstance(value, dict) and "journal" in value else None


def source_ref(obj: Any) -> str:
    """``provider:id`` of a source object (kept on the target where no natural key exists)."""
    return f"{provider_of(obj)}:{obj.id}"


def provider_of(obj: Any) -> str:
    """The provider of the account an object was loaded from (``"source"`` when it has none).
    Stable across runs: Crisp message fingerprints and session markers are built from it."""
    account = getattr(obj, "account", None)
    return str(getattr(account, "provider", None) or "source")


class TargetUnavailable(ConfigurationError):
    """The provider cannot be a migration target (its registry entry names no target)."""


class KindNotWritten(ChatModelsError):
    """A target was asked to write a kind of object it does not declare in ``writes``."""


class Target(abc.ABC):
    """Writes canonical objects to one target account. Subclass per provider.

    ``dry_run`` targets are only asked to look things up (``find_*``, ``read_marker``,
    ``cannot_create_contact``) and must not write in them either. Methods may be called from
    several worker threads at once; ``self._lock`` is there for the target's caches.
    ``contact_id`` arguments are the target ids ``create_contact``/``find_contact`` returned
    (``""`` for a contact the target holds no object for, ``None`` when there is no contact).
    """

    #: the provider name, as in the registry (its entry's ``target_ref`` names this class)
    provider: ClassVar[str] = ""
    #: the kinds this target writes (see the module docstring); ``contacts`` is implied
    writes: ClassVar[frozenset[str]] = frozenset({"contacts"})
    #: canonical field condition -> what becomes of it here (see chatmodels.migrate.fidelity)
    fidelity: ClassVar[Mapping[str, str]] = {}
    #: why tags need no creation here (None: they are created); the tags step counts them as
    #: skipped with this reason and ``tag_contacts`` applies them
    implicit_tags: ClassVar[str | None] = None
    #: why contact fields need no definition here (None: they are defined)
    schemaless_fields: ClassVar[str | None] = None
    #: rollback: the kinds deleted one object at a time (``DELETE_METHODS``)
    deletes: ClassVar[frozenset[str]] = frozenset()
    #: rollback: kind -> the kind whose deletion removes it too (notes with their contact)
    removed_with: ClassVar[Mapping[str, str]] = {}
    #: rollback: kind -> why the target cannot delete it (listed in the rollback's output)
    undeletable: ClassVar[Mapping[str, str]] = {}
    #: verification: kind -> why the target cannot read it back (listed, not compared)
    unreadable: ClassVar[Mapping[str, str]] = {}
    #: how message attachments (and inline images) reach this target: ``"upload"`` (the
    #: bytes are sent), ``"url"`` (a file message pointing at the source's URL) or ``"link"``
    #: (appended to the text); see :mod:`chatmodels.migrate.attachments`
    attachments: ClassVar[str] = "link"

    def __init__(self, client: Client, *, dry_run: bool = False,
                 default_agent_email: str | None = None) -> None:
        self._check_declarations()
        self.client = client
        self.dry_run = dry_run
        self.default_agent_email = default_agent_email
        self._lock = threading.RLock()
        #: called with a field's name when a write defines it on the fly (the engine counts it)
        self.on_field_created: Callable[[str], None] | None = None
        #: the message files, prepared for this target (the engine sets one that downloads
        #: from the source; this default carries every file as a link)
        self.files = Attachments()

    @classmethod
    def _check_declarations(cls) -> None:
        """``writes`` and the kind methods agree, and every fidelity key parses."""
        from .fidelity import declarations
        unknown = sorted(set(cls.writes) - set(KINDS))
        if unknown:
            raise TypeError(f"{cls.__name__}.writes: unknown kind(s) {', '.join(unknown)}; "
                            f"kinds: {', '.join(KINDS)}")
        for kind, methods in KIND_METHODS.items():
            missing = [m for m in methods if getattr(cls, m) is getattr(Target, m)]
            if kind in cls.writes and missing:
                raise TypeError(f"Can't instantiate {cls.__name__}: it writes {kind} but does "
                                f"not implement {', '.join(missing)}")
            if kind not in cls.writes and len(missing) < len(methods):
                raise TypeError(f"Can't instantiate {cls.__name__}: it implements "
                                f"{kind} methods but does not declare {kind!r} in writes")
        for kind in sorted(set(cls.deletes) | set(cls.removed_with) | set(cls.undeletable)
                           | set(cls.removed_with.values())):
            if kind not in KINDS:
                raise TypeError(f"{cls.__name__}: rollback declarations name unknown kind "
                                f"{kind!r}; kinds: {', '.join(KINDS)}")
        for kind, method in DELETE_METHODS.items():
            implemented = getattr(cls, method) is not getattr(Target, method)
            if kind in cls.deletes and not implemented:
                raise TypeError(f"Can't instantiate {cls.__name__}: it deletes {kind} but "
                                f"does not implement {method}")
            if implemented and kind not in cls.deletes:
                raise TypeError(f"Can't instantiate {cls.__name__}: it implements {method} "
                                f"but does not declare {kind!r} in deletes")
        both = set(cls.deletes) & set(cls.undeletable)
        if both:
            raise TypeError(f"{cls.__name__}: {', '.join(sorted(both))} both in deletes and "
                            "undeletable")
        if cls.attachments not in MODES:
            raise TypeError(f"{cls.__name__}.attachments: {cls.attachments!r} is not one of "
                            f"{', '.join(MODES)}")
        declarations(cls)  # raises ValueError naming a key that does not parse

    # -- field definitions, for targets that define fields ---------------------------------------
    #: the target's field definitions, read once by ``_field_index`` (``None``: not read yet)
    _fields: Any = None

    def _field_index(self) -> Container[str]:
        """The names of the target's field definitions (cached in ``_fields``); targets that
        define fields implement it."""
        raise NotImplementedError

    def _forget_fields(self) -> None:
        """Drop the cached field definitions: the next ``_field_index`` reads them again."""
        with self._lock:
            self._fields = None

    def _define_fields(self, values: Mapping[str, Any],
                       spelled: Callable[[str], str] = str) -> None:
        """Define, through ``create_field``, the fields ``values`` uses that the target lacks
        (``spelled``: the name a key has on the target), once each, and report each one to
        ``on_field_created``. A create that fails because another worker (or a lost answer)
        made the field already is fine; any other failure raises."""
        for key, value in values.items():
            if spelled(key) in self._field_index():
                continue
            try:
                self.create_field(key, python_type(value), None)
            except ChatModelsError:
                self._forget_fields()
                if spelled(key) not in self._field_index():
                    raise
            else:
                if self.on_field_created is not None:
                    self.on_field_created(key)

    def _delete_field_by_id(self, field_id: str) -> None:
        """Delete the ``ContactField`` with this id (gone already: nothing to do)."""
        for f in self.client.ContactField.all():
            if str(f.id) == str(field_id):
                f.delete()
                break
        self._forget_fields()

    @property
    def display_name(self) -> str:
        """The provider's display name (``"Intercom"``), from the registry."""
        try:
            return registry.get(self.client.provider).display_name
        except registry.UnknownProvider:
            return self.client.provider

    # -- identity and marker -----------------------------------------------------------------
    @classmethod
    @abc.abstractmethod
    def account_of(cls, client: Client) -> str:
        """The id of the account ``client`` talks to (a workspace, a website), for the journal's
        identity check; ``client`` is a client of this target's provider, used as a source or a
        target. ``""`` when the provider gives none."""

    @abc.abstractmethod
    def read_marker(self) -> dict[str, Any] | None:
        """The marker the last run left on the target (what :meth:`write_marker` wrote, as
        ``parse_marker`` reads it), ``None`` when there is none. Never writes."""

    @abc.abstractmethod
    def write_marker(self, journal_id: str, generation: int) -> None:
        """Leave ``{"journal": journal_id, "generation": generation}`` on the target, replacing
        the previous marker (one marker per target). Idempotent: the engine resends it when
        the outcome is unknown, so it must look before it creates."""

    # -- agents -------------------------------------------------------------------------------
    def match_agents(self, agents: Iterable[Any]) -> dict[str, str | None]:
        """Source agent id -> target agent id, matched by email (case-insensitive), ``None``
        when no target agent has it. Agents are never created."""
        by_email = {(a.email or "").lower(): str(a.id) for a in self.client.Agent.all()}
        return {str(a.id): by_email.get((a.email or "").lower()) for a in agents}

    # -- contacts (every target) ---------------------------------------------------------------
    def cannot_create_contact(self, contact: Any) -> str | None:
        """Why this source contact cannot exist on the target (a report reason), ``None``
        when it can. Such a contact is skipped with its notes, events and tags."""
        return None

    @abc.abstractmethod
    def find_contact(self, contact: Any) -> str | None:
        """The target id of the contact :meth:`create_contact` made for this source contact,
        by natural key (email, external id, or a source reference the create stored), else
        ``None``. It may complete a create that stopped half-way (except in dry runs)."""

    @abc.abstractmethod
    def create_contact(self, contact: Any) -> str:
        """Create the contact and return its target id. Not idempotent: the engine calls
        :meth:`find_contact` first whenever a previous attempt may have applied."""

    @abc.abstractmethod
    def update_contact(self, target_id: str, contact: Any) -> None:
        """Bring the target contact up to date with the source contact (a delta run), sending
        only what differs. Idempotent."""

    # -- tags -----------------------------------------------------------------------------------
    def find_tag(self, name: str) -> str | None:
        """The target id of the tag called ``name`` (as the provider compares names)."""
        raise KindNotWritten(f"{type(self).__name__} does not write tags")

    def create_tag(self, name: str) -> str:
        """Create the tag (or, with ``implicit_tags``, remember it) and return its id."""
        raise KindNotWritten(f"{type(self).__name__} does not write tags")

    def tag_contacts(self, name: str, contact_ids: list[str]) -> None:
        """Apply tag ``name`` to these target contacts (at most 50), creating the tag when it
        is missing. Idempotent: the engine resends a batch whose outcome is unknown."""
        raise KindNotWritten(f"{type(self).__name__} does not write tags")

    # -- contact fields ------------------------------------------------------------------------
    def find_field(self, name: str) -> str | None:
        """The target id of the contact field definition called ``name``, else ``None``."""
        raise KindNotWritten(f"{type(self).__name__} does not write contact_fields")

    def create_field(self, name: str, data_type: str, description: str | None) -> str:
        """Define a contact field (``data_type`` one of the canonical types) and return its
        id; :meth:`find_field` finds it by ``name``."""
        raise KindNotWritten(f"{type(self).__name__} does not write contact_fields")

    # -- notes and events ----------------------------------------------------------------------
    def find_note(self, contact_id: str | None, note: Any,
                  taken: Sequence[str] = ()) -> str | None:
        """The target id of the note :meth:`create_note` wrote for this source note on this
        contact (by its text), else ``None``. ``taken``: the ids already written for the
        contact's other notes with the same text (one per such note; a target whose ids do not
        tell notes apart counts them): a match among those is not this note's."""
        raise KindNotWritten(f"{type(self).__name__} does not write notes")

    def create_note(self, contact_id: str | None, note: Any, author_id: str | None) -> str:
        """Write the note on the target contact (``author_id``: the matched target agent, or
        ``None`` for the default one) and return an id :meth:`find_note` returns too."""
        raise KindNotWritten(f"{type(self).__name__} does not write notes")

    def find_event(self, contact_id: str | None, event: Any) -> str | None:
        """The id of the event :meth:`create_event` wrote for this source event (by name and
        time), else ``None``."""
        raise KindNotWritten(f"{type(self).__name__} does not write events")

    def create_event(self, contact_id: str | None, event: Any) -> str:
        """Record the event on the target contact, keeping its time where the provider allows
        (else where :meth:`find_event` can read it back), and return its id."""
        raise KindNotWritten(f"{type(self).__name__} does not write events")

    # -- conversations and messages ------------------------------------------------------------
    def find_conversation(self, contact_id: str | None, conv: Any, first: Any) -> str | None:
        """The target id of the conversation :meth:`create_conversation` made for ``conv``
        (by its first message, or a marker the create left), else ``None``. It may finish a
        create that stopped before its first message (except in dry runs)."""
        raise KindNotWritten(f"{type(self).__name__} does not write conversations")

    def create_conversation(self, contact_id: str | None, conv: Any, first: Any,
                            author_id: str | None) -> str:
        """Start the conversation with its first message ``first`` (from the contact, or from
        ``author_id`` when an agent started it), keeping its time where the provider allows,
        and return the target conversation id."""
        raise KindNotWritten(f"{type(self).__name__} does not write conversations")

    def finish_conversation(self, conversation_id: str, conv: Any, assignee_id: str | None,
                            tags: list[str]) -> None:
        """Apply the source conversation's final state, assignee (a target agent id) and tags
        (names). Idempotent: it reads the target's state and changes only what differs."""
        raise KindNotWritten(f"{type(self).__name__} does not write conversations")

    def find_message(self, conversation_id: str, msg: Any) -> str | None:
        """The target id of the message :meth:`add_message` wrote for ``msg`` in this
        conversation (by body and time, or a fingerprint), else ``None``."""
        raise KindNotWritten(f"{type(self).__name__} does not write messages")

    def add_message(self, conversation_id: str, msg: Any, contact_id: str | None,
                    author_id: str | None) -> str:
        """Append ``msg`` (a comment or a note; from the contact, or from ``author_id``/the
        default agent) with its original time where the provider allows; return its id."""
        raise KindNotWritten(f"{type(self).__name__} does not write messages")


    # -- rollback (see chatmodels.migrate.rollback) ---------------------------------------------
    def delete_contact(self, contact_id: str) -> None:
        """Delete a contact this target created (declared in ``deletes``)."""
        raise KindNotWritten(f"{type(self).__name__} does not delete contacts")

    def delete_tag(self, tag_id: str) -> None:
        """Delete a tag definition this target created."""
        raise KindNotWritten(f"{type(self).__name__} does not delete tags")

    def delete_field(self, field_id: str) -> None:
        """Delete a contact field definition this target created."""
        raise KindNotWritten(f"{type(self).__name__} does not delete contact_fields")

    def delete_note(self, contact_id: str | None, note_id: str) -> None:
        """Delete a note this target wrote on a contact that stays."""
        raise KindNotWritten(f"{type(self).__name__} does not delete notes")

    def delete_event(self, contact_id: str | None, event_id: str) -> None:
        """Delete an event this target recorded on a contact that stays."""
        raise KindNotWritten(f"{type(self).__name__} does not delete events")

    def delete_conversation(self, conversation_id: str) -> None:
        """Delete a conversation this target created (with its messages)."""
        raise KindNotWritten(f"{type(self).__name__} does not delete conversations")

    def delete_message(self, conversation_id: str, message_id: str) -> None:
        """Delete a message this target added to a conversation that stays."""
        raise KindNotWritten(f"{type(self).__name__} does not delete messages")

    def delete_marker(self) -> str | None:
        """Remove the run marker (:meth:`write_marker`); return why it cannot be removed
        (listed by the rollback), ``None`` once it is gone. Idempotent."""
        return f"{self.display_name}: the run marker cannot be removed"

    # -- verification (see chatmodels.migrate.verify) ---------------------------------------------
    def read_contact(self, contact_id: str) -> Any:
        """The target contact ``contact_id`` as a canonical object (``ResourceNotFound`` when
        it is gone). Verification compares its fields with the source contact's."""
        return self.client.Contact.find(id=contact_id)

    def read_conversation(self, conversation_id: str) -> Any:
        """The target conversation ``conversation_id`` with its messages."""
        return self.client.Conversation.find(id=conversation_id)


class CaseInsensitiveTags:
    """``find_tag``/``create_tag`` for a :class:`Target` whose provider keeps tag objects with
    an id and compares their names without case: the tags are listed once (``_tags``, under
    the target's lock) and a created one joins the index."""

    client: Client
    _lock: Any
    _tags: dict[str, Any] | None = None

    def _tag_index(self) -> dict[str, Any]:
        with self._lock:
            if self._tags is None:
                self._tags = {str(t.name).lower(): t for t in self.client.Tag.all() if t.name}
            return self._tags

    def find_tag(self, name: str) -> str | None:
        tag = self._tag_index().get(name.lower())
        return str(tag.id) if tag is not None else None

    def create_tag(self, name: str) -> str:
        tag = self.client.Tag.create(name=name)
        with self._lock:
            self._tag_index()[name.lower()] = tag
        return str(tag.id)


def target_class(provider: str) -> type[Target]:
    """The Target class of a registered provider; :class:`TargetUnavailable` when it has none."""
    entry = registry.get(provider)
    if entry.target_ref is None:
        raise TargetUnavailable(f"{entry.display_name} cannot be a migration target (it is a "
                                "source only)")
    cls = entry.target_class()
    if not (isinstance(cls, type) and issubclass(cls, Target)) or cls.provider != entry.name:
        raise TargetUnavailable(f"{entry.display_name}: the registered target is not a Target "
                                f"of {entry.name!r}")
    return cls


def target_for(client: Client, **kwargs: Any) -> Target:
    """The writer for a client's provider, as its registry entry names it."""
    return target_class(client.provider)(client, **kwargs)


def account_identity(client: Client) -> dict[str, str]:
    """What identifies the account a client talks to: provider, account id (from the
    provider's Target, ``""`` for a source-only provider), base URL without credentials."""
    try:
        account = target_class(client.provider).account_of(client)
    except TargetUnavailable:
        account = ""
    url = urlsplit(str(client.http.base_url))
    host = url.netloc.rpartition("@")[2]  # never keep credentials written into the URL
    return {"provider": client.provider, "account": account,
            "base_url": urlunsplit((url.scheme, host, url.path, "", ""))}
