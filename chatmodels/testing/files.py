"""Files a simulator stores and serves: uploads and message attachments, end to end.

Every simulator has a :class:`FileStore` (``sim.files``). ``sim.files.put(data, name,
content_type)`` stores bytes and returns their URL, ``GET <root_url>/_files/<id>/<name>``
answers them with their content type and length, without credentials (like a provider's CDN
or signed file URLs), outside the provider's routes, faults and request log. Tests can break a
file's answer: ``sim.files.damage(url, "truncate")`` sends a ``Content-Length`` larger than
the body and closes the connection, ``"short"`` serves the body without its last byte (a
wrong length, complete as HTTP); ``sim.files.redirect(url, other)`` answers a 302 to
``other``.
"""

from __future__ import annotations

import hashlib
import itertools
import socket
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from werkzeug.wrappers import Request, Response

#: path prefix of the file URLs, on the server root
PREFIX = "/_files/"
#: the root of file URLs made before the simulator is served (seeds); answers carry the real
#: root instead (:meth:`FileStore.rebase`)
UNSERVED = "http://unserved.invalid"


@dataclass
class StoredFile:
    id: str
    name: str
    content_type: str
    data: bytes
    damage: str | None = None
    #: answered instead of the bytes: a 302 to this URL
    redirect: str | None = None

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


class FileStore:
    """The files of one simulator (see the module docstring). Thread-safe."""

    def __init__(self, root: Callable[[], str | None]) -> None:
        self._root = root
        self._files: dict[str, StoredFile] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self.downloads = 0  #: GETs answered (tests count them)
        self.with_credentials = 0  #: of which carried an Authorization header

    def put(self, data: bytes, name: str, content_type: str = "application/octet-stream",
            ) -> str:
        """Store ``data``; return its URL (absolute once the simulator is served)."""
        with self._lock:
            fid = f"f{next(self._ids)}"
            self._files[fid] = StoredFile(fid, name, content_type, bytes(data))
        return self.url(fid)

    def url(self, fid: str) -> str:
        stored = self._files[fid]
        return f"{self._root() or UNSERVED}{PREFIX}{fid}/{quote(stored.name)}"

    def rebase(self, response: Response) -> Response:
        """A JSON answer with the URLs of files stored before serving made absolute."""
        root = self._root()
        if not root or not self._files or response.direct_passthrough \
                or response.mimetype != "application/json":
            return response
        data = response.get_data()
        marker = (UNSERVED + PREFIX).encode()
        if marker in data:
            response.set_data(data.replace(marker, (root + PREFIX).encode()))
        return response

    def get(self, url: str) -> StoredFile | None:
        """The file a URL of this store names (``None``: not one of ours)."""
        path = urlsplit(url).path
        if not path.startswith(PREFIX):
            return None
        fid = path[len(PREFIX):].partition("/")[0]
        return self._files.get(fid)

    def damage(self, url: str, how: str | None) -> None:
        """``"truncate"``, ``"short"`` or ``None`` (repaired)."""
        stored = self.get(url)
        if stored is None:
            raise KeyError(url)
        stored.damage = how

    def redirect(self, url: str, to: str | None) -> None:
        """Answer ``url`` with a 302 to ``to`` (``None``: the bytes again)."""
        stored = self.get(url)
        if stored is None:
            raise KeyError(url)
        stored.redirect = to

    def clear(self) -> None:
        with self._lock:
            self._files.clear()

    def __len__(self) -> int:
        return len(self._files)

    def __iter__(self) -> Iterable[StoredFile]:  # type: ignore[override]
        return iter(list(self._files.values()))

    # -- serving ----------------------------------------------------------------------------
    def answer(self, environ: dict[str, Any], start_response: Callable[..., Any],
               ) -> Iterable[bytes]:
        request = Request(environ)
        fid = unquote(request.path[len(PREFIX):]).partition("/")[0]
        stored = self._files.get(fid)
        if request.method not in ("GET", "HEAD") or stored is None:
            return Response("not found", status=404)(environ, start_response)
        with self._lock:
            self.downloads += 1
            self.with_credentials += "Authorization" in request.headers
        if stored.redirect:
            return Response("", status=302, headers={"Location": stored.redirect})(
                environ, start_response)
        data = stored.data
        headers = [("Content-Type", stored.content_type)]
        if stored.damage == "truncate":
            # promise the whole file, send half of it, close: a body broken off
            headers += [("Content-Length", str(len(data))), ("Connection", "close")]
            start_response("200 OK", headers)
            sock = environ.get("werkzeug.socket")

            def half() -> Iterable[bytes]:
                yield data[: len(data) // 2]
                if sock is not None:
                    try:
                        sock.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass

            return half()
        if stored.damage == "short":
            data = data[:-1]
        headers.append(("Content-Length", str(len(data))))
        start_response("200 OK", headers)
        return [data]


def seed_file(files: FileStore | None, key: str, name: str, content_type: str,
              size: int | None = None, fallback: str = "") -> str:
    """A small file for a seed, its bytes derived from ``key`` (no draw from the seed's random
    generator, so the rest of the seed is unchanged), ``size`` bytes long (default: a few
    hundred), stored in ``files``; its URL (``fallback`` without a store)."""
    if files is None:
        return fallback
    block = hashlib.sha256(key.encode()).digest()
    length = size if size is not None else 32 * (4 + block[0] % 12)
    data = (block * (length // len(block) + 1))[:length]
    return files.put(data, name, content_type)


def serves(path: str) -> bool:
    """Whether a request path is a stored file's."""
    return path.startswith(PREFIX)
