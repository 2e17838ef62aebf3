"""``chatmodels webhooks listen``: run as a subprocess on a free port, sent real signed
deliveries over loopback; it prints each verified event on one line, rejections on stderr,
and never the secret. Configuration errors are one line and exit 2."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time

import pytest
import requests

from chatmodels import cli

from .webhook_signing import SECRET, sample

ENV = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path), HOOK_SECRET=SECRET)
CHATMODELS = [sys.executable, "-m", "chatmodels"]


def _start(*args, env=ENV, stdin_text=None):
    proc = subprocess.Popen(CHATMODELS + ["webhooks", "listen", *args, "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.PIPE if stdin_text is not None else None,
                            text=True, env=env)
    if stdin_text is not None:  # read before the listener prints its address
        proc.stdin.write(stdin_text)
        proc.stdin.close()
        proc.stdin = None
    first = proc.stdout.readline()
    match = re.match(r"listening on (http://127\.0\.0\.1:\d+/) for (\w+) webhooks", first)
    assert match, (first, proc.stderr.read() if proc.poll() is not None else "")
    return proc, match.group(1)


def _stop(proc):
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    return proc.returncode, out, err


def test_listen_prints_verified_events_one_line_each():
    proc, url = _start("crisp", "--secret-env", "HOOK_SECRET")
    try:
        headers, body = sample("crisp", ts=time.time())
        assert requests.post(url + "hooks/crisp", data=body, headers=headers,
                             timeout=10).status_code == 200
        line = proc.stdout.readline().rstrip("\n")
        assert line == ("2017-10-02T23:08:16.616000+00:00 crisp message.created (message:send) "
                        f"id={_id(body)} message=150698569649423 "
                        "conversation=session_36ba3566-9651-4790-afc8-ffedbccc317f")
        tampered = requests.post(url, data=body + b" ", headers=headers, timeout=10)
        assert tampered.status_code == 401
    finally:
        code, out, err = _stop(proc)
    assert code == 0 and out == ""
    assert err.splitlines() == ["chatmodels webhooks: rejected (401): crisp webhook: bad "
                                "X-Crisp-Signature signature"]
    assert SECRET not in line + out + err


def _id(body: bytes) -> str:
    from chatmodels.webhooks.event import body_id
    return body_id(json.loads(body))


def test_listen_reads_the_secret_from_a_file_or_stdin(tmp_path):
    secret_file = tmp_path / "secret.txt"
    secret_file.write_text(SECRET + "\n")
    env = {k: v for k, v in ENV.items() if k != "HOOK_SECRET"}
    for args, stdin_text in ((["--secret-file", str(secret_file)], None),
                             (["--secret-file", "-"], SECRET + "\n")):
        proc, url = _start("intercom", *args, env=env, stdin_text=stdin_text)
        try:
            headers, body = sample("intercom", ts=time.time())
            assert requests.post(url, data=body, headers=headers, timeout=10).status_code == 200
            line = proc.stdout.readline()
            assert " intercom contact.created (user.created) id=notif_78c122d0" in line
        finally:
            code, _, err = _stop(proc)
        assert code == 0 and err == ""


@pytest.mark.parametrize("argv,message", [
    (["crisp", "--secret-env", "NO_SUCH_VAR_FOR_HOOKS"],
     "chatmodels webhooks: no webhook secret: set $NO_SUCH_VAR_FOR_HOOKS (or give "
     "--secret-file PATH)"),
    (["crisp", "--secret-file", "/nonexistent/secret"],
     "chatmodels webhooks: --secret-file '/nonexistent/secret': cannot read it (No such file "
     "or directory)"),
])
def test_listen_configuration_errors_are_one_line_exit_2(argv, message, capsys, monkeypatch):
    monkeypatch.delenv("NO_SUCH_VAR_FOR_HOOKS", raising=False)
    assert cli.main(["webhooks", "listen", *argv, "--port", "0"]) == 2
    assert capsys.readouterr().err.splitlines() == [message]


def test_listen_refuses_a_secret_on_argv_and_unknown_providers(capsys):
    assert cli.main(["webhooks", "listen", "crisp", "--secret", SECRET]) == 2
    err = capsys.readouterr().err
    assert SECRET not in err and "--secret" in err
    assert cli.main(["webhooks", "listen", "nope"]) == 2
    assert "unknown provider 'nope'" in capsys.readouterr().err
    assert cli.main(["webhooks", "listen", "crisp", "--max-age", "-1"]) == 2


def test_listen_port_in_use_is_one_line(capsys, monkeypatch):
    import socket
    monkeypatch.setenv("CHATMODELS_WEBHOOK_SECRET", SECRET)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert cli.main(["webhooks", "listen", "crisp", "--port", str(port)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"chatmodels webhooks: cannot listen on 127.0.0.1:{port}: ")
    assert len(err.splitlines()) == 1
