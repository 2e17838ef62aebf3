"""Every provider's fuzz table, by name."""

from __future__ import annotations

from . import brevo, crisp, intercom, livechat, sendbee
from .table import Provider

PROVIDERS: dict[str, Provider] = {p.name: p for p in (
    intercom.PROVIDER, crisp.PROVIDER, livechat.PROVIDER, brevo.PROVIDER, sendbee.PROVIDER)}
