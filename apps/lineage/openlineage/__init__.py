"""OpenLineage events in: decode (gzip, JSON), validate against the shipped JSON Schema, normalise.

``openlineage.json`` (this package) is the schema every event is validated against; the facets DictaMesh
reads (schema, columnLineage, ownership, documentation, dataSource, parent, nominalTime) are validated by
their own definitions in it, the others are kept as they came.
"""

from __future__ import annotations

import re
import uuid
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import fastjsonschema
import orjson
from jsonschema import Draft7Validator
from jsonschema.exceptions import best_match

from dictamesh.api import guard
from dictamesh.errors import DictaMeshError, ValidationError

SCHEMA_PATH = Path(__file__).with_name("openlineage.json")
KINDS = ("RunEvent", "DatasetEvent", "JobEvent")
FACETS = {  # facet name -> its definition in openlineage.json
    "schema": "SchemaDatasetFacet",
    "columnLineage": "ColumnLineageDatasetFacet",
    "ownership": "OwnershipFacet",
    "documentation": "DocumentationFacet",
    "dataSource": "DatasourceFacet",
    "parent": "ParentRunFacet",
    "nominalTime": "NominalTimeRunFacet",
}
_TIME = re.compile(
    r"^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2})?)(?:[.,](\d{1,9}))?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?$"
)


class PayloadTooLarge(DictaMeshError):
    code = "payload_too_large"
    status = 413
    default_message = "The request body is too large."


@dataclass
class DatasetIn:
    namespace: str
    name: str
    facets: dict


@dataclass
class ParsedEvent:
    kind: str  # RunEvent | DatasetEvent | JobEvent
    event_type: str  # RunEvent's eventType ("" when a 1-x event has none); "" for the others
    event_time: datetime
    producer: str
    body: dict
    run_id: uuid.UUID | None = None
    run_facets: dict = field(default_factory=dict)
    job: tuple[str, str] | None = None
    job_facets: dict = field(default_factory=dict)
    inputs: list[DatasetIn] = field(default_factory=list)
    outputs: list[DatasetIn] = field(default_factory=list)
    dataset: DatasetIn | None = None  # DatasetEvent


@cache
def _schema() -> dict:
    return orjson.loads(SCHEMA_PATH.read_bytes())


@cache
def _validator(definition: str) -> Draft7Validator:
    """jsonschema: the precise error (its path and message) of an event the fast validator refused."""
    return Draft7Validator({**_schema(), "$ref": f"#/$defs/{definition}"})


@cache
def _fast(definition: str):
    """fastjsonschema: the same schema compiled to Python, 30 times faster: every event goes through it."""
    return fastjsonschema.compile({**_schema(), "$ref": f"#/$defs/{definition}"})


def decode(body: bytes, *, encoding: str, limit: int) -> Any:
    """The JSON value of a request body (``Content-Encoding`` gzip or deflate allowed), at most ``limit`` bytes
    before and after decompression."""
    if len(body) > limit:
        raise PayloadTooLarge(f"The body is {len(body):,} bytes; at most {limit:,}.")
    encoding = (encoding or "").strip().lower()
    if encoding in ("gzip", "x-gzip", "deflate"):
        wbits = 16 + zlib.MAX_WBITS if encoding != "deflate" else zlib.MAX_WBITS
        inflater = zlib.decompressobj(wbits)
        try:
            body = inflater.decompress(body, limit + 1)
        except zlib.error as exc:
            raise ValidationError(
                f"The body is not valid {encoding}: {exc}.", code="invalid_encoding"
            ) from exc
        if len(body) > limit or inflater.unconsumed_tail:
            raise PayloadTooLarge(f"The body is over {limit:,} bytes once decompressed.")
    elif encoding not in ("", "identity"):
        raise ValidationError(
            f"Content-Encoding {encoding!r} is not supported (gzip, deflate).", code="invalid_encoding"
        )
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        problem = guard.body_problem(body)  # a lone surrogate, say: name it
        if problem is not None:
            raise ValidationError(
                problem.message, fields={problem.field: problem.code}, code=problem.code
            ) from exc
        raise ValidationError(f"The body is not JSON: {exc}.", code="invalid_json") from exc
    if guard.suspicious(body):  # NUL characters, lone surrogates, nesting past the limit: 400, never stored
        problem = guard.value_problem(value)
        if problem is not None:
            raise ValidationError(problem.message, fields={problem.field: problem.code}, code=problem.code)
    return value


