"""The Target contract: the ABC refuses incomplete targets, capabilities are declarations the
engine honours, the fidelity report is computed from the declarations and the source's data,
and nothing in chatmodels/migrate names a provider. Migrations run over loopback HTTP between
the real simulators."""

from __future__ import annotations

import ast
import io
import tokenize
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from chatmodels import canonical, crisp, intercom, registry
from chatmodels.crisp.target import CrispTarget
from chatmodels.errors import ConfigurationError, UnknownResource
from chatmodels.intercom.target import IntercomTarget
from chatmodels.livechat.target import LiveChatTarget
from chatmodels.migrate import KINDS, Migration, Target, TargetUnavailable, target_for
from chatmodels.migrate import fidelity as fid
from chatmodels.migrate.targets import KIND_METHODS, target_class
from chatmodels.testing import serve

from .conftest import FAST_RETRY

MIGRATE = Path(__file__).resolve().parent.parent / "chatmodels" / "migrate"
WRITTEN = ("comment", "note")


# -- the ABC ------------------------------------------------------------------------------------
class Minimal(Target):
    """The smallest complete target: contacts only (a test double, never registered)."""

    @classmethod
    def account_of(cls, client: Any) -> str:
        return ""

    def read_marker(self) -> dict[str, Any] | None:
        return None

    def write_marker(self, journal_id: str, generation: int) -> None:
        pass

    def find_contact(self, contact: Any) -> str | None:
        return None

    def create_contact(self, contact: Any) -> str:
        return "1"

    def update_contact(self, target_id: str, contact: Any) -> None:
        pass


@pytest.fixture(scope="module")
def offline():
    """A bound client that is never asked anything (construction only)."""
    return intercom.connect(access_token="unused", base_url="http://127.0.0.1:9")


def test_a_target_missing_a_contract_method_fails_at_instantiation(offline):
    class NoUpdate(Target):  # defining it is fine: it may be an intermediate base
        account_of = Minimal.account_of
        read_marker = Minimal.read_marker
        write_marker = Minimal.write_marker
        find_contact = Minimal.find_contact
        create_contact = Minimal.create_contact

    with pytest.raises(TypeError, match="update_contact"):
        NoUpdate(offline)
    with pytest.raises(TypeError):
        Target(offline)  # type: ignore[abstract]
    assert Minimal(offline).writes == frozenset({"contacts"})


def test_a_declared_kind_needs_its_methods_and_its_methods_need_a_declaration(offline):
    class ClaimsNotes(Minimal):
        writes = frozenset({"contacts", "notes"})

        def find_note(self, contact_id: Any, note: Any) -> str | None:
            return None

    with pytest.raises(TypeError, match=r"writes notes but does not implement create_note"):
        ClaimsNotes(offline)

    class Undeclared(Minimal):
        def find_event(self, contact_id: Any, event: Any) -> str | None:
            return None

    with pytest.raises(TypeError, match=r"does not declare 'events'"):
        Undeclared(offline)

    class UnknownKind(Minimal):
        writes = frozenset({"contacts", "companies"})

    with pytest.raises(TypeError, match="unknown kind"):
        UnknownKind(offline)

    class BadFidelity(Minimal):
        fidelity = {"contact.created_at>3": "what?"}

    with pytest.raises(ValueError, match=r"created_at>3"):
        BadFidelity(offline)


def test_the_real_targets_are_complete_and_declare_every_kind(offline):
    crisp_client = crisp.connect(identifier="i", key="k", website_id="w",
                                 base_url="http://127.0.0.1:9")
    for cls, client in ((IntercomTarget, offline), (CrispTarget, crisp_client)):
        writer = cls(client)
        assert writer.writes == frozenset(KINDS)
        for methods in KIND_METHODS.values():
            assert all(getattr(cls, m) is not getattr(Target, m) for m in methods)
        assert fid.declarations(cls)  # every key parses
        assert registry.get(cls.provider).target_class() is cls


def test_target_for_reads_the_registry(offline):
    assert type(target_for(offline)) is IntercomTarget
    with serve("livechat", seed=1, contacts=1) as sim:
        livechat = registry.get("livechat").connect(base_url=sim.base_url, **sim.credentials)
        assert type(target_for(livechat)) is LiveChatTarget
        with pytest.raises(UnknownResource, match="livechat has no resource 'Note'"):
            livechat.model("Note")
    # a provider registered without a target_ref is a source only
    registry.register(registry.Provider(
        name="sourceonly", display_name="Source Only", config_ref="chatmodels.livechat:LiveChat",
        simulator_ref="chatmodels.testing.livechat:Simulator"))
    try:
        with pytest.raises(TargetUnavailable, match="Source Only cannot be a migration target") \
                as caught:
            target_class("sourceonly")
        assert isinstance(caught.value, ConfigurationError)
    finally:
        registry.unregister("sourceonly")


