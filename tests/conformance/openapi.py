"""Validate HTTP exchanges against a provider's OpenAPI 3.0 document.

:class:`Recorder` is a WSGI middleware put in front of a simulator: it keeps every exchange
(method, path, request body, status, response body) as seen on the wire. :class:`Spec` matches
each exchange to the spec operation (method + path template), checks the query parameters (declared,
required, typed), validates the request body against
the operation's ``requestBody`` and the response body against the response declared for the
status (an undeclared error status is checked against ``components/schemas/error``).

OpenAPI 3.0 schemas are JSON Schema draft 4 plus ``nullable``; ``nullable: true`` is rewritten to
``anyOf [schema, {type: null}]`` once, when the document is loaded. Problems are keyed
``"<METHOD> <template> <request|response NNN> <json path> [<keyword>]"`` (array indexes as
``*``; a ``type`` failure names the JSON type found: ``[type:null]``), so an entry excuses one
kind of failure at one place. The keys (patterns where ``*`` matches anything, so one entry
covers a field in every operation that answers it) in :data:`SPEC_MISTAKES`, :data:`SIMULATOR_DEVIATIONS` and :data:`CLIENT_DEVIATIONS` are
skipped, each with its reason.
"""

from __future__ import annotations

import functools
import io
import json
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote

import yaml
from jsonschema import Draft4Validator
from jsonschema.exceptions import ValidationError
from referencing import Registry
from referencing.jsonschema import DRAFT4

DATA = Path(__file__).resolve().parent.parent / "data"

#: Places where the spec contradicts its own examples or the real API (key pattern -> reason).
SPEC_MISTAKES: dict[str, str] = {
    "GET /companies response 200 /type [enum]":
        "with ?company_id= or ?name= Intercom answers one company (type 'company'), as the "
        "spec's own examples for this operation show; the schema allows only a list",
    "* response 200 */custom_attributes/* [type:number]":
        "custom attribute values take their data attribute's type (integer, float, boolean, "
        "date); the spec types every company custom attribute as a string",
    "GET /contacts request ?per_page [undeclared]":
        "the operation's description sends readers to cursor pagination (per_page, "
        "starting_after) and its example answers 'pages.per_page', but no query parameter is "
        "declared",
    "GET /contacts request ?starting_after [undeclared]":
        "the cursor of the next page (pages.next.starting_after in the answer); undeclared, "
        "see per_page",
    "POST /events request /metadata/* [type:*]":
        "event metadata values may be numbers, booleans or rich links (Intercom's event "
        "documentation); the spec types every value as a string",
    "GET /events response 200 /type [enum]":
        "without summary=true Intercom lists the events (type 'event.list', with 'events'); "
        "the spec documents only the summary answer",
    "POST /tags request / [oneOf]":
        "the request is a oneOf whose branches do not exclude each other (no "
        "additionalProperties: false): a 'tag these users' body, like the spec's own example, "
        "is valid under both tag_multiple_users_request and create_or_update_tag_request",
    "* response 200 */admin_assignee_id [type:null]":
        "null when unassigned, as the spec's own examples show; the schema says integer",
    "* response 200 */team_assignee_id [type:null]":
        "null when no team is assigned, as the spec's own examples show",
    "* response 200 */last_request_at [type:null]":
        "null when never seen, as the spec's own examples show; the schema says integer",
}

#: Places where the Intercom simulator answers differently from the spec (key -> reason).
#: The simulator is to be fixed; delete an entry once it is.
SIMULATOR_DEVIATIONS: dict[str, str] = {
    "* response 200 */email [type:null]":
        "contacts without an email answer null; the spec (schema and examples) has a string",
    "* response 200 */email_domain [type:null]":
        "null for contacts without an email; the spec has a string",
    "* response 200 */website [type:null]": "companies: null website; the spec has a string",
    "* response 200 */industry [type:null]": "companies: null industry; the spec has a string",
    "* response 200 */size [type:null]": "companies: null size; the spec has an integer",
    "* response 200 */remote_created_at [type:null]": "companies: null remote_created_at; the spec has an "
                                          "integer",
    "* response 200 */statistics/time_to_* [type:null]":
        "conversation statistics answer null for durations not reached yet; the spec has "
        "integers and its examples never show null",
    "* response 200 */statistics/median_time_to_reply [type:null]":
        "null before the first reply; the spec has an integer",
}

#: Requests chatmodels sends that the spec does not allow (key -> reason). To be fixed in the
#: library; delete an entry once it is.
CLIENT_DEVIATIONS: dict[str, str] = {
    "POST /messages request /from/id [type:string]":
        "intercom.Message.create sends the admin id as a string; the spec (and its examples) "
        "has an integer",
}


#: the known-difference patterns that matched a problem in this session
MATCHED: set[str] = set()


def unmatched() -> list[str]:
    """Known-difference patterns no exchange of this session needed (fixed, or not reached)."""
    return sorted({*SPEC_MISTAKES, *SIMULATOR_DEVIATIONS, *CLIENT_DEVIATIONS} - MATCHED)


