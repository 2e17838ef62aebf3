"""The ``chatmodels`` command: help, usage errors, credentials, exit codes, signals, pipes."""

from __future__ import annotations

import io
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading

import pytest
import requests

from chatmodels import __version__, cli, registry
from chatmodels.migrate import RESOURCES
from chatmodels.testing import serve

ENV = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
for _entry in registry.entries():  # the tests say where credentials come from
    for _var in _entry.env.values():
        ENV.pop(_var, None)
CHATMODELS = [sys.executable, "-m", "chatmodels"]
KNOWN = ", ".join(registry.names())


@pytest.fixture(autouse=True)
def _no_provider_environment(monkeypatch):
    for entry in registry.entries():
        for var in entry.env.values():
            monkeypatch.delenv(var, raising=False)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pairs(flag: str, sim) -> list[str]:
    """``--source KEY=VALUE`` arguments for every credential of a simulator."""
    out = [flag, f"base_url={sim.base_url}"]
    for key, value in sim.credentials.items():
        out += [flag, f"{key}={value}"]
    return out


def env_file(path, sim) -> str:
    path.write_text(f"# {sim.name}\nbase_url={sim.base_url}\n"
                    + "".join(f"{k}={v}\n" for k, v in sim.credentials.items()))
    return str(path)


@pytest.fixture
def crisp_to_intercom():
    with serve("crisp", seed=1, contacts=5) as source, \
            serve("intercom", seed=1, contacts=0, conversations=0) as target:
        yield source, target


# -- help, version, python -m -----------------------------------------------------------
def test_version_and_python_m():
    done = subprocess.run(CHATMODELS + ["--version"], capture_output=True, text=True, env=ENV,
                          timeout=60)
    assert (done.returncode, done.stdout, done.stderr) == (0, f"chatmodels {__version__}\n", "")