# -- the fidelity grammar -----------------------------------------------------------------------
def test_conditions_read_loaded_values():
    contact = canonical.Contact(email=None, role="lead", companies=["a", "b"],
                                unsubscribed_from_emails=True)
    conv = canonical.Conversation(state="pending", priority="none")

    def applies(key: str, obj: Any) -> bool:
        return fid.parse(key, "x").applies(obj)

    assert applies("contact.email=", contact)
    assert applies("contact.email=&external_id=", contact)
    assert not applies("contact.role", canonical.Contact())
    assert applies("contact.role=lead", contact) and not applies("contact.role=user", contact)
    assert applies("contact.companies[1]", contact) and not applies("contact.companies[2]",
                                                                    contact)
    assert applies("contact.unsubscribed_from_emails=true", contact)
    assert applies("conversation.state=open|pending", conv)
    assert not applies("conversation.priority!=none|not_priority", conv)
    assert applies("conversation.priority!=none", canonical.Conversation(priority="high"))
    assert not applies("conversation.priority!=none", canonical.Conversation())
    for bad in ("contact", "company.name", "contact.", "contact.a b", "contact.x!="):
        with pytest.raises(ValueError):
            fid.parse(bad, "x")


# -- fidelity reports over the simulators -------------------------------------------------------
@pytest.fixture(scope="module")
def sims():
    with serve("crisp", seed=21, contacts=25, conversations=12) as crisp_sim, \
            serve("intercom", seed=22, contacts=25) as intercom_sim, \
            serve("crisp", seed=23, contacts=0, conversations=0) as crisp_empty, \
            serve("intercom", seed=24, contacts=0, conversations=0) as intercom_empty:
        yield {"crisp": crisp_sim, "intercom": intercom_sim,
               "crisp-empty": crisp_empty, "intercom-empty": intercom_empty}


def client(sim) -> Any:
    return registry.get(sim.name).connect(base_url=sim.base_url, retry=FAST_RETRY,
                                          **sim.credentials)


def run(source, target, journal, resources=None, **options: Any):
    migration = Migration(source, target, str(journal), progress=False, workers=4, **options)
    try:
        return migration.run() if resources is None else migration.run(resources)
    finally:
        migration.close()


def counted(report, decls: dict[str, str]) -> dict[str, int]:
    """The report's count of each declared line (0 when absent)."""
    return {key: report.fidelity.get(f"{key}: {text}", 0) for key, text in decls.items()}


def test_dry_run_fidelity_crisp_to_intercom_counts_the_declarations(sims, tmp_path):
    sims["intercom-empty"].reset()
    source, target = client(sims["crisp"]), client(sims["intercom-empty"])
    sims["intercom-empty"].clear_requests()
    report = run(source, target, tmp_path / "j.db", dry_run=True)
    assert [r.method for r in sims["intercom-empty"].requests
            if r.method not in ("GET", "HEAD")] == []

    contacts = list(source.Contact.all())
    convs = list(source.Conversation.all())
    messages = [m for c in convs for m in c.messages if m.kind in WRITTEN]
    got = counted(report, IntercomTarget.fidelity)
    assert got["contact.created_at"] == sum(1 for c in contacts if c.created_at) == 25
    assert got["contact.location"] == sum(1 for c in contacts if c.location) > 0
    assert got["contact.companies"] == sum(1 for c in contacts if c.companies) > 0
    assert got["conversation.state=pending"] == sum(1 for c in convs if c.state == "pending")
    assert got["conversation.state=snoozed"] == 0  # Crisp has no snoozed state
    assert got["conversation.custom_attributes"] == \
        sum(1 for c in convs if c.custom_attributes)
    assert got["message.attachments"] == sum(1 for m in messages if m.attachments)
    assert got["contact.email=&external_id="] == 0  # every Crisp profile has an email
    # every line of the report is a declaration, an extra field, or one of the engine's own
    declared = {f"{k}: {v}" for k, v in IntercomTarget.fidelity.items()}
    for line in report.fidelity:
        assert line in declared or "without a canonical name" in line \
            or line.startswith(("message.kind=", "agent without", "contact_field without",
                                "conversation without")), line