@dataclass
class Exchange:
    """One request and its answer as they crossed the socket."""

    method: str
    path: str
    query: str
    request: bytes
    status: int
    content_type: str
    response: bytes

    def request_json(self) -> Any:
        return json.loads(self.request) if self.request else None

    def response_json(self) -> Any:
        return json.loads(self.response) if self.response else None


class Recorder:
    """WSGI middleware keeping every exchange of the app it wraps."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app
        self.exchanges: list[Exchange] = []
        self._lock = threading.Lock()

    def clear(self) -> list[Exchange]:
        with self._lock:
            taken, self.exchanges = self.exchanges, []
        return taken

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(raw)
        seen: dict[str, Any] = {}

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            seen["status"], seen["headers"] = status, headers
            return start_response(status, headers, exc_info)

        body = b"".join(self.app(environ, start))
        status = str(seen.get("status", "500"))
        if not status.endswith("Connection Dropped"):  # no answer reached the client
            headers = {k.lower(): v for k, v in seen.get("headers", [])}
            with self._lock:
                self.exchanges.append(Exchange(
                    environ["REQUEST_METHOD"], environ.get("PATH_INFO", ""),
                    environ.get("QUERY_STRING", ""), raw, int(status.split()[0]),
                    headers.get("content-type", ""), body))
        return [body]


def record(sim: Any) -> Recorder:
    """Put a :class:`Recorder` in front of a served simulator (its ``wsgi_app``)."""
    recorder = Recorder(sim.wsgi_app)
    sim.wsgi_app = recorder
    return recorder


def _nullable(node: Any) -> Any:
    if isinstance(node, list):
        return [_nullable(v) for v in node]
    if not isinstance(node, dict):
        return node
    out = {k: _nullable(v) for k, v in node.items() if k != "nullable"}
    if node.get("nullable") is True:
        return {"anyOf": [out, {"type": "null"}]}
    return out


def _matches(pattern: str, key: str) -> bool:
    """``*`` matches anything; every other character is itself."""
    return re.fullmatch(re.escape(pattern).replace(r"\*", ".*"), key) is not None


def _scalar(text: str, kind: Any) -> Any:
    """A query value as the JSON value of the declared type (``"20"`` -> 20 for an integer);
    a value that does not spell that type stays a string (and fails validation)."""
    if kind == "integer" and re.fullmatch(r"-?\d+", text):
        return int(text)
    if kind == "number" and re.fullmatch(r"-?\d+(\.\d+)?", text):
        return float(text)
    if kind == "boolean" and text in ("true", "false"):
        return text == "true"
    return text


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    return {str: "string", list: "array", dict: "object"}.get(type(value), type(value).__name__)


def _deepest(error: ValidationError) -> ValidationError:
    while error.context:  # anyOf/oneOf: the branch that got furthest
        error = max(error.context, key=lambda e: (len(e.absolute_path), -len(e.schema_path)))
    return error


class Spec:
    """An OpenAPI 3.0 document ready to validate exchanges."""

    URI = "urn:chatmodels:openapi"

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = _nullable(document)
        self.registry: Registry[Any] = Registry().with_resource(
            self.URI, DRAFT4.create_resource(self.document))
        self.operations: list[tuple[str, re.Pattern[str], str]] = []
        for template, item in self.document["paths"].items():
            regex = re.compile("^" + re.sub(r"\\{[^/]+?\\}", "[^/]+", re.escape(template)) + "$")
            for method in item:
                if method in ("get", "put", "post", "delete", "patch", "head"):
                    self.operations.append((method.upper(), regex, template))
        # literal segments win over parameters: /contacts/search before /contacts/{id}
        self.operations.sort(key=lambda op: op[2].count("{"))
        self._validators: dict[str, Draft4Validator] = {}

    def operation(self, method: str, path: str) -> str | None:
        """The path template of the operation serving ``method path`` (None: not in the spec)."""
        for verb, regex, template in self.operations:
            if verb == method and regex.match(path):
                return template
        return None

    def _validator(self, pointer: str) -> Draft4Validator:
        found = self._validators.get(pointer)
        if found is None:
            ref = {"$ref": self.URI + "#" + quote(pointer, safe="/~")}
            found = self._validators[pointer] = Draft4Validator(ref, registry=self.registry)
        return found

    def _errors(self, pointer: str, instance: Any, key: str) -> list[tuple[str, str]]:
        out = []
        for error in self._validator(pointer).iter_errors(instance):
            deep = _deepest(error)
            where = "".join(f"/{'*' if isinstance(p, int) else p}" for p in deep.absolute_path)
            kind = str(deep.validator)
            if kind == "type":
                kind += ":" + _json_type(deep.instance)
            out.append((f"{key} {where or '/'} [{kind}]", deep.message[:300]))
        return out

    def _query_params(self, template: str, method: str) -> dict[str, tuple[str, dict[str, Any]]]:
        """Query parameter name -> (pointer of its schema, parameter) of one operation; the
        properties of an exploded object parameter (``/events`` ``filter``) count as names."""
        item = self.document["paths"][template]
        where = f"/paths/{template.replace('~', '~0').replace('/', '~1')}"
        out: dict[str, tuple[str, dict[str, Any]]] = {}
        for level, params in ((where, item.get("parameters", [])),
                              (f"{where}/{method.lower()}",
                               item[method.lower()].get("parameters", []))):
            for i, param in enumerate(params):
                if "$ref" in param:
                    param = self._resolve(param["$ref"])
                if param.get("in") != "query":
                    continue
                schema = param.get("schema", {})
                pointer = f"{level}/parameters/{i}/schema"
                if schema.get("type") == "object" and param.get("explode", True):
                    for branch in [schema, *schema.get("oneOf", []), *schema.get("anyOf", [])]:
                        for prop in branch.get("properties", {}):
                            out[prop] = ("", {"name": prop})
                    continue
                out[param["name"]] = (pointer, param)
        return out

    def _resolve(self, ref: str) -> Any:
        node: Any = self.document
        for part in ref.lstrip("#/").split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        return node

    def _query_problems(self, template: str, ex: Exchange, name: str) -> list[tuple[str, str]]:
        declared = self._query_params(template, ex.method)
        sent = dict(parse_qsl(ex.query, keep_blank_values=True))
        problems = []
        for key, value in sent.items():
            if key not in declared:
                problems.append((f"{name} request ?{key} [undeclared]",
                                 "query parameter not declared by the spec"))
                continue
            pointer, param = declared[key]
            if pointer:
                schema = param.get("schema", {})
                if "$ref" in schema:
                    schema = self._resolve(schema["$ref"])
                problems += self._errors(pointer, _scalar(value, schema.get("type")),
                                         f"{name} request ?{key}")
        for key, (_, param) in declared.items():
            if param.get("required") and key not in sent:
                problems.append((f"{name} request ?{key} [required]",
                                 "required query parameter missing"))
        return problems

    def check(self, ex: Exchange) -> list[tuple[str, str]]:
        """Every problem of one exchange as ``(key, message)``."""
        template = self.operation(ex.method, ex.path)
        if template is None:
            return [(f"{ex.method} {ex.path}", "no such operation in the spec")]
        base = f"/paths/{template.replace('~', '~0').replace('/', '~1')}/{ex.method.lower()}"
        op = self.document["paths"][template][ex.method.lower()]
        name = f"{ex.method} {template}"
        problems = self._query_problems(template, ex, name)
        body = op.get("requestBody")
        sent = ex.request_json()
        if body is None:
            if sent is not None and ex.method != "DELETE":
                problems.append((f"{name} request /", "a body was sent; the spec has none"))
        elif sent is None:
            if body.get("required"):
                problems.append((f"{name} request /", "the spec requires a body"))
        elif "application/json" in body.get("content", {}):
            if "schema" in body["content"]["application/json"]:
                problems += self._errors(base + "/requestBody/content/application~1json/schema",
                                         sent, f"{name} request")
        status = str(ex.status)
        responses = op.get("responses", {})
        key = f"{name} response {status}"
        if status in responses:
            pointer = f"{base}/responses/{status}"
            declared = responses[status]
        elif "default" in responses:
            pointer, declared = f"{base}/responses/default", responses["default"]
        elif ex.status >= 400:
            # undeclared error statuses still carry Intercom's error body
            return problems + self._errors("/components/schemas/error", ex.response_json(), key)
        else:
            return problems + [(f"{key} /", "status not declared by the spec")]
        content = declared.get("content", {})
        if "application/json" not in content:
            if ex.response:
                problems.append((f"{key} /", "a body was answered; the spec declares none"))
            return problems
        if "application/json" not in ex.content_type:
            return problems + [(f"{key} /", f"content type {ex.content_type!r}")]
        if "schema" in content["application/json"]:
            problems += self._errors(pointer + "/content/application~1json/schema",
                                     ex.response_json(), key)
        return problems

    def problems(self, exchanges: Iterable[Exchange], *, note: bool = True,
                 ) -> list[tuple[str, str]]:
        """Problems of all exchanges not listed as known, deduplicated by key (``note``: count
        the known differences used, for :func:`unmatched`)."""
        known = [*SPEC_MISTAKES, *SIMULATOR_DEVIATIONS, *CLIENT_DEVIATIONS]
        found: dict[str, str] = {}
        for ex in exchanges:
            for key, message in self.check(ex):
                matched = [p for p in known if _matches(p, key)]
                if note:
                    MATCHED.update(matched)
                if not matched:
                    found.setdefault(key, message)
        return sorted(found.items())


@functools.cache
def load(relative: str) -> Spec:
    """The spec at ``tests/data/<relative>``, parsed once per session."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with open(DATA / relative, encoding="utf-8") as handle:
        return Spec(yaml.load(handle, Loader=loader))
