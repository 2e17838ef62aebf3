"""``chatmodels webhooks listen PROVIDER``: a development receiver that prints each verified
event on one line (rejected deliveries go to stderr, one line each).

The secret comes from an environment variable (``--secret-env``, default
``CHATMODELS_WEBHOOK_SECRET``) or a file (``--secret-file``, ``-`` for stdin), never from argv
(``ps`` shows argv), and is redacted from everything printed. It serves the
:func:`chatmodels.webhooks.wsgi_app` with the standard library's single-threaded WSGI server:
for development and tests, not production (mount the app in your own server there).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import threading
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from .cli_credentials import Reporter, clean
from .errors import ConfigurationError

SECRET_ENV = "CHATMODELS_WEBHOOK_SECRET"


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base's name
        pass


def read_secret(args: argparse.Namespace) -> str:
    """The webhook secret from ``--secret-file`` or the ``--secret-env`` variable. Errors name
    the file or variable, never the content."""
    return secret_from(args.secret_file, args.secret_env, file_flag="--secret-file")


def secret_from(path: str | None, env: str, *, file_flag: str) -> str:
    """The webhook secret from the file ``path`` (``-``: stdin) when given, else from the
    environment variable ``env``; ``file_flag`` names the flag in errors."""
    if path is not None:
        where = "stdin" if path == "-" else repr(path)
        try:
            text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = (exc.strerror if isinstance(exc, OSError) and exc.strerror
                      else "not UTF-8 text")
            raise ConfigurationError(f"{file_flag} {where}: cannot read it ({reason})") from None
        secret = text.rstrip("\r\n")
        if not secret.strip():
            raise ConfigurationError(f"{file_flag} {where} is empty")
        return secret
    secret = os.environ.get(env, "")
    if not secret:
        raise ConfigurationError(f"no webhook secret: set ${env} (or give {file_flag} PATH)")
    return secret


def describe(event: Any) -> str:
    """One line for an event: time, provider, topics, ids."""
    when = event.created_at.isoformat() if event.created_at else "-"
    line = f"{when} {event.provider} {event.topic} ({event.provider_topic}) id={event.id}"
    if event.kind:
        line += f" {event.kind}={event.object_id}"
    if event.conversation_id and event.kind != "conversation":
        line += f" conversation={event.conversation_id}"
    return line


def listen(args: argparse.Namespace, ctx: Reporter, out: Any) -> int:
    """Serve until Ctrl-C (exit 0, like ``chatmodels sandbox``)."""
    from . import webhooks

    secret = read_secret(args)
    ctx.secrets.append(secret)
    # rejections are printed by on_reject below; the app's log lines would repeat them
    logging.getLogger("chatmodels.webhooks").addHandler(logging.NullHandler())

    def handler(event: Any) -> None:
        out(clean(describe(event), ctx.secrets))

    def on_reject(status: int, exc: BaseException) -> None:
        text = getattr(exc, "message", None) or str(exc) or type(exc).__name__
        ctx.error(f"rejected ({status}): {text}")

    app = webhooks.wsgi_app(handler, provider=args.provider, secret=secret,
                            max_age=args.max_age, on_reject=on_reject)
    server: WSGIServer = make_server(args.host, args.port, app, handler_class=_QuietHandler)
    # served from a thread: wsgiref would swallow a Ctrl-C that lands inside a request
    thread = threading.Thread(target=server.serve_forever, name="webhooks-listen", daemon=True)
    try:
        host = f"[{args.host}]" if ":" in args.host else args.host
        out(f"listening on http://{host}:{server.server_port}/ for {args.provider} webhooks "
            "(Ctrl-C to stop)")
        thread.start()
        while thread.is_alive():
            thread.join(0.5)
    except KeyboardInterrupt:  # the normal end of a server, as for `chatmodels sandbox`
        pass
    finally:
        if thread.is_alive():
            server.shutdown()
        server.server_close()
    return 0


__all__ = ["SECRET_ENV", "describe", "listen", "read_secret", "secret_from"]