def parse_time(text: Any, where: str = "eventTime") -> datetime:
    """An ISO 8601 date-time: with or without a zone (none is UTC), fractions down to nanoseconds."""
    match = _TIME.match(text.strip()) if isinstance(text, str) else None
    if match is None:
        raise ValidationError(
            f"{where} {text!r} is not an ISO 8601 date-time.",
            fields={where: "ISO 8601 date-time"},
            code="invalid_event",
        )
    day, clock, fraction, zone = match.groups()
    if clock.count(":") == 1:
        clock += ":00"
    micro = (fraction or "").ljust(6, "0")[:6]
    if zone in (None, "Z", "z"):
        zone = "+00:00"
    elif len(zone) == 3:
        zone += ":00"
    elif ":" not in zone:
        zone = f"{zone[:3]}:{zone[3:]}"
    try:
        return datetime.fromisoformat(f"{day}T{clock}.{micro}{zone}").astimezone(UTC)
    except ValueError as exc:
        raise ValidationError(
            f"{where} {text!r}: {exc}.", fields={where: "ISO 8601 date-time"}, code="invalid_event"
        ) from exc


def kind_of(body: Any) -> str:
    if not isinstance(body, dict):
        raise ValidationError("An OpenLineage event is a JSON object.", code="invalid_event")
    if "run" in body:
        return "RunEvent"
    if "dataset" in body:
        return "DatasetEvent"
    if "job" in body:
        return "JobEvent"
    raise ValidationError(
        "Not an OpenLineage event: a RunEvent has run and job, a DatasetEvent dataset, a JobEvent job.",
        code="invalid_event",
    )


def _check(value: Any, definition: str, where: str) -> None:
    try:
        _fast(definition)(value)
        return
    except fastjsonschema.JsonSchemaException as fast_error:
        error = best_match(_validator(definition).iter_errors(value))
        if error is None:  # the two validators disagree: report the fast one's finding
            raise ValidationError(
                f"The event does not match the OpenLineage schema: {fast_error.message}", code="invalid_event"
            ) from None
    if error is not None:
        path = where + "".join(f"[{p!r}]" if isinstance(p, str) else f"[{p}]" for p in error.absolute_path)
        raise ValidationError(
            f"The event does not match the OpenLineage schema at {path}: {error.message}",
            code="invalid_event",
            fields={path: error.message[:300]},
        )


def _facets(facets: Any, where: str) -> dict:
    facets = facets or {}
    for name, definition in FACETS.items():
        if isinstance(facets.get(name), dict):
            _check(facets[name], definition, f"{where}.facets.{name}")
    return {name: value for name, value in facets.items() if value is not None}


def _datasets(items: list, where: str) -> list[DatasetIn]:
    out = []
    for i, item in enumerate(items or []):
        out.append(
            DatasetIn(
                namespace=item["namespace"],
                name=item["name"],
                facets=_facets(item.get("facets"), f"{where}[{i}]"),
            )
        )
    return out


def parse(body: Any) -> ParsedEvent:
    """Validate ``body`` and return what DictaMesh stores of it; a ValidationError names what is wrong."""
    kind = kind_of(body)
    _check(body, kind, "$")
    event = ParsedEvent(
        kind=kind,
        event_type=(body.get("eventType") or "") if kind == "RunEvent" else "",
        event_time=parse_time(body["eventTime"]),
        producer=body.get("producer", ""),
        body=body,
    )
    if kind == "DatasetEvent":
        dataset = body["dataset"]
        event.dataset = DatasetIn(
            dataset["namespace"], dataset["name"], _facets(dataset.get("facets"), "dataset")
        )
        return event
    job = body["job"]
    event.job = (job["namespace"], job["name"])
    event.job_facets = _facets(job.get("facets"), "job")
    event.inputs = _datasets(body.get("inputs"), "inputs")
    event.outputs = _datasets(body.get("outputs"), "outputs")
    if kind == "RunEvent":
        event.run_id = uuid.UUID(body["run"]["runId"])
        event.run_facets = _facets(body["run"].get("facets"), "run")
    return event
