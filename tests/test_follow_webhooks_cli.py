"""``chatmodels migrate --follow --webhook-port N``: a real process receives its source's
signed webhooks (Crisp, with duplicated and reordered deliveries) from the start of the run
and applies them; the secret comes from the environment, never argv nor the output. Plus the
flags' usage errors."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from typing import Any

import pytest

from chatmodels import cli, crisp, intercom
from chatmodels.cli_webhooks import SECRET_ENV
from chatmodels.testing import serve

from .conformance.compare import assert_migrated
from .conftest import FAST_RETRY


def connect(sim: Any) -> Any:
    module = {"crisp": crisp, "intercom": intercom}[sim.name]
    return module.connect(base_url=sim.base_url, retry=FAST_RETRY, **sim.credentials)


def command(source: Any, target: Any, journal: str, *extra: str) -> list[str]:
    cmd = [sys.executable, "-m", "chatmodels.cli", "migrate", "--from", source.name, "--to",
           target.name, "--no-progress", "--workers", "4", "--journal", journal, "--follow",
           *extra]
    for flag, sim in (("--source", source), ("--target", target)):
        for key, value in {**sim.credentials, "base_url": sim.base_url}.items():
            cmd += [flag, f"{key}={value}"]
    return cmd


def changes(api: Any) -> None:
    new = api.Contact.create(email="hooked@example.com", name="Hooked")
    conv = sorted(api.Conversation.all(), key=lambda c: str(c.id))[0]
    conv.reply("a reply while the command runs")
    api.Conversation.create(new, "a conversation while the command runs")
    renamed = sorted(api.Contact.all(), key=lambda c: str(c.email))[1]
    renamed.name = "Renamed By Webhook"
    renamed.save()


def test_migrate_follow_with_a_webhook_port_applies_the_sources_webhooks(tmp_path):
    journal = str(tmp_path / "j.db")
    with serve("crisp", seed=11, contacts=12, conversations=4) as source:
        api = connect(source)
        team = [(op.name, op.email) for op in api.Agent.all()]
        with serve("intercom", seed=12, contacts=0, conversations=0, teammates=team) as target:
            secret = source.credentials["webhook_secret"]
            env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path), **{SECRET_ENV: secret})
            # webhooks only: the safety net's first round would come after an hour
            proc = subprocess.Popen(command(source, target, journal, "--webhook-port", "0",
                                            "--poll-interval", "3600", "--idle-timeout", "2"),
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                    env=env)
            try:
                assert proc.stdout is not None
                first = proc.stdout.readline()
                found = re.search(r"receiving Crisp webhooks on (http://127\.0\.0\.1:\d+/)", first)
                assert found, first
                source.subscribe(found.group(1))
                source.duplicate_webhooks(times=3)
                source.reorder_webhooks(times=2)
                changes(api)  # while the run reads the source, or after it: queued either way
                source.flush_webhooks()
                out, err = proc.communicate(timeout=60)
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait(timeout=10)
            assert proc.returncode == 0, first + out + err
            out = first + out
            assert "following the source: webhook events as they come" in out
            assert re.search(r"Follow \(events\) stopped \(idle\) after [1-9]\d* event\(s\)", out)
            assert secret not in out + err
            assert sum(d["duplicate"] for d in source.deliveries) == 3
            target_api = connect(target)
            assert_migrated(api, target_api, events=False)
            assert "hooked@example.com" in {c.email for c in target_api.Contact.all()}
            with sqlite3.connect(journal) as db:
                assert {n for (n,) in db.execute("SELECT attempts FROM objects")} == {1}
            emails = [c.email for c in target_api.Contact.all()]
            assert len(emails) == len(set(emails))


@pytest.mark.parametrize("extra,env,message", [
    (["--webhook-port", "0"], {}, "--webhook-port goes with --follow"),
    (["--follow", "--webhook-port", "0"], {}, f"no webhook secret: set ${SECRET_ENV}"),
    (["--follow", "--webhook-port", "0", "--webhook-secret-file", "missing.txt"], {},
     "--webhook-secret-file 'missing.txt': cannot read it"),
    (["--follow", "--webhook-port", "0", "--webhook-secret-env", "HOOK"], {"HOOK": ""},
     "no webhook secret: set $HOOK"),
    (["--follow", "--webhook-port", "70000"], {}, "expected a port number 0..65535"),
])
def test_webhook_flags_usage_errors_exit_2(extra, env, message, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv(SECRET_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    code = cli.main(["migrate", "--from", "crisp", "--to", "intercom", "--journal",
                     str(tmp_path / "j.db"), "--source", "identifier=x", "--source", "key=y",
                     "--source", "website_id=w", "--target", "access_token=z", *extra])
    assert code == 2
    err = capsys.readouterr().err
    assert message in err.splitlines()[-1]  # after the warnings about secrets in argv