def test_dry_run_fidelity_intercom_to_crisp_counts_the_declarations(sims, tmp_path):
    sims["crisp-empty"].reset()
    source, target = client(sims["intercom"]), client(sims["crisp-empty"])
    report = run(source, target, tmp_path / "j.db", dry_run=True)

    contacts = list(source.Contact.all())
    convs = list(source.Conversation.all())
    everything = [m for c in convs for m in c.messages]
    messages = [m for m in everything if m.kind in WRITTEN]
    notes = [n for c in contacts if c.email for n in source.Note.all(contact=c)]
    events = [e for c in contacts if c.email for e in source.Event.all(contact=c)]
    got = counted(report, CrispTarget.fidelity)
    assert got["contact.created_at"] == len(contacts) == 25
    assert got["contact.email="] == sum(1 for c in contacts if not c.email)
    assert got["contact.role=lead"] == sum(1 for c in contacts if c.role == "lead")
    assert got["contact.external_id"] == sum(1 for c in contacts if c.external_id) > 0
    assert got["conversation.created_at"] == len(convs)
    assert got["conversation.state=snoozed"] == sum(1 for c in convs if c.state == "snoozed")
    assert got["conversation.team_id"] == sum(1 for c in convs if c.team_id)
    assert got["conversation.priority!=none|not_priority"] == \
        sum(1 for c in convs if c.priority not in (None, "none", "not_priority"))
    assert got["message.author_type=agent"] == \
        sum(1 for m in messages if m.author_type == "agent") > 0
    assert got["message.kind=note"] == sum(1 for m in messages if m.kind == "note")
    assert got["note.created_at"] == len(notes)
    assert got["event.created_at"] == len(events) > 0
    # the generic facts: state-change parts, and the extra fields of the source objects
    kinds = Counter(m.kind for m in everything if m.kind not in WRITTEN)
    for kind, n in kinds.items():
        assert report.fidelity[f"message.kind={kind}: state changes are not replayed (the "
                               "final state and assignee are)"] == n
    browsers = sum(1 for c in contacts if c.extra.get("browser"))
    assert report.fidelity["contact.browser: intercom field without a canonical name: not "
                           "carried"] == browsers > 0


def test_the_dry_run_fidelity_report_is_the_real_runs(sims, tmp_path):
    sims["crisp-empty"].reset()
    source, target = client(sims["intercom"]), client(sims["crisp-empty"])
    planned = run(source, target, tmp_path / "j.db", dry_run=True)
    done = run(source, target, tmp_path / "j.db")
    assert done.ok, done.errors
    assert done.fidelity == planned.fidelity


# -- capabilities -------------------------------------------------------------------------------
def test_a_source_without_notes_migrates_contacts_and_reports_notes_unavailable(sims, tmp_path):
    sims["intercom-empty"].reset()
    with serve("livechat", seed=25, contacts=8) as livechat_sim:
        source = client(livechat_sim)
        with pytest.raises(UnknownResource):
            source.model("Note")
        target = client(sims["intercom-empty"])
        report = run(source, target, tmp_path / "j.db", resources=["contacts"])
        assert report.ok, report.errors
        assert report.unavailable == {"notes": "the source has none",
                                      "events": "the source has none"}
        assert report.steps["contacts"].created == len(list(source.Contact.all())) > 0
        assert target.Contact.count() == report.steps["contacts"].created
        assert "notes" not in report.steps and "events" not in report.steps
        assert "Not migrated:\n  notes: the source has none\n  events: the source has none" \
            in str(report)


def test_a_kind_the_target_does_not_write_is_skipped_with_a_report_line(sims, tmp_path):
    class NoEvents(IntercomTarget):
        writes = IntercomTarget.writes - {"events"}
        find_event = Target.find_event
        create_event = Target.create_event

    sims["intercom-empty"].reset()
    source, target = client(sims["crisp"]), client(sims["intercom-empty"])
    migration = Migration(source, target, str(tmp_path / "j.db"), progress=False, workers=4)
    migration.writer = NoEvents(target)
    try:
        report = migration.run()
    finally:
        migration.close()
    assert report.ok, report.errors
    assert report.unavailable == {
        "events": "Intercom does not hold them (the target writes contacts, tags, "
                  "contact_fields, notes, conversations, messages)"}
    assert "events" not in report.steps
    assert not any(r.path == "/events" and r.method == "POST"
                   for r in sims["intercom-empty"].requests)
    assert report.steps["contacts"].created == 25


