"""Sendbee teams and team members (agents), read-only: they are managed in Sendbee's app."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from .. import canonical
from ..errors import ResourceNotFound
from ..operations import Operation, declare
from . import schemas
from .base import SendbeeListable


def _flag(value: Any) -> bool | None:
    """Sendbee's ``online``/``available``: a boolean, or a string such as ``"true"``/``"1"``."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return bool(value)
    return str(value).strip().lower() in ("1", "true", "yes", "on")


class Agent(SendbeeListable, canonical.Agent):
    """A team member (``GET /teams/members``): ``name``, ``role``, ``online``,
    ``available`` (canonical ``away`` is ``not available``), ``teams`` (``team_ids``).
    Sendbee gives no email. ``Agent.all(team=...)`` filters by team."""

    _schema = schemas.AgentSchema
    _repr_fields = ("name", "role")
    _filters: ClassVar[Mapping[str, str]] = {"team": "team_id", "team_id": "team_id"}
    operations = declare(all=Operation("GET", "/teams/members", paging="none"))

    def _after_load(self, values: dict[str, Any], data: Mapping[str, Any]) -> None:
        for key in ("online", "available"):
            if key in data:
                values[key] = _flag(data.get(key))
        if "available" in data:
            available = values.get("available")
            values["away"] = None if available is None else not available
        teams = data.get("teams")
        if isinstance(teams, list):
            values["team_ids"] = [t.get("id") for t in teams if isinstance(t, Mapping)]

    @classmethod
    def find(cls, id: Any = None) -> Agent:
        """A member by id (from the members list: Sendbee has no member endpoint)."""
        for agent in cls.all():
            if str(agent.id) == str(id):
                return agent  # type: ignore[no-any-return]
        raise ResourceNotFound(f"Agent id={id!r} not found", provider="sendbee",
                               code="not_found")

    def _fetch(self) -> Mapping[str, Any]:
        return type(self).find(self.id).raw or {}


class Team(SendbeeListable, canonical.Team):
    """A team (``GET /teams/teams``) with its ``members`` (partial Agents; canonical
    ``agent_ids``). ``Team.all(member=...)`` lists the teams of one member."""

    _schema = schemas.TeamSchema
    _refs = {"members": ("Agent", True)}
    _filters: ClassVar[Mapping[str, str]] = {"member": "member_id", "member_id": "member_id"}
    operations = declare(all=Operation("GET", "/teams/teams", paging="page_only"))

    def _after_load(self, values: dict[str, Any], data: Mapping[str, Any]) -> None:
        members = data.get("members")
        if isinstance(members, list):
            values["agent_ids"] = [m.get("id") for m in members if isinstance(m, Mapping)]
