"""The ``chatmodels`` command's credentials: each side's ``connect()`` settings read from argv,
a file or stdin (``KEY=VALUE`` lines or JSON) and the environment, and the redaction that keeps
every form of their secret values off the screen (:func:`clean`).

Errors name the flag, file and line, never a value (it may be a secret).
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from . import registry
from .errors import ConfigurationError

#: settings common to every provider that are numbers, not strings
NUMERIC_SETTINGS: dict[str, type] = {"timeout": float, "max_retries": int}


class Reporter(Protocol):
    """Where warnings go and where the secrets to keep off the screen are collected."""

    secrets: list[str]

    def error(self, message: str, *, fresh_line: bool = False) -> None: ...


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _secret_forms(secret: str) -> set[str]:
    """The ways a secret can show up in a message: raw, escaped, or a line of it."""
    forms = {secret, repr(secret)[1:-1], json.dumps(secret)[1:-1],
             secret.encode("unicode_escape").decode("ascii")}
    forms.update(part for part in _CONTROL.split(secret) if len(part) >= 6)
    return {form for form in forms if len(form) >= 4}


def clean(text: str, secrets: Sequence[str] = ()) -> str:
    """``text`` as one safe line: secrets replaced by ``***``, control characters escaped."""
    forms = sorted({f for s in secrets if s for f in _secret_forms(str(s))}, key=len,
                   reverse=True)

    def redact(value: str) -> str:
        for form in forms:
            value = value.replace(form, "***")
        return value

    text = redact(text)
    text = _CONTROL.sub(lambda m: repr(m.group())[1:-1], text)
    return redact(text)


def _read_secret_file(path: str, flag: str) -> dict[str, object]:
    """``KEY=VALUE`` lines (``#`` comments, optional ``export`` and quotes) or a JSON object.

    Errors name the file and line, never the content (it holds secrets).
    """
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not UTF-8 text"
        raise ConfigurationError(f"{flag} {path!r}: cannot read it ({reason})") from None
    where = "stdin" if path == "-" else repr(path)
    if text.lstrip().startswith("{"):
        try:
            data = json.loads(text)
        except ValueError:
            raise ConfigurationError(f"{flag} {where}: not valid JSON") from None
        out: dict[str, object] = {}
        for key, val in data.items():
            if not isinstance(val, (str, int, float)) or isinstance(val, bool):
                raise ConfigurationError(f"{flag} {where}: the value of {key!r} must be a "
                                         "string or a number")
            out[str(key)] = val
        return out
    out = {}
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[len("export "):].lstrip()
        key, sep, val = line.partition("=")
        if not sep or not key.strip():
            raise ConfigurationError(f"{flag} {where}, line {number}: expected KEY=VALUE")
        val = val.strip()
        if len(val) >= 2 and val[0] == val[-1] and val[0] in "'\"":
            val = val[1:-1]
        out[key.strip()] = val
    return out


def _setting_name(entry: registry.Provider, key: str) -> str:
    """A setting name from ``access-token``, ``access_token`` or ``INTERCOM_ACCESS_TOKEN``."""
    by_env = {env: name for name, env in entry.env.items()}
    return by_env.get(key) or key.strip().lower().replace("-", "_")


def _typed(key: str, value: object, flag: str) -> object:
    kind = NUMERIC_SETTINGS.get(key)
    if kind is None or not isinstance(value, str):
        return value
    try:
        return kind(value)
    except ValueError:
        raise ConfigurationError(f"{flag} {key}: expected a number, got {value!r}") from None


def connect_options(entry: registry.Provider, pairs: Sequence[str], file: str | None, *,
                    flag: str, ctx: Reporter) -> dict[str, object]:
    """``connect()`` options of one side: the file's, then argv's (which win).

    Unknown keys are a :class:`ConfigurationError` listing the accepted ones; a secret given
    on argv is accepted with a warning (``ps`` shows it). Secret values, wherever they come
    from (argv, file, environment), are added to ``ctx.secrets``.
    """
    given: list[tuple[str, object, str]] = []  # (setting, value, where)
    if file is not None:
        for key, value in _read_secret_file(file, f"{flag}-file").items():
            given.append((_setting_name(entry, key), value, f"{flag}-file"))
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():  # the argument itself is not shown: it may be a secret
            raise ConfigurationError(f"{flag}: expected KEY=VALUE, got an argument "
                                     + ("without '='" if not sep else "with an empty key"))
        given.append((_setting_name(entry, key), value, flag))
    accepted = entry.connect_keys
    options: dict[str, object] = {}
    for key, value, where in given:
        if key not in accepted:
            raise ConfigurationError(f"{where}: " + registry.unknown_option_message(
                entry.name, [key], accepted, what="key"))
        if key in entry.secret_settings:
            ctx.secrets.append(str(value))
        options[key] = _typed(key, value, where)
    for key, _value, where in given:
        if where == flag and key in entry.secret_settings:
            env = entry.env.get(key)
            ctx.error(f"warning: {flag} {key}=... puts a secret on the command line, where "
                      f"`ps` and the shell history show it; use "
                      + (f"${env} or " if env else "") + f"{flag}-file PATH instead")
    defaults = entry.config().settings()  # class-level settings, else the environment
    ctx.secrets.extend(str(defaults[k]) for k in entry.secret_settings if defaults.get(k))
    return options
