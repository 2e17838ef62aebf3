"""Routing of the LiveChat simulator: one route per API, dispatching on the action name
(``POST /v3.6/agent/action/<action>``, ``POST /v3.6/configuration/action/<action>``)."""

from __future__ import annotations

from typing import Any

from ..base import Context, Route
from .agent_actions import ACTIONS as AGENT_ACTIONS
from .common import error
from .config_actions import ACTIONS as CONFIGURATION_ACTIONS
from .customer_actions import ACTIONS as MORE_AGENT_ACTIONS

VERSION = "3.6"
APIS = {"agent": {**AGENT_ACTIONS, **MORE_AGENT_ACTIONS}, "configuration": CONFIGURATION_ACTIONS}


def dispatch(ctx: Context, version: str, api: str, action: str) -> Any:
    if version != VERSION:
        raise error("unsupported_version", f"Unsupported version: {version}")
    handler = APIS[api].get(action)
    if handler is None:
        raise error("not_found", f"Method `{action}` not found")
    body = {} if ctx.request.mimetype.startswith("multipart/") else ctx.body
    return handler(ctx, ctx.state, body)


def _agent(ctx: Context, version: str, action: str) -> Any:
    return dispatch(ctx, version, "agent", action)


def _configuration(ctx: Context, version: str, action: str) -> Any:
    return dispatch(ctx, version, "configuration", action)


ROUTES = [
    Route("/v<version>/agent/action/<action>", ["POST"], _agent),
    Route("/v<version>/configuration/action/<action>", ["POST"], _configuration),
]
