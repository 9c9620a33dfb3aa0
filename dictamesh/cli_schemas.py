"""`dictamesh schemas register|check|diff FILE --subject S`: the schema registry from producers' CI pipelines.

An HTTP client of the registry's Confluent API (no Django, no database): it runs wherever the pipeline runs.

    dictamesh schemas check schemas/order.avsc --subject orders-value     # exit 1 when incompatible
    dictamesh schemas register schemas/order.avsc --subject orders-value  # prints id and version
    dictamesh schemas diff schemas/order.avsc --subject orders-value      # unified diff with the latest

The registry is ``--url`` or ``DICTAMESH_SCHEMA_REGISTRY_URL`` (default http://localhost:8000/schema-registry);
a token (``--token`` or ``DICTAMESH_TOKEN``) is sent as ``Authorization: Bearer`` (registering needs one).
Exit codes: 0 done or compatible, 1 incompatible (messages printed), 2 any other error (printed).
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import re
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

TYPES_BY_SUFFIX = {
    ".avsc": "AVRO",
    ".json": "JSON",
    ".proto": "PROTOBUF",
    ".graphql": "GRAPHQL",
    ".gql": "GRAPHQL",
}
CONTENT_TYPE = "application/vnd.schemaregistry.v1+json"


class RegistryError(Exception):
    def __init__(self, status: int, body: dict | str):
        self.status, self.body = status, body
        message = body.get("message") if isinstance(body, dict) else body
        code = body.get("error_code") if isinstance(body, dict) else status
        super().__init__(f"{message} (HTTP {status}, error code {code})")


def _request(args, method: str, path: str, body: dict | None = None):
    url = args.url.rstrip("/") + path
    headers = {"Accept": CONTENT_TYPE}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = CONTENT_TYPE
    if args.token:
        headers["Authorization"] = f"Bearer {args.token}"
    request = urllib.request.Request(url, data=data, method=method, headers=headers)  # noqa: S310 - the user's URL
    try:
        with urllib.request.urlopen(request, timeout=args.timeout) as response:  # noqa: S310
            raw, status = response.read(), response.status
    except urllib.error.HTTPError as exc:
        raw, status = exc.read(), exc.code
    try:
        payload = json.loads(raw or b"null")
    except ValueError:
        raise RegistryError(status, _not_the_api(args.url, status, raw)) from None
    if status >= 400:
        raise RegistryError(status, payload)
    return payload


def _not_the_api(url: str, status: int, raw: bytes) -> str:
    """What to say when ``url`` answered something other than the Schema Registry API's JSON (an HTML page,
    a proxy's error): never the page itself."""
    text = raw.decode(errors="replace")
    title = re.search(r"<title[^>]*>([^<]{1,120})</title>", text, re.IGNORECASE)
    what = (
        f"an HTML page ({title.group(1).strip()!r})"
        if title
        else ("an HTML page" if "<" in text[:200] else "no JSON")
    )
    return (
        f"{url} is not a schema registry: it answered HTTP {status} with {what}. "
        "Pass --url the registry's root, e.g. http://localhost:8000/schema-registry"
    )


def _schema_body(args) -> dict:
    path = Path(args.file)
    text = path.read_text()
    schema_type = (args.type or TYPES_BY_SUFFIX.get(path.suffix.lower()) or "AVRO").upper()
    body: dict = {"schema": text}
    if schema_type != "AVRO":
        body["schemaType"] = schema_type
    return body


def _subject(args) -> str:
    return urllib.parse.quote(args.subject, safe="")


def cmd_check(args) -> int:
    version = f"/{urllib.parse.quote(args.version, safe='')}" if args.version else ""
    answer = _request(
        args,
        "POST",
        f"/compatibility/subjects/{_subject(args)}/versions{version}?verbose=true",
        _schema_body(args),
    )
    if answer.get("is_compatible"):
        print(f"compatible with {args.subject}")
        return 0
    print(f"INCOMPATIBLE with {args.subject}:")
    for message in answer.get("messages") or []:
        print(f"  {message}")
    return 1


def cmd_register(args) -> int:
    normalize = "?normalize=true" if args.normalize else ""
    try:
        answer = _request(args, "POST", f"/subjects/{_subject(args)}/versions{normalize}", _schema_body(args))
    except RegistryError as exc:
        if exc.status == 409:
            print(
                f"INCOMPATIBLE, not registered: {exc.body.get('message') if isinstance(exc.body, dict) else exc}"
            )
            return 1
        raise
    print(f"registered {args.subject} version {answer.get('version')} with schema id {answer['id']}")
    return 0


def _pretty(text: str) -> list[str]:
    try:
        return json.dumps(json.loads(text), indent=2, sort_keys=False).splitlines(keepends=True)
    except ValueError:
        return text.splitlines(keepends=True)


def cmd_diff(args) -> int:
    version = urllib.parse.quote(args.version or "latest", safe="")
    current = _request(args, "GET", f"/subjects/{_subject(args)}/versions/{version}")
    ours = _pretty(Path(args.file).read_text())
    theirs = _pretty(current["schema"])
    label = f"{args.subject} version {current['version']} (id {current['id']})"
    lines = list(difflib.unified_diff(theirs, ours, fromfile=label, tofile=args.file))
    if not lines:
        print(f"{args.file} is the same as {label}")
    sys.stdout.writelines(lines)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dictamesh schemas", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="action", required=True)
    for name, help_text in (
        ("check", "is FILE compatible with the subject (its level, or --version)? exit 1 when not"),
        ("register", "register FILE under the subject; exit 1 when incompatible"),
        ("diff", "unified diff between the registered version (--version, default latest) and FILE"),
    ):
        action = sub.add_parser(name, help=help_text)
        action.add_argument("file")
        action.add_argument("--subject", required=True)
        action.add_argument(
            "--type", choices=["AVRO", "JSON", "PROTOBUF", "GRAPHQL"], help="default: by suffix"
        )
        action.add_argument("--version", help="a version number or latest (check, diff)")
        action.add_argument("--normalize", action="store_true", help="register the normalized form")
        action.add_argument(
            "--url",
            default=os.environ.get("DICTAMESH_SCHEMA_REGISTRY_URL", "http://localhost:8000/schema-registry"),
        )
        action.add_argument("--token", default=os.environ.get("DICTAMESH_TOKEN"))
        action.add_argument("--timeout", type=float, default=30.0)
    return parser


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    try:
        return {"check": cmd_check, "register": cmd_register, "diff": cmd_diff}[args.action](args)
    except RegistryError as exc:
        print(f"dictamesh schemas {args.action}: {exc}", file=sys.stderr)
        return 2
    except (OSError, urllib.error.URLError) as exc:
        print(f"dictamesh schemas {args.action}: {exc}", file=sys.stderr)
        return 2
