"""Test-side signing of webhook deliveries, as each provider signs them (written from the
providers' documented schemes, independently of chatmodels' verification code), and the
payload fixtures of tests/data."""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
from pathlib import Path
from typing import Any

DATA = Path(__file__).parent / "data"
SECRET = "whsec-0123456789abcdef"
NOW = 1_800_000_000.0


def fixture(provider: str, name: str) -> Any:
    return json.loads((DATA / provider / name).read_text(encoding="utf-8"))


def intercom_headers(body: bytes, secret: str = SECRET) -> dict[str, str]:
    digest = hmac.new(secret.encode(), body, hashlib.sha1).hexdigest()
    return {"Content-Type": "application/json", "X-Hub-Signature": f"sha1={digest}"}


def crisp_headers(body: bytes, secret: str = SECRET, ts: float = NOW) -> dict[str, str]:
    stamp = str(int(ts))
    digest = hmac.new(secret.encode(), f"[{stamp};".encode() + body + b"]",
                      hashlib.sha256).hexdigest()
    return {"Content-Type": "application/json", "X-Crisp-Request-Timestamp": stamp,
            "X-Crisp-Signature": digest}


def sendbee_headers(body: bytes, secret: str = SECRET, ts: float = NOW) -> dict[str, str]:
    stamp = str(int(ts))
    digest = hmac.new(secret.encode(), stamp.encode(), hashlib.sha256).hexdigest()
    token = base64.b64encode(f"{stamp}.{digest}".encode()).decode()
    return {"Content-Type": "application/json", "X-Authorization": token}


def livechat_body(action: str, secret: str = SECRET, **payload: Any) -> dict[str, Any]:
    body = copy.deepcopy(fixture("livechat", "webhooks.json")[action])
    body["webhook_id"], body["secret_key"] = "wh-1", secret
    body["payload"].update(payload)
    return body


def livechat_chat() -> dict[str, Any]:
    chat = {k: v for k, v in fixture("livechat", "chat.json").items() if k != "threads"}
    chat["thread"] = fixture("livechat", "thread.json")
    return chat


def sample(provider: str, secret: str = SECRET, ts: float = NOW) -> tuple[dict[str, str], bytes]:
    """(headers, body) of one signed delivery built from the provider's spec example."""
    if provider == "intercom":
        raw = fixture("intercom", "webhook-notification.example.json")
        raw["created_at"] = int(ts) - 5
        body = json.dumps(raw).encode()
        return intercom_headers(body, secret), body
    if provider == "crisp":
        body = (DATA / "crisp" / "webhook-message-send.example.json").read_bytes()
        return crisp_headers(body, secret, ts), body
    if provider == "livechat":
        body = json.dumps(livechat_body("incoming_chat", secret, chat=livechat_chat())).encode()
        return {"Content-Type": "application/json"}, body
    if provider == "brevo":
        body = (DATA / "brevo" / "webhook-conversationStarted.partial-example.json").read_bytes()
        return {"Content-Type": "application/json", "X-Chatmodels-Url-Token": secret}, body
    if provider == "sendbee":
        body = json.dumps({"type": "contact.created", "created_at": int(ts) - 5,
                           "contact": {"id": "c-1", "phone": "+385911111111",
                                       "name": "Iva"}}).encode()
        return sendbee_headers(body, secret, ts), body
    raise AssertionError(provider)


PROVIDERS = ("intercom", "crisp", "livechat", "brevo", "sendbee")
