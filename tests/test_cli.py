"""The ``chatmodels`` command: sandbox, migrate exit codes, demo entry point."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import requests

from chatmodels import cli
from chatmodels.testing import serve

ENV = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_sandbox_serves_intercom_by_hand():
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "chatmodels.cli", "sandbox", "intercom",
                             "--port", str(port), "--contacts", "5"],
                            stdout=subprocess.PIPE, text=True, env=ENV)
    try:
        lines = {}
        deadline = time.time() + 30
        while "access_token" not in lines and time.time() < deadline:
            line = proc.stdout.readline()
            key, _, value = line.partition(": ")
            lines[key.strip()] = value.strip()
        assert lines["base_url"] == f"http://127.0.0.1:{port}"
        resp = requests.get(f"{lines['base_url']}/contacts", timeout=5,
                            headers={"Authorization": f"Bearer {lines['access_token']}"})
        assert resp.status_code == 200 and resp.json()["total_count"] == 5
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_migrate_bad_credentials_exit_2_with_a_message(tmp_path, capsys):
    with serve("crisp", seed=1, contacts=3) as source, serve("intercom", seed=1) as target:
        code = cli.main([
            "migrate", "--from", "crisp", "--to", "intercom", "--no-progress",
            "--journal", str(tmp_path / "j.db"),
            "--source", f"base_url={source.base_url}", "--source", "identifier=nope",
            "--source", "key=wrong", "--source", f"website_id={source.credentials['website_id']}",
            "--target", f"base_url={target.base_url}",
            "--target", f"access_token={target.credentials['access_token']}"])
    err = capsys.readouterr().err
    assert code == 2
    assert "401" in err and "wrong" not in err


def test_migrate_reports_failed_objects_with_exit_1(tmp_path, capsys):
    with serve("crisp", seed=1, contacts=5) as source, \
            serve("intercom", seed=1, contacts=0, conversations=0) as target:
        target.fail(status=422, times=1000, method="POST", path="/contacts",
                    code="parameter_invalid", message="rejected by test")
        args = ["migrate", "--from", "crisp", "--to", "intercom", "--no-progress",
                "--resources", "contacts", "--journal", str(tmp_path / "j.db"),
                "--target", f"base_url={target.base_url}", "--target", "max_retries=0",
                "--target", f"access_token={target.credentials['access_token']}",
                "--source", f"base_url={source.base_url}"]
        for key, value in source.credentials.items():
            args += ["--source", f"{key}={value}"]
        code = cli.main(args)
        out, err = capsys.readouterr()
        assert code == 1
        assert "rejected by test" in out and "re-run" in err
        target.clear_faults()
        assert cli.main(args) == 0  # the next run retries the failed objects


def test_parser_knows_every_command():
    parser = cli.build_parser()
    for command in (["demo", "--tour"], ["sandbox", "crisp"], ["migrate", "--from", "crisp",
                                                               "--to", "intercom",
                                                               "--journal", "x.db"]):
        assert parser.parse_args(command).func
