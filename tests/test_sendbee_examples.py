"""The Goal block of the Sendbee issue, run as written against ``serve("sendbee", ...)``."""

from __future__ import annotations

import pytest

from chatmodels import sendbee
from chatmodels.testing import serve


@pytest.fixture
def class_level(monkeypatch):
    with serve("sendbee", seed=13, contacts=60, conversations=20) as sim:
        monkeypatch.setattr(sendbee.Sendbee, "base_url", sim.base_url)
        # the example assigns the credentials: monkeypatch restores them afterwards
        monkeypatch.setattr(sendbee.Sendbee, "api_key", None)
        monkeypatch.setattr(sendbee.Sendbee, "api_secret", None)
        yield sim


def test_issue_goal_block_runs_as_written(class_level):
    sim = class_level
    key, secret = sim.credentials["api_key"], sim.credentials["api_secret"]
    # --- the example, as written (credentials from the simulator) ---
    sendbee.Sendbee.api_key = key; sendbee.Sendbee.api_secret = secret  # noqa: E702
    for c in sendbee.Contact.all(tags=["vip"], search="ann"): ...   # page/limit paging, meta.last_page  # noqa: B007, E501
    ann = sendbee.Contact.create(phone="+385991234567", name="Ann", tags=["vip"])   # contacts/subscribe  # noqa: E501
    with pytest.warns(sendbee.SendbeeWarning, match="plan"):  # the field is created below
        ann.custom_attributes["plan"] = "pro"; ann.save()               # contact_fields; only the diff is sent  # noqa: E501,E702
    sendbee.ContactField.create(name="plan", type="text")
    sendbee.Tag.all(); sendbee.Tag.create(name="vip")  # noqa: E702
    conv = sendbee.Conversation.all(folder="open").first()
    conv.messages                                                   # conversation messages  # noqa: B018
    conv.reply(text="Hi!")                                          # inside the 24-hour window
    conv.send_template("welcome", language="en", tags={"name": "Ann"})   # template message
    sendbee.MessageTemplate.all(); sendbee.Team.all(); sendbee.Bot.status(conv); sendbee.Bot.turn_off(conv)  # noqa: E501,E702
    # --- what it did ---
    paths = [(r.method, r.path) for r in sim.requests]
    assert ("POST", "/contacts/subscribe") in paths
    save = next(r for r in sim.requests if r.method == "PUT" and r.path == "/contacts")
    assert save.json == {"id": ann.id, "contact_fields": {"plan": "pro"}}
    ann.custom_attributes["plan"] = "pro"; ann.save()  # noqa: E702 (now the field exists)
    assert sim.state.contacts[ann.id]["fields"] and ann.custom_attributes == {"plan": "pro"}
    assert [m["body"] for m in sim.state.messages[conv.id]][-2:] == [
        "Hi!", "Welcome Ann! How can we help you?"]
    assert sim.state.conversations[conv.id]["chatbot_active"] is False
    assert all(r.status == 200 for r in sim.requests)