def test_main_help_is_plain_text_with_examples_and_exit_codes(capsys):
    assert cli.main(["--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: chatmodels [-h] [--version] COMMAND ...\n")
    assert not re.search(r"``|:(mod|func|class):`", out)
    displays = ", ".join(e.display_name for e in registry.entries())
    assert f"customer-messaging platforms ({displays})" in out
    for command in ("sandbox", "demo", "migrate"):
        assert re.search(rf"^    {command}\s+\w", out, re.M)
    assert "examples:\n  chatmodels sandbox intercom --port 8000\n" in out
    for code in ("0", "1", "2", "130"):
        assert re.search(rf"^  {code}\s+\w", out, re.M)


def test_migrate_help_lists_credentials_resources_and_exit_codes(capsys):
    assert cli.main(["migrate", "--help"]) == 0
    out = capsys.readouterr().out
    flat = " ".join(out.split())
    for entry in registry.entries():
        keys = ", ".join(k + ("*" if k in entry.secret_settings else "")
                         for k in entry.connect_keys)
        assert f"{entry.name} ({entry.display_name}) keys: {keys} environment: " \
               f"{', '.join(entry.env.values())}" in flat
    assert "comma-separated subset of: " + ",".join(RESOURCES) in flat
    for step, parent in cli.INSIDE_STEPS.items():
        assert step in flat and parent in flat
    if "notes" not in RESOURCES:
        assert "notes and events migrate as part of contacts" in flat
    if "messages" not in RESOURCES:
        assert "messages migrate as part of conversations" in flat
    assert "--source-file PATH" in out and "'-' reads stdin" in flat and "`ps`" in flat
    assert "--workers N concurrent writes (default: 8)" in flat
    assert "130 interrupted (Ctrl-C); run the same command again to resume" in flat
    assert "2 usage or configuration error" in flat


def test_demo_and_sandbox_help_show_defaults(capsys):
    assert cli.main(["demo", "--help"]) == 0
    flat = " ".join(capsys.readouterr().out.split())
    assert "--workers N concurrent writes (default: 16)" in flat
    assert "--contacts N contacts to generate (default: 1500, or 300 with --tour)" in flat
    assert "(default: None)" not in flat and "(default: False)" not in flat
    assert cli.main(["sandbox", "--help"]) == 0
    flat = " ".join(capsys.readouterr().out.split())
    assert f"provider one of: {KNOWN}" in flat
    for text in ("--host HOST interface to listen on (default: 127.0.0.1)",
                 "--port N port (0: any free port) (default: 8000)",
                 "--seed N seed of the generated data (default: 0)",
                 "--contacts N contacts to generate (default: 250)"):
        assert text in flat


# -- usage errors: one line, exit 2 -----------------------------------------------------
MIGRATE = ["migrate", "--from", "crisp", "--to", "intercom", "--journal", "j.db"]


@pytest.mark.parametrize("argv, message", [
    (["sandbox", "intercomm"],
     "chatmodels sandbox: error: argument provider: unknown provider 'intercomm' (known "
     f"providers: {KNOWN}); did you mean 'intercom'? (see 'chatmodels sandbox --help')"),
    (["migrate", "--from", "crispy", "--to", "intercom", "--journal", "j.db"],
     "chatmodels migrate: error: argument --from: unknown provider 'crispy' (known providers: "
     f"{KNOWN}); did you mean 'crisp'? (see 'chatmodels migrate --help')"),
    (["migrate", "--from", "crisp", "--to", "zendesk", "--journal", "j.db"],
     "chatmodels migrate: error: argument --to: unknown provider 'zendesk' (known providers: "
     f"{KNOWN}) (see 'chatmodels migrate --help')"),
    (MIGRATE + ["--since", "yesterday"],
     "chatmodels migrate: error: argument --since: expected an ISO 8601 date or date-time "
     "such as 2026-01-01 or 2026-01-01T09:30:00Z (UTC unless an offset is given), got "
     "'yesterday' (see 'chatmodels migrate --help')"),
    (["migrate", "--from", "crisp", "--to", "intercom", "--journal", "no/such/dir/j.db"],
     "chatmodels migrate: error: argument --journal: the directory 'no/such/dir' of "
     "'no/such/dir/j.db' does not exist (see 'chatmodels migrate --help')"),
    (MIGRATE + ["--resources", "contacts,messages"],
     "chatmodels migrate: error: argument --resources: messages migrate as part of "
     "conversations; pass conversations (see 'chatmodels migrate --help')"),
    (MIGRATE + ["--resources", "contacts,widgets"],
     "chatmodels migrate: error: argument --resources: unknown resource 'widgets'; choose "
     f"from {','.join(RESOURCES)} (see 'chatmodels migrate --help')"),
    (MIGRATE + ["--workers", "0"],
     "chatmodels migrate: error: argument --workers: expected a whole number >= 1, got '0' "
     "(see 'chatmodels migrate --help')"),
    (MIGRATE + ["--token", "s3cr3t-value", "--key=s3cr3t-value"],
     "chatmodels: error: unrecognized arguments: --token ... --key=... "
     "(see 'chatmodels --help')"),
    (["migrate", "--from", "crisp"],
     "chatmodels migrate: error: the following arguments are required: --journal "
     "(see 'chatmodels migrate --help')"),
    (["migrate", "--from", "crisp", "--journal", "j.db"],
     "chatmodels migrate: --to required (except with --rollback)"),
])
def test_usage_errors_are_one_line_and_exit_2(argv, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert cli.main(argv) == 2
    out, err = capsys.readouterr()
    assert (out, err) == ("", message + "\n")
    assert not (tmp_path / "j.db").exists()


def test_since_accepts_dates_date_times_and_offsets():
    parser = cli.build_parser()
    for text, iso in (("2026-01-01", "2026-01-01T00:00:00+00:00"),
                      ("2026-01-01T09:30:00Z", "2026-01-01T09:30:00+00:00"),
                      ("2026-01-01T09:30:00+02:00", "2026-01-01T09:30:00+02:00")):
        assert parser.parse_args(MIGRATE + ["--since", text]).since.isoformat() == iso


def test_unknown_connect_key_lists_the_accepted_ones(capsys, tmp_path):
    code = cli.main(["migrate", "--from", "intercom", "--to", "crisp",
                     "--journal", str(tmp_path / "j.db"), "--source", "acces_token=tok-123456"])
    out, err = capsys.readouterr()
    keys = ", ".join(registry.get("intercom").connect_keys)
    assert (code, out) == (2, "")
    assert err == ("chatmodels migrate: --source: intercom: unknown key 'acces_token' (did you "
                   f"mean 'access_token'?); accepted: {keys}\n")
    assert not (tmp_path / "j.db").exists()


def test_an_argument_without_equals_is_not_echoed(capsys, tmp_path):
    code = cli.main(["migrate", "--from", "intercom", "--to", "crisp",
                     "--journal", str(tmp_path / "j.db"), "--source", "tok-abcdef123"])
    assert (code, capsys.readouterr().err) == (
        2, "chatmodels migrate: --source: expected KEY=VALUE, got an argument without '='\n")


def test_missing_credentials_name_the_environment_variables(capsys, tmp_path):
    code = cli.main(["migrate", "--from", "crisp", "--to", "intercom",
                     "--journal", str(tmp_path / "j.db")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert err.startswith("chatmodels migrate: crisp: missing identifier, key, website_id")
    assert "$CRISP_KEY" in err


def test_a_damaged_journal_is_one_line_and_exit_2(capsys, tmp_path, crisp_to_intercom):
    source, target = crisp_to_intercom
    journal = tmp_path / "damaged.db"
    journal.write_bytes(b"not a database " * 200)
    code = cli.main(["migrate", "--from", "crisp", "--to", "intercom", "--no-progress",
                     "--journal", str(journal), "--source-file", env_file(tmp_path / "s", source),
                     "--target-file", env_file(tmp_path / "t", target)])
    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    assert err.startswith("chatmodels migrate: ") and err.count("\n") == 1
    assert "journal" in err and str(journal) in err and "Traceback" not in err


def test_sandbox_on_a_busy_port_is_one_line_and_exit_2(capsys):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        code = cli.main(["sandbox", "crisp", "--port", str(port), "--contacts", "1"])
    err = capsys.readouterr().err
    assert code == 2
    assert err == f"chatmodels sandbox: cannot listen on 127.0.0.1:{port}: Address already in use\n"


def test_sandbox_serves_a_provider_by_hand():
    port = free_port()
    proc = subprocess.Popen(CHATMODELS + ["sandbox", "intercom", "--port", str(port),
                                          "--contacts", "5"],
                            stdout=subprocess.PIPE, text=True, env=ENV)
    try:
        lines = {}
        while "access_token" not in lines:
            line = proc.stdout.readline()
            assert line, "the sandbox stopped before printing its credentials"
            key, _, value = line.partition(": ")
            lines[key.strip()] = value.strip()
        assert lines["base_url"] == f"http://127.0.0.1:{port}"
        resp = requests.get(f"{lines['base_url']}/contacts", timeout=5,
                            headers={"Authorization": f"Bearer {lines['access_token']}"})
        assert resp.status_code == 200 and resp.json()["total_count"] == 5
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0


# -- migrate: exit codes, credentials and secrets --------------------------------------
def test_migrate_bad_credentials_exit_2_without_the_secret(tmp_path, capsys, crisp_to_intercom):
    source, target = crisp_to_intercom
    code = cli.main([
        "migrate", "--from", "crisp", "--to", "intercom", "--no-progress",
        "--journal", str(tmp_path / "j.db"),
        "--source", f"base_url={source.base_url}", "--source", "identifier=nope-ident",
        "--source", "key=wrong-key-value",
        "--source", f"website_id={source.credentials['website_id']}",
        "--target", f"base_url={target.base_url}",
        "--target", f"access_token={target.credentials['access_token']}"])
    err = capsys.readouterr().err
    assert code == 2
    lines = err.splitlines()
    assert lines[:3] == [
        f"chatmodels migrate: warning: --source {key}=... puts a secret on the command line, "
        f"where `ps` and the shell history show it; use ${env} or --source-file PATH instead"
        for key, env in (("identifier", "CRISP_IDENTIFIER"), ("key", "CRISP_KEY"))] + [
        "chatmodels migrate: warning: --target access_token=... puts a secret on the command "
        "line, where `ps` and the shell history show it; use $INTERCOM_ACCESS_TOKEN or "
        "--target-file PATH instead"]
    assert len(lines) == 4 and lines[3].startswith("chatmodels migrate: ") and "401" in lines[3]
    for secret in ("nope-ident", "wrong-key-value", target.credentials["access_token"]):
        assert secret not in err


@pytest.mark.parametrize("where", ["argv", "file"])
def test_a_token_with_cr_lf_never_reaches_stderr(where, tmp_path, capsys, crisp_to_intercom):
    source, target = crisp_to_intercom
    token = "tok-s3cr3t-part1\r\nX-Injected: s3cr3t-part2"
    args = ["migrate", "--from", "intercom", "--to", "crisp", "--no-progress",
            "--journal", str(tmp_path / "j.db"), "--target-file",
            env_file(tmp_path / "crisp.env", source)]
    with serve("intercom", seed=2, contacts=2) as intercom_sim:
        if where == "argv":
            args += ["--source", f"base_url={intercom_sim.base_url}",
                     "--source", f"access_token={token}"]
        else:
            (tmp_path / "src.json").write_text(json.dumps(
                {"base_url": intercom_sim.base_url, "access_token": token}))
            args += ["--source-file", str(tmp_path / "src.json")]
        code = cli.main(args)
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    errors = [line for line in err.splitlines() if "warning" not in line]
    assert len(errors) == 1 and errors[0].startswith("chatmodels migrate: ")
    assert ("warning" in err) == (where == "argv")
    for fragment in ("s3cr3t", "Injected", "\r"):
        assert fragment not in err


def test_credentials_from_files_and_the_environment(tmp_path, capsys, monkeypatch,
                                                    crisp_to_intercom):
    source, target = crisp_to_intercom
    # the source in a KEY=VALUE file using environment-variable names, quotes and `export`
    entry = registry.get("crisp")
    (tmp_path / "crisp.env").write_text(
        "# the source\n\n" + "".join(
            f"export {entry.env[k]}=\"{v}\"\n" for k, v in source.credentials.items())
        + f"base_url = {source.base_url}\n")
    # the target's token in the environment, its base URL in a JSON file
    monkeypatch.setenv("INTERCOM_ACCESS_TOKEN", target.credentials["access_token"])
    (tmp_path / "intercom.json").write_text(json.dumps({"base_url": target.base_url,
                                                        "max_retries": "1"}))
    code = cli.main(["migrate", "--from", "crisp", "--to", "intercom", "--no-progress",
                     "--resources", "contacts", "--journal", str(tmp_path / "j.db"),
                     "--source-file", str(tmp_path / "crisp.env"),
                     "--target-file", str(tmp_path / "intercom.json")])
    out, err = capsys.readouterr()
    assert (code, err) == (0, "")
    assert re.search(r"^contacts\s+5\s", out, re.M)
    assert len(target.state.contacts) == 5


def test_source_file_from_stdin(tmp_path, crisp_to_intercom):
    source, target = crisp_to_intercom
    stdin = f"base_url={source.base_url}\n" + "".join(
        f"{k}={v}\n" for k, v in source.credentials.items())
    done = subprocess.run(
        CHATMODELS + ["migrate", "--from", "crisp", "--to", "intercom", "--no-progress",
                      "--resources", "agents", "--journal", str(tmp_path / "j.db"),
                      "--source-file", "-", "--target", f"base_url={target.base_url}"],
        input=stdin, capture_output=True, text=True, timeout=120,
        env=dict(ENV, INTERCOM_ACCESS_TOKEN=target.credentials["access_token"]))
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.startswith("resource ")


@pytest.mark.parametrize("content, message", [
    (None, "--source-file '{path}': cannot read it (No such file or directory)"),
    ("identifier=abc\ns3cr3t-without-equals\n", "--source-file '{path}', line 2: expected "
                                                "KEY=VALUE"),
    ('{"key": "s3cr3t-value", ', "--source-file '{path}': not valid JSON"),
    ('{"key": ["s3cr3t-value"]}', "--source-file '{path}': the value of 'key' must be a "
                                  "string or a number"),
    ("timeout=soon\n", "--source-file timeout: expected a number, got 'soon'"),
    ("tokn=s3cr3t-value\n", "--source-file: crisp: unknown key 'tokn'; accepted: "
                            + ", ".join(registry.get("crisp").connect_keys)),
])
def test_bad_credential_files_are_one_line_without_their_content(content, message, tmp_path,
                                                                  capsys):
    path = tmp_path / "creds"
    if content is not None:
        path.write_text(content)
    code = cli.main(["migrate", "--from", "crisp", "--to", "intercom",
                     "--journal", str(tmp_path / "j.db"), "--source-file", str(path)])
    err = capsys.readouterr().err
    assert code == 2
    assert err == "chatmodels migrate: " + message.format(path=path) + "\n"
    assert "s3cr3t" not in err


def test_only_one_side_can_read_stdin(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    code = cli.main(["migrate", "--from", "crisp", "--to", "intercom",
                     "--journal", str(tmp_path / "j.db"), "--source-file", "-",
                     "--target-file", "-"])
    assert (code, capsys.readouterr().err) == (
        2, "chatmodels migrate: only one of --source-file and --target-file can be '-' "
           "(stdin)\n")


def test_migrate_reports_failed_objects_with_exit_1(tmp_path, capsys, crisp_to_intercom):
    source, target = crisp_to_intercom
    target.fail(status=422, times=1000, method="POST", path="/contacts",
                code="parameter_invalid", message="rejected by test")
    (tmp_path / "t.env").write_text(f"base_url={target.base_url}\nmax_retries=0\n"
                                    f"access_token={target.credentials['access_token']}\n")
    args = ["migrate", "--from", "crisp", "--to", "intercom", "--no-progress",
            "--resources", "contacts", "--journal", str(tmp_path / "j.db"),
            "--target-file", str(tmp_path / "t.env"),
            "--source-file", env_file(tmp_path / "s.env", source)]
    code = cli.main(args)
    out, err = capsys.readouterr()
    assert code == 1
    assert "rejected by test" in out
    assert err == (f"chatmodels migrate: 5 object(s) failed (see above and the journal "
                   f"{tmp_path / 'j.db'}); run the same command again to retry them\n")
    target.clear_faults()
    assert cli.main(args) == 0  # the next run retries the failed objects


def test_a_closed_output_pipe_ends_quietly(tmp_path, crisp_to_intercom):
    source, target = crisp_to_intercom
    proc = subprocess.Popen(
        CHATMODELS + ["migrate", "--from", "crisp", "--to", "intercom", "--no-progress",
                      "--journal", str(tmp_path / "j.db"),
                      "--source-file", env_file(tmp_path / "s.env", source),
                      "--target-file", env_file(tmp_path / "t.env", target)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV)
    proc.stdout.close()  # `| head` that has already quit
    err = proc.stderr.read()
    assert proc.wait(timeout=120) == 0  # the migration's own status
    assert err == ""
    assert len(target.state.contacts) == 5


# -- demo ------------------------------------------------------------------------------
@pytest.mark.parametrize("argv", [
    ["demo", "--tour"],
    ["demo", "--tour", "--contacts", "1500"],  # the first contact is already on "pro"
    ["demo", "--tour", "--contacts", "0"],
    ["demo", "--tour", "--contacts", "1", "--conversations", "0"],
])
def test_the_tour_does_not_depend_on_seeded_values(argv, capsys):
    assert cli.main(argv) == 0
    out = capsys.readouterr().out
    sent = re.findall(r"^  sent: PUT /contacts/\S+ \{'custom_attributes': \{'plan': '(\w+)'\}\}$",
                      out, re.M)
    assert len(sent) == 1 and sent[0] in ("pro", "enterprise")
    assert "state='closed'>, last message:" in out and out.rstrip().split("\n")[-1].startswith(
        "done in ")


def test_the_tour_changes_the_value_whatever_the_seed(capsys):
    from chatmodels.intercom import tour

    for seed in range(3):
        assert tour.main(contacts=20, conversations=2, seed=seed) == 0
        assert capsys.readouterr().out.count("  sent: PUT /contacts/") == 1


def test_ctrl_c_during_the_demo_is_one_line_and_exit_130():
    proc = subprocess.Popen(CHATMODELS + ["demo", "--contacts", "300"], env=ENV,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)  # its own process group, as in a terminal
    # once the migration is under way (both simulators up), Ctrl-C reaches the whole group
    text = _interrupt_when_under_way(proc, b"contacts", group=True).decode()
    assert proc.returncode == 130
    assert text.rstrip().split("\n")[-1] == "chatmodels demo: interrupted"
    assert "Traceback" not in text and "KeyboardInterrupt" not in text


def _interrupt_when_under_way(proc, marker: bytes, *, group: bool) -> bytes:
    """Send SIGINT (to the process group if ``group``) once ``marker`` is on its stderr."""
    err = bytearray()
    started = threading.Event()

    def read() -> None:
        while chunk := os.read(proc.stderr.fileno(), 4096):
            err.extend(chunk)
            if marker in err:
                started.set()
        started.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        started.wait(120)
        if group:
            os.killpg(proc.pid, signal.SIGINT)
        else:
            proc.send_signal(signal.SIGINT)
        proc.wait(timeout=120)
    finally:
        if proc.poll() is None:
            if group:
                os.killpg(proc.pid, signal.SIGKILL)
            else:
                proc.kill()
    reader.join(timeout=30)
    return bytes(err)


def test_ctrl_c_during_a_migration_is_one_line_exit_130_and_resumable(tmp_path):
    with serve("crisp", seed=4, contacts=60) as source, \
            serve("intercom", seed=4, contacts=0, conversations=0) as target:
        target.latency = 0.02  # long enough to be interrupted in the contacts step
        args = ["migrate", "--from", "crisp", "--to", "intercom", "--workers", "2",
                "--resources", "contacts", "--journal", str(tmp_path / "j.db"),
                "--source-file", env_file(tmp_path / "s.env", source),
                "--target-file", env_file(tmp_path / "t.env", target)]
        proc = subprocess.Popen(CHATMODELS + args, env=ENV, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        err = _interrupt_when_under_way(proc, b"contacts", group=False).decode()
        assert proc.returncode == 130
        assert err.rstrip().split("\n")[-1] == ("chatmodels migrate: interrupted; run the same "
                                                "command again to resume")
        assert "Traceback" not in err
        assert len(target.state.contacts) < 60
        target.latency = 0
        assert cli.main(args + ["--no-progress"]) == 0
        assert len(target.state.contacts) == 60


@pytest.mark.parametrize("command", [[], ["migrate"], ["demo"], ["sandbox"]])
def test_every_example_in_the_help_parses(command, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert cli.main(command + ["--help"]) == 0
    out = capsys.readouterr().out.replace("\\\n", " ")
    examples = [line.split()[1:] for line in out.splitlines()
                if line.startswith("  chatmodels ")]
    assert examples
    parser = cli.build_parser()
    for argv in examples:
        assert parser.parse_args(argv).func, argv


def test_parser_knows_every_command():
    parser = cli.build_parser()
    for command in (["demo", "--tour"], ["sandbox", "crisp"], MIGRATE):
        assert parser.parse_args(command).func


def test_clean_redacts_every_form_of_a_secret_and_escapes_control_characters():
    secret = "abc\r\ndefghij"
    text = f"raw {secret} repr {secret!r} json {json.dumps(secret)} line\nbreak"
    assert cli.clean(text, [secret]) == "raw *** repr '***' json \"***\" line\\nbreak"