# -- the targets' own requests ------------------------------------------------------------------
def test_intercom_marker_is_updated_through_the_object_model(sims):
    sims["intercom-empty"].reset()
    api = client(sims["intercom-empty"])
    writer = IntercomTarget(api)
    writer.write_marker("j-1", 1)
    sims["intercom-empty"].clear_requests()
    writer.write_marker("j-1", 2)
    [attr] = [a for a in api.DataAttribute.all(model="contact") if a.name == "chatmodels_journal"]
    writes = [(r.method, r.path, r.json) for r in sims["intercom-empty"].requests
              if r.method != "GET"]
    assert writes == [("PUT", f"/data_attributes/{attr.id}",
                       {"description": '{"journal": "j-1", "generation": 2}'})]
    assert writer.read_marker() == {"journal": "j-1", "generation": 2}


def test_crisp_finish_conversation_sends_each_part_once_in_order(sims):
    sim = sims["crisp-empty"]
    sim.reset()
    api = client(sim)
    writer = CrispTarget(api)
    operator = api.Operator.all().first()
    session = api.Conversation.create(contact="ann@example.com", body="hello")
    w = f"/v1/website/{sim.credentials['website_id']}/conversation/{session.id}"
    final = canonical.Conversation(state="closed", read=True)
    sim.clear_requests()
    writer.finish_conversation(str(session.id), final, str(operator.id), ["vip", "b", "vip"])
    assert [(r.method, r.path, r.json) for r in sim.requests if r.method != "GET"] == [
        ("PATCH", f"{w}/meta", {"segments": ["vip", "b"]}),
        ("PATCH", f"{w}/routing", {"assigned": {"user_id": str(operator.id)}}),
        ("PATCH", f"{w}/read", {"from": "operator", "origin": "chat"}),
        ("PATCH", f"{w}/state", {"state": "resolved"}),
    ]
    sim.clear_requests()
    writer.finish_conversation(str(session.id), final, str(operator.id), ["vip"])
    assert [r.method for r in sim.requests] == ["GET"]  # idempotent: nothing left to change


# -- provider names stay in their packages ------------------------------------------------------
def _code_tokens(path: Path) -> list[tokenize.TokenInfo]:
    """The tokens of a module except comments and docstrings."""
    source = path.read_text(encoding="utf-8")
    docstrings = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value,
                                                                     ast.Constant) \
                    and isinstance(body[0].value.value, str):
                docstrings.add((body[0].lineno, body[0].col_offset))
    return [tok for tok in tokenize.generate_tokens(io.StringIO(source).readline)
            if tok.type != tokenize.COMMENT and tok.start not in docstrings]


def test_no_provider_name_in_migrate_code():
    names = registry.names()
    found = []
    for path in sorted(MIGRATE.glob("*.py")):
        for tok in _code_tokens(path):
            hits = [n for n in names if n in tok.string.lower()]
            if hits:
                found.append(f"{path.name}:{tok.start[0]}: {tok.string!r}")
    assert found == []


def test_no_provider_name_in_core_code():
    """Outside a provider's own packages (``chatmodels/<p>/``, ``chatmodels/testing/<p>/``) and
    the registry, no code names a provider (comments and docstrings may, as examples)."""
    names = registry.names()
    root = MIGRATE.parent
    found = []
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root).parts
        if parts[0] in names or parts[0] == "registry.py" or (
                parts[0] == "testing" and len(parts) > 2 and parts[1] in names):
            continue
        for tok in _code_tokens(path):
            hits = [n for n in names if n in tok.string.lower()]
            if hits:
                found.append(f"{path.relative_to(root)}:{tok.start[0]}: {tok.string!r}")
    assert found == []


def test_targets_write_through_the_object_model_only():
    for name in registry.names():
        entry = registry.get(name)
        if entry.target_ref is None:
            continue
        path = MIGRATE.parent / name / "target.py"
        for tok in _code_tokens(path):
            assert tok.string != "request", f"{path.name}:{tok.start[0]} sends a raw request"
            if tok.type == tokenize.STRING:
                assert not tok.string.strip("rbf'\"").startswith("/"), \
                    f"{name}/target.py:{tok.start[0]} holds a raw path {tok.string}"
